//! Token parsing: the `Authorization` header and the session cookie, then
//! the access token's verification.

use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::auth::{Claims, TokenKeys};
use crate::error::Error;
use crate::http::guard::{Credentials, basic, credentials};
use crate::user::cookies::{JWT_COOKIE, cookie};

/// The secret every token of the harness is checked with.
const SECRET: &str = "fuzzing secret";

/// The messages [`TokenKeys::verify`] documents.
const MESSAGES: [&str; 5] = [
    "jwt malformed",
    "invalid token",
    "invalid signature",
    "invalid algorithm",
    "jwt expired",
];

/// Verification keys for [`SECRET`] and the HMAC key they sign with,
/// derived here the way eicrud derives it (HKDF-SHA256, info `eicrud-jwt`,
/// 256 bytes in base64), independently of [`TokenKeys`].
fn keys() -> &'static (TokenKeys, Vec<u8>) {
    static KEYS: OnceLock<(TokenKeys, Vec<u8>)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let keys = TokenKeys::from_secret(SECRET).expect("a non-empty secret");
        let mut okm = [0u8; 256];
        Hkdf::<Sha256>::new(Some(&[]), SECRET.as_bytes())
            .expand(b"eicrud-jwt", &mut okm)
            .expect("256 bytes is a valid HKDF-SHA256 length");
        (keys, STANDARD.encode(okm).into_bytes())
    })
}

/// Reads `data` in one of three ways, chosen by its first byte:
///
/// - `0`: the rest is a token, verified as sent;
/// - `1`: the rest is `<header JSON>\n<payload JSON>`, signed with the right
///   key, so that verification reaches the header and payload checks;
/// - anything else: the rest is `<Authorization value>\n<Cookie value>`,
///   read as a request's credentials, and the token found there is verified.
///
/// Checks that verification answers one of the documented messages, accepts
/// a token only when its signature is right, accepts every well-formed
/// token it signs itself, and that the credentials found are parts of the
/// headers they came from.
pub fn token_parse(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode {
        0 => {
            if let Ok(token) = std::str::from_utf8(rest) {
                check_verify(token);
            }
        }
        1 => signed(rest),
        _ => headers(rest),
    }
}

/// Verifies `token`, checks the answer and returns the claims.
fn check_verify(token: &str) -> Option<Claims> {
    let (keys, hmac_key) = keys();
    match keys.verify(token) {
        Ok(claims) => {
            assert!(
                signature_is_right(hmac_key, token),
                "{token:?} accepted without its signature"
            );
            Some(claims)
        }
        Err(Error::InvalidToken(message)) => {
            assert!(MESSAGES.contains(&message), "{token:?}: {message}");
            if token.split('.').count() != 3 {
                assert_eq!(message, "jwt malformed", "{token:?}");
            }
            None
        }
        Err(other) => panic!("{token:?}: unexpected error {other:?}"),
    }
}

/// Whether the last part of `token` is the HMAC of the first two.
fn signature_is_right(hmac_key: &[u8], token: &str) -> bool {
    let Some((signed, signature)) = token.rsplit_once('.') else {
        return false;
    };
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(hmac_key) else {
        return false;
    };
    mac.update(signed.as_bytes());
    mac.verify_slice(&signature).is_ok()
}

/// A token header's algorithm.
#[derive(serde::Deserialize)]
struct Alg {
    alg: String,
}

/// A token payload's audience.
#[derive(serde::Deserialize)]
struct Audience {
    #[serde(default)]
    aud: Option<serde_json::Value>,
}

/// A token of the fuzzer's header and payload, rightly signed.
fn signed(rest: &[u8]) {
    let Some(newline) = rest.iter().position(|&b| b == b'\n') else {
        return;
    };
    let (header, payload) = (&rest[..newline], &rest[newline + 1..]);
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&keys().1) else {
        return;
    };
    mac.update(signed.as_bytes());
    let token = format!(
        "{signed}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    );
    let claims = check_verify(&token);

    // A rightly signed token whose header names HS256, with claims and no
    // audience, and an `exp` well ahead is accepted with those claims.
    let hs256 = serde_json::from_slice::<Alg>(header).is_ok_and(|h| h.alg == "HS256");
    let no_audience = serde_json::from_slice::<Audience>(payload)
        .is_ok_and(|p| p.aud.is_none_or(|aud| !aud.is_string() && !aud.is_array()));
    let expected = serde_json::from_slice::<Claims>(payload).ok();
    let now = chrono::Utc::now().timestamp();
    if let Some(expected) = expected.filter(|c| hs256 && no_audience && c.exp > now + 60) {
        assert_eq!(claims.as_ref(), Some(&expected), "{token:?}");
    }

    // Claims it accepted, signed again, are accepted again.
    if let Some(claims) = claims.filter(|c| c.exp > now + 60) {
        let Ok(again) = keys().0.sign(&claims) else {
            panic!("claims {claims:?} do not sign");
        };
        assert_eq!(check_verify(&again), Some(claims), "{again:?}");
    }
}

/// The credentials of a request with these `Authorization` and `Cookie`
/// values.
fn headers(rest: &[u8]) {
    let (authorization, cookies) = match rest.iter().position(|&b| b == b'\n') {
        Some(newline) => (&rest[..newline], &rest[newline + 1..]),
        None => (rest, &[][..]),
    };
    let mut map = HeaderMap::new();
    if !authorization.is_empty()
        && let Ok(value) = HeaderValue::from_bytes(authorization)
    {
        map.insert(header::AUTHORIZATION, value);
    }
    if let Ok(value) = HeaderValue::from_bytes(cookies) {
        map.insert(header::COOKIE, value);
    }
    let authorization = map.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let cookies = map.get(header::COOKIE).and_then(|v| v.to_str().ok());

    if let Some(cookies) = cookies
        && let Some(value) = cookie(cookies, JWT_COOKIE)
    {
        assert!(
            cookies.contains(&format!("{JWT_COOKIE}={value}")),
            "{value:?} is not in {cookies:?}"
        );
    }

    match credentials(&map) {
        Credentials::None => {}
        Credentials::Basic(encoded) => {
            let Some(authorization) = authorization else {
                panic!("Basic credentials without an Authorization header");
            };
            assert!(authorization.contains(encoded), "{encoded:?}");
            if let Some((login, password)) = basic(encoded) {
                assert!(!login.contains(':'), "{login:?}");
                let Ok(decoded) = STANDARD.decode(encoded) else {
                    panic!("{encoded:?} decoded once but not twice");
                };
                assert_eq!(decoded, format!("{login}:{password}").into_bytes());
            }
        }
        Credentials::Bearer(token) => {
            assert!(!token.is_empty() && token.trim() == token, "{token:?}");
            assert!(
                authorization.is_some_and(|a| a.contains(token)),
                "{token:?}"
            );
            check_verify(token);
        }
        Credentials::Cookie(token) => {
            assert!(authorization.is_none(), "the header comes first");
            assert!(!token.is_empty(), "an empty cookie is no credential");
            assert!(cookies.is_some_and(|c| c.contains(token)), "{token:?}");
            check_verify(token);
        }
    }
}
