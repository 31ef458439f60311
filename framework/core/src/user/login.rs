//! `login`: credentials for an access token, with throttle, lockout,
//! timeouts, two-factor codes and transparent password rehash.
//!
//! # Order of the checks
//!
//! 1. **Throttle**: one attempt per identifier per
//!    `min_time_between_login_attempts` (600 ms), known or not, claimed
//!    atomically in the database → 425 code 3.
//! 2. `expiresInSec` out of range → 400; password longer than
//!    `password_max_length` → 400 code 11. Neither looks at any account.
//! 3. **Lockout**: after `max_failed_logins` (6) consecutive failures, every
//!    attempt within `min(failures², 300)` seconds of the last failure →
//!    429 code 3 with `"<n> seconds"`, even with the right password.
//!    Identifiers that match no account are counted and locked out exactly
//!    like accounts (in the call-counter table, since they have no row), so
//!    the 429 does not tell an attacker that an account exists. Checked
//!    before the password, for known and unknown identifiers alike; the 429
//!    comes after the work of a failed attempt (a write of the failure count
//!    that leaves it as it is, and a dummy argon2id verification), so that
//!    its time does not set it apart either.
//! 4. **Claim**: the attempt is counted as a failure *before* its password
//!    is checked, by one conditional statement that only matches while the
//!    count is below the threshold or still the one read at step 3. Of
//!    attempts racing past step 3, at most the threshold's number get a
//!    claim; the others read the row again and are locked out.
//! 5. **Password**, verified with the same work whether the account exists
//!    or not (a dummy argon2id verification). Wrong password or unknown
//!    identifier → 401 code 5, the failure already counted.
//! 6. **Timeout** (`timeout` in the future) → 401 code 2 with its ISO end.
//!    Checked after the password, unlike eicrud, so only someone holding the
//!    password learns that the account exists and is timed out.
//! 7. **Two-factor code** for accounts with `twoFA` (see
//!    [`two_factor`](super::two_factor)): only now is a code mailed → 401
//!    code 8; wrong code → 401 code 5, the failure already counted; expired
//!    → 401 code 7.
//! 8. **Success**: counters reset and the code consumed in one conditional
//!    `UPDATE`; a hash made with old argon2 parameters or imported from
//!    eicrud (bcrypt) is replaced by a new argon2id hash without touching
//!    `rvkd`, so the token issued is valid.
//!
//! A right password that does not log in (timed out, a code required or
//! expired, a code that could not be sent) gives its claim back: the count
//! goes down by one, and the last failure's time is put back unless another
//! attempt has moved it since.
//!
//! Counters live in the database and change by single statements
//! (`failedLoginCount = failedLoginCount + 1`), so every server instance on
//! one database shares them, and no number of simultaneous attempts, on any
//! number of instances, gets more than `max_failed_logins` passwords checked
//! before the lockout.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::columns::Col;
use super::row::AccountRow;
use super::stats::LoginOutcome;
use super::two_factor::TwoFactor;
use super::{AccountService, guard};
use crate::auth::HashSlot;
use crate::command::usage;
use crate::error::{Error, Result};
use crate::shared::user::{LoginDto, LoginResponseDto};
use crate::storage::{DateTimeUtc, truncate_to_millis};

/// The key of the login throttle in the call counters.
const LOGIN_KEY: &str = "login";

/// The key, in the call counters, of the failed logins on an identifier
/// that matches no account.
const UNKNOWN_FAILURES_KEY: &str = "login_failures";

/// How many times an attempt reads the failures again after another
/// attempt's claim got in first, before it gives up with 425.
const MAX_CLAIMS: usize = 8;

/// When an instance last started a periodic job, so that it starts at most
/// once per interval however many requests ask.
#[derive(Debug, Default)]
pub(super) struct Cadence(AtomicI64);

impl Cadence {
    /// Whether the job is due at `now_ms`, `every_ms` after the last start;
    /// if so, `now_ms` is recorded as the start, by one caller only.
    pub(super) fn claim(&self, now_ms: i64, every_ms: i64) -> bool {
        let last = self.0.load(Ordering::Relaxed);
        now_ms.saturating_sub(last) >= every_ms
            && self
                .0
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// Consecutive failed logins and when the last one was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Failures {
    count: i64,
    last_ms: Option<i64>,
}

impl Failures {
    /// The failures as they count at `now_ms`: none once `reset_ms` have
    /// passed since the last one.
    fn at(self, now_ms: i64, reset_ms: i64) -> Self {
        match self.last_ms {
            Some(last) if now_ms.saturating_sub(last) >= reset_ms => Self::default(),
            _ => self,
        }
    }
}

/// A password check claimed on an account: what to put back if the attempt
/// turns out not to be a failure.
#[derive(Debug, Clone, Copy)]
struct Claim {
    /// The last failure's time before the claim.
    previous_last: Option<DateTimeUtc>,
    /// The time the claim wrote.
    at: DateTimeUtc,
}

impl AccountService {
    /// Checks credentials and issues an access token (`login`).
    ///
    /// The module documentation of `user::login` gives the order of the
    /// checks. An identifier that matches no account gets the same answers
    /// as a wrong password, after the same work, lockout included.
    ///
    /// # Errors
    ///
    /// [`Error::TooEarly`], [`Error::InvalidExpiresIn`],
    /// [`Error::PasswordTooLong`], [`Error::LockedOut`],
    /// [`Error::InvalidCredentials`], [`Error::TimedOut`],
    /// [`Error::TwoFaRequired`], [`Error::TwoFaCodeExpired`], the email
    /// service's error when a two-factor code cannot be sent, or a database
    /// error.
    ///
    /// # Cancel safety
    ///
    /// The attempt runs to its end on a task of its own: dropping the future
    /// (a client that hangs up once the password is checked) cannot skip
    /// counting a failure.
    pub async fn login(&self, dto: LoginDto) -> Result<LoginResponseDto> {
        let users = self.clone();
        tokio::spawn(async move {
            let answer = users.attempt_login(dto).await;
            users.inner.logins.count(LoginOutcome::of(&answer));
            answer
        })
        .await
        .map_err(|_| Error::Internal("login task failed"))?
    }

