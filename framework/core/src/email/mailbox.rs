//! A JSON-lines mailbox file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use super::EmailService;
use crate::error::{Error, Result};

/// Appends each message as one JSON object a line:
/// `{"ts": RFC 3339, "kind": ..., "to": ..., "token" | "code": ...}`.
///
/// Tests and local development read tokens from it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ferrocrud::Result<()> {
/// use ferrocrud::email::{EmailService, MailboxFile};
///
/// let path = std::env::temp_dir().join(format!("mailbox-doc-{}.jsonl", std::process::id()));
/// let mailbox = MailboxFile::new(&path);
/// mailbox.send_password_reset("a@b.test", "tok_123").await?;
/// let text = std::fs::read_to_string(&path).unwrap();
/// assert!(text.contains(r#""kind":"password_reset","to":"a@b.test","token":"tok_123""#));
/// # std::fs::remove_file(&path).ok();
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct MailboxFile {
    path: PathBuf,
    lock: Arc<Mutex<()>>,
}

impl MailboxFile {
    /// A mailbox appending to `path` (created, with its directory, on first write).
    pub fn new(path: impl AsRef<Path>) -> Self {
        Self {
            path: path.as_ref().to_owned(),
            lock: Arc::new(Mutex::new(())),
        }
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn append(&self, kind: &str, to: &str, secret: Option<(&str, &str)>) -> Result<()> {
        let mut line = Map::new();
        line.insert(
            "ts".into(),
            Value::String(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
        line.insert("kind".into(), Value::String(kind.to_owned()));
        line.insert("to".into(), Value::String(to.to_owned()));
        if let Some((key, value)) = secret {
            line.insert(key.to_owned(), Value::String(value.to_owned()));
        }
        let mut text = Value::Object(line).to_string();
        text.push('\n');
        let _guard = self.lock.lock().await;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|_| Error::Internal("cannot create mailbox directory"))?;
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(|_| Error::Internal("cannot open mailbox file"))?;
        file.write_all(text.as_bytes())
            .await
            .map_err(|_| Error::Internal("cannot write mailbox file"))?;
        file.flush()
            .await
            .map_err(|_| Error::Internal("cannot write mailbox file"))
    }
}

impl EmailService for MailboxFile {
    fn send_account_creation(&self, to: &str) -> BoxFuture<'_, Result<()>> {
        let to = to.to_owned();
        Box::pin(async move { self.append("account_creation", &to, None).await })
    }
    fn send_verification(&self, to: &str, token: &str) -> BoxFuture<'_, Result<()>> {
        let (to, token) = (to.to_owned(), token.to_owned());
        Box::pin(async move {
            self.append("email_verification", &to, Some(("token", &token)))
                .await
        })
    }
    fn send_password_reset(&self, to: &str, token: &str) -> BoxFuture<'_, Result<()>> {
        let (to, token) = (to.to_owned(), token.to_owned());
        Box::pin(async move {
            self.append("password_reset", &to, Some(("token", &token)))
                .await
        })
    }
    fn send_two_factor(&self, to: &str, code: &str) -> BoxFuture<'_, Result<()>> {
        let (to, code) = (to.to_owned(), code.to_owned());
        Box::pin(async move { self.append("two_factor", &to, Some(("code", &code))).await })
    }
}
