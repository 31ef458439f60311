//! [`Increment`]: a counter an update adds to in the statement that applies it.

use super::Map;
use crate::error::{Error, Result};
use crate::storage::{ColumnKind, EntityInfo};

/// A numeric field an update adds to, computed by the database in the
/// UPDATE itself (`SET field = COALESCE(field, 0) + by`), so that concurrent
/// updates never lose a count and no read-modify-write is needed.
///
/// Increments are declared by server code only, never read from client data:
/// on a service ([`CrudService::with_increment`](super::CrudService::with_increment)),
/// where they apply to every update, or per call
/// ([`CrudService::patch_one_with`](super::CrudService::patch_one_with)). An
/// increment made [`when_any_set`](Increment::when_any_set) applies only to
/// updates whose data sets one of the listed fields: a revision counter.
///
/// ```
/// use ferrocrud::service::Increment;
///
/// // Every token of a user dies when its password, email or username changes.
/// let revoke = Increment::new("rvkd", 1).when_any_set(&["password", "email", "username"]);
/// assert_eq!(revoke.field(), "rvkd");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Increment {
    field: String,
    by: i64,
    when_any_set: Option<Vec<String>>,
}

impl Increment {
    /// Adds `by` to `field` (a nullable `NULL` counts as 0).
    pub fn new(field: &str, by: i64) -> Self {
        Self {
            field: field.to_owned(),
            by,
            when_any_set: None,
        }
    }

    /// Only for updates whose data sets at least one of `fields` (wire names).
    pub fn when_any_set(mut self, fields: &[&str]) -> Self {
        self.when_any_set = Some(fields.iter().map(|f| (*f).to_owned()).collect());
        self
    }

    /// The counter's wire name.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The amount added.
    pub fn by(&self) -> i64 {
        self.by
    }

    /// Whether the increment applies to an update setting `data`.
    fn applies_to(&self, data: &Map) -> bool {
        self.when_any_set
            .as_ref()
            .is_none_or(|fields| fields.iter().any(|f| data.contains_key(f)))
    }

    /// The counter's column, checked to be an integer column of the entity,
    /// and the trigger fields checked to exist.
    pub(crate) fn check(&self, info: &EntityInfo) -> Result<usize> {
        let unknown =
            |field: &str| Error::InvalidQuery(format!("increment names unknown field {field}"));
        let index = info
            .index_of(&self.field)
            .ok_or_else(|| unknown(&self.field))?;
        let column = &info.columns()[index];
        if !matches!(column.kind, ColumnKind::Int | ColumnKind::BigInt)
            || column.primary_key
            || info.is_timestamp(index)
        {
            return Err(Error::InvalidQuery(format!(
                "increment field {} is not an integer field",
                self.field
            )));
        }
        for field in self.when_any_set.iter().flatten() {
            info.index_of(field).ok_or_else(|| unknown(field))?;
        }
        Ok(index)
    }
}

