//! [`SmtpMailer`]: the user service's messages over SMTP, through lettre.

mod settings;
#[cfg(test)]
mod test_server;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as LettreTls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

pub use self::settings::{SmtpCredentials, SmtpSettings, Tls};

use super::{EmailService, EmailText, MessageKind, MessageTemplates, PlainTemplates};
use crate::error::{Error, Result, SetupError};

/// Sends each message as a plain-text email through an SMTP server.
///
/// One connection per message (no pool): connect, encrypt as
/// [`SmtpSettings::tls`] says, log in if [`SmtpSettings::credentials`] are
/// set, send, quit. The text comes from [`PlainTemplates`] unless
/// [`with_templates`](Self::with_templates) says otherwise.
///
/// Every failure is an [`Error::MailTransport`] whose source is the transport's
/// error: an address that does not parse, a server that cannot be reached,
/// a TLS failure, a refused login, sender or recipient (any 4xx or 5xx
/// answer), or no answer within [`SmtpSettings::timeout`].
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ferrocrud::Result<()> {
/// use ferrocrud::email::{EmailService, PlainTemplates, SmtpMailer, SmtpSettings};
///
/// let settings = SmtpSettings::from_url(
///     "smtps://mailer:secret@smtp.example.com",
///     "Blog <no-reply@blog.example>",
/// )?;
/// let mailer = SmtpMailer::new(settings)?.with_templates(PlainTemplates::new("Blog"));
/// mailer.send_password_reset("ada@example.com", "tok_123").await?;
/// # Ok(())
/// # }
/// ```
///
/// # Cancel safety
///
/// Dropping a send future closes its connection; the message may or may not
/// have been handed to the server by then.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
    templates: Arc<dyn MessageTemplates>,
    /// Host, port, encryption and user, for `Debug`.
    summary: (String, u16, Tls, Option<String>),
}

impl SmtpMailer {
    /// A mailer for these settings. Nothing is sent or connected yet.
    ///
    /// # Errors
    ///
    /// [`Error::Setup`] with [`SetupError::InvalidSetting`] when `from` is
    /// not a mailbox, a root certificate is not PEM, or the TLS
    /// configuration cannot be built.
    pub fn new(settings: SmtpSettings) -> Result<Self> {
        let from: Mailbox = settings.from.parse().map_err(|err| {
            invalid(
                "smtp from",
                format!("{:?} is not a mailbox: {err}", settings.from),
            )
        })?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .timeout(Some(settings.timeout))
            .tls(tls(&settings)?);
        if let Some(name) = &settings.hello_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        if let Some(credentials) = &settings.credentials {
            if settings.tls == Tls::None && !is_loopback(&settings.host) {
                tracing::warn!(
                    target: "ferrocrud::email",
                    host = %settings.host,
                    "SMTP credentials will be sent without encryption"
                );
            }
            builder = builder.credentials(Credentials::new(
                credentials.user.clone(),
                credentials.password.clone(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            timeout: settings.timeout,
            templates: Arc::new(PlainTemplates::default()),
            summary: (
                settings.host,
                settings.port,
                settings.tls,
                settings.credentials.map(|c| c.user),
            ),
        })
    }

    /// A mailer for [`SmtpSettings::from_url`]`(url, from)`.
    ///
    /// # Errors
    ///
    /// As [`SmtpSettings::from_url`] and [`SmtpMailer::new`].
    pub fn from_url(url: &str, from: impl Into<String>) -> Result<Self> {
        Self::new(SmtpSettings::from_url(url, from)?)
    }

    /// Renders messages with `templates` instead of [`PlainTemplates`].
    #[must_use]
    pub fn with_templates(mut self, templates: impl MessageTemplates) -> Self {
        self.templates = Arc::new(templates);
        self
    }

    /// Renders and sends one message.
    async fn deliver(&self, kind: MessageKind, to: &str, secret: Option<&str>) -> Result<()> {
        let not_sent = |source: Box<dyn std::error::Error + Send + Sync>| Error::MailTransport {
            kind,
            source,
        };
        let text = self.templates.render(kind, secret);
        let message = self.message(to, text).map_err(not_sent)?;
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Ok(Ok(_)) => {
                tracing::debug!(target: "ferrocrud::email", %kind, to, "email sent");
                Ok(())
            }
            Ok(Err(err)) => Err(not_sent(Box::new(err))),
            Err(_) => Err(not_sent(Box::new(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer from the SMTP server within {:?}", self.timeout),
            )))),
        }
    }