    async fn attempt_login(&self, dto: LoginDto) -> Result<LoginResponseDto> {
        // A place for the password check, before anything is written: an
        // overload refuses the attempt (503) before the throttle or the
        // failure count see it, so that it never locks an account out.
        let slot = self.inner.hasher.reserve()?;
        self.throttle_login(&dto.email).await?;
        let lifetime = self.token_lifetime(dto.expires_in_sec)?;
        self.check_password_length(&dto.password)?;
        let now = truncate_to_millis(Utc::now());
        let (user, claim) = match self.claim_login_check(&dto.email, now).await {
            Err(err @ Error::LockedOut { .. }) => {
                self.check_password(slot, &dto.password, None).await?;
                return Err(err);
            }
            claimed => claimed?,
        };

        let hash = user.as_ref().map(|u| u.password.clone());
        let verified = self.check_password(slot, &dto.password, hash).await?;
        let (user, claim) = match (verified, user, claim) {
            (true, Some(user), Some(claim)) => (user, claim),
            // The failure was counted by the claim.
            _ => return Err(Error::InvalidCredentials),
        };
        let step = match guard::check_timeout(user.timeout) {
            Ok(()) => {
                self.two_factor_step(&user, dto.two_fa_code.as_deref(), now)
                    .await
            }
            Err(err) => Err(err),
        };
        let code = match step {
            Ok(TwoFactor::NotRequired) => None,
            Ok(TwoFactor::Verified(hash)) => Some(hash),
            // Counted by the claim, as a wrong password.
            Ok(TwoFactor::Wrong) => return Err(Error::InvalidCredentials),
            Ok(TwoFactor::Required) => {
                return self.give_back(&user.id, claim, Error::TwoFaRequired).await;
            }
            Ok(TwoFactor::Expired) => {
                return self
                    .give_back(&user.id, claim, Error::TwoFaCodeExpired)
                    .await;
            }
            Err(err) => return self.give_back(&user.id, claim, err).await,
        };
        if !self.count_success(&user.id, code.as_deref(), now).await? {
            // The code was consumed by another login meanwhile: a failure,
            // counted by the claim.
            return Err(Error::InvalidCredentials);
        }
        self.upgrade_hash(&user, &dto.password).await;
        let (access_token, _) = self.inner.keys.issue(&user.id, user.rvkd, lifetime, None)?;
        Ok(LoginResponseDto {
            access_token,
            user_id: user.id,
        })
    }

    /// Checks a login's password against `hash` in its reserved place;
    /// `None` does the same work against a dummy hash and answers `false`.
    async fn check_password(
        &self,
        slot: HashSlot,
        password: &str,
        hash: Option<String>,
    ) -> Result<bool> {
        #[cfg(test)]
        tests::count(&tests::PASSWORD_CHECKS);
        slot.verify(password, hash).await
    }

    /// Steps 3 and 4 of a login: reads the account named by `login` and the
    /// failures on it, checks the lockout, and claims one password check.
    /// Answers the account as read when the claim was made (with the claim),
    /// or `None` for an identifier that matches no account (whose claim
    /// needs no giving back: it can never succeed).
    async fn claim_login_check(
        &self,
        login: &str,
        now: DateTimeUtc,
    ) -> Result<(Option<AccountRow>, Option<Claim>)> {
        for _ in 0..MAX_CLAIMS {
            let user = self.account_where(Col::Email, login).await?;
            // Read for every identifier, known or not: same queries, same time.
            let by_identifier = self.identifier_failures(login).await?;
            let by_account = user.as_ref().map(account_failures).unwrap_or_default();
            if let Err(err) = self.check_lockout([by_account, by_identifier], now) {
                self.rewrite_failures(user.as_ref(), login).await?;
                return Err(err);
            }
            match user {
                Some(user) => {
                    if let Some(claim) = self.claim_account_check(&user, now).await? {
                        return Ok((Some(user), Some(claim)));
                    }
                }
                None => {
                    if self
                        .claim_identifier_check(login, by_identifier, now)
                        .await?
                    {
                        return Ok((None, None));
                    }
                }
            }
        }
        // Other attempts kept getting in first: too many at once.
        Err(Error::TooEarly)
    }

    /// Checks the current password a command asks for (`change_password`,
    /// `send_verification_email` with `newEmail`) as `login` checks one, so
    /// that a stolen token does not buy unlimited guesses: the same
    /// throttle on the account's email (425 code 3), the same lockout
    /// (429 code 3), and a wrong password counted as a failed login on the
    /// account, shared by every instance. The right password resets the
    /// count, as a successful login does.
    ///
    /// # Errors
    ///
    /// [`Error::TooEarly`], [`Error::LockedOut`], [`Error::PasswordTooLong`],
    /// [`Error::WrongPassword`] (400 code 5), or a database error.
    pub(super) async fn check_current_password(
        &self,
        user: &AccountRow,
        password: &str,
    ) -> Result<()> {
        // Reserved before anything is written, as in a login.
        let slot = self.inner.hasher.reserve()?;
        self.throttle_login(&user.email).await?;
        self.check_password_length(password)?;
        let now = truncate_to_millis(Utc::now());
        let mut read = Some(user.clone());
        let mut claimed = None;
        for _ in 0..MAX_CLAIMS {
            let Some(user) = read.take() else {
                // The account was deleted meanwhile.
                return Err(Error::WrongPassword);
            };
            self.check_lockout([account_failures(&user)], now)?;
            if self.claim_account_check(&user, now).await?.is_some() {
                claimed = Some(user);
                break;
            }
            read = self.account(&user.id).await?;
        }
        let Some(user) = claimed else {
            return Err(Error::TooEarly);
        };
        let hash = Some(user.password.clone());
        if !slot.verify(password, hash).await? {
            // The failure was counted by the claim.
            return Err(Error::WrongPassword);
        }
        self.count_success(&user.id, None, now).await?;
        Ok(())
    }

