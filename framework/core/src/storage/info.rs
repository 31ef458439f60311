//! [`EntityInfo`]: what ferrocrud knows of an entity's table, built once.

use sea_orm::sea_query::ColumnType;
use sea_orm::{
    ColumnTrait, EntityTrait, IdenStatic, Iterable, PrimaryKeyToColumn, PrimaryKeyTrait,
};

use crate::error::SetupError;
use crate::fast_map::FastMap;
use crate::shared::schema;

/// The wire name of the column every entity keeps its creation time in.
pub const CREATED_AT: &str = "createdAt";
/// The wire name of the column every entity keeps its last update time in.
pub const UPDATED_AT: &str = "updatedAt";

/// How a column's values are stored and sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnKind {
    /// `String`: a JSON string.
    Text,
    /// `i32`: a JSON integer.
    Int,
    /// `i64`: a JSON integer.
    BigInt,
    /// `f64`: a JSON number.
    Float,
    /// `bool`: a JSON boolean.
    Bool,
    /// `DateTimeUtc`: an RFC 3339 string, sent as `2026-11-22T18:03:44.965Z`.
    DateTime,
    /// `Json`: any JSON value.
    Json,
}

impl ColumnKind {
    /// The name of the check a value of the wrong type fails, in eicrud's
    /// (class-validator's) spelling.
    pub fn constraint(self) -> &'static str {
        match self {
            ColumnKind::Text => "isString",
            ColumnKind::Int | ColumnKind::BigInt => "isInt",
            ColumnKind::Float => "isNumber",
            ColumnKind::Bool => "isBoolean",
            ColumnKind::DateTime => "isDate",
            ColumnKind::Json => "isDefined",
        }
    }

    /// The kind of a sea-orm column type, if ferrocrud supports it.
    fn of(column_type: &ColumnType) -> Option<Self> {
        Some(match column_type {
            ColumnType::Char(_) | ColumnType::String(_) | ColumnType::Text => ColumnKind::Text,
            ColumnType::Integer => ColumnKind::Int,
            ColumnType::BigInteger => ColumnKind::BigInt,
            ColumnType::Double => ColumnKind::Float,
            ColumnType::Boolean => ColumnKind::Bool,
            ColumnType::TimestampWithTimeZone => ColumnKind::DateTime,
            ColumnType::Json | ColumnType::JsonBinary => ColumnKind::Json,
            _ => return None,
        })
    }
}

/// One column of an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ColumnInfo {
    /// The name on the wire: camelCase of the column name (`createdAt`).
    pub wire: String,
    /// The name in the database (`created_at`), as the entity declares it.
    pub name: &'static str,
    /// How values are stored and sent.
    pub kind: ColumnKind,
    /// Whether the column accepts `NULL`.
    pub nullable: bool,
    /// Whether the column has a unique index of its own.
    pub unique: bool,
    /// Whether the column is the primary key.
    pub primary_key: bool,
    /// Whether the database supplies a value when none is given.
    pub has_default: bool,
    /// Whether the Model's schema marks the field `"x-secret": true`: such
    /// fields are never returned by reads or creates, and, as managed ones,
    /// never written by a client.
    pub secret: bool,
    /// Whether the Model's schema marks the field `"x-managed": true`: only
    /// the server writes it, and a client's create or update that sets it is
    /// refused (400 naming the field), whatever its abilities.
    pub managed: bool,
    /// Whether the Model's schema marks the field `"x-explicit": true`: a
    /// client may write it only through a rule whose field list names it; a
    /// rule without a field list does not cover it.
    pub explicit: bool,
}

/// What ferrocrud knows of an entity: its table, its columns in entity
/// order, its id column, and whether it keeps `createdAt` / `updatedAt`.
///
/// Built once per entity by [`EntityInfo::new`], which also refuses entities
/// ferrocrud cannot serve.
#[derive(Debug, Clone)]
pub struct EntityInfo {
    table: &'static str,
    type_name: String,
    columns: Vec<ColumnInfo>,
    by_wire: FastMap<String, usize>,
    id: usize,
    created_at: Option<usize>,
    updated_at: Option<usize>,
}

impl EntityInfo {
    /// Reads the entity's columns and checks them against the Model's JSON
    /// schema (`schemars::schema_for!(E::Model)`).
    ///
    /// # Errors
    ///
    /// [`SetupError::UnsupportedSchema`] when a column's type is not one of
    /// [`ColumnKind`]'s, when the primary key is not a single string column
    /// without `auto_increment`, when `createdAt`/`updatedAt` are not
    /// timestamps, or when the Model's property names differ from the wire
    /// names (a missing `#[serde(rename_all = "camelCase")]`).
    pub fn new<E: EntityTrait>(model_schema: &schemars::Schema) -> Result<Self, SetupError> {
        let table = E::default().table_name();
        let type_name = pascal_case(table);
        let unsupported = |reason: String| SetupError::UnsupportedSchema {
            type_name: type_name.clone(),
            reason,
        };

        let keys: Vec<String> = E::PrimaryKey::iter()
            .map(|key| key.into_column().as_str().to_owned())
            .collect();
        let [key] = keys.as_slice() else {
            return Err(unsupported(format!(
                "the primary key must be one column, found {}",
                keys.len()
            )));
        };
        if E::PrimaryKey::auto_increment() {
            return Err(unsupported(format!(
                "primary key {key} must be a String with `auto_increment = false`"
            )));
        }

        let properties = model_schema
            .get("properties")
            .and_then(serde_json::Value::as_object);
        let mut columns = Vec::new();
        for column in E::Column::iter() {
            let def = column.def();
            let name = column.as_str();
            let wire = camel_case(name);
            let Some(kind) = ColumnKind::of(def.get_column_type()) else {
                return Err(unsupported(format!(
                    "column {name} has type {:?}; supported: String, i32, i64, f64, bool, DateTimeUtc, Json",
                    def.get_column_type()
                )));
            };
            let flag = |keyword: &str| {
                properties
                    .and_then(|p| p.get(&wire))
                    .and_then(|p| p.get(keyword))
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false)
            };
            let (secret, managed, explicit) = (
                flag(schema::SECRET),
                flag(schema::MANAGED),
                flag(schema::EXPLICIT),
            );
            columns.push(ColumnInfo {
                primary_key: name == key,
                wire,
                name,
                kind,
                nullable: def.is_null(),
                unique: def.is_unique(),
                has_default: def.get_column_default().is_some(),
                secret,
                managed,
                explicit,
            });
        }

