//! HS256 access tokens with eicrud's payload and key derivation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::{Error, Result, SetupError};

/// The payload of an access token, in eicrud's key order.
///
/// A token is valid while its `rvkd` equals the user's revocation counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's revocation counter when the token was issued.
    #[serde(default)]
    pub rvkd: Option<i64>,
    /// The user's id.
    pub id: String,
    /// The CSRF nonce, for tokens issued in cookie mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf: Option<String>,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
}

/// Signing and verification keys for access tokens, built once at start.
///
/// The HMAC key is derived from the configured secret exactly as eicrud does
/// (the base64 text of HKDF-SHA256 with info `eicrud-jwt`, 256 bytes), so
/// tokens issued by an eicrud server with the same secret stay valid after a
/// move to ferrocrud.
///
/// ```
/// use ferrocrud::auth::TokenKeys;
///
/// let keys = TokenKeys::from_secret("a long random secret").unwrap();
/// let (token, claims) = keys.issue("user-1", None, 1800, None).unwrap();
/// assert_eq!(keys.verify(&token).unwrap(), claims);
/// assert_eq!(keys.verify("not.a.jwt").unwrap_err().to_string(), "invalid token");
/// ```
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    /// HMAC-SHA256 keyed with the derived key, ready to take a message. The
    /// key (344 bytes) is longer than a SHA-256 block, so keying hashes it:
    /// done once here rather than on every verification.
    verifier: Hmac<Sha256>,
    derived: String,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Derives the keys from the configured secret.
    ///
    /// # Errors
    ///
    /// [`SetupError::InvalidSetting`] when the secret is empty.
    pub fn from_secret(secret: &str) -> Result<Self> {
        if secret.is_empty() {
            return Err(SetupError::InvalidSetting {
                name: "jwt secret",
                reason: "must not be empty".into(),
            }
            .into());
        }
        let derived = derive(secret.as_bytes(), b"eicrud-jwt")?;
        let verifier = Hmac::<Sha256>::new_from_slice(derived.as_bytes())
            .map_err(|_| Error::Internal("HMAC key rejected"))?;
        Ok(Self {
            encoding: EncodingKey::from_secret(derived.as_bytes()),
            verifier,
            derived,
        })
    }

    /// A key for another purpose derived from the token key (eicrud derives
    /// its CSRF key this way, with info `eicrud-csrf`).
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] if the derivation fails (it cannot for these lengths).
    pub fn derive_subkey(&self, info: &str) -> Result<String> {
        derive(self.derived.as_bytes(), info.as_bytes())
    }

    /// Signs a token for a user, valid `lifetime_secs` from now.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] if signing fails.
    pub fn issue(
        &self,
        user_id: &str,
        rvkd: Option<i64>,
        lifetime_secs: i64,
        csrf: Option<String>,
    ) -> Result<(String, Claims)> {
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            rvkd,
            id: user_id.to_owned(),
            csrf,
            iat,
            exp: iat + lifetime_secs,
        };
        let token = self.sign(&claims)?;
        Ok((token, claims))
    }

    /// Signs the given claims.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] if signing fails.
    pub fn sign(&self, claims: &Claims) -> Result<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|_| Error::Internal("token signing failed"))
    }

    /// Checks a token's signature and expiry and returns its claims.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`] with the message eicrud's clients see:
    /// `jwt malformed`, `invalid token`, `invalid signature`, `invalid algorithm`
    /// or `jwt expired` (from the second `exp` names on, as Node's
    /// `jsonwebtoken`).
    pub fn verify(&self, token: &str) -> Result<Claims> {
        // The checks, in order, of `jsonwebtoken::decode` with HS256 only,
        // `exp` required and no leeway (the tests hold the two together),
        // on a reused HMAC state.
        let Some((header_part, payload_part, signature)) = split_token(token) else {
            return Err(Error::InvalidToken("jwt malformed"));
        };
        decoded(header_part, |bytes| {
            let header: JoseHeader<'_> = serde_json::from_slice(bytes).ok()?;
            Some(match &*header.alg {
                "HS256" => Ok(()),
                other if KNOWN_ALGORITHMS.contains(&other) => {
                    Err(Error::InvalidToken("invalid algorithm"))
                }
                _ => Err(Error::InvalidToken("invalid token")),
            })
        })??;
        let mut mac = self.verifier.clone();
        mac.update(&token.as_bytes()[..header_part.len() + 1 + payload_part.len()]);
        decoded(signature, |signature| Some(mac.verify_slice(signature)))?
            .map_err(|_| Error::InvalidToken("invalid signature"))?;
        let payload: Payload = decoded(payload_part, |bytes| serde_json::from_slice(bytes).ok())?;
        payload.into_claims(now_secs())
    }
}