    /// A password longer than `password_max_length` is refused before any
    /// hashing.
    fn check_password_length(&self, password: &str) -> Result<()> {
        if password.chars().count() > self.inner.options.password_max_length {
            return Err(Error::PasswordTooLong);
        }
        Ok(())
    }

    /// [`Error::LockedOut`] while any of these failure counts is locked out
    /// at `now`, with the longest wait.
    fn check_lockout<const N: usize>(
        &self,
        failures: [Failures; N],
        now: DateTimeUtc,
    ) -> Result<()> {
        let options = &self.inner.options;
        let now_ms = now.timestamp_millis();
        let reset_ms = self.failed_login_reset_ms();
        let left = failures
            .into_iter()
            .filter_map(|failures| {
                lockout_left_ms(
                    failures.at(now_ms, reset_ms),
                    now_ms,
                    options.max_failed_logins,
                    options.max_lockout,
                )
            })
            .max();
        match left {
            Some(left) => Err(Error::LockedOut {
                wait_seconds: round_seconds(left),
            }),
            None => Ok(()),
        }
    }

    /// One login attempt per identifier per `min_time_between_login_attempts`,
    /// known or not, claimed atomically in the database so that every server
    /// instance sees it.
    async fn throttle_login(&self, login: &str) -> Result<()> {
        let Some(interval) =
            throttle_interval_ms(self.inner.options.min_time_between_login_attempts)
        else {
            return Ok(());
        };
        let now = chrono::Utc::now().timestamp_millis();
        self.purge_login_counters_now_and_then(now);
        match usage::claim_call(&self.inner.db, login, LOGIN_KEY, now, interval).await {
            Err(Error::WaitUntil { .. }) => Err(Error::TooEarly),
            other => other,
        }
    }

    /// [`UserOptions::failed_login_reset`](super::UserOptions::failed_login_reset)
    /// in milliseconds, never less than the longest lockout.
    fn failed_login_reset_ms(&self) -> i64 {
        let options = &self.inner.options;
        let reset = options.failed_login_reset.max(options.max_lockout);
        i64::try_from(reset.as_millis()).unwrap_or(i64::MAX)
    }

    /// Deletes the login counters that no longer hold anything back: the
    /// throttle's rows older than its interval, and the failures of
    /// identifiers that match no account once they are forgotten
    /// ([`UserOptions::failed_login_reset`](super::UserOptions::failed_login_reset)),
    /// which is when an account's are too: an identifier whose rows are gone
    /// answers as an account whose failures are forgotten. Logins call it
    /// at most once per `login_counter_purge_interval` on each instance;
    /// answers how many rows were deleted.
    ///
    /// # Errors
    ///
    /// A database error.
    pub async fn purge_login_counters(&self) -> Result<u64> {
        let now = chrono::Utc::now().timestamp_millis();
        let throttle =
            throttle_interval_ms(self.inner.options.min_time_between_login_attempts).unwrap_or(0);
        let db = &self.inner.db;
        let throttled = usage::purge_calls(db, LOGIN_KEY, now.saturating_sub(throttle)).await?;
        let failed = usage::purge_calls(
            db,
            UNKNOWN_FAILURES_KEY,
            now.saturating_sub(self.failed_login_reset_ms()),
        )
        .await?;
        Ok(throttled + failed)
    }

    /// Starts [`purge_login_counters`](Self::purge_login_counters) in the
    /// background when this instance last did more than
    /// `login_counter_purge_interval` before `now_ms`.
    fn purge_login_counters_now_and_then(&self, now_ms: i64) {
        let every = self.inner.options.login_counter_purge_interval;
        let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
        if !self.inner.last_counter_purge.claim(now_ms, every_ms) {
            return;
        }
        let users = self.clone();
        tokio::spawn(async move {
            if let Err(error) = users.purge_login_counters().await {
                tracing::warn!(%error, "login counters not purged");
            }
        });
    }

    pub(super) fn token_lifetime(&self, expires_in_sec: Option<i64>) -> Result<i64> {
        let max = self.inner.options.max_token_lifetime.as_secs() as i64;
        match expires_in_sec {
            None => Ok(self.inner.options.token_lifetime.as_secs() as i64),
            Some(value) if value <= 0 || value > max => Err(Error::InvalidExpiresIn { value, max }),
            Some(value) => Ok(value),
        }
    }

    /// Counts a failed login on `user` before its password is checked, on
    /// condition that the count is still below the threshold, or still the
    /// one read with `user` (whose lockout the caller checked). Failures
    /// already forgotten (see
    /// [`UserOptions::failed_login_reset`](super::UserOptions::failed_login_reset))
    /// start the count again at one, on condition that it is still the one
    /// read. `None` when another attempt changed the count first: read it
    /// again.
    async fn claim_account_check(
        &self,
        user: &AccountRow,
        now: DateTimeUtc,
    ) -> Result<Option<Claim>> {
        let read = user.failed_login_count.unwrap_or(0);
        let max = i64::from(self.inner.options.max_failed_logins);
        let count = || Expr::col(Col::FailedLoginCount).if_null(0);
        let forgotten = read > 0
            && account_failures(user).at(now.timestamp_millis(), self.failed_login_reset_ms())
                == Failures::default();
        let mut update = self.update_account(&user.id);
        if forgotten {
            update
                .value(Col::FailedLoginCount, 1i64)
                .and_where(count().eq(read));
        } else {
            update
                .value(Col::FailedLoginCount, count().add(1))
                .and_where(count().lt(max).or(count().eq(read)));
        }
        let changed = self
            .run_update(update.value(Col::LastLoginAttempt, now))
            .await?;
        #[cfg(test)]
        tests::count(&tests::FAILURE_WRITES);
        self.forget_cached(&user.id);
        Ok((changed > 0).then_some(Claim {
            previous_last: user.last_login_attempt,
            at: now,
        }))
    }

