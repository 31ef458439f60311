//! Authentication of a request: from its headers to a [`CrudContext`].

use std::sync::Arc;

use axum::http::{HeaderMap, header};

use super::error::ApiError;
use crate::app::AppState;
use crate::context::{CrudContext, Verb};
use crate::error::Error;

/// The context of a request: the user its bearer token stands for, or a guest.
///
/// A missing token means a guest; a bad, revoked or timed-out one is a 401
/// that clears the session cookie.
pub(crate) async fn context(
    state: &AppState,
    headers: &HeaderMap,
    verb: Verb,
    service: &str,
) -> Result<CrudContext, ApiError> {
    let Some(token) = bearer(headers) else {
        return Ok(CrudContext::guest(
            state.authorizer.roles().guest_role(),
            verb,
            service,
        ));
    };
    let users = state
        .users
        .as_ref()
        .ok_or_else(|| ApiError::from_guard(Error::InvalidToken("invalid token")))?;
    let user = users
        .authenticate(token)
        .await
        .map_err(ApiError::from_guard)?;
    let mut ctx = CrudContext::for_user(Arc::new(user), verb, service);
    ctx.secure = verb == Verb::Post;
    Ok(ctx)
}

/// The token of an `Authorization` header. As in eicrud, any scheme word
/// (usually `Bearer`) introduces a token; a header without one carries none.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (_scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn reads_bearer_tokens() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc.def.ghi"),
        );
        assert_eq!(bearer(&headers), Some("abc.def.ghi"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&headers), None);
    }
}
