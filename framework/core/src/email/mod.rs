//! Outgoing email: one method per message the user service sends.
//!
//! [`EmailService`] has one method per message; pick the implementation by
//! where the messages must go:
//!
//! | implementation   | sends to                          | use it for                                    |
//! |------------------|-----------------------------------|-----------------------------------------------|
//! | [`ConsoleMailer`]  | the log (`tracing`, INFO), secrets included | a first run on a developer's machine |
//! | [`MailboxFile`]    | a JSON-lines file, one message a line | tests and local development that read tokens back |
//! | `SmtpMailer` (feature `smtp`) | an SMTP server, as plain-text email | production, or a local catcher such as Mailpit |
//! | your own type    | an email provider's HTTP API, a queue, ... | whatever the above do not cover |
//!
//! `SmtpMailer` renders each message through [`MessageTemplates`]
//! ([`PlainTemplates`] by default); its failures are
//! [`Error::MailTransport`](crate::Error::MailTransport). Towards any server not
//! on the same host, encrypt: `Tls::Implicit` (`smtps://`, port 465) or
//! `Tls::StartTls` (`smtp+starttls://`, port 587); plain `smtp://` is for a
//! local relay or catcher.

mod mailbox;
#[cfg(feature = "smtp")]
mod smtp;
mod template;

use futures_util::future::BoxFuture;

pub use self::mailbox::MailboxFile;
#[cfg(feature = "smtp")]
#[cfg_attr(docsrs, doc(cfg(feature = "smtp")))]
pub use self::smtp::{SmtpCredentials, SmtpMailer, SmtpSettings, Tls};
pub use self::template::{EmailText, MessageKind, MessageTemplates, PlainTemplates};

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
