//! Cookie mode: the session in an HttpOnly cookie, bound to a CSRF token.
//!
//! A login with `options.jwtCookie` issues a token whose claims carry a
//! random `csrf` nonce, and sets two cookies: `eicrud-jwt` (the token,
//! HttpOnly) and `eicrud-csrf` (the hex HMAC of the nonce, readable by the
//! page). A request authenticated by a cookie-mode token must send the
//! `eicrud-csrf` cookie and an equal `eicrud-csrf` header on every method
//! but GET. The answer's token is `<jwt>#<nonce>`, as eicrud's.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::AccountService;
use crate::auth::Claims;
use crate::error::{Error, Result};

/// The session cookie's name.
pub(crate) const JWT_COOKIE: &str = "eicrud-jwt";
/// The CSRF cookie's and header's name.
pub(crate) const CSRF_COOKIE: &str = "eicrud-csrf";
/// The `Set-Cookie` value that clears the session cookie.
pub(crate) const CLEAR_JWT_COOKIE: &str = "eicrud-jwt=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax";

/// A cookie-mode session: the token, the nonce in its claims and the cookies to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CookieSession {
    pub(crate) token: String,
    pub(crate) nonce: String,
    pub(crate) set_cookies: [String; 2],
}

impl AccountService {
    /// The hex HMAC of a CSRF nonce, as the `eicrud-csrf` cookie holds it.
    pub(crate) fn csrf_token(&self, nonce: &str) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.inner.csrf_key.as_bytes()) {
            Ok(mac) => mac,
            Err(_) => unreachable_hmac(),
        };
        mac.update(nonce.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// Checks the double-submitted CSRF token of a non-GET request made with
    /// a cookie-mode token.
    pub(crate) fn check_csrf(
        &self,
        claims: &Claims,
        cookie: Option<&str>,
        header: Option<&str>,
    ) -> Result<()> {
        let Some(nonce) = &claims.csrf else {
            return Ok(());
        };
        let (Some(cookie), Some(header)) = (cookie, header) else {
            return Err(Error::CsrfMismatch);
        };
        if !bool::from(cookie.as_bytes().ct_eq(header.as_bytes())) {
            return Err(Error::CsrfMismatch);
        }
        if !bool::from(self.csrf_token(nonce).as_bytes().ct_eq(header.as_bytes())) {
            return Err(Error::CsrfJwtMismatch);
        }
        Ok(())
    }

    /// Signs a cookie-mode token with the same subject, counter and lifetime
    /// as `claims`, and the cookies that carry it.
    pub(crate) fn cookie_session(
        &self,
        claims: &Claims,
        max_age: Option<i64>,
    ) -> Result<CookieSession> {
        let nonce = random_nonce();
        let lifetime = claims.exp - claims.iat;
        let (token, _) =
            self.keys()
                .issue(&claims.id, claims.rvkd, lifetime, Some(nonce.clone()))?;
        let max_age = max_age
            .map(|secs| format!("; Max-Age={secs}"))
            .unwrap_or_default();
        let set_cookies = [
            format!("{JWT_COOKIE}={token}{max_age}; Path=/; HttpOnly; Secure; SameSite=Lax"),
            format!(
                "{CSRF_COOKIE}={}{max_age}; Path=/; Secure; SameSite=Lax",
                self.csrf_token(&nonce)
            ),
        ];
        Ok(CookieSession {
            token,
            nonce,
            set_cookies,
        })
    }
}

/// 128 bits from the OS generator, as 22 alphanumerics.
fn random_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let text = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes);
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { 'x' })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// HMAC-SHA256 accepts keys of any length.
fn unreachable_hmac() -> ! {
    unreachable!("HMAC-SHA256 takes keys of any length")
}

/// The value of a cookie in a `Cookie` header.
pub(crate) fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies() {
        let header = "eicrud-jwt=a.b.c; eicrud-csrf=0123; other=x";
        assert_eq!(cookie(header, JWT_COOKIE), Some("a.b.c"));
        assert_eq!(cookie(header, CSRF_COOKIE), Some("0123"));
        assert_eq!(cookie(header, "missing"), None);
    }

    #[test]
    fn the_clearing_cookie_names_the_session_cookie() {
        assert_eq!(cookie(CLEAR_JWT_COOKIE, JWT_COOKIE), Some(""));
        assert!(CLEAR_JWT_COOKIE.contains("Max-Age=0"));
    }

    #[test]
    fn nonces_are_alphanumeric_and_fresh() {
        let (a, b) = (random_nonce(), random_nonce());
        assert_eq!(a.len(), 22);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
