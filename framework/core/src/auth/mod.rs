//! Authentication: password hashing and access tokens.
//!
//! - [`PasswordHasher`]: argon2id off the async runtime, with bounded
//!   concurrency and the same work for unknown users as for wrong passwords.
//! - [`TokenKeys`] and [`Claims`]: HS256 access tokens with eicrud's payload
//!   (`rvkd`, `id`, `iat`, `exp`, optional `csrf`) and revocation counter.

mod password;
mod token;

pub use self::password::{HashSlot, HashingLimits, HashingStats, PasswordHasher, PasswordParams};
pub use self::token::{Claims, TokenKeys};
