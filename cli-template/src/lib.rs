//! ferrocrud-app: a ferrocrud backend.
//!
//! - [`settings`]: what the server reads from its settings file and its
//!   environment;
//! - [`roles`]: the roles and their inheritance;
//! - [`services`]: one module per service, with its entity and abilities
//!   (the user entity and the user service's abilities are in
//!   [`services::user`]);
//! - [`migration`]: the database schema, as versioned migrations;
//! - [`shared`]: the DTOs of the project's commands, for servers and clients;
//! - [`email`]: the mailer of the user service, to connect to a provider;
//! - [`server`]: what `cargo run` does.
//!
//! `ferrocrud generate service NAME`, `ferrocrud generate cmd SERVICE NAME`
//! and `ferrocrud generate migration NAME` add services, commands and
//! migrations; they write at the `ferrocrud:` marker comments, which must
//! stay where they are.

pub mod email;
pub mod migration;
pub mod roles;
pub mod server;
pub mod services;
pub mod settings;
pub mod shared;

use ferrocrud::prelude::*;

use crate::settings::Settings;

/// Builds the application: connects to the database, applies the pending
/// [`migration`]s, and checks and compiles every service, command and
/// ability.
///
/// # Errors
///
/// A database that cannot be reached, a migration that fails, or a setup
/// error naming the first misconfiguration (an unknown role or field in an
/// ability, a duplicate service or command, a column an entity declares
/// that no migration creates, a database ahead of the code).
pub async fn build(settings: &Settings) -> anyhow::Result<App> {
    let db = Db::connect(&settings.database_url).await?;
    let users = CrudUserService::<services::user::entity::Entity>::with_entity(
        db.clone(),
        settings.user_options(),
        email::AppMailer,
    )?;
    let mut app = App::builder(db.clone())
        .title(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
        .http(ferrocrud::config::HttpOptions {
            shutdown_timeout: settings.shutdown_timeout,
            ..ferrocrud::config::HttpOptions::default()
        })
        .migrator(migration::Migrator)
        .roles(roles::roles())
        .user_service(users, services::user::abilities());
    if settings.metrics_addr.is_some() {
        app = app.metrics();
    }
    // ferrocrud:services
    Ok(app.build().await?)
}
