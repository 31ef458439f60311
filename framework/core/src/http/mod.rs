//! HTTP: eicrud's routes, wire codec and errors.
//!
//! One generic router serves every service:
//!
//! | route | operation |
//! |---|---|
//! | `POST /crud/s/:service/one`, `/batch` | create, createBatch (201) |
//! | `GET /crud/s/:service/one`, `/many`, `/in`, `/ids` | findOne, find, findIn, findIds |
//! | `PATCH /crud/s/:service/one`, `/many`, `/in`, `/batch` | patchOne, patch, patchIn, patchBatch |
//! | `DELETE /crud/s/:service/one`, `/many`, `/in` | deleteOne, delete, deleteIn |
//! | `POST`, `PATCH`, `GET /crud/s/:service/cmd/:cmd` | a command (secure, normal, GET mode) |
//! | `GET /crud/rdy` | eicrud's readiness: `true` |
//! | `GET /crud/health/live`, `/crud/health/ready` | liveness; readiness with its checks (database, user listener, draining) |
//!
//! `query` and `options` travel as JSON texts in the query string; bodies
//! are JSON. Only this module knows statuses and wire bodies.

mod authorize;
mod cmd;
pub(crate) mod crud;
mod error;
pub(crate) mod guard;
pub(crate) mod health;
mod params;
pub mod request_id;
pub(crate) mod serve;

use std::borrow::Cow;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value};

use self::error::ApiError;
use crate::app::AppState;
use crate::context::Verb;
use crate::error::Error;
use crate::shared::CrudOptions;

/// The content type of every JSON answer.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The router serving every registered service.
///
/// The service routes are matched by [`Route::parse`] in the fallback rather
/// than declared with path parameters: axum's parameters cost each request a
/// dozen allocations (keys, values and an extensions map) for two names the
/// path already holds.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/crud/rdy", get(ready))
        .route("/crud/health/live", get(|| async { health::live() }))
        .route(
            "/crud/health/ready",
            get(|State(state): State<Arc<AppState>>| async move { health::ready(&state).await }),
        )
        .route("/crud/openapi.json", get(openapi))
        .fallback(service_route)
        .with_state(state)
}

/// A request path under `/crud/s/`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Route<'a> {
    /// `/crud/s/{service}/cmd/{cmd}`.
    Command {
        service: Cow<'a, str>,
        name: Cow<'a, str>,
    },
    /// `/crud/s/{service}/{op}`.
    Crud {
        service: Cow<'a, str>,
        op: Cow<'a, str>,
    },
}

impl<'a> Route<'a> {
    /// Reads a path as the routes `/crud/s/{service}/cmd/{cmd}` and
    /// `/crud/s/{service}/{op}` would match it: non-empty segments,
    /// percent-decoded to UTF-8; anything else is no route.
    pub(crate) fn parse(path: &'a str) -> Option<Self> {
        let rest = path.strip_prefix("/crud/s/")?;
        let mut segments = rest.split('/');
        let service = segment(segments.next()?)?;
        let second = segments.next()?;
        match (segments.next(), segments.next()) {
            (None, _) => Some(Route::Crud {
                service,
                op: segment(second)?,
            }),
            // The literal `cmd` is matched as written, as a route's static
            // segment is: `%63md` is not it.
            (Some(name), None) if second == "cmd" => Some(Route::Command {
                service,
                name: segment(name)?,
            }),
            _ => None,
        }
    }
}

/// A non-empty path segment, percent-decoded.
fn segment(raw: &str) -> Option<Cow<'_, str>> {
    if raw.is_empty() {
        return None;
    }
    if !raw.as_bytes().contains(&b'%') {
        // Nothing to decode, and a `&str` is already UTF-8.
        return Some(Cow::Borrowed(raw));
    }
    percent_encoding::percent_decode_str(raw).decode_utf8().ok()
}

