//! Shapes of CRUD answers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The answer of `find`, `findIn` and `findIds`: one page and the total count.
///
/// `total` counts every match, ignoring `limit` and `offset`; `limit` is the
/// page size the server applied (it may be smaller than the one asked for).
///
/// ```
/// use ferrocrud_shared::FindResponse;
///
/// let page: FindResponse<u32> = serde_json::from_str(r#"{"data":[1,2],"total":5,"limit":2}"#).unwrap();
/// assert_eq!(page.total, Some(5));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FindResponse<T> {
    /// The rows of this page.
    pub data: Vec<T>,
    /// How many rows match the query in all.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub total: Option<u64>,
    /// The page size the server applied.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub limit: Option<u64>,
}

/// The answer of the patch operations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PatchResponse<T = serde_json::Value> {
    /// How many rows were changed.
    pub count: u64,
    /// The row after the change, when `returnUpdatedEntity` was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<T>,
}

/// The answer of the delete operations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeleteResponse<T = serde_json::Value> {
    /// How many rows were deleted.
    pub count: u64,
    /// The row as it was, when `returnUpdatedEntity` was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<T>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entities have no `Default`; answers must still deserialize.
    #[derive(Debug, PartialEq, Deserialize)]
    struct Entity {
        id: String,
    }

    #[test]
    fn answers_deserialize_without_default() {
        let patch: PatchResponse<Entity> = serde_json::from_str(r#"{"count":1}"#).unwrap();
        assert_eq!(patch.updated, None);
        let delete: DeleteResponse<Entity> =
            serde_json::from_str(r#"{"count":1,"deleted":{"id":"x"}}"#).unwrap();
        assert_eq!(delete.deleted, Some(Entity { id: "x".into() }));
    }
}
