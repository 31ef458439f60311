//! [`ModelHooks`]: hooks over an entity's Model, beside the JSON
//! [`Hooks`](super::Hooks).

use std::fmt;
use std::marker::PhantomData;

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Map;
use crate::context::CrudContext;
use crate::error::{Error, Result};

/// Code run around a service's creates and reads, on the entity's Model
/// rather than on JSON: registered with
/// [`CrudService::with_model_hooks`](super::CrudService::with_model_hooks),
/// beside any JSON [`Hooks`](super::Hooks).
///
/// Every method has a no-op default; implement the ones you need.
///
/// - [`before_create`](Self::before_create) sees each row as it will be
///   written, once the service has checked the data: the id (a new UUID v7
///   unless given), the fields given, secret ones included, and the
///   timestamps. A change is checked again like the data of a create; a
///   field the data left out and the hook leaves `None` stays out.
/// - [`after_create`](Self::after_create) and
///   [`after_read`](Self::after_read) see the rows the caller receives, so
///   without secret fields; `after_read` runs only on reads of whole rows
///   (not `find_ids`, not when `fields` or `exclude` leave a field out).
/// - The JSON hooks run outside the typed ones: JSON `before_create`, typed
///   `before_create`, the write, typed `after_create`, JSON `after_create`.
/// - An error fails the operation and goes to the JSON `on_*_error` hook,
///   as a JSON hook's would; `skipServiceHooks` skips these hooks too.
///
/// The rows are converted to Models and back through the Model's serde
/// attributes, only when model hooks are registered: fields a row may lack
/// (secrets, columns with a database default) need `#[serde(default)]` or
/// an `Option`, else the conversion fails with [`Error::ModelMismatch`].
///
/// ```
/// # mod post {
/// #     use sea_orm::entity::prelude::*;
/// #     #[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// #     #[sea_orm(table_name = "post")]
/// #     #[serde(rename_all = "camelCase")]
/// #     pub struct Model {
/// #         #[sea_orm(primary_key, auto_increment = false)]
/// #         pub id: String,
/// #         pub title: String,
/// #         pub slug: Option<String>,
/// #     }
/// #     impl ferrocrud::shared::Resource for Model {
/// #         const SERVICE: &'static str = "post";
/// #     }
/// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// #     pub enum Relation {}
/// #     impl ActiveModelBehavior for ActiveModel {}
/// # }
/// use ferrocrud::prelude::*;
///
/// /// Gives every new post a slug made from its title.
/// struct Slugs;
///
/// impl ModelHooks<post::Model> for Slugs {
///     fn before_create<'a>(
///         &'a self,
///         _ctx: &'a CrudContext,
///         posts: &'a mut [post::Model],
///     ) -> BoxFuture<'a, Result<()>> {
///         Box::pin(async move {
///             for post in posts.iter_mut() {
///                 post.slug = Some(post.title.to_lowercase().replace(' ', "-"));
///             }
///             Ok(())
///         })
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<()> {
/// let db = Db::connect("sqlite::memory:").await?;
/// let posts = CrudService::<post::Entity>::new(db)?.with_model_hooks(Slugs);
/// posts.ensure_table().await?;
/// let ctx = CrudContext::internal(Verb::Post, "post");
/// let data = serde_json::json!({"title": "Hello World"});
/// let created = posts.create(data.as_object().cloned().unwrap_or_default(), &ctx).await?;
/// assert_eq!(created["slug"], "hello-world");
/// # Ok(())
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not hooks over `{M}`",
    note = "a `CrudService<E>` takes hooks over its entity's Model: implement `ModelHooks<E::Model>` for `{Self}`"
)]
#[allow(unused_variables)]
pub trait ModelHooks<M>: Send + Sync + 'static {
    /// Before rows are created: may change them (but not add or remove any).
    fn before_create<'a>(
        &'a self,
        ctx: &'a CrudContext,
        models: &'a mut [M],
    ) -> BoxFuture<'a, Result<()>> {
        done()
    }

    /// After rows are created, with the rows as the caller receives them.
    fn after_create<'a>(
        &'a self,
        ctx: &'a CrudContext,
        created: &'a [M],
    ) -> BoxFuture<'a, Result<()>> {
        done()
    }

    /// After a read of whole rows (`find_one`, `find`, `find_in`).
    fn after_read<'a>(&'a self, ctx: &'a CrudContext, found: &'a [M]) -> BoxFuture<'a, Result<()>> {
        done()
    }
}

