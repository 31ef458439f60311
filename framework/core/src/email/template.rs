//! The subject and text of each message, for transports that send real mail.

use std::fmt;

/// Which message the user service sends.
///
/// [`as_str`](Self::as_str) is the `kind` that [`MailboxFile`](super::MailboxFile)
/// writes and that [`Error::MailTransport`](crate::Error::MailTransport) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageKind {
    /// A new account was created; carries no secret.
    AccountCreation,
    /// A token to verify an email address.
    EmailVerification,
    /// A token to reset a forgotten password.
    PasswordReset,
    /// A two-factor login code.
    TwoFactor,
}

impl MessageKind {
    /// Every kind.
    pub const ALL: &'static [MessageKind] = &[
        MessageKind::AccountCreation,
        MessageKind::EmailVerification,
        MessageKind::PasswordReset,
        MessageKind::TwoFactor,
    ];

    /// `account_creation`, `email_verification`, `password_reset` or `two_factor`.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::AccountCreation => "account_creation",
            MessageKind::EmailVerification => "email_verification",
            MessageKind::PasswordReset => "password_reset",
            MessageKind::TwoFactor => "two_factor",
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The subject and plain-text body of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailText {
    /// The `Subject` header (encoded by the transport when not ASCII).
    pub subject: String,
    /// The body, plain text; `\n` line ends are fine.
    pub body: String,
}

/// Renders the text of each message.
///
/// `secret` is the token (email verification, password reset) or the code
/// (two-factor) the message must carry, and `None` for account creation.
/// Implement it to write your own words or to put the token in a link to
/// your front end; a closure with the same signature implements it too.
///
/// ```
/// use ferrocrud::email::{EmailText, MessageKind, MessageTemplates};
///
/// let templates = |kind: MessageKind, secret: Option<&str>| match (kind, secret) {
///     (MessageKind::PasswordReset, Some(token)) => EmailText {
///         subject: "Reset your Blog password".into(),
///         body: format!("https://blog.example/reset?token={token}\n"),
///     },
///     _ => ferrocrud::email::PlainTemplates::new("Blog").render(kind, secret),
/// };
/// let text = templates.render(MessageKind::PasswordReset, Some("tok_1"));
/// assert!(text.body.contains("token=tok_1"));
/// ```
pub trait MessageTemplates: Send + Sync + 'static {
    /// The subject and body of a `kind` message carrying `secret`.
    fn render(&self, kind: MessageKind, secret: Option<&str>) -> EmailText;
}

impl<F> MessageTemplates for F
where
    F: Fn(MessageKind, Option<&str>) -> EmailText + Send + Sync + 'static,
{
    fn render(&self, kind: MessageKind, secret: Option<&str>) -> EmailText {
        self(kind, secret)
    }
}

/// Short English plain-text messages, the token or code on a line of its own.
///
/// ```
/// use ferrocrud::email::{MessageKind, MessageTemplates, PlainTemplates};
///
/// let text = PlainTemplates::new("Blog").render(MessageKind::TwoFactor, Some("123456"));
/// assert_eq!(text.subject, "Blog: your login code");
/// assert!(text.body.contains("\n\n123456\n\n"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct PlainTemplates {
    app_name: Option<String>,
}

impl PlainTemplates {
    /// Messages whose subject starts with `app_name`.
    pub fn new(app_name: impl Into<String>) -> Self {
        Self {
            app_name: Some(app_name.into()),
        }
    }

    fn subject(&self, text: &str) -> String {
        match &self.app_name {
            Some(name) => format!("{name}: {text}"),
            None => {
                let mut chars = text.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_uppercase().chain(chars).collect()
                })
            }
        }
    }
}

impl MessageTemplates for PlainTemplates {
    fn render(&self, kind: MessageKind, secret: Option<&str>) -> EmailText {
        let secret = secret.unwrap_or_default();
        let (subject, body) = match kind {
            MessageKind::AccountCreation => (
                "your account has been created",
                "Welcome! Your account has been created.\n\n\
                 If you did not sign up, you can ignore this message.\n"
                    .to_owned(),
            ),
            MessageKind::EmailVerification => (
                "verify your email address",
                format!(
                    "Use this token to verify your email address:\n\n{secret}\n\n\
                     It can be used once and expires soon. If you did not ask for it, \
                     you can ignore this message.\n"
                ),
            ),
            MessageKind::PasswordReset => (
                "reset your password",
                format!(
                    "Use this token to choose a new password:\n\n{secret}\n\n\
                     It can be used once and expires soon. If you did not ask for it, \
                     you can ignore this message: your password has not changed.\n"
                ),
            ),
            MessageKind::TwoFactor => (
                "your login code",
                format!(
                    "Your login code:\n\n{secret}\n\n\
                     It expires soon. If you did not try to log in, change your password.\n"
                ),
            ),
        };
        EmailText {
            subject: self.subject(subject),
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_carries_its_secret() {
        let templates = PlainTemplates::default();
        for kind in MessageKind::ALL {
            let text = templates.render(*kind, Some("s3cr3t_token"));
            assert!(!text.subject.is_empty());
            assert!(text.subject.is_ascii() && text.body.is_ascii());
            if *kind != MessageKind::AccountCreation {
                assert!(
                    text.body.contains("\n\ns3cr3t_token\n\n"),
                    "{kind}: {}",
                    text.body
                );
            }
        }
    }

    #[test]
    fn subjects_name_the_app_when_given() {
        let plain = PlainTemplates::default().render(MessageKind::PasswordReset, Some("t"));
        assert_eq!(plain.subject, "Reset your password");
        let named = PlainTemplates::new("Blog").render(MessageKind::PasswordReset, Some("t"));
        assert_eq!(named.subject, "Blog: reset your password");
    }

    #[test]
    fn kinds_are_spelled_as_the_mailbox_file_spells_them() {
        let names: Vec<_> = MessageKind::ALL.iter().map(|k| k.to_string()).collect();
        assert_eq!(
            names,
            [
                "account_creation",
                "email_verification",
                "password_reset",
                "two_factor"
            ]
        );
    }
}
