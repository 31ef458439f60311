//! Query and options decoding: the `?query=…&options=…` of every route.

use serde_json::Value;

use crate::error::{Error, Target};
use crate::http::decode_params;

/// Decodes `data` (as UTF-8, lossily) as a raw query string; an empty input
/// stands for a request without one.
///
/// Checks that a refusal is one of the documented client errors, and that
/// accepted options are what the route relies on (non-negative `limit` and
/// `offset`, a valid `orderBy`) and survive being encoded again, as a
/// client would send them, unchanged.
pub fn query_params(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let raw = (!data.is_empty()).then_some(&*text);
    let (query, options) = match decode_params(raw) {
        Ok(decoded) => decoded,
        Err(err) => {
            assert!(
                matches!(
                    &err,
                    Error::UnknownParameter(_)
                        | Error::MalformedJson { .. }
                        | Error::BadRequest(_)
                        | Error::FieldTooBig { .. }
                ) || matches!(&err, Error::Validation(v) if v.target == Target::Options && !v.failures.is_empty()),
                "unexpected refusal {err:?} of {raw:?}"
            );
            return;
        }
    };
    assert!(options.limit.is_none_or(|n| n >= 0), "{raw:?}");
    assert!(options.offset.is_none_or(|n| n >= 0), "{raw:?}");
    if let Some(order) = &options.order_by {
        assert!(order.pairs().is_ok(), "{raw:?}");
    }

    let mut again = form_urlencoded::Serializer::new(String::new());
    if let Some(query) = &query {
        again.append_pair("query", &Value::Object(query.clone()).to_string());
    }
    let Ok(options_text) = serde_json::to_string(&options) else {
        panic!("options of {raw:?} do not serialize");
    };
    again.append_pair("options", &options_text);
    let again = again.finish();
    match decode_params(Some(&again)) {
        Ok((query_again, options_again)) => {
            assert_eq!(options_again, options, "{raw:?} as {again:?}");
            let (before, after) = (query.map(Value::Object), query_again.map(Value::Object));
            assert!(
                match (&before, &after) {
                    (Some(a), Some(b)) => same(a, b),
                    _ => before == after,
                },
                "{raw:?} as {again:?}: {before:?} became {after:?}"
            );
        }
        Err(err) => panic!("{raw:?} encoded again as {again:?} is refused: {err}"),
    }
}

/// Equal JSON values, floats within two units in the last place: without
/// its `float_roundtrip` feature, serde_json parses some long float texts
/// (`184467440737095136854775807`) to a neighbour of the nearest `f64`, so
/// a float written again may be read one unit off.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => {
                    x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
                }
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same(vx, vy))
        }
        _ => a == b,
    }
}