/// A compact JWS's three parts: exactly two dots.
fn split_token(token: &str) -> Option<(&str, &str, &str)> {
    let first = memchr::memchr(b'.', token.as_bytes())?;
    let (header, rest) = (&token[..first], &token[first + 1..]);
    let second = memchr::memchr(b'.', rest.as_bytes())?;
    let (payload, signature) = (&rest[..second], &rest[second + 1..]);
    if memchr::memchr(b'.', signature.as_bytes()).is_some() {
        return None;
    }
    Some((header, payload, signature))
}

/// Algorithm names `jsonwebtoken` knows: a token naming another is not a
/// token at all ("invalid token"), one naming these is "invalid algorithm".
const KNOWN_ALGORITHMS: [&str; 12] = [
    "HS256", "HS384", "HS512", "ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "PS384",
    "PS512", "EdDSA",
];

/// The part of a token's header the checks read.
#[derive(Deserialize)]
struct JoseHeader<'a> {
    #[serde(borrow)]
    alg: std::borrow::Cow<'a, str>,
}

/// A token's payload with what validation reads beside the claims.
#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    rvkd: Option<i64>,
    id: String,
    #[serde(default)]
    csrf: Option<String>,
    iat: i64,
    exp: i64,
    /// Any audience is refused: these tokens are issued without one.
    #[serde(default)]
    aud: Option<serde_json::Value>,
}

impl Payload {
    fn into_claims(self, now: i64) -> Result<Claims> {
        let names_an_audience = match &self.aud {
            Some(serde_json::Value::String(_)) => true,
            Some(serde_json::Value::Array(items)) => items.iter().all(serde_json::Value::is_string),
            _ => false,
        };
        if self.exp < 0 || names_an_audience {
            return Err(Error::InvalidToken("invalid token"));
        }
        // As Node's `jsonwebtoken`, which eicrud uses: expired from the
        // second `exp` on.
        if self.exp <= now {
            return Err(Error::InvalidToken("jwt expired"));
        }
        Ok(Claims {
            rvkd: self.rvkd,
            id: self.id,
            csrf: self.csrf,
            iat: self.iat,
            exp: self.exp,
        })
    }
}

