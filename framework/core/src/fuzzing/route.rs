//! Route parsing: `/crud/s/<service>/<op>` and `/crud/s/<service>/cmd/<name>`.

use std::borrow::Cow;

use crate::http::Route;

/// Parses `data` (as UTF-8) as a request path and checks the answer
/// against a plain reading of the two routes: the path split on every `/`,
/// the literal segment `cmd` as written, non-empty segments percent-decoded
/// to UTF-8.
pub fn route_parse(data: &[u8]) {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    assert_eq!(Route::parse(path), reference(path), "path {path:?}");
}

/// What the routes `/crud/s/{service}/{op}` and
/// `/crud/s/{service}/cmd/{cmd}` match, written the long way.
fn reference(path: &str) -> Option<Route<'static>> {
    let rest = path.strip_prefix("/crud/s/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        [service, "cmd", name] => Some(Route::Command {
            service: decode(service)?,
            name: decode(name)?,
        }),
        [service, op] => Some(Route::Crud {
            service: decode(service)?,
            op: decode(op)?,
        }),
        _ => None,
    }
}

fn decode(raw: &str) -> Option<Cow<'static, str>> {
    if raw.is_empty() {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    Some(Cow::Owned(decoded.into_owned()))
}
