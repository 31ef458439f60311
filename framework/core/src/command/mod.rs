//! Commands: named RPC endpoints of a service with a typed DTO.
//!
//! A command is declared with [`Cmd`], from its DTO type (which implements
//! [`Command`]) and an async handler, and registered on
//! the application with [`AppBuilder::command`](crate::app::AppBuilder::command).
//! A handler that needs something of the application (a service, a mailer,
//! settings) receives it with [`Cmd::with_state`] instead of capturing it.
//!
//! ```
//! use ferrocrud::command::{Cmd, CommandContext};
//! use ferrocrud::shared::{Command, Resource};
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//!
//! # struct Post;
//! # impl Resource for Post { const SERVICE: &'static str = "post"; }
//! /// Says hello.
//! #[derive(Debug, Serialize, Deserialize, JsonSchema)]
//! #[serde(rename_all = "camelCase", deny_unknown_fields)]
//! struct HelloDto {
//!     name: String,
//! }
//!
//! impl Command for HelloDto {
//!     type Service = Post; // in an application: the entity's Model
//!     const NAME: &'static str = "hello";
//!     type Return = String;
//! }
//!
//! let hello = Cmd::new(|_ctx: CommandContext, dto: HelloDto| async move {
//!     Ok(format!("hello {}", dto.name))
//! })
//! .secure_only()
//! .min_time_between_calls(std::time::Duration::from_secs(1));
//! # let _ = hello;
//! ```

pub(crate) mod usage;

use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderValue;
use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::context::CrudContext;
use crate::error::{Error, Result};
use crate::shared::Command;

/// How a command may be called.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandSettings {
    /// Only with POST (secure mode: the user is read fresh).
    pub secure_only: bool,
    /// Also with GET, the DTO in the `query` parameter (no CSRF check in cookie mode).
    pub allow_get: bool,
    /// Most calls per user, counted in the database; implies POST for users.
    pub max_uses_per_user: Option<u64>,
    /// Least time between two calls of one user, checked in the database.
    pub min_time_between_calls: Option<Duration>,
    /// The DTO field holding a batch (size limited per role).
    pub batch_field: Option<String>,
}

/// What a command answered.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandOutput {
    /// A JSON body, serialized straight from the command's answer.
    Json(Vec<u8>),
    /// An empty body (the command returns `()`).
    Empty,
}

/// The context a command handler runs in: the request's [`CrudContext`] and
/// a place to set response cookies.
#[derive(Debug, Clone)]
pub struct CommandContext {
    /// Who asks, with which options.
    pub crud: CrudContext,
    cookies: Arc<Mutex<Vec<HeaderValue>>>,
}

impl CommandContext {
    /// A context for a command run by application code.
    pub fn new(crud: CrudContext) -> Self {
        Self {
            crud,
            cookies: Arc::default(),
        }
    }

    /// The caller's user id, if logged in.
    pub fn user_id(&self) -> Option<&str> {
        self.crud.user_id()
    }

    /// Adds a `Set-Cookie` header to the answer.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] when the value is not a valid header value.
    pub fn set_cookie(&self, cookie: &str) -> Result<()> {
        let value = HeaderValue::from_str(cookie).map_err(|_| Error::Internal("invalid cookie"))?;
        if let Ok(mut cookies) = self.cookies.lock() {
            cookies.push(value);
        }
        Ok(())
    }

    /// A handle on the cookies this context and its clones set, to read
    /// them once the command has consumed the context.
    pub(crate) fn cookie_jar(&self) -> CookieJar {
        CookieJar(Arc::clone(&self.cookies))
    }
}

/// The `Set-Cookie` values a command set, shared with its context.
#[derive(Debug)]
pub(crate) struct CookieJar(Arc<Mutex<Vec<HeaderValue>>>);

impl CookieJar {
    /// Takes the cookies set so far.
    pub(crate) fn take(&self) -> Vec<HeaderValue> {
        self.0
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }
}

