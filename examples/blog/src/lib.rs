//! The blog example: a `user` service over its own user entity
//! ([`user::Model`]: the account plus `displayName` and `bio`) and an
//! owner-restricted `post` service, the application of the eicrud reference
//! server.
//!
//! Run with `cargo run -p blog` (SQLite under `./data/`), or with
//! `DATABASE_URL=postgres://…` for PostgreSQL. See [`settings::Settings`] for
//! every variable it reads.

pub mod migrate;
pub mod migration;
pub mod post;
pub mod security;
pub mod settings;
pub mod user;

use ferrocrud::config::HttpOptions;
use ferrocrud::email::MailboxFile;
use ferrocrud::prelude::*;

use crate::settings::Settings;

/// Builds the blog application from its settings: connects to the database,
/// applies the pending [`migration`]s and seeds the configured accounts.
/// Metrics are recorded when [`Settings::metrics_addr`] is set (`main`
/// serves them).
///
/// # Errors
///
/// Any setup or database error, with its reason.
pub async fn build(settings: &Settings) -> anyhow::Result<App> {
    let db =
        Db::connect_with_pool_size(&settings.database_url, settings.database_pool_size).await?;
    build_on(db, settings).await
}

/// Builds the blog application on an open database (tests use this with a
/// database of their own).
///
/// # Errors
///
/// Any setup or database error, with its reason.
pub async fn build_on(db: Db, settings: &Settings) -> anyhow::Result<App> {
    let users = CrudUserService::<user::Entity>::with_entity(
        db.clone(),
        settings.user_options(),
        MailboxFile::new(&settings.mail_log),
    )?;
    let posts = CrudService::<post::Entity>::new(db.clone())?;
    let mut app = App::builder(db)
        .title("blog", env!("CARGO_PKG_VERSION"))
        .http(HttpOptions {
            shutdown_timeout: settings.shutdown_timeout,
            ..HttpOptions::default()
        })
        .migrator(migration::Migrator)
        .roles(security::roles())
        .user_service(users.clone(), security::users())
        .service(posts, security::posts());
    if settings.metrics_addr.is_some() {
        app = app.metrics();
    }
    let app = app.build().await?;
    for (email, password, role) in &settings.seeds {
        if users.ensure_account(email, password, role).await? {
            tracing::info!(%email, %role, "seeded account");
        }
    }
    Ok(app)
}
