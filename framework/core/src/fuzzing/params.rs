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
            assert_eq!(query_again, query, "{raw:?} as {again:?}");
        }
        Err(err) => panic!("{raw:?} encoded again as {again:?} is refused: {err}"),
    }
}