type ErasedHandler =
    Arc<dyn Fn(CommandContext, Value) -> BoxFuture<'static, Result<CommandOutput>> + Send + Sync>;

/// A command ready to register: its DTO type, handler and settings.
#[must_use]
pub struct Cmd<D: Command> {
    settings: CommandSettings,
    handler: ErasedHandler,
    _dto: PhantomData<fn(D)>,
}

impl<D: Command> std::fmt::Debug for Cmd<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cmd")
            .field("service", &D::SERVICE)
            .field("name", &D::NAME)
            .field("settings", &self.settings)
            .finish()
    }
}

impl<D: Command> Cmd<D> {
    /// A command answered by `handler`.
    pub fn new<F, Fut>(handler: F) -> Self
    where
        F: Fn(CommandContext, D) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<D::Return>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let erased: ErasedHandler = Arc::new(move |ctx, value| {
            let handler = Arc::clone(&handler);
            Box::pin(async move {
                let dto: D = serde_json::from_value(value)
                    .map_err(|_| Error::BadRequest("DTO does not match its type"))?;
                let answer = handler(ctx, dto).await?;
                let mut body = Vec::with_capacity(128);
                serde_json::to_writer(&mut body, &answer)
                    .map_err(|_| Error::Internal("command answer is not serializable"))?;
                Ok(if body == b"null" {
                    CommandOutput::Empty
                } else {
                    CommandOutput::Json(body)
                })
            })
        });
        Self {
            settings: CommandSettings::default(),
            handler: erased,
            _dto: PhantomData,
        }
    }

    /// A command answered by `handler`, which also receives a clone of
    /// `state` on each call: a service, a mailer, a configuration, whatever
    /// the command needs from the application.
    ///
    /// Clone is per call, as for axum's `State`: share what is costly to
    /// clone behind an `Arc` (ferrocrud's services already are).
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// use ferrocrud::command::{Cmd, CommandContext};
    /// use ferrocrud::shared::Command;
    /// use schemars::JsonSchema;
    /// use serde::{Deserialize, Serialize};
    ///
    /// /// What the greeting command needs from the application.
    /// struct Greeter {
    ///     greeting: String,
    /// }
    ///
    /// /// Says hello.
    /// #[derive(Debug, Serialize, Deserialize, JsonSchema)]
    /// #[serde(rename_all = "camelCase", deny_unknown_fields)]
    /// struct HelloDto {
    ///     name: String,
    /// }
    ///
    /// /// The service the command is served on.
    /// enum Posts {}
    ///
    /// impl ferrocrud::shared::Resource for Posts {
    ///     const SERVICE: &'static str = "post";
    /// }
    ///
    /// impl Command for HelloDto {
    ///     type Service = Posts;
    ///     const NAME: &'static str = "hello";
    ///     type Return = String;
    /// }
    ///
    /// let greeter = Arc::new(Greeter { greeting: "hello".into() });
    /// let hello = Cmd::with_state(
    ///     greeter,
    ///     |greeter: Arc<Greeter>, _ctx: CommandContext, dto: HelloDto| async move {
    ///         Ok(format!("{} {}", greeter.greeting, dto.name))
    ///     },
    /// );
    /// # let _ = hello;
    /// ```
    pub fn with_state<S, F, Fut>(state: S, handler: F) -> Self
    where
        S: Clone + Send + Sync + 'static,
        F: Fn(S, CommandContext, D) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<D::Return>> + Send + 'static,
    {
        Self::new(move |ctx, dto| handler(state.clone(), ctx, dto))
    }

    /// Only with POST.
    pub fn secure_only(mut self) -> Self {
        self.settings.secure_only = true;
        self
    }

    /// Also with GET.
    pub fn allow_get(mut self) -> Self {
        self.settings.allow_get = true;
        self
    }

    /// At most `max` calls per user.
    pub fn max_uses_per_user(mut self, max: u64) -> Self {
        self.settings.max_uses_per_user = Some(max);
        self
    }

    /// At least `interval` between two calls of one user.
    pub fn min_time_between_calls(mut self, interval: Duration) -> Self {
        self.settings.min_time_between_calls = Some(interval);
        self
    }

    /// `field` of the DTO holds a batch, limited per role.
    pub fn batch_field(mut self, field: &str) -> Self {
        self.settings.batch_field = Some(field.to_owned());
        self
    }

    /// Replaces the settings.
    pub fn settings(mut self, settings: CommandSettings) -> Self {
        self.settings = settings;
        self
    }

    pub(crate) fn into_spec(self) -> CommandSpec {
        CommandSpec {
            service: D::SERVICE.to_owned(),
            name: D::NAME.to_owned(),
            dto_type: short_type_name::<D>(),
            dto_schema: schemars::schema_for!(D),
            return_type: short_type_name::<D::Return>(),
            return_schema: schemars::schema_for!(D::Return),
            settings: self.settings,
            handler: self.handler,
        }
    }
}