fn done<'a>() -> BoxFuture<'a, Result<()>> {
    Box::pin(std::future::ready(Ok(())))
}

/// [`ModelHooks`] without the Model type, on JSON rows: what the
/// non-generic service core calls.
pub(crate) trait RowHooks: Send + Sync {
    /// `rows` are whole rows as they will be written; they are replaced
    /// with the rows the hook left, every field of the Model set.
    fn before_create<'a>(
        &'a self,
        ctx: &'a CrudContext,
        rows: &'a mut Vec<Map>,
    ) -> BoxFuture<'a, Result<()>>;

    fn after_create<'a>(
        &'a self,
        ctx: &'a CrudContext,
        created: &'a [Value],
    ) -> BoxFuture<'a, Result<()>>;

    fn after_read<'a>(
        &'a self,
        ctx: &'a CrudContext,
        found: &'a [Value],
    ) -> BoxFuture<'a, Result<()>>;
}

/// The [`RowHooks`] of a Model's [`ModelHooks`].
pub(crate) struct TypedRowHooks<M, H> {
    hooks: H,
    /// The entity's type name, for conversion errors.
    entity: String,
    model: PhantomData<fn(M) -> M>,
}

impl<M, H> TypedRowHooks<M, H> {
    pub(crate) fn new(hooks: H, entity: &str) -> Self {
        Self {
            hooks,
            entity: entity.to_owned(),
            model: PhantomData,
        }
    }
}

impl<M, H> fmt::Debug for TypedRowHooks<M, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedRowHooks")
            .field("entity", &self.entity)
            .finish_non_exhaustive()
    }
}

impl<M, H> TypedRowHooks<M, H>
where
    M: Serialize + DeserializeOwned,
{
    fn mismatch(&self, source: serde_json::Error) -> Error {
        Error::ModelMismatch {
            entity: self.entity.clone(),
            source,
        }
    }

    fn models(&self, rows: &[Value]) -> Result<Vec<M>> {
        rows.iter()
            .map(|row| M::deserialize(row).map_err(|source| self.mismatch(source)))
            .collect()
    }
}

