//! Where and how [`SmtpMailer`](super::SmtpMailer) connects.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result, SetupError};

/// How the connection to the SMTP server is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// No encryption: credentials, tokens and codes cross the network in
    /// clear. Only for a relay on the same host or a test server.
    None,
    /// Plain connection upgraded with `STARTTLS` before anything else is
    /// sent; a server that does not offer it is refused, never used in clear
    /// (no downgrade). The usual submission port is 587.
    StartTls,
    /// TLS from the first byte ("SMTPS", implicit TLS, RFC 8314). The usual
    /// port is 465.
    Implicit,
}

impl Tls {
    /// 25 without encryption, 587 for `STARTTLS`, 465 for implicit TLS.
    pub fn default_port(self) -> u16 {
        match self {
            Tls::None => 25,
            Tls::StartTls => 587,
            Tls::Implicit => 465,
        }
    }
}

/// A user name and password for SMTP `AUTH` (`PLAIN` or `LOGIN`, whichever
/// the server offers). `Debug` leaves the password out.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
}

impl SmtpCredentials {
    /// Credentials for `user`.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
        }
    }
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpCredentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Where and how to send: server, encryption, login, sender, time limit.
///
/// Built with [`new`](Self::new) or [`from_url`](Self::from_url), then
/// adjusted through its fields. `Debug` leaves the password out.
///
/// ```
/// use std::time::Duration;
/// use ferrocrud::email::{SmtpSettings, Tls};
///
/// let mut settings = SmtpSettings::from_url(
///     "smtp+starttls://mailer:p%40ss@smtp.example.com",
///     "Blog <no-reply@blog.example>",
/// )?;
/// assert_eq!((settings.host.as_str(), settings.port, settings.tls), ("smtp.example.com", 587, Tls::StartTls));
/// assert_eq!(settings.credentials.as_ref().map(|c| c.password.as_str()), Some("p@ss"));
/// settings.timeout = Duration::from_secs(10);
/// assert!(!format!("{settings:?}").contains("p@ss"));
/// # Ok::<(), ferrocrud::Error>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct SmtpSettings {
    /// The server's host name or IP address; TLS checks its certificate
    /// against this name.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// How the connection is encrypted.
    pub tls: Tls,
    /// The login, if the server wants one.
    pub credentials: Option<SmtpCredentials>,
    /// The sender, `no-reply@example.com` or `Name <no-reply@example.com>`;
    /// also the envelope's `MAIL FROM`.
    pub from: String,
    /// The longest one message may take, connection, TLS, login and transfer
    /// together; 30 seconds by default. A message not sent by then fails
    /// with [`Error::MailTransport`].
    pub timeout: Duration,
    /// The name given in `EHLO`; `[127.0.0.1]` when `None`. Some servers
    /// want a real host name here.
    pub hello_name: Option<String>,
    /// PEM certificates trusted as roots besides the built-in Mozilla roots
    /// (`webpki-roots`): for a server with a private CA or a self-signed
    /// certificate. The system's certificate store is not read.
    pub root_certificates: Vec<Vec<u8>>,
}

impl SmtpSettings {
    /// The default time limit of one message.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// Settings for `host` on the usual port of `tls`, without login.
    pub fn new(host: impl Into<String>, tls: Tls, from: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: tls.default_port(),
            tls,
            credentials: None,
            from: from.into(),
            timeout: Self::DEFAULT_TIMEOUT,
            hello_name: None,
            root_certificates: Vec::new(),
        }
    }

    /// Settings from a URL `SCHEME://[USER:PASSWORD@]HOST[:PORT]`.
    ///
    /// | scheme          | encryption         | default port |
    /// |-----------------|--------------------|--------------|
    /// | `smtps`         | [`Tls::Implicit`]  | 465          |
    /// | `smtp+starttls` | [`Tls::StartTls`]  | 587          |
    /// | `smtp`          | [`Tls::None`]      | 25           |
    ///
    /// User and password are percent-decoded (write `@` as `%40`, `:` as
    /// `%3A`, `/` as `%2F`). An IPv6 host is written in brackets
    /// (`smtp://[::1]:2525`).
    ///
    /// # Errors
    ///
    /// [`Error::Setup`] with [`SetupError::InvalidSetting`] named `smtp url`
    /// when the URL does not parse, has another scheme, no host, a user
    /// without password, a path, a query or a fragment. The reason never
    /// repeats the password.
    pub fn from_url(url: &str, from: impl Into<String>) -> Result<Self> {
        let url = url::Url::parse(url).map_err(|err| invalid_url(err.to_string()))?;
        let tls = match url.scheme() {
            "smtp" => Tls::None,
            "smtp+starttls" => Tls::StartTls,
            "smtps" => Tls::Implicit,
            other => {
                return Err(invalid_url(format!(
                    "scheme {other} is not smtp, smtp+starttls or smtps"
                )));
            }
        };
        let host = match url.host() {
            Some(url::Host::Domain(name)) if !name.is_empty() => name.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(invalid_url("no host".into())),
        };
        if !matches!(url.path(), "" | "/") {
            return Err(invalid_url("unexpected path".into()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid_url("unexpected query or fragment".into()));
        }
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            ("", Some(_)) => return Err(invalid_url("password without user".into())),
            (_, None) => return Err(invalid_url("user without password".into())),
            (user, Some(password)) => Some(SmtpCredentials {
                user: percent_decode(user, "user")?,
                password: percent_decode(password, "password")?,
            }),
        };
        let mut settings = Self::new(host, tls, from);
        if let Some(port) = url.port() {
            settings.port = port;
        }
        settings.credentials = credentials;
        Ok(settings)
    }
}