async fn openapi(State(state): State<Arc<AppState>>) -> Response {
    let mut response = state.openapi.clone().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

async fn ready() -> Response {
    json_response(StatusCode::OK, &Value::Bool(true))
}

/// Decodes a raw query string (without the `?`) as the CRUD and command
/// routes do: only the `query` and `options` parameters are accepted, each a
/// URL-encoded JSON object; the options are checked as eicrud checks them
/// (known keys, size of the lists, types, non-negative `limit` and
/// `offset`, a valid `orderBy`). `None` (no query string) decodes to no
/// query and default options.
///
/// # Errors
///
/// The client error the route answers: [`Error::UnknownParameter`],
/// [`Error::MalformedJson`], [`Error::BadRequest`] for a JSON value that is
/// not an object, [`Error::FieldTooBig`] or [`Error::Validation`] for the
/// options.
///
/// # Examples
///
/// ```
/// use ferrocrud::http::decode_params;
///
/// let raw = "query=%7B%22owner%22:%22u1%22%7D&options=%7B%22limit%22:20%7D";
/// let (query, options) = decode_params(Some(raw)).expect("valid parameters");
/// assert_eq!(query.expect("a query")["owner"], "u1");
/// assert_eq!(options.limit, Some(20));
/// assert!(decode_params(Some("service=post")).is_err());
/// ```
pub fn decode_params(
    raw: Option<&str>,
) -> Result<(Option<Map<String, Value>>, CrudOptions), Error> {
    params::parse(raw).map(|params| (params.query, params.options))
}

/// What every handler needs from the request.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) verb: Verb,
    pub(crate) headers: HeaderMap,
    pub(crate) params: params::Params,
    pub(crate) body: Bytes,
}

impl Incoming {
    async fn read(
        state: &AppState,
        method: &Method,
        query: Option<&str>,
        headers: HeaderMap,
        body: Body,
    ) -> Result<Self, ApiError> {
        let verb = verb_of(method).ok_or(Error::BadRequest("unsupported method"))?;
        let params = params::parse(query)?;
        let body = tokio::time::timeout(
            state.http.body_read_timeout,
            axum::body::to_bytes(body, state.http.body_limit),
        )
        .await
        .map_err(|_| Error::BodyReadTimeout)?
        .map_err(|_| Error::BodyTooLarge)?;
        if !body.is_empty() && !is_json(&headers) {
            return Err(Error::UnsupportedMediaType.into());
        }
        Ok(Self {
            verb,
            headers,
            params,
            body,
        })
    }

    /// The body as a JSON value; an empty body is `None`.
    pub(crate) fn json_body(&self) -> Result<Option<Value>, Error> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body)
            .map(Some)
            .map_err(|source| Error::MalformedJson {
                what: "body",
                source,
            })
    }
}

/// A JSON object, or an empty one for no body.
fn object(value: Option<Value>) -> Result<Map<String, Value>, Error> {
    match value {
        None => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(Error::BadRequest("the data must be a JSON object")),
    }
}

/// Whether the request says its body is JSON: `application/json`, with any
/// parameters (`; charset=utf-8`), in any case. HTML forms cannot send that
/// type across sites without a CORS preflight, so a body of another type is
/// refused before the credentials are read.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

pub(crate) fn verb_of(method: &Method) -> Option<Verb> {
    match *method {
        Method::POST => Some(Verb::Post),
        Method::GET => Some(Verb::Get),
        Method::PATCH => Some(Verb::Patch),
        Method::DELETE => Some(Verb::Delete),
        _ => None,
    }
}

