//! Building statements from eicrud queries and options; no I/O.
//!
//! A query is a JSON object of `field: value` equalities (`null` means
//! `IS NULL`); for the `many`/`in` operations an array on the id field means
//! `IN (...)`. Every value is bound; no SQL text is composed here.

use std::borrow::Cow;

use sea_orm::sea_query::{
    Alias, Asterisk, Condition, DeleteStatement, Expr, ExprTrait, Iden, InsertStatement, LockType,
    Order, Query, SelectStatement, UpdateStatement, Value, is_static_iden,
};
use serde_json::{Map, Value as Json};

use super::convert::Failures;
use super::info::{ColumnKind, EntityInfo};
use crate::error::{Error, Target};
use crate::shared::{OrderBy, SortDirection};

/// What an UPDATE changes: values to set and counters to add to.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Changes {
    /// Column index and value.
    pub(crate) sets: Vec<(usize, Value)>,
    /// Column index and amount added (`NULL` counts as 0); each column at
    /// most once and never also in `sets`.
    pub(crate) increments: Vec<(usize, i64)>,
}

impl Changes {
    /// Whether the update changes nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.sets.is_empty() && self.increments.is_empty()
    }
}

/// A SELECT: which rows, which columns, in which order, which page.
#[derive(Debug, Clone)]
pub(crate) struct Select {
    pub(crate) condition: Condition,
    /// Column indexes in entity order.
    pub(crate) columns: Vec<usize>,
    pub(crate) order: Vec<(usize, Order)>,
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
    /// `FOR UPDATE` (PostgreSQL; SQLite's write transactions lock the database).
    pub(crate) lock: bool,
}

/// A table or column name as the entity declares it, for the life of the
/// program: written into statements without a copy, where `Alias` would
/// copy it twice per statement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Name(pub(crate) &'static str);

impl Iden for Name {
    fn quoted(&self) -> Cow<'static, str> {
        // A borrowed name is written as it is; an owned one is escaped.
        if is_static_iden(self.0) {
            Cow::Borrowed(self.0)
        } else {
            Cow::Owned(self.0.to_owned())
        }
    }

    fn unquoted(&self) -> &str {
        self.0
    }
}

impl EntityInfo {
    /// The sea-query condition of an eicrud query: an equality per field,
    /// `IS NULL` for `null`, and, when `allow_id_in`, `IN (...)` for an array
    /// on the id field.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidQuery`] for a field the entity does not have or a JSON
    /// field; [`Error::Validation`] (target `Query`) for a value of the wrong
    /// type.
    pub fn condition(
        &self,
        query: &Map<String, Json>,
        allow_id_in: bool,
    ) -> Result<Condition, Error> {
        let mut condition = Condition::all();
        let mut failures = Failures::default();
        for (field, value) in query {
            let index = self
                .index_of(field)
                .ok_or_else(|| Error::InvalidQuery(format!("unknown field {field}")))?;
            let column = &self.columns()[index];
            if column.kind == ColumnKind::Json {
                return Err(Error::InvalidQuery(format!(
                    "cannot filter on JSON field {field}"
                )));
            }
            let col = Expr::col(Name(column.name));
            match value {
                Json::Null => condition = condition.add(col.is_null()),
                Json::Array(items) if allow_id_in && index == self.id_index() => {
                    let mut values = Vec::with_capacity(items.len());
                    for item in items {
                        match column.to_value(item) {
                            Ok(v) if !item.is_null() => values.push(v),
                            Ok(_) => failures.push(field, column.kind.constraint()),
                            Err(constraint) => failures.push(field, constraint),
                        }
                    }
                    condition = condition.add(col.is_in(values));
                }
                value => match column.to_value(value) {
                    Ok(v) => condition = condition.add(col.eq(v)),
                    Err(constraint) => failures.push(field, constraint),
                },
            }
        }
        failures.into_result(self, Target::Query)?;
        Ok(condition)
    }