fn invalid_url(reason: String) -> Error {
    Error::Setup(SetupError::InvalidSetting {
        name: "smtp url",
        reason,
    })
}

fn percent_decode(text: &str, what: &str) -> Result<String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| invalid_url(format!("the {what} is not UTF-8 once percent-decoded")))
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("credentials", &self.credentials)
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .field("hello_name", &self.hello_name)
            .field("root_certificates", &self.root_certificates.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM: &str = "Blog <no-reply@blog.test>";

    fn reason(err: Error) -> String {
        match err {
            Error::Setup(SetupError::InvalidSetting { name, reason }) => {
                assert_eq!(name, "smtp url");
                reason
            }
            other => panic!("expected an invalid setting, got {other:?}"),
        }
    }

    #[test]
    fn schemes_choose_encryption_and_default_port() {
        for (url, tls, port) in [
            ("smtp://relay.test", Tls::None, 25),
            ("smtp+starttls://relay.test", Tls::StartTls, 587),
            ("smtps://relay.test/", Tls::Implicit, 465),
            ("smtps://relay.test:2465", Tls::Implicit, 2465),
        ] {
            let settings = SmtpSettings::from_url(url, FROM).expect(url);
            assert_eq!(settings.host, "relay.test");
            assert_eq!((settings.tls, settings.port), (tls, port), "{url}");
            assert!(settings.credentials.is_none());
            assert_eq!(settings.from, FROM);
            assert_eq!(settings.timeout, SmtpSettings::DEFAULT_TIMEOUT);
        }
    }

    #[test]
    fn credentials_are_percent_decoded() {
        let settings =
            SmtpSettings::from_url("smtp://me%40blog.test:p%3Aw%2Fd%40@127.0.0.1:2525", FROM)
                .expect("url");
        assert_eq!(
            settings.credentials,
            Some(SmtpCredentials::new("me@blog.test", "p:w/d@"))
        );
        assert_eq!((settings.host.as_str(), settings.port), ("127.0.0.1", 2525));
    }

    #[test]
    fn ipv6_hosts_lose_their_brackets() {
        let settings = SmtpSettings::from_url("smtp://[::1]:2525", FROM).expect("url");
        assert_eq!(settings.host, "::1");
    }

    #[test]
    fn bad_urls_are_setup_errors_that_never_repeat_the_password() {
        for url in [
            "http://user:hunter2@relay.test",
            "smtp://user:hunter2@",
            "smtp://user@relay.test",
            "smtp://:hunter2@relay.test",
            "smtp://user:hunter2@relay.test/path",
            "smtp://user:hunter2@relay.test?tls=required",
            "smtp://user:hunter2@relay.test:99999",
            "smtp://user:%FF@relay.test",
            "not a url hunter2",
        ] {
            let reason = reason(SmtpSettings::from_url(url, FROM).expect_err(url));
            assert!(!reason.contains("hunter2"), "{url}: {reason}");
        }
    }

    #[test]
    fn debug_leaves_the_password_out() {
        let settings =
            SmtpSettings::from_url("smtps://mailer:hunter2@relay.test", FROM).expect("url");
        let text = format!("{settings:?}");
        assert!(
            text.contains("mailer") && text.contains("relay.test"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }
}