/// The increments of `service` and `call` that apply to an update setting
/// `data`, as (column index, amount), one entry per column (amounts summed).
///
/// # Errors
///
/// [`Error::InvalidQuery`] for an increment on an unknown or non-integer
/// field; [`Error::ManagedField`] when `data` sets a counter that is
/// incremented in the same update.
pub(crate) fn applicable(
    info: &EntityInfo,
    service: &[Increment],
    call: &[Increment],
    data: &Map,
) -> Result<Vec<(usize, i64)>> {
    let mut out: Vec<(usize, i64)> = Vec::new();
    for increment in service.iter().chain(call) {
        let index = increment.check(info)?;
        if !increment.applies_to(data) {
            continue;
        }
        if data.contains_key(&increment.field) {
            return Err(Error::ManagedField(increment.field.clone()));
        }
        match out.iter_mut().find(|(i, _)| *i == index) {
            Some((_, by)) => *by = by.saturating_add(increment.by),
            None => out.push((index, increment.by)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::storage::testing::post;

    fn info() -> EntityInfo {
        EntityInfo::new::<post::Entity>(&schemars::schema_for!(post::Model)).expect("post info")
    }

    fn data(value: serde_json::Value) -> Map {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn conditional_increments_follow_the_data() {
        let info = info();
        let likes = info.index_of("likes").expect("likes");
        let on_title = [Increment::new("likes", 1).when_any_set(&["title"])];
        assert_eq!(
            applicable(&info, &on_title, &[], &data(json!({"title": "t"}))).expect("ok"),
            [(likes, 1)]
        );
        assert_eq!(
            applicable(&info, &on_title, &[], &data(json!({"content": "c"}))).expect("ok"),
            []
        );
    }

    #[test]
    fn amounts_on_one_column_add_up() {
        let info = info();
        let likes = info.index_of("likes").expect("likes");
        let service = [Increment::new("likes", 1)];
        let call = [Increment::new("likes", 2)];
        assert_eq!(
            applicable(&info, &service, &call, &Map::new()).expect("ok"),
            [(likes, 3)]
        );
    }

    #[test]
    fn bad_increments_are_refused() {
        let info = info();
        for bad in ["nope", "title", "id", "createdAt"] {
            let err = applicable(&info, &[Increment::new(bad, 1)], &[], &Map::new());
            assert!(matches!(err, Err(Error::InvalidQuery(_))), "{bad}");
        }
        let err = applicable(
            &info,
            &[Increment::new("likes", 1).when_any_set(&["nope"])],
            &[],
            &data(json!({"title": "t"})),
        );
        assert!(matches!(err, Err(Error::InvalidQuery(_))));
    }

    #[test]
    fn data_cannot_set_an_incremented_counter() {
        let info = info();
        let err = applicable(
            &info,
            &[Increment::new("likes", 1)],
            &[],
            &data(json!({"likes": 0})),
        );
        assert!(matches!(err, Err(Error::ManagedField(f)) if f == "likes"));
    }

    async fn posts(db: crate::storage::Db) -> super::super::CrudService<post::Entity> {
        let posts = super::super::CrudService::<post::Entity>::new(db)
            .expect("post service")
            .with_increment(Increment::new("likes", 1).when_any_set(&["title"]))
            .expect("valid increment");
        posts.ensure_table().await.expect("post table");
        posts
    }

    fn ctx() -> crate::context::CrudContext {
        crate::context::CrudContext::internal_for::<post::Model>(crate::context::Verb::Patch)
    }

    async fn likes(posts: &super::super::CrudService<post::Entity>, id: &str) -> serde_json::Value {
        let row = posts
            .find_one(data(json!({"id": id})), &ctx())
            .await
            .expect("find")
            .expect("the post");
        row["likes"].clone()
    }

    crate::db_test!(
        service_increments_count_from_null_in_every_update_path,
        |db| {
            let posts = posts(db).await;
            let created = posts
                .create(data(json!({"owner": "o", "title": "a"})), &ctx())
                .await
                .expect("create");
            let id = created["id"].as_str().expect("id").to_owned();
            let by_id = data(json!({"id": id}));
            posts
                .patch_one(by_id.clone(), data(json!({"title": "b"})), &ctx())
                .await
                .expect("patch one");
            assert_eq!(likes(&posts, &id).await, json!(1), "NULL + 1");
            posts
                .patch(by_id.clone(), data(json!({"content": "c"})), &ctx())
                .await
                .expect("patch");
            assert_eq!(likes(&posts, &id).await, json!(1), "title not set");
            posts
                .patch_batch(
                    vec![
                        (by_id.clone(), data(json!({"title": "c"}))),
                        (by_id.clone(), data(json!({"content": "d"}))),
                    ],
                    &ctx(),
                )
                .await
                .expect("patch batch");
            assert_eq!(likes(&posts, &id).await, json!(2));
            posts
                .patch_in(
                    vec![json!(id)],
                    Map::new(),
                    data(json!({"title": "d"})),
                    &ctx(),
                )
                .await
                .expect("patch in");
            assert_eq!(likes(&posts, &id).await, json!(3));
        }
    );

    crate::db_test!(call_increments_apply_without_data, |db| {
        let posts = posts(db).await;
        let created = posts
            .create(
                data(json!({"owner": "o", "title": "a", "likes": 5})),
                &ctx(),
            )
            .await
            .expect("create");
        let id = created["id"].as_str().expect("id").to_owned();
        let by_id = data(json!({"id": id}));
        let answer = posts
            .patch_one_with(
                by_id.clone(),
                Map::new(),
                &[Increment::new("likes", 10)],
                &ctx(),
            )
            .await
            .expect("patch one with");
        assert_eq!(answer.count, 1);
        assert_eq!(likes(&posts, &id).await, json!(15));
        posts
            .patch_with(
                by_id.clone(),
                data(json!({"title": "b"})),
                &[Increment::new("likes", -2)],
                &ctx(),
            )
            .await
            .expect("patch with");
        assert_eq!(
            likes(&posts, &id).await,
            json!(14),
            "service +1 and call -2"
        );
        let err = posts
            .patch_with(by_id, data(json!({"title": "c", "likes": 0})), &[], &ctx())
            .await
            .expect_err("likes is incremented by this update");
        assert!(matches!(err, Error::ManagedField(_)), "{err:?}");
        assert_eq!(likes(&posts, &id).await, json!(14), "nothing written");
    });

    crate::db_test!(concurrent_increments_are_not_lost, |db| {
        let posts = posts(db).await;
        let created = posts
            .create(data(json!({"owner": "o", "title": "a"})), &ctx())
            .await
            .expect("create");
        let id = created["id"].as_str().expect("id").to_owned();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let posts = posts.clone();
            let query = data(json!({"id": id}));
            tasks.push(tokio::spawn(async move {
                posts
                    .patch_with(query, Map::new(), &[Increment::new("likes", 1)], &ctx())
                    .await
                    .expect("increment")
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        assert_eq!(likes(&posts, &id).await, json!(8));
    });
}
