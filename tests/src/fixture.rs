//! The second fixture: the blog's roles, user service and post service, with
//! the post service's abilities extended and commands added on service
//! `post`, to reach the parts of the pipeline the blog leaves unused
//! (command modes and limits, batches, option abilities).
//!
//! | command | settings | who may call it |
//! |---|---|---|
//! | [`PingDto`] `ping` | `allow_get` | guests, so everyone |
//! | [`SecureEchoDto`] `secure_echo` | `secure_only` | users |
//! | [`LimitedDto`] `limited` | `max_uses_per_user(2)`; `fail: true` makes it fail | guests, so everyone |
//! | [`SlowDto`] `slow` | `min_time_between_calls(60 s)`; `fail: true` makes it fail | users |
//! | [`EchoBatchDto`] `echo_batch` | `batch_field("items")`, users' batch size 3 | users |
//!
//! On the entity, users may also batch up to [`USER_MAX_BATCH_SIZE`] posts
//! and ask for `returnUpdatedEntity`; moderators may set `allowIdOverride`.
//! A role of its own, [`READER`], reads through a projection and a rule on
//! instants.

use std::time::Duration;

use ferrocrud::app::App;
use ferrocrud::command::{Cmd, CommandContext};
use ferrocrud::email::MailboxFile;
use ferrocrud::security::{Crud, Role, ServiceSecurity, and, eq, exists, gt, gte, user_id};
use ferrocrud::service::CrudService;
use ferrocrud::shared::Command;
use ferrocrud::storage::Db;
use ferrocrud::user::CrudUserService;
use ferrocrud::{Error, Result};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A role of the fixture only, inheriting `guest`: it creates, reads,
/// updates and deletes its own posts (`owner` pinned to its id), may ask for
/// `returnUpdatedEntity`, reads only [`READER_FIELDS`], and may not read
/// with a `createdAt` at or after [`READER_CUTOFF`].
pub const READER: &str = "reader";

/// What [`READER`] may read of a post: `owner`, its limiting key, is not
/// among them.
pub const READER_FIELDS: [&str; 3] = ["id", "title", "createdAt"];

/// [`READER`] may not read with a `createdAt` at or after this instant,
/// written with an offset: 2029-12-31T23:00:00Z.
pub const READER_CUTOFF: &str = "2030-01-01T00:00:00+01:00";

/// The blog's roles and [`READER`].
pub fn roles() -> Vec<Role> {
    let mut roles = blog::security::roles();
    roles.push(Role::new(READER).inherits("guest"));
    roles
}

/// The largest CRUD batch of role `user` on posts.
pub const USER_MAX_BATCH_SIZE: u64 = 5;

/// The largest `items` batch of role `user` for `echo_batch`.
pub const ECHO_BATCH_SIZE: u64 = 3;

/// Uses of `limited` per user.
pub const LIMITED_MAX_USES: u64 = 2;

/// Least time between two calls of `slow` by one user.
pub const SLOW_INTERVAL: Duration = Duration::from_secs(60);

/// The text `limited` fails with when asked to.
pub const LIMITED_FAILURE: &str = "limited was asked to fail";

/// The text `slow` fails with when asked to.
pub const SLOW_FAILURE: &str = "slow was asked to fail";

/// `ping`: answers its DTO back, with the caller's id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PingDto {
    /// Echoed.
    pub message: String,
    /// Echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

impl Command for PingDto {
    type Service = blog::post::Model;
    const NAME: &'static str = "ping";
    type Return = PingReturnDto;
}

/// The answer of `ping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PingReturnDto {
    /// The DTO's message.
    pub message: String,
    /// The DTO's count.
    pub count: Option<i64>,
    /// The caller, `null` for guests.
    pub user_id: Option<String>,
}

/// `secure_echo`: only over POST; answers its DTO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecureEchoDto {
    /// Echoed.
    pub text: String,
}

impl Command for SecureEchoDto {
    type Service = blog::post::Model;
    const NAME: &'static str = "secure_echo";
    type Return = SecureEchoDto;
}

/// `guarded`: guests may call it, but not with an `amount` above 10; a call
/// that leaves `amount` out cannot be told apart, and is refused (a
/// `cannot` fails closed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuardedDto {
    /// At most 10 for a guest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
}

impl Command for GuardedDto {
    type Service = blog::post::Model;
    const NAME: &'static str = "guarded";
    type Return = bool;
}

/// `limited`: at most [`LIMITED_MAX_USES`] uses per user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitedDto {
    /// Makes the handler fail with [`LIMITED_FAILURE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail: Option<bool>,
}

impl Command for LimitedDto {
    type Service = blog::post::Model;
    const NAME: &'static str = "limited";
    type Return = bool;
}