        let mut names: Vec<&str> = columns.iter().map(|c| c.wire.as_str()).collect();
        let mut props: Vec<&str> = properties
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        names.sort_unstable();
        props.sort_unstable();
        if names != props {
            return Err(unsupported(format!(
                "the Model's JSON properties {props:?} differ from the columns' wire names {names:?}; \
                 add #[serde(rename_all = \"camelCase\")] to the Model"
            )));
        }

        let by_wire: FastMap<String, usize> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.wire.clone(), i))
            .collect();
        let id = columns
            .iter()
            .position(|c| c.primary_key)
            .ok_or_else(|| unsupported(format!("primary key {key} is not a column")))?;
        if columns[id].kind != ColumnKind::Text || columns[id].nullable {
            return Err(unsupported(format!(
                "primary key {key} must be a non-null String"
            )));
        }
        let timestamp = |wire: &str| -> Result<Option<usize>, SetupError> {
            match by_wire.get(wire) {
                Some(&i) if columns[i].kind == ColumnKind::DateTime => Ok(Some(i)),
                Some(_) => Err(unsupported(format!("column {wire} must be a DateTimeUtc"))),
                None => Ok(None),
            }
        };
        let created_at = timestamp(CREATED_AT)?;
        let updated_at = timestamp(UPDATED_AT)?;

        Ok(Self {
            table,
            type_name,
            columns,
            by_wire,
            id,
            created_at,
            updated_at,
        })
    }

    /// The table's name.
    pub fn table(&self) -> &'static str {
        self.table
    }

    /// The entity's name as clients see it in messages: PascalCase of the
    /// table name (`post` → `Post`).
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// Every column, in entity order.
    pub fn columns(&self) -> &[ColumnInfo] {
        &self.columns
    }

    /// The column of a wire name.
    pub fn column(&self, wire: &str) -> Option<&ColumnInfo> {
        self.index_of(wire).map(|i| &self.columns[i])
    }

    /// The id (primary key) column.
    pub fn id(&self) -> &ColumnInfo {
        &self.columns[self.id]
    }

    /// The `createdAt` column, if the entity has one.
    pub fn created_at(&self) -> Option<&ColumnInfo> {
        self.created_at.map(|i| &self.columns[i])
    }

    /// The `updatedAt` column, if the entity has one.
    pub fn updated_at(&self) -> Option<&ColumnInfo> {
        self.updated_at.map(|i| &self.columns[i])
    }

    pub(crate) fn index_of(&self, wire: &str) -> Option<usize> {
        self.by_wire.get(wire).copied()
    }

    pub(crate) fn id_index(&self) -> usize {
        self.id
    }

    /// Whether a column is one the framework keeps (`createdAt`, `updatedAt`).
    pub(crate) fn is_timestamp(&self, index: usize) -> bool {
        Some(index) == self.created_at || Some(index) == self.updated_at
    }

    /// Wire names of the columns no client write may set: the managed ones
    /// and the secret ones (a client that could write a digest or a hash
    /// could mint the credential it checks).
    pub fn managed_fields(&self) -> impl Iterator<Item = &str> {
        self.columns
            .iter()
            .filter(|c| c.managed || c.secret)
            .map(|c| c.wire.as_str())
    }

    /// Wire names of the columns a client writes only through a rule that
    /// names them.
    pub fn explicit_fields(&self) -> impl Iterator<Item = &str> {
        self.columns
            .iter()
            .filter(|c| c.explicit)
            .map(|c| c.wire.as_str())
    }

    /// Sets the flags of the column named `name` in the database, for the
    /// columns a service owns whatever the Model's schema says. Nothing
    /// happens when there is no such column.
    pub(crate) fn mark(&mut self, name: &str, secret: bool, managed: bool, explicit: bool) {
        if let Some(column) = self.columns.iter_mut().find(|c| c.name == name) {
            column.secret |= secret;
            column.managed |= managed;
            column.explicit |= explicit;
        }
    }
}

/// `created_at` → `createdAt`; a name without underscores is unchanged.
pub(crate) fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for ch in name.chars() {
        if ch == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// `blog_post` → `BlogPost`.
pub(crate) fn pascal_case(name: &str) -> String {
    let camel = camel_case(name);
    let mut chars = camel.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => camel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_and_pascal_case() {
        assert_eq!(camel_case("created_at"), "createdAt");
        assert_eq!(camel_case("id"), "id");
        assert_eq!(camel_case("user_id_2"), "userId2");
        assert_eq!(camel_case("_private"), "private");
        assert_eq!(camel_case("alreadyCamel"), "alreadyCamel");
        assert_eq!(pascal_case("blog_post"), "BlogPost");
        assert_eq!(pascal_case("post"), "Post");
    }
}
