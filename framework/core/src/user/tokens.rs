//! Email tokens: `<random>_<userId>` on the wire, a purpose-bound hash at rest.
//!
//! A token is 43 alphanumeric characters from a CSPRNG (about 256 bits)
//! followed by `_` and the user's id, the shape eicrud mails. Only its
//! HMAC-SHA256 digest, keyed by a key derived from the JWT secret, is stored, in the column of its purpose
//! (`emailVerificationToken` or `passwordResetToken`); the digest also
//! covers the purpose, the user's id and the address the token was mailed
//! to, so a token cannot serve another purpose, another user, or an address
//! changed since. Digests are compared in constant time. A token is single
//! use: the UPDATE that applies its change also clears it, and matches the
//! row only while it still holds that digest, so two concurrent uses cannot
//! both succeed. It expires `verification_email_timeout` (24 h) or
//! `password_reset_email_timeout` (6 h) after it was sent; issuing a new one
//! replaces the previous one.
//!
//! Sending is throttled per target user: at most `max_emails_before_wait`
//! tokens of a purpose until the last one has expired; a successful use
//! resets the count.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use rand::Rng as _;
use serde_json::{Map, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use super::AccountService;
use super::row::AccountRow;
use crate::context::{CrudContext, Verb};
use crate::error::{Error, Result};
use crate::shared::user::USER_SERVICE;
use crate::storage::format_timestamp;

/// Alphanumeric characters in a token's random part: 62^43 > 2^256.
const RANDOM_LENGTH: usize = 43;

/// What an email token is for. Each purpose has its own columns, lifetime
/// and digest domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// Proves the user reads the address (`verify_email`).
    EmailVerification,
    /// Lets the user set a new password (`reset_password`).
    PasswordReset,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::EmailVerification => "email_verification",
            Purpose::PasswordReset => "password_reset",
        }
    }

    /// The column holding the token's digest.
    pub(super) fn token_field(self) -> &'static str {
        match self {
            Purpose::EmailVerification => "emailVerificationToken",
            Purpose::PasswordReset => "passwordResetToken",
        }
    }

    fn sent_field(self) -> &'static str {
        match self {
            Purpose::EmailVerification => "lastEmailVerificationSent",
            Purpose::PasswordReset => "lastPasswordResetSent",
        }
    }

    /// The column counting sends since the last use.
    pub(super) fn count_field(self) -> &'static str {
        match self {
            Purpose::EmailVerification => "verifiedEmailAttempCount",
            Purpose::PasswordReset => "passwordResetAttempCount",
        }
    }

    fn state(self, user: &AccountRow) -> TokenState<'_> {
        match self {
            Purpose::EmailVerification => TokenState {
                digest: user.email_verification_token.as_deref(),
                sent: user.last_email_verification_sent,
                count: user.verified_email_attemp_count,
            },
            Purpose::PasswordReset => TokenState {
                digest: user.password_reset_token.as_deref(),
                sent: user.last_password_reset_sent,
                count: user.password_reset_attemp_count,
            },
        }
    }
}

/// A purpose's columns as read from a user row.
#[derive(Debug, Clone, Copy)]
struct TokenState<'a> {
    digest: Option<&'a str>,
    sent: Option<DateTime<Utc>>,
    count: Option<i64>,
}

/// A token just issued: the wire form to mail and the digest to store.
#[derive(Clone)]
pub(super) struct IssuedToken {
    pub(super) wire: String,
    pub(super) digest: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken").finish_non_exhaustive()
    }
}

/// Issues a token of `purpose` for `user_id`, to be mailed to `address`;
/// `key` is the server's email-token key.
pub(super) fn issue(key: &[u8], purpose: Purpose, user_id: &str, address: &str) -> IssuedToken {
    let random: String = rand::rng()
        .sample_iter(&rand::distr::Alphanumeric)
        .take(RANDOM_LENGTH)
        .map(char::from)
        .collect();
    IssuedToken {
        digest: digest(key, purpose, user_id, address, &random),
        wire: format!("{random}_{user_id}"),
    }
}

