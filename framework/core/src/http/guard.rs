//! Authentication of a request: from its headers to a [`CrudContext`].
//!
//! Credentials, in order: `Authorization: Basic` (a login for this request
//! only, through every login check), `Authorization: <scheme> <token>`
//! (usually `Bearer`), then the `eicrud-jwt` cookie. A token carrying a CSRF
//! nonce (cookie mode) needs the double-submitted CSRF token on every method
//! but GET, and a cookie must hold such a token: a plain token placed in the
//! cookie is refused, so cookie sessions always have their CSRF protection.

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use base64::Engine as _;

use super::error::ApiError;
use crate::app::AppState;
use crate::context::{CrudContext, CurrentUser, Verb};
use crate::error::{Error, Result};
use crate::user::AccountService;
use crate::user::cookies::{CSRF_COOKIE, JWT_COOKIE, cookie};

/// What the request presented to prove who it is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Credentials<'a> {
    None,
    Basic(&'a str),
    Bearer(&'a str),
    Cookie(&'a str),
}

/// The context of a request: the user its credentials stand for, or a guest.
///
/// No credentials means a guest; bad, revoked or timed-out ones are a 401
/// that clears the session cookie.
pub(crate) async fn context(
    state: &AppState,
    headers: &HeaderMap,
    verb: Verb,
    service: &str,
) -> Result<CrudContext, ApiError> {
    let credentials = credentials(headers);
    if credentials == Credentials::None {
        return Ok(CrudContext::guest(
            state.authorizer.roles().guest_role(),
            verb,
            service,
        ));
    }
    let users = state
        .users
        .as_ref()
        .ok_or_else(|| ApiError::from_guard(Error::InvalidToken("invalid token")))?;
    let mut user = authenticate(users, headers, verb, credentials)
        .await
        .map_err(ApiError::from_guard)?;
    if state
        .authorizer
        .roles()
        .role(&user.role)
        .is_some_and(|role| role.no_token_refresh)
    {
        user.no_token_refresh = true;
    }
    super::request_id::record_user(&user.id);
    let mut ctx = CrudContext::for_user(Arc::new(user), verb, service);
    ctx.secure = verb == Verb::Post;
    Ok(ctx)
}

/// Applies `options.mockRole`: a user whose role may mock (`Role::can_mock`)
/// acts as that role, which must be the role itself or one it inherits;
/// anything else is refused, never ignored.
pub(crate) fn apply_mock_role(state: &AppState, ctx: &mut CrudContext) -> Result<()> {
    let Some(mock) = ctx.options.mock_role.as_deref() else {
        return Ok(());
    };
    let roles = state.authorizer.roles();
    let allowed = ctx.user.is_some()
        && roles.role(ctx.role()).is_some_and(|role| role.can_mock)
        && roles
            .walk(ctx.role())
            .is_some_and(|walk| walk.iter().any(|name| &**name == mock));
    if !allowed {
        return Err(Error::MockRoleRefused(mock.to_owned()));
    }
    ctx.role = mock.to_owned();
    Ok(())
}

async fn authenticate(
    users: &AccountService,
    headers: &HeaderMap,
    verb: Verb,
    credentials: Credentials<'_>,
) -> Result<CurrentUser> {
    let (token, from_cookie) = match credentials {
        Credentials::None => return Err(Error::NotAuthenticated),
        Credentials::Basic(encoded) => {
            let (login, password) = basic(encoded).ok_or(Error::InvalidCredentials)?;
            if login.contains('\0') || password.contains('\0') {
                // PostgreSQL's text cannot hold one: refused before any statement.
                return Err(Error::BadRequest(
                    "Basic credentials must not contain a NUL character",
                ));
            }
            return users.authenticate_basic(&login, &password).await;
        }
        Credentials::Bearer(token) => (token, false),
        Credentials::Cookie(token) => (token, true),
    };
    let claims = users.keys().verify(token)?;
    if from_cookie && claims.csrf.is_none() {
        return Err(Error::CsrfMismatch);
    }
    if verb != Verb::Get {
        let cookies = headers
            .get(header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let header = headers.get(CSRF_COOKIE).and_then(|v| v.to_str().ok());
        users.check_csrf(&claims, cookie(cookies, CSRF_COOKIE), header)?;
    }
    users.authenticate_claims(claims).await
}

pub(crate) fn credentials(headers: &HeaderMap) -> Credentials<'_> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        // As in eicrud, any scheme word but `Basic` introduces a token; a
        // header without one carries none.
        return match value.trim().split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => {
                Credentials::Basic(rest.trim())
            }
            Some((_, token)) if !token.trim().is_empty() => Credentials::Bearer(token.trim()),
            _ => Credentials::None,
        };
    }
    let cookies = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match cookie(cookies, JWT_COOKIE) {
        Some(token) if !token.is_empty() => Credentials::Cookie(token),
        _ => Credentials::None,
    }
}

/// `base64(login:password)` → (login, password).
pub(crate) fn basic(encoded: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (login, password) = text.split_once(':')?;
    Some((login.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn reads_credentials() {
        assert_eq!(credentials(&headers(&[])), Credentials::None);
        assert_eq!(
            credentials(&headers(&[("authorization", "Bearer a.b.c")])),
            Credentials::Bearer("a.b.c")
        );
        assert_eq!(
            credentials(&headers(&[("authorization", "Bearer ")])),
            Credentials::None
        );
        assert_eq!(
            credentials(&headers(&[("authorization", "Basic dTpw")])),
            Credentials::Basic("dTpw")
        );
        assert_eq!(
            credentials(&headers(&[("cookie", "x=1; eicrud-jwt=a.b.c")])),
            Credentials::Cookie("a.b.c")
        );
        assert_eq!(
            credentials(&headers(&[
                ("authorization", "Bearer t.o.k"),
                ("cookie", "eicrud-jwt=a.b.c")
            ])),
            Credentials::Bearer("t.o.k"),
            "the header wins over the cookie"
        );
    }

    #[test]
    fn decodes_basic() {
        assert_eq!(basic("dTpwOnc="), Some(("u".into(), "p:w".into())));
        assert_eq!(basic("not base64!"), None);
        assert_eq!(basic("bm9jb2xvbg=="), None);
    }
}
