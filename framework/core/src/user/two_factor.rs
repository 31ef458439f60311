//! Two-factor login by emailed code, for users with `twoFA`.
//!
//! The second step of [`AccountService::login`], reached only once the
//! password is verified (eicrud checked and sent codes before the password,
//! so anyone who knew an address could make it receive codes). A code is:
//!
//! - 6 characters from `A-Z0-9`, drawn from a CSPRNG (36⁶ ≈ 2·10⁹ values);
//! - stored only as an HMAC-SHA256, keyed by a key derived from the JWT
//!   secret and bound to the user id, so a copy of the database gives
//!   neither the code nor a cheap way to search for it;
//! - valid for `two_fa_code_timeout` (15 min) after it was sent;
//! - single use: the successful login clears it in the same `UPDATE` that
//!   resets the failure counter, on condition that it is still the stored
//!   one, so two logins racing with one code cannot both pass.
//!
//! A login without a code gets a code mailed, unless a valid one is pending:
//! then nothing is sent (one mail per account per code lifetime, as eicrud),
//! and the answer is the same 401 code 8. A wrong code, or a code when none
//! is pending, is a failed login: it counts towards the lockout like a wrong
//! password, so codes cannot be searched for. A right but expired code is
//! 401 code 7 and counts nothing (it proves the password and the mailbox).

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::Rng as _;
use sea_orm::sea_query::{Expr, ExprTrait};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::AccountService;
use super::columns::Col;
use super::row::AccountRow;
use crate::error::Result;
use crate::storage::DateTimeUtc;

/// Number of characters in a code.
pub(crate) const CODE_LENGTH: usize = 6;

/// The characters codes are made of.
const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// HKDF `info` of the code-hashing key.
const KEY_INFO: &[u8] = b"ferrocrud-two-factor-code";

/// Where the two-factor step leaves a login whose password was right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TwoFactor {
    /// The account does not use two-factor login.
    NotRequired,
    /// The code is right and fresh; the login must consume this stored hash.
    Verified(String),
    /// No code given: one was mailed, or a valid one is pending (401 code 8).
    Required,
    /// Wrong code, or none pending: a failed login (401 code 5).
    Wrong,
    /// The right code, too old (401 code 7).
    Expired,
}

impl AccountService {
    /// The two-factor step for `user`, whose password was verified.
    ///
    /// # Errors
    ///
    /// A database error, or the email service's error when a code could not
    /// be sent (the code is then withdrawn, so the next attempt sends one).
    pub(super) async fn two_factor_step(
        &self,
        user: &AccountRow,
        code: Option<&str>,
        now: DateTimeUtc,
    ) -> Result<TwoFactor> {
        if user.two_f_a != Some(true) {
            return Ok(TwoFactor::NotRequired);
        }
        let secret = &self.inner.options.jwt_secret;
        let Some(code) = code else {
            if !self.pending_code(user, now) {
                self.send_code(user, now).await?;
            }
            return Ok(TwoFactor::Required);
        };
        let Some(stored) = &user.last_two_f_a_code else {
            return Ok(TwoFactor::Wrong);
        };
        if !code_matches(secret, &user.id, code, stored) {
            return Ok(TwoFactor::Wrong);
        }
        if !self.fresh(user.last_two_f_a_code_sent, now) {
            return Ok(TwoFactor::Expired);
        }
        Ok(TwoFactor::Verified(stored.clone()))
    }

    /// Whether a code was sent and is still valid.
    fn pending_code(&self, user: &AccountRow, now: DateTimeUtc) -> bool {
        user.last_two_f_a_code.is_some() && self.fresh(user.last_two_f_a_code_sent, now)
    }

    /// Whether a code sent at `sent` is still valid at `now`.
    fn fresh(&self, sent: Option<DateTimeUtc>, now: DateTimeUtc) -> bool {
        let lifetime = chrono::Duration::from_std(self.inner.options.two_fa_code_timeout)
            .unwrap_or(chrono::Duration::MAX);
        sent.and_then(|sent| sent.checked_add_signed(lifetime))
            .is_some_and(|end| now < end)
    }