/// The stored form of a token: hex HMAC-SHA256, keyed by the server's
/// email-token key, over a domain tag, the purpose, the user's id, the
/// address and the random part. Without the key, writing a row cannot mint
/// a link that works: the digest of a chosen token cannot be computed.
fn digest(key: &[u8], purpose: Purpose, user_id: &str, address: &str, random: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC-SHA256 takes keys of any length");
    for part in [
        b"ferrocrud email token v2".as_slice(),
        purpose.label().as_bytes(),
        user_id.as_bytes(),
        address.as_bytes(),
    ] {
        mac.update(part);
        mac.update(&[0]);
    }
    mac.update(random.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Splits a wire token `<random>_<userId>`; `None` when it has no `_` or an
/// empty part.
pub(super) fn parse(token_id: &str) -> Option<(&str, &str)> {
    let (random, user_id) = token_id.split_once('_')?;
    (!random.is_empty() && !user_id.is_empty()).then_some((random, user_id))
}

/// Whether `stored` holds `expected`, compared in constant time.
fn matches(stored: Option<&str>, expected: &str) -> bool {
    stored.is_some_and(|stored| bool::from(stored.as_bytes().ct_eq(expected.as_bytes())))
}

/// Whether a token sent at `sent` is still valid at `now`.
fn is_fresh(sent: Option<DateTime<Utc>>, lifetime: Duration, now: DateTime<Utc>) -> bool {
    let lifetime = TimeDelta::from_std(lifetime).unwrap_or(TimeDelta::MAX);
    sent.and_then(|sent| sent.checked_add_signed(lifetime))
        .is_some_and(|end| now < end)
}

/// The send count after one more send, or `None` when the throttle refuses
/// it: allowed while fewer than `max` were sent, or once the last token has
/// expired (the count starts again at 1).
fn next_count(
    state: TokenState<'_>,
    lifetime: Duration,
    max: u32,
    now: DateTime<Utc>,
) -> Option<i64> {
    if !is_fresh(state.sent, lifetime, now) {
        return Some(1);
    }
    let count = state.count.unwrap_or(0).max(0);
    (count < i64::from(max)).then_some(count + 1)
}

/// A token written to its user's row, waiting to be mailed; what to write
/// back if the mail cannot be sent.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) token: IssuedToken,
    user_id: String,
    purpose: Purpose,
    previous: Map<String, Value>,
}

fn object(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

fn internal_ctx() -> CrudContext {
    CrudContext::internal(Verb::Patch, USER_SERVICE)
}

impl AccountService {
    fn lifetime(&self, purpose: Purpose) -> Duration {
        match purpose {
            Purpose::EmailVerification => self.inner.options.verification_email_timeout,
            Purpose::PasswordReset => self.inner.options.password_reset_email_timeout,
        }
    }

    /// Issues a token of `purpose` for `user`, mailed to `address`, and
    /// stores its digest with the send time and count (and `extra` fields)
    /// in one UPDATE, replacing any earlier token of that purpose.
    ///
    /// # Errors
    ///
    /// [`Error::EmailAlreadySent`] when the throttle refuses (or another
    /// send for this user just won the race); a database error.
    pub(super) async fn store_token(
        &self,
        user: &AccountRow,
        purpose: Purpose,
        address: &str,
        extra: Map<String, Value>,
    ) -> Result<Pending> {
        let now = crate::storage::now();
        let state = purpose.state(user);
        let max = self.inner.options.max_emails_before_wait;
        let count =
            next_count(state, self.lifetime(purpose), max, now).ok_or(Error::EmailAlreadySent)?;
        let token = issue(self.email_token_key(), purpose, &user.id, address);
        let mut data = object(vec![
            (purpose.token_field(), Value::String(token.digest.clone())),
            (purpose.sent_field(), Value::String(format_timestamp(&now))),
            (purpose.count_field(), Value::from(count)),
        ]);
        data.extend(extra);
        let row = match serde_json::to_value(user) {
            Ok(Value::Object(row)) => row,
            _ => return Err(Error::Internal("user row does not serialize")),
        };
        let previous = data
            .keys()
            .map(|key| (key.clone(), row.get(key).cloned().unwrap_or(Value::Null)))
            .collect();
        // Guarded by the digest read: a concurrent send that wrote first
        // makes this one match nothing.
        let query = object(vec![
            ("id", Value::String(user.id.clone())),
            (
                purpose.token_field(),
                state
                    .digest
                    .map_or(Value::Null, |d| Value::String(d.to_owned())),
            ),
        ]);
        let written = self.inner.crud.patch(query, data, &internal_ctx()).await?;
        if written.count == 0 {
            return Err(Error::EmailAlreadySent);
        }
        Ok(Pending {
            token,
            user_id: user.id.clone(),
            purpose,
            previous,
        })
    }

    /// Puts back what [`store_token`](Self::store_token) replaced, if the
    /// row still holds the token: the mail carrying it was not sent.
    pub(super) async fn withdraw_token(&self, pending: Pending) -> Result<()> {
        let query = object(vec![
            ("id", Value::String(pending.user_id)),
            (
                pending.purpose.token_field(),
                Value::String(pending.token.digest),
            ),
        ]);
        self.inner
            .crud
            .patch(query, pending.previous, &internal_ctx())
            .await?;
        Ok(())
    }

    /// The same work as [`store_token`](Self::store_token) for an address
    /// with no account, so that the answer's timing does not tell.
    pub(super) async fn store_decoy_token(&self, purpose: Purpose, address: &str) -> Result<()> {
        let id = uuid::Uuid::now_v7().to_string();
        let token = issue(self.email_token_key(), purpose, &id, address);
        let now = crate::storage::now();
        let query = object(vec![
            ("id", Value::String(id)),
            (purpose.token_field(), Value::String(token.digest.clone())),
        ]);
        let data = object(vec![
            (purpose.token_field(), Value::String(token.digest)),
            (purpose.sent_field(), Value::String(format_timestamp(&now))),
            (purpose.count_field(), Value::from(1)),
        ]);
        self.inner.crud.patch(query, data, &internal_ctx()).await?;
        Ok(())
    }

    /// Loads the user a wire token names.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEmailToken`] for a malformed token;
    /// [`Error::TargetUserNotFound`] when no user has its id.
    pub(super) async fn token_user<'t>(&self, token_id: &'t str) -> Result<(&'t str, AccountRow)> {
        let (random, user_id) = parse(token_id).ok_or(Error::InvalidEmailToken)?;
        let user = self
            .account(user_id)
            .await?
            .ok_or(Error::TargetUserNotFound)?;
        Ok((random, user))
    }

    /// Uses a token of `purpose` mailed to `address`: checks it against
    /// `user`'s row, then applies `data` (through the user rules: password
    /// hashed, sessions revoked when a credential changes), clears the
    /// token and resets the send count, in one UPDATE that matches only
    /// while the row still holds the token. Answers the user's `rvkd` after
    /// the update.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEmailToken`] when the token does not match, has
    /// expired, or was used meanwhile; the update's errors.
    ///
    /// # Cancel safety
    ///
    /// The check-and-write is one transaction: dropped before its commit,
    /// the token is still unused.
    pub(super) async fn consume_token(
        &self,
        user: &AccountRow,
        purpose: Purpose,
        random: &str,
        address: &str,
        data: Map<String, Value>,
    ) -> Result<Option<i64>> {
        let state = purpose.state(user);
        let expected = digest(self.email_token_key(), purpose, &user.id, address, random);
        let now = crate::storage::now();
        if !matches(state.digest, &expected) || !is_fresh(state.sent, self.lifetime(purpose), now) {
            return Err(Error::InvalidEmailToken);
        }
        let query = object(vec![
            ("id", Value::String(user.id.clone())),
            (purpose.token_field(), Value::String(expected)),
        ]);
        let mut changes = object(vec![
            (purpose.token_field(), Value::Null),
            (purpose.count_field(), Value::from(0)),
        ]);
        changes.extend(data);
        match self.update_returning_rvkd(query, changes).await {
            Err(Error::EntityNotFound) => Err(Error::InvalidEmailToken),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(24 * 3600);
    const KEY: &[u8] = b"a key derived from the JWT secret";

    #[test]
    fn digests_need_the_server_key() {
        let token = issue(KEY, Purpose::PasswordReset, "u1", "a@b.test");
        let (random, _) = parse(&token.wire).expect("parses");
        assert_ne!(
            digest(
                b"another key",
                Purpose::PasswordReset,
                "u1",
                "a@b.test",
                random
            ),
            token.digest
        );
        assert_eq!(token.digest.len(), 64);
    }

    #[test]
    fn tokens_have_eicrud_shape_and_256_bits() {
        let token = issue(KEY, Purpose::PasswordReset, "0190-user", "a@b.test");
        let (random, user) = parse(&token.wire).expect("parses");
        assert_eq!(user, "0190-user");
        assert_eq!(random.len(), RANDOM_LENGTH);
        assert!(random.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(token.digest.len(), 64);
        assert!(!token.digest.contains(random), "only a digest is stored");
        let other = issue(KEY, Purpose::PasswordReset, "0190-user", "a@b.test");
        assert_ne!(token.wire, other.wire);
    }

    #[test]
    fn digests_are_bound_to_purpose_user_and_address() {
        let token = issue(KEY, Purpose::EmailVerification, "u1", "a@b.test");
        let (random, _) = parse(&token.wire).expect("parses");
        assert_eq!(
            digest(KEY, Purpose::EmailVerification, "u1", "a@b.test", random),
            token.digest
        );
        assert_ne!(
            digest(KEY, Purpose::PasswordReset, "u1", "a@b.test", random),
            token.digest
        );
        assert_ne!(
            digest(KEY, Purpose::EmailVerification, "u2", "a@b.test", random),
            token.digest
        );
        assert_ne!(
            digest(KEY, Purpose::EmailVerification, "u1", "c@b.test", random),
            token.digest
        );
        assert!(matches(Some(&token.digest), &token.digest));
        assert!(!matches(None, &token.digest));
        assert!(!matches(Some(""), &token.digest));
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        assert_eq!(parse("abc_u1"), Some(("abc", "u1")));
        assert_eq!(parse("abc_u_1"), Some(("abc", "u_1")));
        for bad in ["", "abc", "_u1", "abc_"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn tokens_expire() {
        let now = Utc::now();
        assert!(is_fresh(Some(now - TimeDelta::hours(23)), DAY, now));
        assert!(!is_fresh(Some(now - TimeDelta::hours(24)), DAY, now));
        assert!(!is_fresh(None, DAY, now));
    }

    #[test]
    fn throttle_allows_max_sends_until_the_last_token_expires() {
        let now = Utc::now();
        let state = |count, hours_ago: Option<i64>| TokenState {
            digest: None,
            sent: hours_ago.map(|h| now - TimeDelta::hours(h)),
            count,
        };
        assert_eq!(next_count(state(None, None), DAY, 2, now), Some(1));
        assert_eq!(next_count(state(Some(1), Some(1)), DAY, 2, now), Some(2));
        assert_eq!(next_count(state(Some(2), Some(1)), DAY, 2, now), None);
        assert_eq!(next_count(state(Some(2), Some(25)), DAY, 2, now), Some(1));
        assert_eq!(
            next_count(state(Some(0), Some(1)), DAY, 2, now),
            Some(1),
            "reset by a use"
        );
    }

    /// A mail transport that is down.
    #[derive(Debug)]
    struct Down;

    impl crate::email::EmailService for Down {
        fn send_account_creation(
            &self,
            _to: &str,
        ) -> futures_util::future::BoxFuture<'_, Result<()>> {
            Box::pin(async { Err(Error::Internal("transport down")) })
        }
        fn send_verification(
            &self,
            _to: &str,
            _token: &str,
        ) -> futures_util::future::BoxFuture<'_, Result<()>> {
            Box::pin(async { Err(Error::Internal("transport down")) })
        }
        fn send_password_reset(
            &self,
            _to: &str,
            _token: &str,
        ) -> futures_util::future::BoxFuture<'_, Result<()>> {
            Box::pin(async { Err(Error::Internal("transport down")) })
        }
        fn send_two_factor(
            &self,
            _to: &str,
            _code: &str,
        ) -> futures_util::future::BoxFuture<'_, Result<()>> {
            Box::pin(async { Err(Error::Internal("transport down")) })
        }
    }

    crate::db_test!(an_unsent_verification_mail_leaves_no_token_behind, |db| {
        let mut options = crate::user::UserOptions::new("unit secret");
        options.password = crate::auth::PasswordParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let users =
            crate::user::CrudUserService::with_email(db, options, Down).expect("user service");
        crate::storage::ensure_table::<crate::user::entity::Entity>(&users.inner.db)
            .await
            .expect("user table");
        users
            .ensure_account("a@b.test", "pass-word-1", "user")
            .await
            .expect("account");
        let before = users
            .find_by_login("a@b.test")
            .await
            .expect("db")
            .expect("user");
        let current = crate::context::CurrentUser {
            id: before.id.clone(),
            role: before.role.clone(),
            rvkd: before.rvkd,
            row: Default::default(),
            claims: None,
            no_token_refresh: false,
        };
        let ctx = CrudContext::for_user(std::sync::Arc::new(current), Verb::Post, USER_SERVICE);
        let err = users
            .send_verification_email(
                crate::shared::user::SendVerificationEmailDto::default(),
                &ctx,
            )
            .await
            .expect_err("the transport is down");
        assert!(matches!(err, Error::MailNotSent(_)), "{err:?}");
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("internal error: transport down"));
        let after = users
            .find_by_id(&before.id)
            .await
            .expect("db")
            .expect("user");
        assert_eq!(after.email_verification_token, None);
        assert_eq!(
            after.verified_email_attemp_count,
            before.verified_email_attemp_count
        );
        assert_eq!(
            after.last_email_verification_sent,
            before.last_email_verification_sent
        );
    });
}
