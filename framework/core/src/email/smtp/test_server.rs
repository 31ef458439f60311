//! A small SMTP server on loopback for the tests: the part of RFC 5321 that
//! lettre's client speaks (EHLO, AUTH PLAIN and LOGIN, STARTTLS, MAIL, RCPT,
//! DATA, RSET, NOOP, QUIT), plain, upgraded with STARTTLS or with implicit
//! TLS, recording what it receives.
//!
//! `testdata/` holds a test-only CA and a certificate for `localhost` and
//! `127.0.0.1` it signed (P-256, valid 2000 to 2126), made with
//! `openssl req` + `openssl ca -startdate 20000101000000Z -enddate 21260101000000Z`.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// The CA that signed the server's certificate.
pub(super) const CA_PEM: &[u8] = include_bytes!("testdata/ca.pem");
const CERT_PEM: &[u8] = include_bytes!("testdata/localhost.pem");
const KEY_PEM: &[u8] = include_bytes!("testdata/localhost.key");

/// How the server speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Mode {
    /// Plain text, no STARTTLS offered.
    #[default]
    Plain,
    /// Plain text, STARTTLS offered.
    StartTls,
    /// TLS from the first byte.
    Implicit,
    /// Accepts the connection and never says a word.
    Silent,
}

/// What the server does.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Behaviour {
    pub(super) mode: Mode,
    /// Offers AUTH PLAIN LOGIN, accepts only this user and password, and
    /// refuses MAIL before login.
    pub(super) login: Option<(&'static str, &'static str)>,
    /// Answers every RCPT with 550.
    pub(super) refuse_recipients: bool,
}

/// One message as the server received it.
#[derive(Debug, Clone, Default)]
pub(super) struct Received {
    /// The EHLO argument.
    pub(super) helo: String,
    /// Whether the connection was encrypted when the message came.
    pub(super) tls: bool,
    /// The user and password the client logged in with.
    pub(super) login: Option<(String, String)>,
    /// The envelope sender.
    pub(super) mail_from: String,
    /// The envelope recipients.
    pub(super) rcpt_to: Vec<String>,
    /// The message, headers and body, dot-unstuffed.
    pub(super) data: String,
}

impl Received {
    /// The first header of that name, unfolded.
    pub(super) fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.data.split_once("\r\n\r\n")?;
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.split("\r\n").find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    /// The body, decoded from quoted-printable when it says so.
    pub(super) fn body(&self) -> String {
        let body = self
            .data
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body);
        let quoted = self
            .header("Content-Transfer-Encoding")
            .is_some_and(|e| e.eq_ignore_ascii_case("quoted-printable"));
        if quoted {
            decode_quoted_printable(body)
        } else {
            body.to_owned()
        }
    }
}

fn decode_quoted_printable(text: &str) -> String {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("utf-8 body")
}