/// Decodes a base64url part of a token and reads it with `read`; `None` from
/// either is an invalid token. Parts of the usual size are decoded on the
/// stack, longer ones on the heap.
fn decoded<T>(part: &str, read: impl FnOnce(&[u8]) -> Option<T>) -> Result<T> {
    let mut stack = [0u8; 512];
    let read = if base64::decoded_len_estimate(part.len()) <= stack.len() {
        let len = URL_SAFE_NO_PAD.decode_slice(part, &mut stack).ok();
        len.and_then(|len| read(&stack[..len]))
    } else {
        let bytes = URL_SAFE_NO_PAD.decode(part).ok();
        bytes.and_then(|bytes| read(&bytes))
    };
    read.ok_or(Error::InvalidToken("invalid token"))
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

fn derive(ikm: &[u8], info: &[u8]) -> Result<String> {
    let hkdf = Hkdf::<Sha256>::new(Some(&[]), ikm);
    let mut okm = [0u8; 256];
    hkdf.expand(info, &mut okm)
        .map_err(|_| Error::Internal("key derivation failed"))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(okm))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::from_secret("test secret").unwrap()
    }

    proptest::proptest! {
        #[test]
        fn split_token_agrees_with_splitting_on_dots(token in "[a-z.é]{0,12}") {
            let mut parts = token.split('.');
            let expected = match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(a), Some(b), Some(c), None) => Some((a, b, c)),
                _ => None,
            };
            proptest::prop_assert_eq!(split_token(&token), expected);
        }
    }

    #[test]
    fn payload_keeps_eicrud_key_order() {
        let keys = keys();
        let (token, _) = keys.issue("u1", None, 1800, None).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        let text = String::from_utf8(json).unwrap();
        assert!(
            text.starts_with(r#"{"rvkd":null,"id":"u1","iat":"#),
            "{text}"
        );
    }

    #[test]
    fn tampered_payload_is_an_invalid_signature() {
        let keys = keys();
        let (token, _) = keys.issue("u1", None, 1800, None).unwrap();
        let (other, _) = keys.issue("u2", None, 1800, None).unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        let other_payload = other.split('.').nth(1).unwrap().to_owned();
        parts[1] = &other_payload;
        let forged = parts.join(".");
        assert_eq!(
            keys.verify(&forged).unwrap_err().to_string(),
            "invalid signature"
        );
    }

    #[test]
    fn expired_token_is_refused() {
        let keys = keys();
        let (token, _) = keys.issue("u1", Some(1), -10, None).unwrap();
        assert_eq!(keys.verify(&token).unwrap_err().to_string(), "jwt expired");
    }

    #[test]
    fn a_token_is_expired_from_the_second_of_its_exp() {
        let payload = |exp| Payload {
            rvkd: None,
            id: "u1".into(),
            csrf: None,
            iat: 0,
            exp,
            aud: None,
        };
        assert!(payload(1_000).into_claims(999).is_ok());
        assert_eq!(
            payload(1_000).into_claims(1_000).unwrap_err().to_string(),
            "jwt expired"
        );
    }

    #[test]
    fn other_secret_is_an_invalid_signature() {
        let (token, _) = keys().issue("u1", None, 60, None).unwrap();
        let other = TokenKeys::from_secret("other").unwrap();
        assert_eq!(
            other.verify(&token).unwrap_err().to_string(),
            "invalid signature"
        );
    }

    #[test]
    fn malformed_and_garbage_tokens() {
        assert_eq!(
            keys().verify("abc").unwrap_err().to_string(),
            "jwt malformed"
        );
        assert_eq!(
            keys().verify("not.a.jwt").unwrap_err().to_string(),
            "invalid token"
        );
    }

    /// A token issued by an eicrud 0.9.8 server with this secret: ferrocrud
    /// derives the same signing key, so eicrud sessions survive a move.
    #[test]
    fn key_derivation_matches_eicrud() {
        let secret = "vclwHIBsvDO0CJCiHkLd1Y8KatF3HGneA78ZMfvIcOyT3pyop2ZIZEdCCumYFmjDL2p1GTXPkn8jcaO+y26tUA==";
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6IjYwZWJiOWIyNmUxZGI0MzJjOTRjMGNhZiIsImlhdCI6MTc5NTQ0NzAzMiwiZXhwIjoxNzk1NDQ4ODMyfQ.AMdVhb51Zjy9KwnM4CfRH8CQeHbG9qd1NaOj3NbDwsw";
        let keys = TokenKeys::from_secret(secret).unwrap();
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(keys.derived.as_bytes()).unwrap();
        mac.update(signed.as_bytes());
        let ours =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        assert_eq!(ours, signature);
    }

    /// `verify` answers as `jsonwebtoken::decode` with the validation it
    /// replaces, on tokens good and bad.
    #[test]
    fn agrees_with_jsonwebtoken() {
        use jsonwebtoken::{DecodingKey, Validation};
        use serde_json::json;

        let keys = keys();
        let key = EncodingKey::from_secret(keys.derived.as_bytes());
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        let decoding = DecodingKey::from_secret(keys.derived.as_bytes());
        let reference = |token: &str| -> std::result::Result<Claims, &'static str> {
            use jsonwebtoken::errors::ErrorKind;
            if token.split('.').count() != 3 {
                return Err("jwt malformed");
            }
            jsonwebtoken::decode::<Claims>(token, &decoding, &validation)
                .map_err(|err| match err.kind() {
                    ErrorKind::InvalidSignature => "invalid signature",
                    ErrorKind::ExpiredSignature => "jwt expired",
                    ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                        "invalid algorithm"
                    }
                    _ => "invalid token",
                })
                .and_then(|data| {
                    // Node's jsonwebtoken, which eicrud uses, refuses a token
                    // from the second `exp` on; the Rust crate a second later.
                    if data.claims.exp <= chrono::Utc::now().timestamp() {
                        Err("jwt expired")
                    } else {
                        Ok(data.claims)
                    }
                })
        };
        let now = chrono::Utc::now().timestamp();
        let sign = |alg: Algorithm, claims: serde_json::Value| {
            jsonwebtoken::encode(&Header::new(alg), &claims, &key).unwrap()
        };
        let hand = |header: &str, payload: &str| {
            let signed = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(payload)
            );
            let mut mac = keys.verifier.clone();
            mac.update(signed.as_bytes());
            format!(
                "{signed}.{}",
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            )
        };
        let valid = json!({"rvkd": 2, "id": "u1", "iat": now, "exp": now + 60});
        let (issued, _) = keys.issue("u1", Some(3), 60, Some("nonce".into())).unwrap();
        let tokens = vec![
            issued.clone(),
            sign(Algorithm::HS256, valid.clone()),
            sign(Algorithm::HS512, valid.clone()),
            sign(
                Algorithm::HS256,
                json!({"id": "u1", "iat": now, "exp": now - 1}),
            ),
            sign(
                Algorithm::HS256,
                json!({"id": "u1", "iat": now, "exp": now}),
            ),
            sign(Algorithm::HS256, json!({"id": "u1", "iat": now})),
            sign(Algorithm::HS256, json!({"id": "u1", "iat": now, "exp": -5})),
            sign(
                Algorithm::HS256,
                json!({"id": "u1", "iat": now, "exp": "soon"}),
            ),
            sign(
                Algorithm::HS256,
                json!({"id": 7, "iat": now, "exp": now + 60}),
            ),
            sign(
                Algorithm::HS256,
                json!({"id": "u1", "iat": now, "exp": now + 60, "aud": "x"}),
            ),
            sign(
                Algorithm::HS256,
                json!({"id": "u1", "iat": now, "exp": now + 60, "aud": ["x"]}),
            ),
            sign(
                Algorithm::HS256,
                json!({"id": "u1", "iat": now, "exp": now + 60, "aud": []}),
            ),
            sign(
                Algorithm::HS256,
                json!({"id": "u1", "iat": now, "exp": now + 60, "aud": null}),
            ),
            sign(
                Algorithm::HS256,
                json!({"id": "u1", "iat": now, "exp": now + 60, "other": 1}),
            ),
            hand(r#"{"alg":"none"}"#, &valid.to_string()),
            hand(r#"{"alg":"HS256"}"#, &valid.to_string()),
            hand(r#"{"typ":"JWT"}"#, &valid.to_string()),
            hand("not json", &valid.to_string()),
            hand(r#"{"alg":"HS256"}"#, "not json"),
            format!("{}x", issued),
            issued.replacen('.', ".x", 1),
            format!("{}.", issued),
            "a.b".to_owned(),
            "a.b.c".to_owned(),
            "..".to_owned(),
            String::new(),
        ];
        for token in tokens {
            let ours = keys.verify(&token).map_err(|err| match err {
                Error::InvalidToken(message) => message,
                other => panic!("unexpected error {other:?}"),
            });
            assert_eq!(ours, reference(&token), "token {token}");
        }
    }

    #[test]
    fn empty_secret_is_refused() {
        assert!(TokenKeys::from_secret("").is_err());
    }
}