    /// The columns a read returns: every non-secret column, or only `fields`
    /// (plus the id), minus `exclude`; in entity order.
    pub(crate) fn projection(
        &self,
        fields: Option<&[String]>,
        exclude: Option<&[String]>,
    ) -> Result<Vec<usize>, Error> {
        let lookup = |list: &[String], option: &str| -> Result<Vec<usize>, Error> {
            list.iter()
                .map(|field| {
                    self.index_of(field).ok_or_else(|| {
                        Error::InvalidQuery(format!("unknown field {field} in {option}"))
                    })
                })
                .collect()
        };
        let fields = fields.map(|f| lookup(f, "fields")).transpose()?;
        let exclude = exclude
            .map(|e| lookup(e, "exclude"))
            .transpose()?
            .unwrap_or_default();
        Ok((0..self.columns().len())
            .filter(|&i| !self.columns()[i].secret)
            .filter(|&i| {
                fields
                    .as_ref()
                    .is_none_or(|f| i == self.id_index() || f.contains(&i))
            })
            .filter(|i| !exclude.contains(i))
            .collect())
    }

    /// The ORDER BY of an `orderBy` option, followed by the id so that pages
    /// are stable (UUID v7 ids sort in creation order).
    pub(crate) fn order(&self, order_by: Option<&OrderBy>) -> Result<Vec<(usize, Order)>, Error> {
        let pairs = match order_by {
            Some(order_by) => order_by
                .pairs()
                .map_err(|v| Error::InvalidQuery(format!("invalid sort direction {v}")))?,
            None => Vec::new(),
        };
        let mut order = Vec::with_capacity(pairs.len() + 1);
        for (field, direction) in pairs {
            let index = self
                .index_of(&field)
                .ok_or_else(|| Error::InvalidQuery(format!("unknown field {field} in orderBy")))?;
            let column = &self.columns()[index];
            if column.secret || column.kind == ColumnKind::Json {
                return Err(Error::InvalidQuery(format!("cannot sort by {field}")));
            }
            let direction = match direction {
                SortDirection::Asc => Order::Asc,
                SortDirection::Desc => Order::Desc,
            };
            if !order.iter().any(|(i, _)| *i == index) {
                order.push((index, direction));
            }
        }
        if !order.iter().any(|(i, _)| *i == self.id_index()) {
            order.push((self.id_index(), Order::Asc));
        }
        Ok(order)
    }

    fn table_ref(&self) -> Name {
        Name(self.table())
    }

    fn column_ref(&self, index: usize) -> Name {
        Name(self.columns()[index].name)
    }

    pub(crate) fn select_statement(&self, select: Select) -> SelectStatement {
        let mut stmt = Query::select();
        // A projection that leaves nothing (every field excluded) still
        // reads a column, which the rows built from `columns` leave out.
        let id = [self.id_index()];
        let read = if select.columns.is_empty() {
            &id[..]
        } else {
            select.columns.as_slice()
        };
        stmt.from(self.table_ref())
            .columns(read.iter().map(|&i| self.column_ref(i)))
            .cond_where(select.condition);
        for (index, order) in select.order {
            stmt.order_by(self.column_ref(index), order);
        }
        if let Some(limit) = select.limit {
            stmt.limit(limit);
        }
        if let Some(offset) = select.offset {
            if select.limit.is_none() {
                // SQLite has no OFFSET without LIMIT; the largest limit both
                // backends accept means "no limit".
                stmt.limit(i64::MAX.unsigned_abs());
            }
            stmt.offset(offset);
        }
        if select.lock {
            stmt.lock(LockType::Update);
        }
        stmt
    }

    pub(crate) fn count_statement(&self, condition: Condition) -> SelectStatement {
        Query::select()
            .expr_as(Expr::col(Asterisk).count(), Alias::new("count"))
            .from(self.table_ref())
            .cond_where(condition)
            .to_owned()
    }

    pub(crate) fn insert_statement(
        &self,
        row: Vec<(usize, Value)>,
    ) -> Result<InsertStatement, Error> {
        let (columns, values): (Vec<usize>, Vec<Value>) = row.into_iter().unzip();
        let mut stmt = Query::insert();
        stmt.into_table(self.table_ref())
            .columns(columns.into_iter().map(|i| self.column_ref(i)))
            .values(values.into_iter().map(Expr::val))
            .map_err(|_| Error::Internal("insert columns and values differ"))?;
        Ok(stmt)
    }

    /// `UPDATE … SET col = ?, …, counter = COALESCE(counter, 0) + ? WHERE …`:
    /// the increments are computed by the database, in the statement, so
    /// concurrent updates never lose one.
    pub(crate) fn update_statement(
        &self,
        condition: Condition,
        changes: Changes,
    ) -> UpdateStatement {
        let sets = changes
            .sets
            .into_iter()
            .map(|(i, v)| (self.column_ref(i), Expr::val(v)));
        let increments = changes.increments.into_iter().map(|(i, by)| {
            let column = Expr::col(self.column_ref(i));
            (self.column_ref(i), column.if_null(0).add(by))
        });
        Query::update()
            .table(self.table_ref())
            .values(sets.chain(increments))
            .cond_where(condition)
            .to_owned()
    }

