//! What the CRUD and the command routes both ask of the authorizer: may the
//! caller do this, with these options, and how large a batch may it send.

use serde_json::{Map, Value};

use crate::app::AppState;
use crate::context::CrudContext;
use crate::error::{Error, Result};
use crate::security::{Action, Authorized, AuthzRequest, Caller};
use crate::shared::CrudOptions;

/// Checks the caller's abilities for `action` on `subjects` (every one must
/// pass) and `fields`, and its option abilities for the options it set.
pub(super) fn authorize<'s>(
    state: &'s AppState,
    ctx: &CrudContext,
    action: Action<'_>,
    subjects: &[&Map<String, Value>],
    fields: &[&str],
) -> Result<Authorized<'s>> {
    let options = option_requests(&ctx.options);
    let request = AuthzRequest {
        service: &ctx.service,
        action,
        method: ctx.verb,
        caller: Caller {
            user_id: ctx.user_id(),
            role: ctx.role(),
        },
        subjects,
        fields,
        options: &options,
    };
    Ok(state.authorizer.authorize(&request)?)
}

/// Checks a batch against the largest size the caller's roles allow, for
/// the service's CRUD batches or for `command`'s batch `field`.
pub(super) fn check_batch_size(
    state: &AppState,
    ctx: &CrudContext,
    command: Option<&str>,
    size: usize,
    field: Option<&str>,
) -> Result<()> {
    if size == 0 {
        return Err(Error::EmptyBatch);
    }
    let max = state
        .authorizer
        .max_batch_size(&ctx.service, command, ctx.role())
        .unwrap_or(0);
    if size as u64 > max {
        return Err(Error::MaxBatchSizeExceeded {
            max,
            size: size as u64,
            field: field.map(str::to_owned),
        });
    }
    Ok(())
}

/// The options that need an option ability, with their values as fields.
fn option_requests(options: &CrudOptions) -> Vec<(&'static str, Vec<String>)> {
    options
        .keys_set()
        .into_iter()
        .filter(|key| !CrudOptions::ALWAYS_ALLOWED.contains(key))
        .map(|key| {
            let values = match key {
                "populate" => options.populate.clone().unwrap_or_default(),
                "returnUpdatedEntity" => flag(options.return_updated_entity),
                "allowIdOverride" => flag(options.allow_id_override),
                "skipServiceHooks" => flag(options.skip_service_hooks),
                _ => Vec::new(),
            };
            (key, values)
        })
        .collect()
}

fn flag(value: Option<bool>) -> Vec<String> {
    value.map(|v| vec![v.to_string()]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_allowed_options_need_no_ability() {
        let options = CrudOptions {
            limit: Some(5),
            return_updated_entity: Some(true),
            populate: Some(vec!["owner".into()]),
            ..CrudOptions::default()
        };
        let mut requests = option_requests(&options);
        requests.sort();
        assert_eq!(
            requests,
            vec![
                ("populate", vec!["owner".to_owned()]),
                ("returnUpdatedEntity", vec!["true".to_owned()]),
            ]
        );
    }
}
