//! What the user service has done since start, for metrics: logins by
//! outcome, the user cache and password hashing.

use std::sync::atomic::{AtomicU64, Ordering};

use super::AccountService;
pub use super::cache::UserCacheStats;
use crate::auth::HashingStats;
use crate::error::{Error, Result};

/// How a login attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoginOutcome {
    /// A token was issued.
    Success,
    /// Wrong password, unknown identifier or wrong two-factor code: one
    /// answer for all three, so one outcome.
    WrongPassword,
    /// Refused by the lockout after too many failures (429).
    Locked,
    /// Refused by the throttle: too soon after the previous attempt (425).
    Throttled,
    /// The password was right; a two-factor code was sent and is needed.
    TwoFactorRequired,
    /// The account is timed out by a moderator.
    TimedOut,
    /// Refused because password hashing was saturated (503).
    Overloaded,
    /// Anything else: invalid input, expired two-factor code, a database
    /// or mail error.
    Other,
}

impl LoginOutcome {
    /// Every outcome, in the order metrics list them.
    pub const ALL: [LoginOutcome; 8] = [
        LoginOutcome::Success,
        LoginOutcome::WrongPassword,
        LoginOutcome::Locked,
        LoginOutcome::Throttled,
        LoginOutcome::TwoFactorRequired,
        LoginOutcome::TimedOut,
        LoginOutcome::Overloaded,
        LoginOutcome::Other,
    ];

    /// The outcome's name in metrics (`wrong_password`, …).
    ///
    /// ```
    /// use ferrocrud::user::LoginOutcome;
    ///
    /// assert_eq!(LoginOutcome::TwoFactorRequired.as_str(), "two_factor_required");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            LoginOutcome::Success => "success",
            LoginOutcome::WrongPassword => "wrong_password",
            LoginOutcome::Locked => "locked",
            LoginOutcome::Throttled => "throttled",
            LoginOutcome::TwoFactorRequired => "two_factor_required",
            LoginOutcome::TimedOut => "timed_out",
            LoginOutcome::Overloaded => "overloaded",
            LoginOutcome::Other => "other",
        }
    }

    /// The outcome of a login's answer.
    pub(crate) fn of<T>(answer: &Result<T>) -> Self {
        match answer {
            Ok(_) => LoginOutcome::Success,
            Err(Error::InvalidCredentials | Error::WrongPassword) => LoginOutcome::WrongPassword,
            Err(Error::LockedOut { .. }) => LoginOutcome::Locked,
            Err(Error::TooEarly) => LoginOutcome::Throttled,
            Err(Error::TwoFaRequired) => LoginOutcome::TwoFactorRequired,
            Err(Error::TimedOut { .. }) => LoginOutcome::TimedOut,
            Err(Error::HashingOverloaded { .. }) => LoginOutcome::Overloaded,
            Err(_) => LoginOutcome::Other,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Login attempts by outcome, counted as they end.
#[derive(Debug, Default)]
pub(crate) struct LoginCounters([AtomicU64; LoginOutcome::ALL.len()]);

impl LoginCounters {
    pub(crate) fn count(&self, outcome: LoginOutcome) {
        self.0[outcome.index()].fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self, outcome: LoginOutcome) -> u64 {
        self.0[outcome.index()].load(Ordering::Relaxed)
    }
}

/// What a user service has done since start ([`AccountService::stats`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserServiceStats {
    /// Login attempts by outcome, in [`LoginOutcome::ALL`]'s order.
    pub logins: Vec<(LoginOutcome, u64)>,
    /// The user cache of token checks.
    pub cache: UserCacheStats,
    /// Password hashing.
    pub hashing: HashingStats,
}

impl AccountService {
    /// Logins by outcome, the user cache and password hashing so far.
    pub fn stats(&self) -> UserServiceStats {
        UserServiceStats {
            logins: LoginOutcome::ALL
                .iter()
                .map(|&outcome| (outcome, self.inner.logins.get(outcome)))
                .collect(),
            cache: self.inner.cache.stats(),
            hashing: self.inner.hasher.stats(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_follow_the_answer() {
        let cases = [
            (Ok(()), LoginOutcome::Success),
            (Err(Error::InvalidCredentials), LoginOutcome::WrongPassword),
            (
                Err(Error::LockedOut { wait_seconds: 3 }),
                LoginOutcome::Locked,
            ),
            (Err(Error::TooEarly), LoginOutcome::Throttled),
            (Err(Error::TwoFaRequired), LoginOutcome::TwoFactorRequired),
            (
                Err(Error::HashingOverloaded {
                    retry_after: std::time::Duration::from_secs(1),
                }),
                LoginOutcome::Overloaded,
            ),
            (Err(Error::Internal("x")), LoginOutcome::Other),
        ];
        for (answer, outcome) in cases {
            assert_eq!(LoginOutcome::of(&answer), outcome, "{answer:?}");
        }
    }

    #[test]
    fn every_outcome_has_its_own_counter() {
        let counters = LoginCounters::default();
        for (n, outcome) in LoginOutcome::ALL.iter().enumerate() {
            assert_eq!(outcome.index(), n);
            counters.count(*outcome);
        }
        counters.count(LoginOutcome::Locked);
        assert_eq!(counters.get(LoginOutcome::Locked), 2);
        assert_eq!(counters.get(LoginOutcome::Success), 1);
    }
}