/// A running server on `127.0.0.1:port`; stops when dropped.
#[derive(Debug)]
pub(super) struct TestServer {
    pub(super) port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    logins: Arc<Mutex<Vec<(String, String)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub(super) async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let logins = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            behaviour,
            acceptor: acceptor(),
            received: Arc::clone(&received),
            logins: Arc::clone(&logins),
        };
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    // A client that hangs up or fails the handshake ends its session.
                    let _ = shared.serve(stream).await;
                });
            }
        });
        Self {
            port,
            received,
            logins,
            task,
        }
    }

    /// Every message received so far.
    pub(super) fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Every AUTH attempt so far, accepted or not.
    pub(super) fn logins(&self) -> Vec<(String, String)> {
        self.logins.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn acceptor() -> TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let certs = CertificateDer::pem_slice_iter(CERT_PEM)
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(KEY_PEM).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

type Reader = BufReader<Box<dyn Stream>>;

#[derive(Clone)]
struct Shared {
    behaviour: Behaviour,
    acceptor: TlsAcceptor,
    received: Arc<Mutex<Vec<Received>>>,
    logins: Arc<Mutex<Vec<(String, String)>>>,
}

async fn reply(reader: &mut Reader, text: &str) -> io::Result<()> {
    let stream = reader.get_mut();
    stream.write_all(text.as_bytes()).await?;
    stream.write_all(b"\r\n").await?;
    stream.flush().await
}

/// The next line without its line end; `None` when the client hung up.
async fn line(reader: &mut Reader) -> io::Result<Option<String>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// The address inside `<...>` of a MAIL or RCPT argument.
fn address(argument: &str) -> String {
    argument
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map_or_else(|| argument.to_owned(), |(addr, _)| addr.to_owned())
}

fn decode(b64: &str) -> String {
    String::from_utf8(BASE64.decode(b64.trim()).unwrap_or_default()).unwrap_or_default()
}

impl Shared {
    async fn serve(self, stream: TcpStream) -> io::Result<()> {
        let behaviour = self.behaviour;
        let mut tls = false;
        let stream: Box<dyn Stream> = match behaviour.mode {
            Mode::Silent => {
                let _stream = stream;
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Ok(());
            }
            Mode::Implicit => {
                tls = true;
                Box::new(self.acceptor.accept(stream).await?)
            }
            Mode::Plain | Mode::StartTls => Box::new(stream),
        };
        let mut reader: Reader = BufReader::new(stream);
        reply(&mut reader, "220 localhost ESMTP test server").await?;
        let mut message = Received::default();
        let mut logged_in = false;
        while let Some(command) = line(&mut reader).await? {
            let (verb, argument) = command.split_once(' ').unwrap_or((&command, ""));
            match verb.to_ascii_uppercase().as_str() {
                "EHLO" | "HELO" => {
                    message.helo = argument.to_owned();
                    let mut lines = vec!["localhost greets you", "8BITMIME"];
                    if behaviour.mode == Mode::StartTls && !tls {
                        lines.push("STARTTLS");
                    }
                    if behaviour.login.is_some() {
                        lines.push("AUTH PLAIN LOGIN");
                    }
                    let last = lines.len() - 1;
                    for (i, text) in lines.iter().enumerate() {
                        let dash = if i == last { ' ' } else { '-' };
                        reply(&mut reader, &format!("250{dash}{text}")).await?;
                    }
                }
                "STARTTLS" if behaviour.mode == Mode::StartTls && !tls => {
                    reply(&mut reader, "220 2.0.0 ready to start TLS").await?;
                    let plain = reader.into_inner();
                    reader = BufReader::new(Box::new(self.acceptor.accept(plain).await?));
                    tls = true;
                    message = Received::default();
                }
                "AUTH" if behaviour.login.is_some() => {
                    let (mechanism, initial) = argument.split_once(' ').unwrap_or((argument, ""));
                    let credentials = match mechanism.to_ascii_uppercase().as_str() {
                        "PLAIN" => {
                            let response = if initial.is_empty() {
                                reply(&mut reader, "334 ").await?;
                                line(&mut reader).await?.unwrap_or_default()
                            } else {
                                initial.to_owned()
                            };
                            let decoded = decode(&response);
                            let mut parts = decoded.split('\0').skip(1);
                            let user = parts.next().unwrap_or_default().to_owned();
                            (user, parts.next().unwrap_or_default().to_owned())
                        }
                        "LOGIN" => {
                            reply(&mut reader, "334 VXNlcm5hbWU6").await?;
                            let user = decode(&line(&mut reader).await?.unwrap_or_default());
                            reply(&mut reader, "334 UGFzc3dvcmQ6").await?;
                            (user, decode(&line(&mut reader).await?.unwrap_or_default()))
                        }
                        _ => {
                            reply(&mut reader, "504 5.5.4 mechanism not supported").await?;
                            continue;
                        }
                    };
                    self.logins.lock().unwrap().push(credentials.clone());
                    let expected = behaviour.login.map(|(u, p)| (u.to_owned(), p.to_owned()));
                    if Some(&credentials) == expected.as_ref() {
                        logged_in = true;
                        message.login = Some(credentials);
                        reply(&mut reader, "235 2.7.0 authentication succeeded").await?;
                    } else {
                        reply(&mut reader, "535 5.7.8 authentication credentials invalid").await?;
                    }
                }
                "MAIL" if behaviour.login.is_some() && !logged_in => {
                    reply(&mut reader, "530 5.7.0 authentication required").await?;
                }
                "MAIL" => {
                    message.mail_from = address(argument);
                    reply(&mut reader, "250 2.1.0 sender ok").await?;
                }
                "RCPT" if behaviour.refuse_recipients => {
                    reply(&mut reader, "550 5.1.1 no such mailbox here").await?;
                }
                "RCPT" => {
                    message.rcpt_to.push(address(argument));
                    reply(&mut reader, "250 2.1.5 recipient ok").await?;
                }
                "DATA" => {
                    reply(&mut reader, "354 end data with <CR><LF>.<CR><LF>").await?;
                    let mut data = String::new();
                    loop {
                        let Some(text) = line(&mut reader).await? else {
                            return Ok(());
                        };
                        if text == "." {
                            break;
                        }
                        data.push_str(text.strip_prefix('.').unwrap_or(&text));
                        data.push_str("\r\n");
                    }
                    message.data = data;
                    message.tls = tls;
                    self.received.lock().unwrap().push(message.clone());
                    message.mail_from.clear();
                    message.rcpt_to.clear();
                    message.data.clear();
                    reply(&mut reader, "250 2.0.0 queued").await?;
                }
                "RSET" => {
                    message.mail_from.clear();
                    message.rcpt_to.clear();
                    reply(&mut reader, "250 2.0.0 ok").await?;
                }
                "NOOP" => reply(&mut reader, "250 2.0.0 ok").await?,
                "QUIT" => {
                    reply(&mut reader, "221 2.0.0 bye").await?;
                    return Ok(());
                }
                _ => reply(&mut reader, "502 5.5.2 command not implemented").await?,
            }
        }
        Ok(())
    }
}