impl<M, H> RowHooks for TypedRowHooks<M, H>
where
    M: Serialize + DeserializeOwned + Send + Sync,
    H: ModelHooks<M>,
{
    fn before_create<'a>(
        &'a self,
        ctx: &'a CrudContext,
        rows: &'a mut Vec<Map>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut models = std::mem::take(rows)
                .into_iter()
                .map(|row| serde_json::from_value(Value::Object(row)))
                .collect::<Result<Vec<M>, _>>()
                .map_err(|source| self.mismatch(source))?;
            self.hooks.before_create(ctx, &mut models).await?;
            for model in &models {
                match serde_json::to_value(model).map_err(|source| self.mismatch(source))? {
                    Value::Object(row) => rows.push(row),
                    _ => return Err(Error::Internal("a Model does not serialize as an object")),
                }
            }
            Ok(())
        })
    }

    fn after_create<'a>(
        &'a self,
        ctx: &'a CrudContext,
        created: &'a [Value],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let models = self.models(created)?;
            self.hooks.after_create(ctx, &models).await
        })
    }

    fn after_read<'a>(
        &'a self,
        ctx: &'a CrudContext,
        found: &'a [Value],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let models = self.models(found)?;
            self.hooks.after_read(ctx, &models).await
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::json;

    use super::*;
    use crate::context::Verb;
    use crate::service::{CrudService, Hooks};
    use crate::shared::{CrudOptions, FindResponse};
    use crate::storage::Db;
    use crate::storage::testing::post;

    /// A fixture with a secret field.
    #[allow(unreachable_pub)]
    mod note {
        use sea_orm::entity::prelude::*;

        #[derive(
            Clone,
            Debug,
            PartialEq,
            DeriveEntityModel,
            serde::Serialize,
            serde::Deserialize,
            schemars::JsonSchema,
        )]
        #[sea_orm(table_name = "note")]
        #[serde(rename_all = "camelCase")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: String,
            pub title: String,
            #[schemars(extend("x-secret" = true))]
            #[serde(default)]
            pub pin: Option<String>,
            pub pin_set: Option<bool>,
        }

        impl crate::shared::Resource for Model {
            const SERVICE: &'static str = "note";
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    type Log = Arc<Mutex<Vec<String>>>;

    fn take(log: &Log) -> Vec<String> {
        std::mem::take(&mut *log.lock().expect("lock"))
    }

    fn obj(value: Value) -> Map {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn ctx() -> CrudContext {
        CrudContext::internal(Verb::Post, "post")
    }

    fn ctx_with(options: Value) -> CrudContext {
        let mut ctx = ctx();
        ctx.options = serde_json::from_value::<CrudOptions>(options).expect("options");
        ctx
    }

    fn keys(value: &Value) -> Vec<&str> {
        value
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect()
    }

    /// Upper-cases titles and gives published posts one like; records what
    /// every hook sees.
    #[derive(Clone, Default)]
    struct Posts(Log);

    impl ModelHooks<post::Model> for Posts {
        fn before_create<'a>(
            &'a self,
            _: &'a CrudContext,
            posts: &'a mut [post::Model],
        ) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                for post in posts.iter_mut() {
                    self.0
                        .lock()
                        .expect("lock")
                        .push(format!("model before_create {}", post.title));
                    post.title = post.title.to_uppercase();
                    if post.published == Some(true) {
                        post.likes = Some(1);
                    }
                }
                Ok(())
            })
        }

        fn after_create<'a>(
            &'a self,
            _: &'a CrudContext,
            created: &'a [post::Model],
        ) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                let titles: Vec<&str> = created.iter().map(|p| p.title.as_str()).collect();
                self.0
                    .lock()
                    .expect("lock")
                    .push(format!("model after_create {titles:?}"));
                Ok(())
            })
        }

        fn after_read<'a>(
            &'a self,
            _: &'a CrudContext,
            found: &'a [post::Model],
        ) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                let titles: Vec<&str> = found.iter().map(|p| p.title.as_str()).collect();
                self.0
                    .lock()
                    .expect("lock")
                    .push(format!("model after_read {titles:?}"));
                Ok(())
            })
        }
    }

    /// JSON hooks that trim titles and record themselves in the same log.
    #[derive(Clone, Default)]
    struct Json(Log);

    impl Hooks for Json {
        fn before_create<'a>(
            &'a self,
            _: &'a CrudContext,
            data: &'a mut Vec<Map>,
        ) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                self.0
                    .lock()
                    .expect("lock")
                    .push("json before_create".into());
                for item in data.iter_mut() {
                    if let Some(Value::String(title)) = item.get_mut("title") {
                        *title = title.trim().to_owned();
                    }
                }
                Ok(())
            })
        }

        fn after_create<'a>(
            &'a self,
            _: &'a CrudContext,
            created: &'a mut Vec<Value>,
        ) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                self.0
                    .lock()
                    .expect("lock")
                    .push("json after_create".into());
                for row in created.iter_mut() {
                    row["hooked"] = json!(true);
                }
                Ok(())
            })
        }

        fn after_read<'a>(
            &'a self,
            _: &'a CrudContext,
            _: &'a mut FindResponse<Value>,
        ) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                self.0.lock().expect("lock").push("json after_read".into());
                Ok(())
            })
        }
    }

    async fn posts(db: Db) -> CrudService<post::Entity> {
        let service = CrudService::<post::Entity>::new(db).expect("post service");
        service.ensure_table().await.expect("post table");
        service
    }

    crate::db_test!(model_hooks_change_created_rows_and_see_them, |db| {
        let log = Log::default();
        let posts = posts(db).await.with_model_hooks(Posts(log.clone()));

        let quiet = posts
            .create(obj(json!({"owner": "o", "title": "quiet"})), &ctx())
            .await
            .expect("create");
        assert_eq!(quiet["title"], "QUIET");
        assert_eq!(
            keys(&quiet),
            ["id", "owner", "title", "createdAt", "updatedAt"],
            "fields left out and left None by the hook stay out"
        );
        assert_eq!(
            take(&log),
            [
                "model before_create quiet",
                r#"model after_create ["QUIET"]"#
            ]
        );

        let batch = posts
            .create_batch(
                vec![
                    obj(json!({"title": "a", "published": true, "owner": "o"})),
                    obj(json!({"owner": "o", "title": "b"})),
                ],
                &ctx(),
            )
            .await
            .expect("batch");
        assert_eq!(
            keys(&batch[0]),
            [
                "id",
                "title",
                "published",
                "owner",
                "likes",
                "createdAt",
                "updatedAt"
            ],
            "the data's order, then what the hook added"
        );
        assert_eq!(
            (&batch[0]["likes"], &batch[1]["likes"]),
            (&json!(1), &Value::Null)
        );
        assert_eq!(
            take(&log),
            [
                "model before_create a",
                "model before_create b",
                r#"model after_create ["A", "B"]"#
            ]
        );

        let stored = posts
            .find_one(obj(json!({"title": "A"})), &ctx())
            .await
            .expect("find_one")
            .expect("found");
        assert_eq!(stored["likes"], 1, "the hook's change is stored");
        assert_eq!(take(&log), [r#"model after_read ["A"]"#]);
        let page = posts.find(Map::new(), &ctx()).await.expect("find");
        assert_eq!(page.data.len(), 3);
        assert_eq!(take(&log).len(), 1);
    });

    crate::db_test!(json_hooks_run_outside_model_hooks, |db| {
        let log = Log::default();
        let posts = posts(db)
            .await
            .with_hooks(Json(log.clone()))
            .with_model_hooks(Posts(log.clone()));
        let created = posts
            .create(obj(json!({"owner": "o", "title": "  padded  "})), &ctx())
            .await
            .expect("create");
        assert_eq!(
            (&created["title"], &created["hooked"]),
            (&json!("PADDED"), &json!(true))
        );
        assert_eq!(
            take(&log),
            [
                "json before_create",
                "model before_create padded",
                r#"model after_create ["PADDED"]"#,
                "json after_create"
            ]
        );
        posts.find(Map::new(), &ctx()).await.expect("find");
        assert_eq!(
            take(&log),
            [r#"model after_read ["PADDED"]"#, "json after_read"]
        );
    });

    crate::db_test!(model_hooks_skip_partial_reads_and_skipped_hooks, |db| {
        let log = Log::default();
        let posts = posts(db).await.with_model_hooks(Posts(log.clone()));
        posts
            .create(obj(json!({"owner": "o", "title": "t"})), &ctx())
            .await
            .expect("create");
        take(&log);

        for options in [json!({"fields": ["title"]}), json!({"exclude": ["likes"]})] {
            let page = posts
                .find(Map::new(), &ctx_with(options))
                .await
                .expect("projected find");
            assert_eq!(page.data.len(), 1);
        }
        let ids = posts.find_ids(Map::new(), &ctx()).await.expect("find_ids");
        assert_eq!(ids.data.len(), 1);
        assert_eq!(take(&log), Vec::<String>::new());

        let skip = ctx_with(json!({"skipServiceHooks": true}));
        let created = posts
            .create(obj(json!({"owner": "o", "title": "quiet"})), &skip)
            .await
            .expect("create");
        assert_eq!(created["title"], "quiet");
        posts.find(Map::new(), &skip).await.expect("find");
        assert_eq!(take(&log), Vec::<String>::new());
    });

    /// Sets `pinSet` from the secret `pin`, and refuses the title `refused`.
    struct Pins;

    impl ModelHooks<note::Model> for Pins {
        fn before_create<'a>(
            &'a self,
            _: &'a CrudContext,
            notes: &'a mut [note::Model],
        ) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                for note in notes.iter_mut() {
                    if note.title == "refused" {
                        return Err(Error::BadRequest("refused title"));
                    }
                    note.pin_set = Some(note.pin.is_some());
                }
                Ok(())
            })
        }

        fn after_create<'a>(
            &'a self,
            _: &'a CrudContext,
            created: &'a [note::Model],
        ) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                if created.iter().any(|note| note.pin.is_some()) {
                    return Err(Error::Internal("after_create saw a secret"));
                }
                Ok(())
            })
        }
    }

    crate::db_test!(model_hooks_see_secrets_they_write_and_refuse_rows, |db| {
        let notes = CrudService::<note::Entity>::new(db.clone())
            .expect("note service")
            .with_model_hooks(Pins);
        notes.ensure_table().await.expect("note table");

        let created = notes
            .create(obj(json!({"title": "n", "pin": "1234"})), &ctx())
            .await
            .expect("create");
        assert_eq!(keys(&created), ["id", "title", "pinSet"]);
        assert_eq!(created["pinSet"], true);
        let stored = <note::Entity as sea_orm::EntityTrait>::find()
            .one(notes.db())
            .await
            .expect("select")
            .expect("a row");
        assert_eq!(
            stored.pin.as_deref(),
            Some("1234"),
            "the secret given is written"
        );

        let err = notes
            .create_batch(
                vec![
                    obj(json!({"title": "ok"})),
                    obj(json!({"title": "refused"})),
                ],
                &ctx(),
            )
            .await
            .expect_err("refused");
        assert!(matches!(err, Error::BadRequest("refused title")), "{err:?}");
        let page = notes.find(Map::new(), &ctx()).await.expect("find");
        assert_eq!(
            page.total,
            Some(1),
            "nothing of the refused batch is written"
        );
    });
}