    pub(crate) fn delete_statement(&self, condition: Condition) -> DeleteStatement {
        Query::delete()
            .from_table(self.table_ref())
            .cond_where(condition)
            .to_owned()
    }

    /// `id = ?`.
    pub(crate) fn id_condition(&self, id: Value) -> Condition {
        Condition::all().add(Expr::col(self.column_ref(self.id_index())).eq(id))
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
    use serde_json::json;

    use super::*;
    use crate::storage::testing::post;

    fn info() -> EntityInfo {
        EntityInfo::new::<post::Entity>(&schemars::schema_for!(post::Model)).expect("post info")
    }

    #[test]
    fn names_are_written_as_alias_writes_them() {
        let names = ["title", "created_at", "we\"ird", "9lives", "with space"];
        for name in names {
            let ours = Query::select()
                .column(Name(name))
                .from(Name("t"))
                .to_owned();
            let alias = Query::select()
                .column(Alias::new(name))
                .from(Alias::new("t"))
                .to_owned();
            assert_eq!(
                ours.to_string(PostgresQueryBuilder),
                alias.to_string(PostgresQueryBuilder),
                "{name}"
            );
            assert_eq!(
                ours.to_string(SqliteQueryBuilder),
                alias.to_string(SqliteQueryBuilder),
                "{name}"
            );
        }
    }

    fn query(value: Json) -> Map<String, Json> {
        match value {
            Json::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn order_by(value: Json) -> OrderBy {
        serde_json::from_value(value).expect("orderBy")
    }

    #[test]
    fn select_on_both_backends() {
        let info = info();
        let select = Select {
            condition: info
                .condition(&query(json!({"owner": "o", "content": null})), true)
                .expect("condition"),
            columns: info
                .projection(Some(&["title".to_owned()]), None)
                .expect("projection"),
            order: info
                .order(Some(&order_by(json!({"likes": "desc"}))))
                .expect("order"),
            limit: Some(2),
            offset: Some(1),
            lock: true,
        };
        let stmt = info.select_statement(select);
        // SQLite has no row locks: its write transactions lock the database.
        assert_eq!(
            stmt.to_string(SqliteQueryBuilder).trim_end(),
            r#"SELECT "id", "title" FROM "post" WHERE "owner" = 'o' AND "content" IS NULL ORDER BY "likes" DESC, "id" ASC LIMIT 2 OFFSET 1"#
        );
        assert_eq!(
            stmt.to_string(PostgresQueryBuilder),
            r#"SELECT "id", "title" FROM "post" WHERE "owner" = 'o' AND "content" IS NULL ORDER BY "likes" DESC, "id" ASC LIMIT 2 OFFSET 1 FOR UPDATE"#
        );
        let (sql, values) = stmt.build(PostgresQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT "id", "title" FROM "post" WHERE "owner" = $1 AND "content" IS NULL ORDER BY "likes" DESC, "id" ASC LIMIT $2 OFFSET $3 FOR UPDATE"#
        );
        assert_eq!(values.0.len(), 3, "every value is bound");
    }

    #[test]
    fn values_are_bound_never_spliced() {
        let info = info();
        let hostile = "x' OR '1'='1";
        let condition = info
            .condition(&query(json!({"title": hostile})), false)
            .expect("condition");
        let (sql, values) = info.count_statement(condition).build(SqliteQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT COUNT(*) AS "count" FROM "post" WHERE "title" = ?"#
        );
        assert_eq!(values.0, [Value::String(Some(hostile.to_owned()))]);
    }

    #[test]
    fn an_id_array_is_in_only_where_allowed() {
        let info = info();
        let ids = query(json!({"id": ["a", "b"]}));
        let condition = info.condition(&ids, true).expect("condition");
        assert_eq!(
            info.delete_statement(condition)
                .to_string(SqliteQueryBuilder),
            r#"DELETE FROM "post" WHERE "id" IN ('a', 'b')"#
        );
        let empty = info
            .condition(&query(json!({"id": []})), true)
            .expect("condition");
        assert_eq!(
            info.delete_statement(empty).to_string(PostgresQueryBuilder),
            r#"DELETE FROM "post" WHERE 1 = 2"#
        );
        assert!(matches!(
            info.condition(&ids, false),
            Err(Error::Validation(_))
        ));
        assert!(matches!(
            info.condition(&query(json!({"id": ["a", null]})), true),
            Err(Error::Validation(_))
        ));
        assert!(matches!(
            info.condition(&query(json!({"owner": ["a"]})), true),
            Err(Error::Validation(_))
        ));
    }

    #[test]
    fn unknown_fields_are_invalid_queries() {
        let info = info();
        assert!(matches!(
            info.condition(&query(json!({"nope": 1})), true),
            Err(Error::InvalidQuery(_))
        ));
        assert!(matches!(
            info.projection(None, Some(&["nope".to_owned()])),
            Err(Error::InvalidQuery(_))
        ));
        assert!(matches!(
            info.order(Some(&order_by(json!({"nope": 1})))),
            Err(Error::InvalidQuery(_))
        ));
    }

    #[test]
    fn wrong_types_name_every_failed_field() {
        let info = info();
        let err = info
            .condition(
                &query(json!({"likes": "many", "published": 1, "owner": "o"})),
                true,
            )
            .expect_err("bad values");
        match err {
            Error::Validation(v) => {
                let failed: Vec<(&str, &[&str])> = v
                    .failures
                    .iter()
                    .map(|f| (f.property.as_str(), f.constraints.as_slice()))
                    .collect();
                assert_eq!(
                    failed,
                    [("likes", &["isInt"][..]), ("published", &["isBoolean"][..])]
                );
                assert_eq!(v.target, Target::Query);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn order_ends_with_the_id_once() {
        let info = info();
        let id = info.id_index();
        let likes = info.index_of("likes").expect("likes");
        assert_eq!(info.order(None).expect("order"), [(id, Order::Asc)]);
        let order = info
            .order(Some(&order_by(
                json!([{"likes": -1}, {"id": "desc"}, {"likes": 1}]),
            )))
            .expect("order");
        assert_eq!(order, [(likes, Order::Desc), (id, Order::Desc)]);
    }

    #[test]
    fn offset_without_limit_still_builds_on_sqlite() {
        let info = info();
        let select = Select {
            condition: Condition::all(),
            columns: vec![info.id_index()],
            order: Vec::new(),
            limit: None,
            offset: Some(3),
            lock: false,
        };
        assert_eq!(
            info.select_statement(select).to_string(SqliteQueryBuilder),
            r#"SELECT "id" FROM "post" WHERE TRUE LIMIT 9223372036854775807 OFFSET 3"#
        );
    }

    #[test]
    fn updates_and_inserts() {
        let info = info();
        let likes = info.index_of("likes").expect("likes");
        let update = info.update_statement(
            info.id_condition(Value::String(Some("a".into()))),
            Changes {
                sets: vec![(likes, Value::BigInt(Some(4)))],
                increments: Vec::new(),
            },
        );
        assert_eq!(
            update.to_string(PostgresQueryBuilder),
            r#"UPDATE "post" SET "likes" = 4 WHERE "id" = 'a'"#
        );
        let insert = info
            .insert_statement(vec![
                (info.id_index(), Value::String(Some("a".into()))),
                (likes, Value::BigInt(None)),
            ])
            .expect("insert");
        assert_eq!(
            insert.to_string(SqliteQueryBuilder),
            r#"INSERT INTO "post" ("id", "likes") VALUES ('a', NULL)"#
        );
    }

    #[test]
    fn increments_are_computed_by_the_database() {
        let info = info();
        let likes = info.index_of("likes").expect("likes");
        let title = info.index_of("title").expect("title");
        let update = info.update_statement(
            info.id_condition(Value::String(Some("a".into()))),
            Changes {
                sets: vec![(title, Value::String(Some("t".into())))],
                increments: vec![(likes, 1)],
            },
        );
        assert_eq!(
            update.to_string(PostgresQueryBuilder),
            r#"UPDATE "post" SET "title" = 't', "likes" = COALESCE("likes", 0) + 1 WHERE "id" = 'a'"#
        );
        assert_eq!(
            update.to_string(SqliteQueryBuilder),
            r#"UPDATE "post" SET "title" = 't', "likes" = IFNULL("likes", 0) + 1 WHERE "id" = 'a'"#
        );
        let (_, values) = update.build(PostgresQueryBuilder);
        assert_eq!(values.0.len(), 4, "the amount is bound too");
    }
}
