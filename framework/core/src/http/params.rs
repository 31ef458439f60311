//! The `query` and `options` query-string parameters.

use serde_json::{Map, Value};

use crate::error::{Error, PropertyFailure, Result, Target, ValidationError};
use crate::shared::CrudOptions;

/// What the query string carried, parsed.
#[derive(Debug, Default)]
pub(crate) struct Params {
    pub(crate) query: Option<Map<String, Value>>,
    pub(crate) options: CrudOptions,
}

/// Option keys as the client spells them.
const OPTION_KEYS: &[&str] = &[
    "limit",
    "offset",
    "fields",
    "exclude",
    "orderBy",
    "populate",
    "cached",
    "mockRole",
    "returnUpdatedEntity",
    "jwtCookie",
    "allowIdOverride",
    "skipServiceHooks",
];

/// Parses the raw query string: only `query` and `options`, each a JSON
/// object, are accepted.
pub(crate) fn parse(raw: Option<&str>) -> Result<Params> {
    let mut params = Params::default();
    let Some(raw) = raw else { return Ok(params) };
    for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
        match key.as_ref() {
            "query" => params.query = Some(json_object(&value, "query")?),
            "options" => params.options = options(json_object(&value, "options")?)?,
            other => return Err(Error::UnknownParameter(other.to_owned())),
        }
    }
    Ok(params)
}

fn json_object(text: &str, what: &'static str) -> Result<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::BadRequest(match what {
            "query" => "query must be a JSON object",
            _ => "options must be a JSON object",
        })),
        Err(source) => Err(Error::MalformedJson { what, source }),
    }
}

fn options(map: Map<String, Value>) -> Result<CrudOptions> {
    let failures: Vec<PropertyFailure> = map
        .keys()
        .filter(|k| !OPTION_KEYS.contains(&k.as_str()))
        .map(|k| PropertyFailure {
            property: k.clone(),
            constraints: vec!["whitelistValidation"],
        })
        .collect();
    if !failures.is_empty() {
        return Err(options_error(failures));
    }
    for (key, max) in [("fields", 300), ("exclude", 300), ("populate", 300)] {
        if let Some(value) = map.get(key) {
            let size = value.to_string().encode_utf16().count();
            if size > max {
                return Err(Error::FieldTooBig {
                    field: key.to_owned(),
                    size,
                    max,
                });
            }
        }
    }
    let options: CrudOptions =
        serde_json::from_value(Value::Object(map.clone())).map_err(|_| {
            let property = OPTION_KEYS
                .iter()
                .find(|key| {
                    map.get(**key).is_some_and(|value| {
                        let mut single = Map::new();
                        single.insert((**key).to_owned(), value.clone());
                        serde_json::from_value::<CrudOptions>(Value::Object(single)).is_err()
                    })
                })
                .copied()
                .unwrap_or("options");
            options_error(vec![PropertyFailure {
                property: property.to_owned(),
                constraints: vec![constraint_of(property)],
            }])
        })?;
    for (key, value) in [("limit", options.limit), ("offset", options.offset)] {
        if value.is_some_and(|v| v < 0) {
            return Err(options_error(vec![PropertyFailure {
                property: key.to_owned(),
                constraints: vec!["min"],
            }]));
        }
    }
    if let Some(order) = &options.order_by
        && order.pairs().is_err()
    {
        return Err(options_error(vec![PropertyFailure {
            property: "orderBy".into(),
            constraints: vec!["isOrderBy"],
        }]));
    }
    Ok(options)
}

fn constraint_of(key: &str) -> &'static str {
    match key {
        "limit" | "offset" => "isInt",
        "fields" | "exclude" | "populate" => "isArray",
        "mockRole" => "isString",
        "orderBy" => "isOrderBy",
        _ => "isBoolean",
    }
}

fn options_error(failures: Vec<PropertyFailure>) -> Error {
    Error::Validation(ValidationError {
        target: Target::Options,
        type_name: "CrudOptions".into(),
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_axios_encoding() {
        let raw =
            "options=%7B%22limit%22:1%7D&query=%7B%22owner%22:%22d5%22,%22title%22:%22a+b%22%7D";
        let params = parse(Some(raw)).unwrap();
        assert_eq!(params.options.limit, Some(1));
        assert_eq!(params.query.unwrap()["title"], "a b");
    }

    #[test]
    fn bad_json_is_a_client_error() {
        assert!(matches!(
            parse(Some("query=%7Bnope")),
            Err(Error::MalformedJson { what: "query", .. })
        ));
        assert!(matches!(
            parse(Some("options=[1]")),
            Err(Error::BadRequest(_))
        ));
    }

    #[test]
    fn unknown_parameters_and_options_are_refused() {
        assert!(
            matches!(parse(Some("service=x")), Err(Error::UnknownParameter(p)) if p == "service")
        );
        let err = parse(Some("options=%7B%22nope%22:1%7D")).unwrap_err();
        assert!(
            err.to_string().contains(
                "property nope has failed the following constraints: whitelistValidation"
            )
        );
    }

    #[test]
    fn negative_limit_is_refused() {
        let err = parse(Some("options=%7B%22limit%22:-1%7D")).unwrap_err();
        assert!(
            err.to_string()
                .contains("property limit has failed the following constraints: min")
        );
        let err = parse(Some("options=%7B%22limit%22:%22x%22%7D")).unwrap_err();
        assert!(
            err.to_string()
                .contains("property limit has failed the following constraints: isInt")
        );
    }
}