async fn service_route(State(state): State<Arc<AppState>>, request: Request) -> Response {
    // The request is taken apart rather than extracted piece by piece: the
    // header, method and URI extractors would each clone their part.
    let (parts, body) = request.into_parts();
    let Parts {
        method,
        uri,
        headers,
        ..
    } = parts;
    let result = match Route::parse(uri.path()) {
        Some(Route::Crud { service, op }) => {
            let Some(op) = verb_of(&method).and_then(|verb| crud::Op::from_route(verb, &op)) else {
                return not_found_for(&method, &uri);
            };
            async {
                let incoming = Incoming::read(&state, &method, uri.query(), headers, body).await?;
                crud::handle(&state, &service, op, incoming).await
            }
            .await
        }
        Some(Route::Command { service, name })
            if matches!(method, Method::POST | Method::PATCH | Method::GET) =>
        {
            async {
                let incoming = Incoming::read(&state, &method, uri.query(), headers, body).await?;
                cmd::handle(&state, &service, &name, incoming).await
            }
            .await
        }
        _ => return not_found_for(&method, &uri),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// NestJS's answer for a route that does not exist.
fn not_found_for(method: &Method, uri: &Uri) -> Response {
    let body = serde_json::json!({
        "message": format!("Cannot {} {}", method, uri.path()),
        "error": "Not Found",
        "statusCode": 404,
        "code": crate::shared::ErrorCode::NotFound as u16,
    });
    json_response(StatusCode::NOT_FOUND, &body)
}

/// A JSON answer with eicrud's content type.
pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut body = Vec::with_capacity(128);
    // Writing a `Value` into a `Vec` cannot fail: its keys are strings and
    // the writer does not.
    if serde_json::to_writer(&mut body, value).is_err() {
        body = b"null".to_vec();
    }
    json_body_response(status, body)
}

/// A JSON text already serialized, with eicrud's content type.
pub(crate) fn json_body_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

/// 201 for POST, 200 otherwise, as eicrud (NestJS) answers.
pub(crate) fn success_status(verb: Verb) -> StatusCode {
    if verb == Verb::Post {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crud(service: &str, op: &str) -> Option<Route<'static>> {
        Some(Route::Crud {
            service: Cow::Owned(service.to_owned()),
            op: Cow::Owned(op.to_owned()),
        })
    }

    fn command(service: &str, name: &str) -> Option<Route<'static>> {
        Some(Route::Command {
            service: Cow::Owned(service.to_owned()),
            name: Cow::Owned(name.to_owned()),
        })
    }

    #[test]
    fn parses_service_routes() {
        assert_eq!(Route::parse("/crud/s/post/one"), crud("post", "one"));
        assert_eq!(Route::parse("/crud/s/post/cmd"), crud("post", "cmd"));
        assert_eq!(
            Route::parse("/crud/s/user/cmd/check_jwt"),
            command("user", "check_jwt")
        );
        assert_eq!(
            Route::parse("/crud/s/my%2Dservice/cmd/say%20hi"),
            command("my-service", "say hi"),
            "segments are percent-decoded"
        );
    }

    #[test]
    fn refuses_what_the_routes_do_not_match() {
        for path in [
            "/crud/s/post",
            "/crud/s/post/",
            "/crud/s//one",
            "/crud/s/post/one/",
            "/crud/s/post/one/two",
            "/crud/s/post/cmd/",
            "/crud/s/post/cmd/a/b",
            "/crud/s/post/other/name",
            "/crud/post/one",
            "/crud/s/%FF/one",
        ] {
            assert_eq!(Route::parse(path), None, "{path}");
        }
    }

    /// Found by fuzzing: the command route's `cmd` segment was compared
    /// after percent-decoding, so `/crud/s/user/%63md/login` reached the
    /// `login` command, where the route `/crud/s/{service}/cmd/{cmd}` does
    /// not match it.
    #[test]
    fn an_encoded_cmd_segment_is_not_the_command_route() {
        assert_eq!(Route::parse("/crud/s/user/%63md/login"), None);
        assert_eq!(Route::parse("/crud/s/user/%63md"), crud("user", "cmd"));
        assert_eq!(
            Route::parse("/crud/s/user/cmd/%6Cogin"),
            command("user", "login"),
            "the command's name is a parameter, decoded"
        );
    }
}
