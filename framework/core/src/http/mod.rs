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
//! | `GET /crud/rdy` | readiness: `true` |
//!
//! `query` and `options` travel as JSON texts in the query string; bodies
//! are JSON. Only this module knows statuses and wire bodies.

mod cmd;
mod crud;
mod error;
mod guard;
mod params;

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::{Map, Value};

use self::error::ApiError;
pub(crate) use self::error::CLEAR_JWT_COOKIE;
use crate::app::AppState;
use crate::context::Verb;
use crate::error::Error;
use crate::shared::CrudOptions;

/// The content type of every JSON answer.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The router serving every registered service.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/crud/rdy", get(ready))
        .route("/crud/openapi.json", get(openapi))
        .route("/crud/s/{service}/cmd/{cmd}", any(command))
        .route("/crud/s/{service}/{op}", any(crud_operation))
        .fallback(not_found)
        .with_state(state)
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
    async fn read(state: &AppState, parts: Parts, body: Body) -> Result<Self, ApiError> {
        let verb = verb_of(&parts.method).ok_or(Error::BadRequest("unsupported method"))?;
        let params = params::parse(parts.uri.query())?;
        let body = axum::body::to_bytes(body, state.http.body_limit)
            .await
            .map_err(|_| Error::BodyTooLarge)?;
        Ok(Self {
            verb,
            headers: parts.headers,
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

fn verb_of(method: &Method) -> Option<Verb> {
    match *method {
        Method::POST => Some(Verb::Post),
        Method::GET => Some(Verb::Get),
        Method::PATCH => Some(Verb::Patch),
        Method::DELETE => Some(Verb::Delete),
        _ => None,
    }
}

async fn crud_operation(
    State(state): State<Arc<AppState>>,
    Path((service, op)): Path<(String, String)>,
    request: Request,
) -> Response {
    // The request is taken apart rather than extracted piece by piece: the
    // header, method and URI extractors would each clone their part.
    let (parts, body) = request.into_parts();
    let Some(op) = verb_of(&parts.method).and_then(|verb| crud::Op::from_route(verb, &op)) else {
        return not_found_for(&parts.method, &parts.uri);
    };
    let result = async {
        let incoming = Incoming::read(&state, parts, body).await?;
        crud::handle(&state, &service, op, incoming).await
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn command(
    State(state): State<Arc<AppState>>,
    Path((service, cmd)): Path<(String, String)>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    if !matches!(parts.method, Method::POST | Method::PATCH | Method::GET) {
        return not_found_for(&parts.method, &parts.uri);
    }
    let result = async {
        let incoming = Incoming::read(&state, parts, body).await?;
        cmd::handle(&state, &service, &cmd, incoming).await
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn not_found(method: Method, uri: Uri) -> Response {
    not_found_for(&method, &uri)
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
