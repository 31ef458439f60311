//! The user service's mailer: [`AppMailer`].
//!
//! It only logs. Connect it to your mail provider before real users sign
//! up: fill in each method of [`EmailService`] with a call to the provider
//! (an HTTP API, SMTP, a queue), rendering the message as you like. Until
//! then the tokens and codes stay on the server: a new account works, but
//! no message reaches anyone.

use std::future::Future;
use std::pin::Pin;

use ferrocrud::email::EmailService;

/// A message being sent.
type Sending<'a> = Pin<Box<dyn Future<Output = ferrocrud::Result<()>> + Send + 'a>>;

/// The mailer of the user service: logs each message at INFO (recipient and
/// kind) and its secret at DEBUG, and sends nothing.
///
/// Complete each method with your mail provider; keep the secrets (tokens,
/// codes) out of the logs in production.
#[derive(Debug, Default, Clone, Copy)]
pub struct AppMailer;

impl EmailService for AppMailer {
    /// Welcomes a new account. Complete with your mail provider: send `to` a
    /// welcome message.
    fn send_account_creation(&self, to: &str) -> Sending<'_> {
        tracing::info!(kind = "account_creation", to, "not sent: no mail provider");
        Box::pin(async { Ok(()) })
    }

    /// Asks to verify an address. Complete with your mail provider: send `to`
    /// a link carrying `token`, to pass to the `verify_email` command.
    fn send_verification(&self, to: &str, token: &str) -> Sending<'_> {
        tracing::info!(
            kind = "email_verification",
            to,
            "not sent: no mail provider"
        );
        tracing::debug!(kind = "email_verification", to, token, "email secret");
        Box::pin(async { Ok(()) })
    }

    /// Helps reset a forgotten password. Complete with your mail provider:
    /// send `to` a link carrying `token`, to pass to the `reset_password`
    /// command.
    fn send_password_reset(&self, to: &str, token: &str) -> Sending<'_> {
        tracing::info!(kind = "password_reset", to, "not sent: no mail provider");
        tracing::debug!(kind = "password_reset", to, token, "email secret");
        Box::pin(async { Ok(()) })
    }

    /// Sends a two-factor login code. Complete with your mail provider: send
    /// `to` the `code`, which the user types into the login form.
    fn send_two_factor(&self, to: &str, code: &str) -> Sending<'_> {
        tracing::info!(kind = "two_factor", to, "not sent: no mail provider");
        tracing::debug!(kind = "two_factor", to, code, "email secret");
        Box::pin(async { Ok(()) })
    }
}