    /// Takes back the failure a claim counted, for an attempt whose password
    /// was right, then answers `err`. The last failure's time goes back to
    /// what it was unless another attempt has moved it since.
    async fn give_back<T>(&self, user_id: &str, claim: Claim, err: Error) -> Result<T> {
        let last = Expr::case(
            Expr::col(Col::LastLoginAttempt).eq(claim.at),
            Expr::val(claim.previous_last),
        )
        .finally(Expr::col(Col::LastLoginAttempt));
        let given_back = self
            .run_update(
                self.update_account(user_id)
                    .value(
                        Col::FailedLoginCount,
                        Expr::col(Col::FailedLoginCount).sub(1),
                    )
                    .value(Col::LastLoginAttempt, last)
                    .and_where(Expr::col(Col::FailedLoginCount).gt(0)),
            )
            .await;
        self.forget_cached(user_id);
        given_back?;
        Err(err)
    }

    /// Resets an account's failure counter and, with two-factor login,
    /// consumes the code, on condition that it is still the stored one.
    /// `false` when it no longer is (or the account is gone).
    async fn count_success(
        &self,
        user_id: &str,
        code_hash: Option<&str>,
        now: DateTimeUtc,
    ) -> Result<bool> {
        let mut update = self.update_account(user_id);
        update
            .value(Col::FailedLoginCount, 0i64)
            .value(Col::LastLoginAttempt, now);
        if let Some(code_hash) = code_hash {
            update
                .value(Col::LastTwoFACode, None::<String>)
                .and_where(Expr::col(Col::LastTwoFACode).eq(code_hash));
        }
        let changed = self.run_update(&update).await?;
        self.forget_cached(user_id);
        Ok(changed > 0)
    }

    /// Failed logins on an identifier that matched no account when tried.
    async fn identifier_failures(&self, login: &str) -> Result<Failures> {
        let row = usage::Entity::find_by_id((login.to_owned(), UNKNOWN_FAILURES_KEY.to_owned()))
            .one(&self.inner.db)
            .await?;
        Ok(row
            .map(|row| Failures {
                count: row.uses,
                last_ms: Some(row.last_call_ms),
            })
            .unwrap_or_default())
    }

    /// Counts a failed login on an identifier that matches no account, in
    /// one upsert, before its (dummy) password check: on condition that the
    /// count is below the threshold or still `read`, as for an account.
    /// `false` when another attempt changed the count first.
    async fn claim_identifier_check(
        &self,
        login: &str,
        read: Failures,
        now: DateTimeUtc,
    ) -> Result<bool> {
        use usage::Column;
        let now_ms = now.timestamp_millis();
        let max = i64::from(self.inner.options.max_failed_logins);
        let uses = || Expr::col((usage::Entity, Column::Uses));
        let stmt = Query::insert()
            .into_table(usage::Entity)
            .columns([
                Column::Subject,
                Column::Command,
                Column::Uses,
                Column::LastCallMs,
            ])
            .values_panic([
                login.into(),
                UNKNOWN_FAILURES_KEY.into(),
                1i64.into(),
                now_ms.into(),
            ])
            .on_conflict(
                OnConflict::columns([Column::Subject, Column::Command])
                    .value(
                        Column::Uses,
                        Expr::case(
                            Expr::col((usage::Entity, Column::LastCallMs))
                                .lte(now_ms.saturating_sub(self.failed_login_reset_ms())),
                            1i64,
                        )
                        .finally(uses().add(1)),
                    )
                    .value(Column::LastCallMs, now_ms)
                    .action_and_where(uses().lt(max).or(uses().eq(read.count)))
                    .to_owned(),
            )
            .to_owned();
        let changed = self.inner.db.execute(&stmt).await?.rows_affected();
        #[cfg(test)]
        tests::count(&tests::FAILURE_WRITES);
        Ok(changed > 0)
    }

    /// For a locked-out attempt, which claims nothing: the write a claim
    /// would make, leaving the row as it is, so that the attempt costs what
    /// a failed one does.
    async fn rewrite_failures(&self, user: Option<&AccountRow>, login: &str) -> Result<()> {
        use usage::Column;
        match user {
            Some(user) => {
                let same = Expr::col(Col::FailedLoginCount);
                self.run_update(
                    self.update_account(&user.id)
                        .value(Col::FailedLoginCount, same),
                )
                .await?;
            }
            None => {
                let stmt = Query::update()
                    .table(usage::Entity)
                    .value(Column::Uses, Expr::col(Column::Uses))
                    .and_where(Expr::col(Column::Subject).eq(login))
                    .and_where(Expr::col(Column::Command).eq(UNKNOWN_FAILURES_KEY))
                    .to_owned();
                self.inner.db.execute(&stmt).await?;
            }
        }
        #[cfg(test)]
        tests::count(&tests::FAILURE_WRITES);
        Ok(())
    }