/// A registered command, type-erased.
#[derive(Clone)]
pub(crate) struct CommandSpec {
    pub(crate) service: String,
    pub(crate) name: String,
    pub(crate) dto_type: String,
    pub(crate) dto_schema: schemars::Schema,
    pub(crate) return_type: String,
    pub(crate) return_schema: schemars::Schema,
    pub(crate) settings: CommandSettings,
    pub(crate) handler: ErasedHandler,
}

impl std::fmt::Debug for CommandSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandSpec")
            .field("service", &self.service)
            .field("name", &self.name)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl CommandSpec {
    pub(crate) async fn run(&self, ctx: CommandContext, dto: Value) -> Result<CommandOutput> {
        (self.handler)(ctx, dto).await
    }
}

/// `ferrocrud_shared::user::LoginDto` → `LoginDto`.
fn short_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Verb;
    use crate::shared::user::{CheckJwtDto, LogoutDto, UserService};

    #[test]
    fn type_names_are_short() {
        assert_eq!(
            short_type_name::<crate::shared::user::LoginDto>(),
            "LoginDto"
        );
    }

    #[tokio::test]
    async fn unit_answers_are_empty() {
        let spec = Cmd::new(|_ctx, _dto: LogoutDto| async { Ok(()) }).into_spec();
        let ctx = CommandContext::new(CrudContext::guest_for::<UserService>("guest", Verb::Patch));
        assert_eq!(
            spec.run(ctx, serde_json::json!({})).await.unwrap(),
            CommandOutput::Empty
        );
    }

    #[tokio::test]
    async fn handlers_receive_their_state_on_every_call() {
        use std::sync::atomic::{AtomicUsize, Ordering};

        let calls = Arc::new(AtomicUsize::new(0));
        let spec = Cmd::with_state(
            Arc::clone(&calls),
            |calls: Arc<AtomicUsize>, ctx: CommandContext, _dto: LogoutDto| async move {
                calls.fetch_add(1, Ordering::SeqCst);
                ctx.set_cookie("seen=1")
            },
        )
        .into_spec();
        for _ in 0..2 {
            let ctx = CommandContext::new(CrudContext::guest("guest", Verb::Patch, "user"));
            let jar = ctx.cookie_jar();
            assert_eq!(
                spec.run(ctx, serde_json::json!({})).await.unwrap(),
                CommandOutput::Empty
            );
            assert_eq!(jar.take(), vec![HeaderValue::from_static("seen=1")]);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn answers_are_json() {
        let spec = Cmd::new(|_ctx, _dto: CheckJwtDto| async {
            Ok(crate::shared::user::CheckJwtResponseDto {
                access_token: None,
                refresh_token_sec: None,
                user_id: "u".into(),
            })
        })
        .into_spec();
        let ctx = CommandContext::new(CrudContext::guest_for::<UserService>("guest", Verb::Patch));
        let out = spec.run(ctx, serde_json::json!({})).await.unwrap();
        assert_eq!(
            out,
            CommandOutput::Json(
                br#"{"accessToken":null,"refreshTokenSec":null,"userId":"u"}"#.to_vec()
            )
        );
    }
}