/// `slow`: at most one call per user per [`SLOW_INTERVAL`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlowDto {
    /// Makes the handler fail with [`SLOW_FAILURE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail: Option<bool>,
}

impl Command for SlowDto {
    type Service = blog::post::Model;
    const NAME: &'static str = "slow";
    type Return = bool;
}

/// `echo_batch`: answers its items, a batch field limited per role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EchoBatchDto {
    /// The batch.
    pub items: Vec<String>,
}

impl Command for EchoBatchDto {
    type Service = blog::post::Model;
    const NAME: &'static str = "echo_batch";
    type Return = Vec<String>;
}

/// The blog's post abilities, extended: users may batch, ask for
/// `returnUpdatedEntity` and call the users' commands; moderators may choose
/// the ids of their posts (`allowIdOverride`); guests may call `ping` and
/// `limited`.
pub fn post_security() -> ServiceSecurity {
    blog::security::posts()
        .role("user", |r| {
            r.can_option("returnUpdatedEntity");
            r.max_batch_size(USER_MAX_BATCH_SIZE);
            r.can_cmd::<SecureEchoDto>();
            r.can_cmd::<SlowDto>();
            r.can_cmd::<EchoBatchDto>();
            r.command_max_batch_size(EchoBatchDto::NAME, ECHO_BATCH_SIZE);
        })
        .role("moderator", |r| {
            r.can(Crud::ALL).when(eq("owner", user_id()));
            r.can_option("allowIdOverride");
        })
        .role(READER, |r| {
            r.can(Crud::ALL).when(eq("owner", user_id()));
            r.cannot(Crud::READ).when(and(vec![
                exists("createdAt", true),
                gte("createdAt", READER_CUTOFF),
            ]));
            r.can_option("returnUpdatedEntity");
            r.read_fields(&READER_FIELDS);
        })
        .role("guest", |r| {
            r.can_cmd::<PingDto>();
            r.can("limited");
            r.can_cmd::<GuardedDto>();
            r.cannot_cmd::<GuardedDto>().when(gt("amount", 10));
        })
}

/// The fixture's commands, to register on the application.
pub fn commands(builder: ferrocrud::app::AppBuilder) -> ferrocrud::app::AppBuilder {
    let ping = Cmd::new(|ctx: CommandContext, dto: PingDto| async move {
        Ok(PingReturnDto {
            message: dto.message,
            count: dto.count,
            user_id: ctx.user_id().map(str::to_owned),
        })
    })
    .allow_get();
    let secure_echo =
        Cmd::new(|_ctx: CommandContext, dto: SecureEchoDto| async move { Ok(dto) }).secure_only();
    let limited = Cmd::new(|_ctx: CommandContext, dto: LimitedDto| async move {
        if dto.fail == Some(true) {
            return Err(Error::BadRequest(LIMITED_FAILURE));
        }
        Ok(true)
    })
    .max_uses_per_user(LIMITED_MAX_USES);
    let slow = Cmd::new(|_ctx: CommandContext, dto: SlowDto| async move {
        if dto.fail == Some(true) {
            return Err(Error::BadRequest(SLOW_FAILURE));
        }
        Ok(true)
    })
    .min_time_between_calls(SLOW_INTERVAL);
    let guarded = Cmd::new(|_ctx: CommandContext, _dto: GuardedDto| async move { Ok(true) });
    let echo_batch =
        Cmd::new(|_ctx: CommandContext, dto: EchoBatchDto| async move { Ok(dto.items) })
            .batch_field("items");
    builder
        .command(ping)
        .command(secure_echo)
        .command(limited)
        .command(slow)
        .command(echo_batch)
        .command(guarded)
}

/// Builds the fixture on `db` as [`blog::build_on`] builds the blog: the
/// blog's roles and user service, [`post_security`], the [`commands`], and
/// the seeded accounts.
///
/// # Errors
///
/// Any setup or database error.
pub async fn build_on(db: Db, settings: &blog::settings::Settings) -> Result<App> {
    let users = CrudUserService::<blog::user::Entity>::with_entity(
        db.clone(),
        settings.user_options(),
        MailboxFile::new(&settings.mail_log),
    )?;
    let posts = CrudService::<blog::post::Entity>::new(db.clone())?;
    let mut builder = App::builder(db)
        .roles(roles())
        .user_service(users.clone(), blog::security::users())
        .service(posts, post_security());
    if settings.metrics_addr.is_some() {
        builder = builder.metrics();
    }
    let app = commands(builder).build().await?;
    for (email, password, role) in &settings.seeds {
        users.ensure_account(email, password, role).await?;
    }
    Ok(app)
}