    /// Stores a new code's hash, on condition that the stored code is still
    /// the one read with the user (so two attempts racing send one code),
    /// then mails the code.
    async fn send_code(&self, user: &AccountRow, now: DateTimeUtc) -> Result<()> {
        let code = new_code();
        let hash = code_hash(&self.inner.options.jwt_secret, &user.id, &code);
        let still = match &user.last_two_f_a_code {
            Some(old) => Expr::col(Col::LastTwoFACode).eq(old.clone()),
            None => Expr::col(Col::LastTwoFACode).is_null(),
        };
        let stored = self
            .run_update(
                self.update_account(&user.id)
                    .value(Col::LastTwoFACode, hash.clone())
                    .value(Col::LastTwoFACodeSent, now)
                    .value(
                        Col::TwoFACodeCount,
                        Expr::col(Col::TwoFACodeCount).if_null(0).add(1),
                    )
                    .and_where(still),
            )
            .await?;
        self.forget_cached(&user.id);
        if stored == 0 {
            // Another attempt has just stored (and is sending) a code.
            return Ok(());
        }
        if let Err(err) = self.inner.email.send_two_factor(&user.email, &code).await {
            self.run_update(
                self.update_account(&user.id)
                    .value(Col::LastTwoFACode, None::<String>)
                    .and_where(Expr::col(Col::LastTwoFACode).eq(hash)),
            )
            .await?;
            self.forget_cached(&user.id);
            return Err(err);
        }
        Ok(())
    }
}

/// A fresh code: [`CODE_LENGTH`] characters of `A-Z0-9` from the thread's
/// CSPRNG (ChaCha, seeded by the operating system), drawn without bias.
pub(crate) fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LENGTH)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The stored form of a code: hex HMAC-SHA256 of `user id, 0, code`, keyed
/// by HKDF-SHA256(JWT secret, info `ferrocrud-two-factor-code`).
pub(crate) fn code_hash(secret: &str, user_id: &str, code: &str) -> String {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(None, secret.as_bytes())
        .expand(KEY_INFO, &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(user_id.as_bytes());
    mac.update(&[0]);
    mac.update(code.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether the code a user typed (surrounding spaces and letter case
/// ignored) is the one whose hash is stored; compared in constant time.
pub(crate) fn code_matches(secret: &str, user_id: &str, typed: &str, stored: &str) -> bool {
    let typed = typed.trim().to_ascii_uppercase();
    let hash = code_hash(secret, user_id, &typed);
    hash.as_bytes().ct_eq(stored.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_uppercase_alphanumerics() {
        for _ in 0..200 {
            let code = new_code();
            assert_eq!(code.len(), CODE_LENGTH);
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
                "{code}"
            );
        }
        assert_ne!(new_code(), new_code());
    }

    #[test]
    fn codes_use_the_whole_alphabet() {
        let seen: std::collections::HashSet<char> = (0..400)
            .flat_map(|_| new_code().chars().collect::<Vec<_>>())
            .collect();
        assert_eq!(seen.len(), ALPHABET.len());
    }

    #[test]
    fn eicrud_stored_2fa_codes_in_clear_we_store_a_keyed_hash() {
        let hash = code_hash("secret", "user-1", "AB12CD");
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("AB12CD"));
        assert_ne!(hash, code_hash("other secret", "user-1", "AB12CD"));
        assert_ne!(hash, code_hash("secret", "user-2", "AB12CD"));
        assert_ne!(hash, code_hash("secret", "user-1", "AB12CE"));
    }

    #[test]
    fn typed_codes_match_whatever_their_case() {
        let stored = code_hash("secret", "user-1", "AB12CD");
        assert!(code_matches("secret", "user-1", "AB12CD", &stored));
        assert!(code_matches("secret", "user-1", " ab12cd ", &stored));
        assert!(!code_matches("secret", "user-1", "AB12CE", &stored));
        assert!(!code_matches("secret", "user-2", "AB12CD", &stored));
        assert!(!code_matches("secret", "user-1", "", &stored));
        assert!(!code_matches("secret", "user-1", "AB12CD", "AB12CD"));
    }
}