    /// Replaces a hash made with other parameters, or imported from eicrud,
    /// by an argon2id hash with the current ones. `rvkd` is left alone: the
    /// password did not change, and the token being issued must stay valid.
    /// A failure here is logged and does not fail the login.
    async fn upgrade_hash(&self, user: &AccountRow, password: &str) {
        if !self.inner.hasher.needs_rehash(&user.password) {
            return;
        }
        let upgrade = async {
            let hash = self.inner.hasher.hash(password).await?;
            // Only if the password was not changed meanwhile.
            self.run_update(
                self.update_account(&user.id)
                    .value(Col::Password, hash)
                    .and_where(Expr::col(Col::Password).eq(user.password.as_str())),
            )
            .await?;
            self.forget_cached(&user.id);
            Ok::<_, Error>(())
        };
        if let Err(err) = upgrade.await {
            tracing::warn!(error = %err, user = %user.id, "password hash not upgraded");
        }
    }
}

fn account_failures(user: &AccountRow) -> Failures {
    Failures {
        count: user.failed_login_count.unwrap_or(0),
        last_ms: user.last_login_attempt.map(|t| t.timestamp_millis()),
    }
}

/// Milliseconds left before the next attempt is allowed, if `failures`
/// lock the identifier at `now_ms`: from `max_failed` failures on, each
/// waits `min(failures², max_lockout)` seconds after the last one (eicrud's
/// rule).
fn lockout_left_ms(
    failures: Failures,
    now_ms: i64,
    max_failed: u32,
    max_lockout: Duration,
) -> Option<i64> {
    if failures.count < i64::from(max_failed) {
        return None;
    }
    let last_ms = failures.last_ms?;
    let max_ms = i64::try_from(max_lockout.as_millis()).unwrap_or(i64::MAX);
    let squared_ms = failures
        .count
        .saturating_mul(failures.count)
        .saturating_mul(1000);
    let wait = std::cmp::min(squared_ms, max_ms);
    let left = wait.saturating_sub(now_ms.saturating_sub(last_ms));
    (left > 0).then_some(left)
}

/// The login throttle's interval in whole milliseconds, the unit of the
/// call counters: `None` for zero (no throttle), at least 1 otherwise, so
/// that an interval below a millisecond still throttles.
fn throttle_interval_ms(interval: Duration) -> Option<i64> {
    if interval.is_zero() {
        return None;
    }
    let ms = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
    Some(std::cmp::max(ms, 1))
}

/// Milliseconds to whole seconds, rounded half up as eicrud's `Math.round`.
fn round_seconds(ms: i64) -> u64 {
    u64::try_from(ms.saturating_add(500) / 1000).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::cell::Cell;
    use std::thread::LocalKey;

    thread_local! {
        /// Password checks made by logins on this thread (database tests run
        /// on a current-thread runtime).
        pub(super) static PASSWORD_CHECKS: Cell<u32> = const { Cell::new(0) };
        /// Writes of a failure count (claims, and their stand-ins for
        /// locked-out attempts) made by logins on this thread.
        pub(super) static FAILURE_WRITES: Cell<u32> = const { Cell::new(0) };
    }

    pub(super) fn count(counter: &'static LocalKey<Cell<u32>>) {
        counter.with(|n| n.set(n.get() + 1));
    }

    const FIVE_MINUTES: Duration = Duration::from_secs(300);

    fn failures(count: i64, last_ms: i64) -> Failures {
        Failures {
            count,
            last_ms: Some(last_ms),
        }
    }

    #[test]
    fn five_failures_do_not_lock() {
        assert_eq!(lockout_left_ms(failures(5, 0), 0, 6, FIVE_MINUTES), None);
    }

    #[test]
    fn six_failures_lock_for_36_seconds_after_the_last() {
        assert_eq!(
            lockout_left_ms(failures(6, 1_000), 1_000, 6, FIVE_MINUTES),
            Some(36_000)
        );
        assert_eq!(
            lockout_left_ms(failures(6, 1_000), 30_000, 6, FIVE_MINUTES),
            Some(7_000)
        );
        assert_eq!(
            lockout_left_ms(failures(6, 1_000), 37_000, 6, FIVE_MINUTES),
            None
        );
    }

    #[test]
    fn the_wait_grows_as_the_square_up_to_the_maximum() {
        assert_eq!(
            lockout_left_ms(failures(10, 0), 0, 6, FIVE_MINUTES),
            Some(100_000)
        );
        assert_eq!(
            lockout_left_ms(failures(18, 0), 0, 6, FIVE_MINUTES),
            Some(300_000)
        );
        assert_eq!(
            lockout_left_ms(failures(i64::MAX, 0), 0, 6, FIVE_MINUTES),
            Some(300_000)
        );
    }

    #[test]
    fn no_last_attempt_means_no_lock() {
        let never = Failures {
            count: 9,
            last_ms: None,
        };
        assert_eq!(lockout_left_ms(never, 0, 6, FIVE_MINUTES), None);
    }

    #[test]
    fn the_threshold_is_configurable() {
        assert_eq!(
            lockout_left_ms(failures(3, 0), 0, 3, FIVE_MINUTES),
            Some(9_000)
        );
        assert_eq!(lockout_left_ms(failures(3, 0), 0, 4, FIVE_MINUTES), None);
    }

    #[test]
    fn a_cadence_lets_one_start_per_interval() {
        let cadence = Cadence::default();
        assert!(cadence.claim(1_000_000, 60_000));
        assert!(!cadence.claim(1_000_001, 60_000));
        assert!(!cadence.claim(1_059_999, 60_000));
        assert!(cadence.claim(1_060_000, 60_000));
        assert!(!cadence.claim(1_060_000, 60_000));
    }

    #[test]
    fn failures_are_forgotten_once_the_reset_time_passed() {
        let failures = Failures {
            count: 9,
            last_ms: Some(1_000),
        };
        assert_eq!(failures.at(1_999, 1_000), failures);
        assert_eq!(failures.at(2_000, 1_000), Failures::default());
        assert_eq!(Failures::default().at(i64::MAX, 0), Failures::default());
    }

    #[test]
    fn the_throttle_counts_whole_milliseconds_and_zero_turns_it_off() {
        assert_eq!(throttle_interval_ms(Duration::ZERO), None);
        assert_eq!(throttle_interval_ms(Duration::from_micros(1)), Some(1));
        assert_eq!(throttle_interval_ms(Duration::from_micros(1_500)), Some(1));
        assert_eq!(throttle_interval_ms(Duration::from_millis(600)), Some(600));
        assert_eq!(throttle_interval_ms(Duration::MAX), Some(i64::MAX));
    }

    #[test]
    fn seconds_round_as_eicrud_does() {
        assert_eq!(round_seconds(36_000), 36);
        assert_eq!(round_seconds(35_500), 36);
        assert_eq!(round_seconds(35_499), 35);
        assert_eq!(round_seconds(400), 0);
    }

    mod service {
        //! The login flow on a real database (SQLite, and PostgreSQL when
        //! configured), through the service API, without the throttle.

        use std::sync::{Arc, Mutex};

        use chrono::Utc;
        use futures_util::future::BoxFuture;
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

        use crate::auth::{PasswordHasher, PasswordParams};
        use crate::context::{CrudContext, Verb};
        use crate::email::EmailService;
        use crate::error::{Error, Result};
        use crate::shared::user::{CreateAccountDto, LoginDto, USER_SERVICE};
        use crate::storage::{Db, ensure_table, truncate_to_millis};
        use crate::user::{CrudUserService, UserOptions, entity};

        const PASSWORD: &str = "pass-A-123456";

        /// Two-factor codes sent, by recipient; fails every send when `broken`.
        #[derive(Debug, Clone, Default)]
        struct Outbox {
            codes: Arc<Mutex<Vec<(String, String)>>>,
            broken: bool,
        }

        impl Outbox {
            fn codes(&self) -> Vec<(String, String)> {
                self.codes.lock().unwrap().clone()
            }
        }

        impl EmailService for Outbox {
            fn send_account_creation(&self, _to: &str) -> BoxFuture<'_, Result<()>> {
                Box::pin(async { Ok(()) })
            }
            fn send_verification(&self, _to: &str, _token: &str) -> BoxFuture<'_, Result<()>> {
                Box::pin(async { Ok(()) })
            }
            fn send_password_reset(&self, _to: &str, _token: &str) -> BoxFuture<'_, Result<()>> {
                Box::pin(async { Ok(()) })
            }
            fn send_two_factor(&self, to: &str, code: &str) -> BoxFuture<'_, Result<()>> {
                let sent = (to.to_owned(), code.to_owned());
                Box::pin(async move {
                    if self.broken {
                        return Err(Error::Internal("mail server down"));
                    }
                    self.codes.lock().unwrap().push(sent);
                    Ok(())
                })
            }
        }

        fn cheap() -> PasswordParams {
            PasswordParams {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            }
        }

        async fn users(db: &Db, outbox: Outbox) -> CrudUserService {
            ensure_table::<entity::Entity>(db).await.unwrap();
            ensure_table::<crate::command::usage::Entity>(db)
                .await
                .unwrap();
            let mut options = UserOptions::new("login unit tests");
            options.password = cheap();
            options.min_time_between_login_attempts = std::time::Duration::ZERO;
            CrudUserService::with_email(db.clone(), options, outbox).unwrap()
        }

        async fn account(users: &CrudUserService, email: &str) -> String {
            let dto = CreateAccountDto {
                email: email.to_owned(),
                password: PASSWORD.to_owned(),
                role: "user".to_owned(),
                username: None,
                log_me_in: None,
                profile: Default::default(),
            };
            let ctx = CrudContext::internal(Verb::Post, USER_SERVICE);
            users.create_account(dto, &ctx).await.unwrap().user_id
        }

        async fn row(users: &CrudUserService, id: &str) -> entity::Model {
            users.find_by_id(id).await.unwrap().unwrap()
        }

        async fn set(users: &CrudUserService, id: &str, column: entity::Column, value: Expr) {
            entity::Entity::update_many()
                .col_expr(column, value)
                .filter(entity::Column::Id.eq(id.to_owned()))
                .exec(&users.inner.db)
                .await
                .unwrap();
        }

        async fn login(
            users: &CrudUserService,
            email: &str,
            password: &str,
            code: Option<&str>,
        ) -> Result<String> {
            let dto = LoginDto {
                email: email.to_owned(),
                password: password.to_owned(),
                two_fa_code: code.map(str::to_owned),
                expires_in_sec: None,
            };
            users.login(dto).await.map(|answer| answer.access_token)
        }

        crate::db_test!(concurrent_claims_stop_at_the_threshold, |db| {
            let users = users(&db, Outbox::default()).await;
            let id = account(&users, "race@unit.test").await;
            let read = users.account(&id).await.unwrap().unwrap();
            let now = truncate_to_millis(Utc::now());
            let attempts = (0..12).map(|_| {
                let users = users.clone();
                let read = read.clone();
                tokio::spawn(async move { users.claim_account_check(&read, now).await })
            });
            let mut claimed = 0;
            for attempt in attempts.collect::<Vec<_>>() {
                if attempt.await.unwrap().unwrap().is_some() {
                    claimed += 1;
                }
            }
            assert_eq!(claimed, 6);
            assert_eq!(row(&users, &id).await.failed_login_count, Some(6));
        });

        crate::db_test!(a_claim_given_back_restores_the_row, |db| {
            let users = users(&db, Outbox::default()).await;
            let id = account(&users, "refund@unit.test").await;
            let before = row(&users, &id).await;
            let read = users.account(&id).await.unwrap().unwrap();
            let now = truncate_to_millis(Utc::now());
            let claim = users.claim_account_check(&read, now).await.unwrap();
            assert_eq!(row(&users, &id).await.failed_login_count, Some(1));
            let err = users
                .give_back::<()>(&id, claim.unwrap(), Error::TwoFaRequired)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::TwoFaRequired), "{err:?}");
            let after = row(&users, &id).await;
            assert_eq!(after.failed_login_count, Some(0));
            assert_eq!(after.last_login_attempt, before.last_login_attempt);
        });

        crate::db_test!(an_overloaded_login_counts_no_failure, |db| {
            ensure_table::<entity::Entity>(&db).await.unwrap();
            ensure_table::<crate::command::usage::Entity>(&db)
                .await
                .unwrap();
            let mut options = UserOptions::new("login unit tests");
            options.password = cheap();
            options.min_time_between_login_attempts = std::time::Duration::ZERO;
            options.password_hashing = crate::auth::HashingLimits {
                threads: 1,
                queue: 1,
            };
            let users =
                CrudUserService::with_email(db.clone(), options, Outbox::default()).unwrap();
            account(&users, "busy@unit.test").await;
            // Every place in the queue is taken.
            let held = users.inner.hasher.reserve().unwrap();
            for _ in 0..8 {
                for email in ["busy@unit.test", "nobody@unit.test"] {
                    let err = login(&users, email, "wrong-password", None)
                        .await
                        .unwrap_err();
                    assert!(matches!(err, Error::HashingOverloaded { .. }), "{err:?}");
                }
            }
            assert_eq!(row_failures(&users, "busy@unit.test").await, (0, None));
            assert_eq!(row_failures(&users, "nobody@unit.test").await, (0, None));
            assert_eq!(users.stats().hashing.rejected, 16);
            drop(held);
            login(&users, "busy@unit.test", PASSWORD, None)
                .await
                .expect("the account is not locked out");
        });

        crate::db_test!(a_password_longer_than_the_maximum_is_code_11, |db| {
            let users = users(&db, Outbox::default()).await;
            account(&users, "long@unit.test").await;
            let long = "p".repeat(users.options().password_max_length + 1);
            let err = login(&users, "long@unit.test", &long, None)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::PasswordTooLong), "{err:?}");
        });

        crate::db_test!(known_and_unknown_identifiers_lock_out_alike, |db| {
            let users = users(&db, Outbox::default()).await;
            account(&users, "known@unit.test").await;
            for _ in 0..6 {
                for email in ["known@unit.test", "unknown@unit.test"] {
                    let err = login(&users, email, "wrong-password", None)
                        .await
                        .unwrap_err();
                    assert!(matches!(err, Error::InvalidCredentials), "{email}: {err:?}");
                }
            }
            for email in ["known@unit.test", "unknown@unit.test"] {
                let err = login(&users, email, PASSWORD, None).await.unwrap_err();
                assert!(
                    matches!(err, Error::LockedOut { wait_seconds } if (1..=36).contains(&wait_seconds)),
                    "{email}: {err:?}"
                );
            }
        });

        crate::db_test!(a_locked_out_attempt_does_the_work_of_a_failed_one, |db| {
            let users = users(&db, Outbox::default()).await;
            account(&users, "locked@unit.test").await;
            // (password checks, failure-count writes)
            let work = || {
                (
                    super::PASSWORD_CHECKS.with(std::cell::Cell::get),
                    super::FAILURE_WRITES.with(std::cell::Cell::get),
                )
            };
            let done = |before: (u32, u32)| {
                let after = work();
                (after.0 - before.0, after.1 - before.1)
            };
            for email in ["locked@unit.test", "nobody@unit.test"] {
                for _ in 0..6 {
                    let before = work();
                    login(&users, email, "wrong-password", None)
                        .await
                        .unwrap_err();
                    assert_eq!(done(before), (1, 1), "{email}: a failed attempt");
                }
                let failures = row_failures(&users, email).await;
                for password in ["wrong-password", PASSWORD] {
                    let before = work();
                    let err = login(&users, email, password, None).await.unwrap_err();
                    assert!(matches!(err, Error::LockedOut { .. }), "{email}: {err:?}");
                    assert_eq!(done(before), (1, 1), "{email}: a locked-out attempt");
                }
                assert_eq!(
                    row_failures(&users, email).await,
                    failures,
                    "{email}: a locked-out attempt changes no count"
                );
            }
        });

        /// The failures counted on an account, or on an identifier that
        /// matches none: (count, last failure).
        async fn row_failures(users: &CrudUserService, email: &str) -> (i64, Option<i64>) {
            match users.account_where(super::Col::Email, email).await.unwrap() {
                Some(user) => {
                    let failures = super::account_failures(&user);
                    (failures.count, failures.last_ms)
                }
                None => {
                    let failures = users.identifier_failures(email).await.unwrap();
                    (failures.count, failures.last_ms)
                }
            }
        }

        crate::db_test!(
            an_identifier_locked_before_its_account_existed_stays_locked,
            |db| {
                let users = users(&db, Outbox::default()).await;
                for _ in 0..6 {
                    login(&users, "late@unit.test", "wrong-password", None)
                        .await
                        .unwrap_err();
                }
                account(&users, "late@unit.test").await;
                let err = login(&users, "late@unit.test", PASSWORD, None)
                    .await
                    .unwrap_err();
                assert!(matches!(err, Error::LockedOut { .. }), "{err:?}");
            }
        );

        crate::db_test!(eicrud_rehash_on_login_revoked_the_new_token, |db| {
            let users = users(&db, Outbox::default()).await;
            let id = account(&users, "rehash@unit.test").await;
            let old = PasswordHasher::new(PasswordParams {
                memory_kib: 128,
                ..cheap()
            })
            .unwrap();
            let old_hash = old.hash(PASSWORD).await.unwrap();
            set(
                &users,
                &id,
                entity::Column::Password,
                Expr::value(old_hash.clone()),
            )
            .await;
            let before = row(&users, &id).await;
            let token = login(&users, "rehash@unit.test", PASSWORD, None)
                .await
                .unwrap();
            let after = row(&users, &id).await;
            assert_ne!(after.password, old_hash);
            assert!(!users.hasher().needs_rehash(&after.password));
            assert_eq!(after.rvkd, before.rvkd);
            assert_eq!(users.authenticate(&token).await.unwrap().id, id);
            login(&users, "rehash@unit.test", PASSWORD, None)
                .await
                .unwrap();
        });

        crate::db_test!(bcrypt_hashes_from_eicrud_are_upgraded_at_login, |db| {
            let users = users(&db, Outbox::default()).await;
            let id = account(&users, "bcrypt@unit.test").await;
            // node `bcrypt` (eicrud's library): hashSync("eicrud-pass-1", 11)
            let eicrud = "$2b$11$caNL1dIP/1BQ4IjUo.cVA.C83v4mi5xWp5knXQldD1kqZomij7U9S";
            set(&users, &id, entity::Column::Password, Expr::value(eicrud)).await;
            let err = login(&users, "bcrypt@unit.test", PASSWORD, None)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::InvalidCredentials), "{err:?}");
            assert_eq!(
                row(&users, &id).await.password,
                eicrud,
                "a failure upgrades nothing"
            );
            let token = login(&users, "bcrypt@unit.test", "eicrud-pass-1", None)
                .await
                .unwrap();
            let upgraded = row(&users, &id).await.password;
            assert!(upgraded.starts_with("$argon2id$"), "{upgraded}");
            assert!(users.authenticate(&token).await.is_ok());
            login(&users, "bcrypt@unit.test", "eicrud-pass-1", None)
                .await
                .unwrap();
        });

        async fn two_factor_account(users: &CrudUserService, email: &str) -> String {
            let id = account(users, email).await;
            set(users, &id, entity::Column::TwoFA, Expr::value(true)).await;
            id
        }

        crate::db_test!(eicrud_sent_2fa_codes_before_checking_the_password, |db| {
            let outbox = Outbox::default();
            let users = users(&db, outbox.clone()).await;
            two_factor_account(&users, "tfa@unit.test").await;
            let err = login(&users, "tfa@unit.test", "wrong-password", None)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::InvalidCredentials), "{err:?}");
            assert!(outbox.codes().is_empty());
            let err = login(&users, "tfa@unit.test", PASSWORD, None)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::TwoFaRequired), "{err:?}");
            assert_eq!(outbox.codes().len(), 1);
            assert_eq!(outbox.codes()[0].0, "tfa@unit.test");
        });

        crate::db_test!(a_code_logs_in_once_and_is_stored_hashed, |db| {
            let outbox = Outbox::default();
            let users = users(&db, outbox.clone()).await;
            let id = two_factor_account(&users, "once@unit.test").await;
            login(&users, "once@unit.test", PASSWORD, None)
                .await
                .unwrap_err();
            let code = outbox.codes()[0].1.clone();
            let stored = row(&users, &id).await;
            assert_eq!(stored.two_f_a_code_count, Some(1));
            let hash = stored.last_two_f_a_code.unwrap();
            assert_ne!(hash, code);
            assert!(!hash.contains(&code));
            login(&users, "once@unit.test", PASSWORD, Some(&code))
                .await
                .unwrap();
            assert_eq!(row(&users, &id).await.last_two_f_a_code, None);
            let err = login(&users, "once@unit.test", PASSWORD, Some(&code))
                .await
                .unwrap_err();
            assert!(matches!(err, Error::InvalidCredentials), "{err:?}");
        });

        crate::db_test!(no_second_code_while_one_is_valid, |db| {
            let outbox = Outbox::default();
            let users = users(&db, outbox.clone()).await;
            two_factor_account(&users, "spam@unit.test").await;
            for _ in 0..3 {
                let err = login(&users, "spam@unit.test", PASSWORD, None)
                    .await
                    .unwrap_err();
                assert!(matches!(err, Error::TwoFaRequired), "{err:?}");
            }
            assert_eq!(outbox.codes().len(), 1);
        });

        crate::db_test!(wrong_codes_count_as_failed_logins, |db| {
            let outbox = Outbox::default();
            let users = users(&db, outbox.clone()).await;
            let id = two_factor_account(&users, "guess@unit.test").await;
            login(&users, "guess@unit.test", PASSWORD, None)
                .await
                .unwrap_err();
            let code = outbox.codes()[0].1.clone();
            let wrong = if code == "AAAAAA" { "BBBBBB" } else { "AAAAAA" };
            for n in 1..=6 {
                let err = login(&users, "guess@unit.test", PASSWORD, Some(wrong))
                    .await
                    .unwrap_err();
                assert!(matches!(err, Error::InvalidCredentials), "{err:?}");
                assert_eq!(row(&users, &id).await.failed_login_count, Some(n));
            }
            let err = login(&users, "guess@unit.test", PASSWORD, Some(&code))
                .await
                .unwrap_err();
            assert!(matches!(err, Error::LockedOut { .. }), "{err:?}");
        });

        crate::db_test!(an_expired_code_is_code_7_and_a_new_one_is_sent, |db| {
            let outbox = Outbox::default();
            let users = users(&db, outbox.clone()).await;
            let id = two_factor_account(&users, "late-code@unit.test").await;
            login(&users, "late-code@unit.test", PASSWORD, None)
                .await
                .unwrap_err();
            let code = outbox.codes()[0].1.clone();
            let sent = Utc::now() - chrono::Duration::minutes(16);
            set(
                &users,
                &id,
                entity::Column::LastTwoFACodeSent,
                Expr::value(sent),
            )
            .await;
            let err = login(&users, "late-code@unit.test", PASSWORD, Some(&code))
                .await
                .unwrap_err();
            assert!(matches!(err, Error::TwoFaCodeExpired), "{err:?}");
            assert_eq!(row(&users, &id).await.failed_login_count.unwrap_or(0), 0);
            login(&users, "late-code@unit.test", PASSWORD, None)
                .await
                .unwrap_err();
            assert_eq!(outbox.codes().len(), 2);
            let fresh = outbox.codes()[1].1.clone();
            login(&users, "late-code@unit.test", PASSWORD, Some(&fresh))
                .await
                .unwrap();
        });

        crate::db_test!(a_code_that_could_not_be_sent_is_withdrawn, |db| {
            let outbox = Outbox {
                broken: true,
                ..Outbox::default()
            };
            let users = users(&db, outbox).await;
            let id = two_factor_account(&users, "down@unit.test").await;
            let err = login(&users, "down@unit.test", PASSWORD, None)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::Internal(_)), "{err:?}");
            assert_eq!(row(&users, &id).await.last_two_f_a_code, None);
        });

        crate::db_test!(timed_out_accounts_answer_code_5_to_a_wrong_password, |db| {
            let users = users(&db, Outbox::default()).await;
            let id = account(&users, "timeout@unit.test").await;
            let until = Utc::now() + chrono::Duration::hours(1);
            set(&users, &id, entity::Column::Timeout, Expr::value(until)).await;
            let err = login(&users, "timeout@unit.test", "wrong-password", None)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::InvalidCredentials), "{err:?}");
            let err = login(&users, "timeout@unit.test", PASSWORD, None)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::TimedOut { .. }), "{err:?}");
        });
    }
}
