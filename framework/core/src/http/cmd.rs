//! The command route: `POST` (secure), `PATCH` (normal) or `GET` on
//! `/crud/s/:service/cmd/:cmd`.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::authorize::{self, check_batch_size};
use super::error::ApiError;
use super::{Incoming, guard, json_body_response, object, success_status};
use crate::app::{AppState, CommandEntry};
use crate::command::{CommandContext, CommandOutput, usage};
use crate::context::{CrudContext, Verb};
use crate::error::{Error, Result, Target};
use crate::security::Action;
use crate::validate::Mode;

pub(crate) async fn handle(
    state: &AppState,
    service: &str,
    name: &str,
    incoming: Incoming,
) -> Result<Response, ApiError> {
    let mut ctx = guard::context(state, &incoming.headers, incoming.verb, service).await?;
    let entry = state
        .services
        .get(service)
        .ok_or_else(|| Error::ServiceNotFound(service.to_owned()))?;
    let command = entry
        .commands
        .get(name)
        .ok_or_else(|| Error::CommandNotFound(name.to_owned()))?;
    let verb = incoming.verb;
    if verb == Verb::Get && !command.spec.settings.allow_get {
        return Err(Error::GetMethodNotAllowed.into());
    }
    ctx.command = Some(name.to_owned());
    let mut dto = match verb {
        Verb::Get => incoming.params.query.unwrap_or_default(),
        _ => object(incoming.json_body()?)?,
    };
    ctx.options = incoming.params.options;
    guard::apply_mock_role(state, &mut ctx)?;
    if let Some(field) = &command.spec.settings.batch_field {
        let Some(Value::Array(items)) = dto.get(field) else {
            return Err(Error::PayloadMustBeArray.into());
        };
        check_batch_size(state, &ctx, Some(name), items.len(), Some(field))?;
    }
    let mode = if verb == Verb::Get {
        Mode::Partial
    } else {
        Mode::Full
    };
    command.validator.validate(&mut dto, mode, Target::Data)?;
    let settings = &command.spec.settings;
    let counted = settings.max_uses_per_user.is_some() && ctx.user.is_some();
    if verb != Verb::Post && (settings.secure_only || counted) {
        return Err(Error::SecureModeRequired.into());
    }
    authorize(state, &ctx, name, &dto)?;
    let output = run_counted(state, command, ctx, Value::Object(dto)).await?;
    Ok(encode(verb, output))
}

fn authorize(
    state: &AppState,
    ctx: &CrudContext,
    name: &str,
    dto: &serde_json::Map<String, Value>,
) -> Result<()> {
    let fields: Vec<&str> = dto.keys().map(String::as_str).collect();
    authorize::authorize(state, ctx, Action::Command(name), &[dto], &fields)?;
    Ok(())
}

/// Runs the command under its per-user limits: a use is reserved before the
/// call and given back if the call fails; the minimum interval is claimed
/// atomically. Guests are not counted.
async fn run_counted(
    state: &AppState,
    command: &CommandEntry,
    ctx: CrudContext,
    dto: Value,
) -> Result<Output> {
    let settings = &command.spec.settings;
    let key = &command.usage_key;
    let limited = settings.max_uses_per_user.is_some() || settings.min_time_between_calls.is_some();
    // The context moves into the command: the id is kept only when a limit needs it.
    let user_id = ctx.user_id().filter(|_| limited).map(str::to_owned);
    let db = &state.db;
    let reserved = match (&user_id, settings.max_uses_per_user) {
        (Some(user_id), Some(max)) => {
            let reserved = usage::reserve_use(db, user_id, key, max).await;
            if let Err(Error::MaxUsesReached { .. }) = &reserved {
                state.limit_refusals.max_uses();
            }
            reserved?;
            true
        }
        _ => false,
    };
    let mut claimed = None;
    if let (Some(user_id), Some(interval)) = (&user_id, settings.min_time_between_calls) {
        let now = chrono::Utc::now().timestamp_millis();
        let interval = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
        if let Err(err) = usage::claim_call(db, user_id, key, now, interval).await {
            if let Error::WaitUntil { .. } = &err {
                state.limit_refusals.min_interval();
            }
            if reserved {
                usage::release_use(db, user_id, key).await?;
            }
            return Err(err);
        }
        claimed = Some(now);
    }
    let cmd_ctx = CommandContext::new(ctx);
    let cookies = cmd_ctx.cookie_jar();
    let result = command.spec.run(cmd_ctx, dto).await;
    if result.is_err()
        && let Some(user_id) = &user_id
    {
        // A failed call counts neither as a use nor as the last call.
        if reserved {
            usage::release_use(db, user_id, key).await?;
        }
        if let Some(claimed_ms) = claimed {
            usage::release_call(db, user_id, key, claimed_ms).await?;
        }
    }
    Ok(Output {
        output: result?,
        cookies: cookies.take(),
    })
}

struct Output {
    output: CommandOutput,
    cookies: Vec<axum::http::HeaderValue>,
}

fn encode(verb: Verb, output: Output) -> Response {
    let status = success_status(verb);
    let mut response = match output.output {
        CommandOutput::Json(body) => json_body_response(status, body),
        CommandOutput::Empty => status.into_response(),
    };
    for cookie in output.cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