    fn message(
        &self,
        to: &str,
        text: EmailText,
    ) -> std::result::Result<Message, Box<dyn std::error::Error + Send + Sync>> {
        let to: Mailbox = to.parse()?;
        let message_id = format!("<{}@{}>", uuid::Uuid::now_v7(), self.from.email.domain());
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(text.subject)
            .message_id(Some(message_id))
            .header(ContentType::TEXT_PLAIN)
            .body(text.body)?)
    }
}

const PEM_CERTIFICATE: &[u8] = b"-----BEGIN CERTIFICATE-----";

/// lettre's TLS settings for ours.
fn tls(settings: &SmtpSettings) -> Result<LettreTls> {
    if settings.tls == Tls::None {
        return Ok(LettreTls::None);
    }
    let mut builder = TlsParameters::builder(settings.host.clone());
    for pem in &settings.root_certificates {
        // lettre reads text without any PEM block as an empty list.
        if !pem
            .windows(PEM_CERTIFICATE.len())
            .any(|w| w == PEM_CERTIFICATE)
        {
            return Err(invalid(
                "smtp root_certificates",
                "no PEM certificate found".into(),
            ));
        }
        let certificate = Certificate::from_pem(pem)
            .map_err(|err| invalid("smtp root_certificates", err.to_string()))?;
        builder = builder.add_root_certificate(certificate);
    }
    let parameters = builder
        .build_rustls()
        .map_err(|err| invalid("smtp tls", err.to_string()))?;
    Ok(match settings.tls {
        Tls::StartTls => LettreTls::Required(parameters),
        _ => LettreTls::Wrapper(parameters),
    })
}

