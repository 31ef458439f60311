//! Outgoing email: one method per message the user service sends.
//!
//! Implementations: [`ConsoleMailer`] (logs each message), [`MailboxFile`]
//! (appends one JSON object a line to a file, for development and tests).

mod mailbox;

use futures_util::future::BoxFuture;

pub use self::mailbox::MailboxFile;

use crate::error::Result;

/// Sends the user service's messages.
///
/// Each method receives the recipient and the secret it must carry (token
/// or code); rendering and transport are the implementation's business.
pub trait EmailService: Send + Sync + std::fmt::Debug + 'static {
    /// A new account was created.
    fn send_account_creation(&self, to: &str) -> BoxFuture<'_, Result<()>>;
    /// A link or token to verify an email address.
    fn send_verification(&self, to: &str, token: &str) -> BoxFuture<'_, Result<()>>;
    /// A token to reset a forgotten password.
    fn send_password_reset(&self, to: &str, token: &str) -> BoxFuture<'_, Result<()>>;
    /// A two-factor login code.
    fn send_two_factor(&self, to: &str, code: &str) -> BoxFuture<'_, Result<()>>;
}

/// Logs every message at INFO through `tracing`, secrets included: for
/// development only.
#[derive(Debug, Default, Clone, Copy)]
pub struct ConsoleMailer;

impl EmailService for ConsoleMailer {
    fn send_account_creation(&self, to: &str) -> BoxFuture<'_, Result<()>> {
        tracing::info!(target: "ferrocrud::email", kind = "account_creation", to, "email");
        Box::pin(async { Ok(()) })
    }
    fn send_verification(&self, to: &str, token: &str) -> BoxFuture<'_, Result<()>> {
        tracing::info!(target: "ferrocrud::email", kind = "email_verification", to, token, "email");
        Box::pin(async { Ok(()) })
    }
    fn send_password_reset(&self, to: &str, token: &str) -> BoxFuture<'_, Result<()>> {
        tracing::info!(target: "ferrocrud::email", kind = "password_reset", to, token, "email");
        Box::pin(async { Ok(()) })
    }
    fn send_two_factor(&self, to: &str, code: &str) -> BoxFuture<'_, Result<()>> {
        tracing::info!(target: "ferrocrud::email", kind = "two_factor", to, code, "email");
        Box::pin(async { Ok(()) })
    }
}
