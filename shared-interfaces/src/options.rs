//! [`CrudOptions`]: what a request may ask for besides its query and data.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Options of a CRUD operation or command, sent as the JSON `options` query
/// parameter.
///
/// Unknown keys are refused. Absent keys mean "server default".
///
/// ```
/// use ferrocrud_shared::CrudOptions;
///
/// let options: CrudOptions = serde_json::from_str(r#"{"limit":5,"fields":["title"]}"#).unwrap();
/// assert_eq!(options.limit, Some(5));
/// assert!(serde_json::from_str::<CrudOptions>(r#"{"nope":1}"#).is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CrudOptions {
    /// Page size; the server clamps it to the role's maximum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Rows to skip.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    /// Only these fields in the answer (the id is always included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    /// These fields left out of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude: Option<Vec<String>>,
    /// Sort order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_by: Option<OrderBy>,
    /// Relations to populate (accepted for compatibility; needs an option ability).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub populate: Option<Vec<String>>,
    /// Read `findOne` from the cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached: Option<bool>,
    /// Act as one of the user's inherited roles (requires a role that may mock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mock_role: Option<String>,
    /// Return the row in `patchOne` / `deleteOne` answers (needs an option ability).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_updated_entity: Option<bool>,
    /// Keep the session in an HttpOnly cookie with a CSRF token (login).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_cookie: Option<bool>,
    /// Let the client choose the id of a created row (needs an option ability).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_id_override: Option<bool>,
    /// Skip the service hooks (needs an option ability).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_service_hooks: Option<bool>,
}

impl CrudOptions {
    /// The option keys that never need an option ability, as eicrud defines them.
    pub const ALWAYS_ALLOWED: &'static [&'static str] = &[
        "limit",
        "offset",
        "orderBy",
        "fields",
        "mockRole",
        "cached",
        "exclude",
        "jwtCookie",
    ];

    /// The keys of the options that are set, in wire spelling.
    ///
    /// ```
    /// use ferrocrud_shared::CrudOptions;
    ///
    /// let options = CrudOptions { limit: Some(1), return_updated_entity: Some(true), ..Default::default() };
    /// assert_eq!(options.keys_set(), vec!["limit", "returnUpdatedEntity"]);
    /// ```
    pub fn keys_set(&self) -> Vec<&'static str> {
        let flags: [(&'static str, bool); 12] = [
            ("limit", self.limit.is_some()),
            ("offset", self.offset.is_some()),
            ("fields", self.fields.is_some()),
            ("exclude", self.exclude.is_some()),
            ("orderBy", self.order_by.is_some()),
            ("populate", self.populate.is_some()),
            ("cached", self.cached.is_some()),
            ("mockRole", self.mock_role.is_some()),
            ("returnUpdatedEntity", self.return_updated_entity.is_some()),
            ("jwtCookie", self.jwt_cookie.is_some()),
            ("allowIdOverride", self.allow_id_override.is_some()),
            ("skipServiceHooks", self.skip_service_hooks.is_some()),
        ];
        flags
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(key, _)| key)
            .collect()
    }
}

/// Sort order: one object of `field: direction`, or a list of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OrderBy {
    /// `{"title": "asc", "likes": "desc"}`: keys in order of precedence.
    One(serde_json::Map<String, serde_json::Value>),
    /// `[{"title": "asc"}, {"likes": -1}]`.
    Many(Vec<serde_json::Map<String, serde_json::Value>>),
}

impl OrderBy {
    /// The (field, direction) pairs in order of precedence.
    ///
    /// # Errors
    ///
    /// Returns the offending JSON value when a direction is not one of
    /// `asc`, `desc` (any case, optionally followed by `nulls first|last`),
    /// `1` or `-1`.
    ///
    /// ```
    /// use ferrocrud_shared::{OrderBy, SortDirection};
    ///
    /// let order: OrderBy = serde_json::from_str(r#"{"likes":"desc","title":1}"#).unwrap();
    /// let pairs = order.pairs().unwrap();
    /// assert_eq!(pairs[0], ("likes".to_string(), SortDirection::Desc));
    /// assert_eq!(pairs[1], ("title".to_string(), SortDirection::Asc));
    /// ```
    pub fn pairs(&self) -> Result<Vec<(String, SortDirection)>, serde_json::Value> {
        let maps: Vec<&serde_json::Map<String, serde_json::Value>> = match self {
            OrderBy::One(map) => vec![map],
            OrderBy::Many(maps) => maps.iter().collect(),
        };
        let mut pairs = Vec::new();
        for map in maps {
            for (field, direction) in map {
                let direction =
                    SortDirection::from_json(direction).ok_or_else(|| direction.clone())?;
                pairs.push((field.clone(), direction));
            }
        }
        Ok(pairs)
    }
}

/// A sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

impl SortDirection {
    /// Reads `asc`/`desc` (any case, with an optional `nulls first|last`
    /// suffix, which is accepted and ignored), `1` or `-1`.
    pub fn from_json(value: &serde_json::Value) -> Option<Self> {
        match value {
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(1) => Some(Self::Asc),
                Some(-1) => Some(Self::Desc),
                _ => None,
            },
            serde_json::Value::String(s) => {
                let lower = s.to_ascii_lowercase();
                let head = lower.split_whitespace().next().unwrap_or("");
                let tail: Vec<&str> = lower.split_whitespace().skip(1).collect();
                let tail_ok =
                    tail.is_empty() || tail == ["nulls", "first"] || tail == ["nulls", "last"];
                match (head, tail_ok) {
                    ("asc", true) => Some(Self::Asc),
                    ("desc", true) => Some(Self::Desc),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}