fn invalid(name: &'static str, reason: String) -> Error {
    Error::Setup(SetupError::InvalidSetting { name, reason })
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (host, port, tls, user) = &self.summary;
        f.debug_struct("SmtpMailer")
            .field("host", host)
            .field("port", port)
            .field("tls", tls)
            .field("user", user)
            .field("from", &self.from.to_string())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl EmailService for SmtpMailer {
    fn send_account_creation(&self, to: &str) -> BoxFuture<'_, Result<()>> {
        let to = to.to_owned();
        Box::pin(async move { self.deliver(MessageKind::AccountCreation, &to, None).await })
    }
    fn send_verification(&self, to: &str, token: &str) -> BoxFuture<'_, Result<()>> {
        let (to, token) = (to.to_owned(), token.to_owned());
        Box::pin(async move {
            self.deliver(MessageKind::EmailVerification, &to, Some(&token))
                .await
        })
    }
    fn send_password_reset(&self, to: &str, token: &str) -> BoxFuture<'_, Result<()>> {
        let (to, token) = (to.to_owned(), token.to_owned());
        Box::pin(async move {
            self.deliver(MessageKind::PasswordReset, &to, Some(&token))
                .await
        })
    }
    fn send_two_factor(&self, to: &str, code: &str) -> BoxFuture<'_, Result<()>> {
        let (to, code) = (to.to_owned(), code.to_owned());
        Box::pin(async move { self.deliver(MessageKind::TwoFactor, &to, Some(&code)).await })
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::test_server::{Behaviour, CA_PEM, Mode, TestServer};
    use super::*;

    const FROM: &str = "Blog <no-reply@blog.test>";
    const TO: &str = "ada@blog.test";
    /// As long as a real `<random>_<userId>` token: its line is longer than
    /// 76 characters, so the body goes out quoted-printable.
    const TOKEN: &str =
        "q5Vv2m3Yb1xR8k0Jc4TtZpQwL9eHs6NaUd7FgWoBiEy_0192b3c4-d5e6-7f80-9a1b-2c3d4e5f6a7b";

    fn settings(url: &str) -> SmtpSettings {
        let mut settings = SmtpSettings::from_url(url, FROM).unwrap();
        settings.timeout = Duration::from_secs(20);
        settings.root_certificates = vec![CA_PEM.to_vec()];
        settings
    }

    fn mailer(url: &str) -> SmtpMailer {
        SmtpMailer::new(settings(url))
            .unwrap()
            .with_templates(PlainTemplates::new("Blog"))
    }

    /// The kind and transport error of a `MailTransport`.
    fn not_sent(result: Result<()>) -> (MessageKind, Box<dyn std::error::Error + Send + Sync>) {
        match result {
            Err(Error::MailTransport { kind, source }) => (kind, source),
            other => panic!("expected MailTransport, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn each_message_arrives_with_its_recipient_sender_subject_and_secret() {
        let server = TestServer::start(Behaviour::default()).await;
        let mailer = mailer(&format!("smtp://127.0.0.1:{}", server.port));
        mailer.send_account_creation(TO).await.unwrap();
        mailer.send_verification(TO, TOKEN).await.unwrap();
        mailer.send_password_reset(TO, TOKEN).await.unwrap();
        mailer.send_two_factor(TO, "042917").await.unwrap();

        let received = server.received();
        assert_eq!(received.len(), 4);
        let expected = [
            (MessageKind::AccountCreation, None),
            (MessageKind::EmailVerification, Some(TOKEN)),
            (MessageKind::PasswordReset, Some(TOKEN)),
            (MessageKind::TwoFactor, Some("042917")),
        ];
        for (message, (kind, secret)) in received.iter().zip(expected) {
            let text = PlainTemplates::new("Blog").render(kind, secret);
            assert_eq!(message.mail_from, "no-reply@blog.test", "{kind}");
            assert_eq!(message.rcpt_to, [TO], "{kind}");
            assert_eq!(message.header("From").as_deref(), Some(FROM), "{kind}");
            assert_eq!(message.header("To").as_deref(), Some(TO), "{kind}");
            assert_eq!(message.header("Subject"), Some(text.subject), "{kind}");
            assert_eq!(
                message.header("Content-Type").as_deref(),
                Some("text/plain; charset=utf-8")
            );
            let message_id = message.header("Message-ID").unwrap();
            assert!(message_id.ends_with("@blog.test>"), "{message_id}");
            // lettre ends the data with CRLF.CRLF after the body's own
            // line end, so the message ends with one empty line more.
            let body = message.body();
            assert_eq!(body, text.body.replace('\n', "\r\n") + "\r\n", "{kind}");
            if let Some(secret) = secret {
                assert!(
                    body.contains(&format!("\r\n{secret}\r\n")),
                    "{kind}: {body}"
                );
            }
            assert!(!message.tls && message.login.is_none());
        }
    }

    #[tokio::test]
    async fn credentials_are_sent_when_configured() {
        let server = TestServer::start(Behaviour {
            login: Some(("mailer@blog.test", "s3:cr/et")),
            ..Behaviour::default()
        })
        .await;
        let url = format!(
            "smtp://mailer%40blog.test:s3%3Acr%2Fet@127.0.0.1:{}",
            server.port
        );
        mailer(&url).send_two_factor(TO, "123456").await.unwrap();
        let received = server.received();
        assert_eq!(received.len(), 1);
        let login = ("mailer@blog.test".to_owned(), "s3:cr/et".to_owned());
        assert_eq!(received[0].login, Some(login));
    }

    #[tokio::test]
    async fn a_refused_login_is_mail_not_sent() {
        let server = TestServer::start(Behaviour {
            login: Some(("mailer", "right")),
            ..Behaviour::default()
        })
        .await;
        let url = format!("smtp://mailer:wrong@127.0.0.1:{}", server.port);
        let (kind, source) = not_sent(mailer(&url).send_password_reset(TO, TOKEN).await);
        assert_eq!(kind, MessageKind::PasswordReset);
        assert!(source.to_string().contains("535"), "{source}");
        assert!(server.received().is_empty());
    }

    #[tokio::test]
    async fn a_refused_recipient_is_mail_not_sent() {
        let server = TestServer::start(Behaviour {
            refuse_recipients: true,
            ..Behaviour::default()
        })
        .await;
        let mailer = mailer(&format!("smtp://127.0.0.1:{}", server.port));
        let result = mailer.send_verification(TO, TOKEN).await;
        let err = result.as_ref().unwrap_err();
        assert_eq!(
            err.to_string(),
            "mail transport failed for email_verification email"
        );
        let source = err.source().unwrap().to_string();
        assert!(source.contains("550"), "{source}");
        assert!(server.received().is_empty());
    }

    #[tokio::test]
    async fn a_closed_port_is_mail_not_sent() {
        let port = {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.local_addr().unwrap().port()
        };
        let mailer = mailer(&format!("smtp://127.0.0.1:{port}"));
        let (kind, _) = not_sent(mailer.send_two_factor(TO, "123456").await);
        assert_eq!(kind, MessageKind::TwoFactor);
    }

    #[tokio::test]
    async fn a_silent_server_times_out_instead_of_hanging() {
        let server = TestServer::start(Behaviour {
            mode: Mode::Silent,
            ..Behaviour::default()
        })
        .await;
        let mut settings = settings(&format!("smtp://127.0.0.1:{}", server.port));
        settings.timeout = Duration::from_millis(200);
        let mailer = SmtpMailer::new(settings).unwrap();
        // The outer limit only keeps a broken mailer from hanging the suite.
        let result = tokio::time::timeout(
            Duration::from_secs(120),
            mailer.send_password_reset(TO, TOKEN),
        )
        .await
        .expect("the mailer's own timeout fires first");
        let (_, source) = not_sent(result);
        let io = source.downcast_ref::<std::io::Error>().unwrap();
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn starttls_encrypts_before_logging_in() {
        let server = TestServer::start(Behaviour {
            mode: Mode::StartTls,
            login: Some(("mailer", "s3cret")),
            ..Behaviour::default()
        })
        .await;
        let url = format!("smtp+starttls://mailer:s3cret@127.0.0.1:{}", server.port);
        mailer(&url).send_password_reset(TO, TOKEN).await.unwrap();
        let received = server.received();
        assert_eq!(received.len(), 1);
        assert!(received[0].tls);
        assert_eq!(
            received[0].login.as_ref().map(|l| l.0.as_str()),
            Some("mailer")
        );
        assert!(received[0].body().contains(TOKEN));
    }

    #[tokio::test]
    async fn starttls_is_required_never_skipped() {
        let server = TestServer::start(Behaviour {
            login: Some(("mailer", "s3cret")),
            ..Behaviour::default()
        })
        .await;
        let url = format!("smtp+starttls://mailer:s3cret@127.0.0.1:{}", server.port);
        not_sent(mailer(&url).send_password_reset(TO, TOKEN).await);
        assert!(server.logins().is_empty(), "the password went out in clear");
        assert!(server.received().is_empty());
    }

    #[tokio::test]
    async fn implicit_tls_sends() {
        let server = TestServer::start(Behaviour {
            mode: Mode::Implicit,
            ..Behaviour::default()
        })
        .await;
        let mailer = mailer(&format!("smtps://127.0.0.1:{}", server.port));
        mailer.send_verification(TO, TOKEN).await.unwrap();
        let received = server.received();
        assert_eq!(received.len(), 1);
        assert!(received[0].tls);
        assert!(received[0].body().contains(TOKEN));
    }

    #[tokio::test]
    async fn an_untrusted_certificate_is_refused() {
        let server = TestServer::start(Behaviour {
            mode: Mode::Implicit,
            ..Behaviour::default()
        })
        .await;
        let mut settings = settings(&format!("smtps://127.0.0.1:{}", server.port));
        settings.root_certificates.clear();
        let mailer = SmtpMailer::new(settings).unwrap();
        not_sent(mailer.send_verification(TO, TOKEN).await);
        assert!(server.received().is_empty());
    }

    #[tokio::test]
    async fn a_recipient_that_is_no_address_is_mail_not_sent() {
        let server = TestServer::start(Behaviour::default()).await;
        let mailer = mailer(&format!("smtp://127.0.0.1:{}", server.port));
        let (kind, _) = not_sent(mailer.send_account_creation("not an address").await);
        assert_eq!(kind, MessageKind::AccountCreation);
        assert!(server.received().is_empty());
    }

    #[tokio::test]
    async fn custom_templates_write_the_text() {
        let server = TestServer::start(Behaviour::default()).await;
        let mailer = SmtpMailer::new(settings(&format!("smtp://127.0.0.1:{}", server.port)))
            .unwrap()
            .with_templates(|kind: MessageKind, secret: Option<&str>| EmailText {
                subject: format!("custom {kind}"),
                body: format!("https://blog.test/reset?token={}\n", secret.unwrap_or("")),
            });
        mailer.send_password_reset(TO, "tok_1").await.unwrap();
        let received = server.received();
        assert_eq!(
            received[0].header("Subject").as_deref(),
            Some("custom password_reset")
        );
        assert_eq!(
            received[0].body().trim_end(),
            "https://blog.test/reset?token=tok_1"
        );
    }

    #[test]
    fn a_bad_sender_or_certificate_is_a_setup_error() {
        let err = SmtpMailer::from_url("smtp://127.0.0.1", "not an address").unwrap_err();
        assert!(
            matches!(
                err,
                Error::Setup(SetupError::InvalidSetting {
                    name: "smtp from",
                    ..
                })
            ),
            "{err:?}"
        );
        for pem in [
            &b"not a certificate"[..],
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ] {
            let mut settings = SmtpSettings::new("127.0.0.1", Tls::Implicit, FROM);
            settings.root_certificates = vec![pem.to_vec()];
            let err = SmtpMailer::new(settings).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Setup(SetupError::InvalidSetting {
                        name: "smtp root_certificates" | "smtp tls",
                        ..
                    })
                ),
                "{err:?}"
            );
        }
    }

    #[test]
    fn debug_leaves_the_password_out() {
        let mailer = SmtpMailer::from_url("smtps://mailer:hunter2@relay.test", FROM).unwrap();
        let text = format!("{mailer:?}");
        assert!(
            text.contains("mailer") && text.contains("relay.test"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }
}
