//! Service tests: every body runs on SQLite, and on PostgreSQL when
//! `FERROCRUD_TEST_POSTGRES_URL` is set.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::{BoxFuture, CrudService, DynService, Hooks, Map};
use crate::context::{CrudContext, Verb};
use crate::error::{Error, Result, Target};
use crate::shared::{CrudOptions, DeleteResponse, FindResponse, PatchResponse};
use crate::storage::testing::post;
use crate::storage::{Db, parse_timestamp};

/// A second fixture: one column of each kind, a unique column, a secret
/// field, `createdAt` without `updatedAt`.
#[allow(unreachable_pub)]
mod gadget {
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
    #[sea_orm(table_name = "gadget")]
    #[serde(rename_all = "camelCase")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        #[sea_orm(unique)]
        pub name: String,
        pub size: Option<i32>,
        pub weight: Option<f64>,
        pub specs: Option<Json>,
        #[schemars(extend("x-secret" = true))]
        #[serde(default)]
        pub secret_code: Option<String>,
        #[serde(with = "crate::storage::timestamp")]
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl crate::shared::Resource for Model {
        const SERVICE: &'static str = "gadget";
    }
}

fn obj(value: Value) -> Map {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn ctx() -> CrudContext {
    CrudContext::internal_for::<post::Model>(Verb::Post)
}

fn ctx_with(options: Value) -> CrudContext {
    let mut ctx = ctx();
    ctx.options = serde_json::from_value::<CrudOptions>(options).expect("options");
    ctx
}

async fn posts(db: Db) -> CrudService<post::Entity> {
    let service = CrudService::<post::Entity>::new(db).expect("post service");
    service.ensure_table().await.expect("post table");
    service
}

async fn gadgets(db: Db) -> CrudService<gadget::Entity> {
    let service = CrudService::<gadget::Entity>::new(db).expect("gadget service");
    service.ensure_table().await.expect("gadget table");
    service
}

/// Creates posts `t0`, `t1`, ... with likes 0, 10, 20, ... for owner `o`.
async fn seed(service: &CrudService<post::Entity>, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let created = service
            .create(
                obj(json!({"owner": "o", "title": format!("t{i}"), "likes": i * 10})),
                &ctx(),
            )
            .await
            .expect("create");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    ids
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn titles(page: &FindResponse<Value>) -> Vec<&str> {
    page.data
        .iter()
        .map(|row| row["title"].as_str().expect("title"))
        .collect()
}

fn assert_wire_timestamp(value: &Value) {
    let text = value.as_str().expect("timestamp is a string");
    assert_eq!(text.len(), 24, "{text}");
    assert!(text.ends_with('Z') && text.as_bytes()[19] == b'.', "{text}");
    assert!(parse_timestamp(text).is_some(), "{text}");
}

fn constraints(error: &Error) -> Vec<(String, Vec<&'static str>)> {
    match error {
        Error::Validation(v) => v
            .failures
            .iter()
            .map(|f| (f.property.clone(), f.constraints.clone()))
            .collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

// ----- create -------------------------------------------------------------

crate::db_test!(create_answers_id_given_fields_then_timestamps, |db| {
    let posts = posts(db).await;
    let created = posts
        .create(
            obj(json!({"owner": "u1", "title": "first", "content": "hello world", "likes": 3})),
            &ctx(),
        )
        .await
        .expect("create");
    assert_eq!(
        keys(&created),
        [
            "id",
            "owner",
            "title",
            "content",
            "likes",
            "createdAt",
            "updatedAt"
        ]
    );
    let id = uuid::Uuid::parse_str(created["id"].as_str().expect("id")).expect("uuid");
    assert_eq!(id.get_version_num(), 7);
    assert_eq!(created["likes"], json!(3));
    assert_wire_timestamp(&created["createdAt"]);
    assert_eq!(created["createdAt"], created["updatedAt"]);
});

crate::db_test!(create_keeps_timestamps_and_a_client_id, |db| {
    let posts = posts(db).await;
    let created = posts
        .create(
            obj(json!({
                "id": "my-id", "owner": "u1", "title": "x",
                "createdAt": "2000-01-01T00:00:00.000Z"
            })),
            &ctx(),
        )
        .await
        .expect("create");
    assert_eq!(created["id"], "my-id");
    assert_ne!(created["createdAt"], "2000-01-01T00:00:00.000Z");
    let read = posts
        .find_one(obj(json!({"id": "my-id"})), &ctx())
        .await
        .expect("find")
        .expect("found");
    assert_eq!(read["createdAt"], created["createdAt"]);
    assert_eq!(read["updatedAt"], created["updatedAt"]);
});

crate::db_test!(create_refuses_bad_data, |db| {
    let posts = posts(db).await;
    let err = posts
        .create(obj(json!({"owner": "u1", "content": "no title"})), &ctx())
        .await
        .expect_err("missing title");
    assert_eq!(constraints(&err), [("title".to_owned(), vec!["isString"])]);
    let err = posts
        .create(
            obj(json!({"owner": "u1", "title": "x", "hacker": 1})),
            &ctx(),
        )
        .await
        .expect_err("unknown field");
    assert_eq!(
        constraints(&err),
        [("hacker".to_owned(), vec!["whitelistValidation"])]
    );
    let err = posts
        .create(
            obj(json!({"owner": "u1", "title": "x", "likes": "many"})),
            &ctx(),
        )
        .await
        .expect_err("wrong type");
    assert_eq!(constraints(&err), [("likes".to_owned(), vec!["isInt"])]);
    let err = posts
        .create(obj(json!({"owner": null, "title": "x"})), &ctx())
        .await
        .expect_err("null in a required field");
    assert_eq!(constraints(&err), [("owner".to_owned(), vec!["isString"])]);
    match &err {
        Error::Validation(v) => {
            assert_eq!(v.target, Target::Data);
            assert_eq!(v.type_name, "Post");
        }
        other => panic!("{other:?}"),
    }
    let total = posts.find(Map::new(), &ctx()).await.expect("find").total;
    assert_eq!(total, Some(0));
});

crate::db_test!(create_batch_answers_each_row, |db| {
    let posts = posts(db).await;
    let created = posts
        .create_batch(
            vec![
                obj(json!({"owner": "o", "title": "a"})),
                obj(json!({"owner": "o", "title": "b", "published": true})),
            ],
            &ctx(),
        )
        .await
        .expect("batch");
    assert_eq!(
        keys(&created[0]),
        ["id", "owner", "title", "createdAt", "updatedAt"]
    );
    assert_eq!(
        keys(&created[1]),
        [
            "id",
            "owner",
            "title",
            "published",
            "createdAt",
            "updatedAt"
        ]
    );
    assert_ne!(created[0]["id"], created[1]["id"]);
});

crate::db_test!(create_batch_with_one_bad_row_writes_nothing, |db| {
    let gadgets = gadgets(db).await;
    let err = gadgets
        .create_batch(
            vec![
                obj(json!({"name": "a"})),
                obj(json!({"name": "b"})),
                obj(json!({"name": "a"})),
            ],
            &ctx(),
        )
        .await
        .expect_err("duplicate name");
    assert!(matches!(err, Error::UniqueViolation), "{err:?}");
    let page = gadgets.find(Map::new(), &ctx()).await.expect("find");
    assert_eq!(page.total, Some(0));
});

crate::db_test!(unique_violations_are_unique_violation_errors, |db| {
    let gadgets = gadgets(db).await;
    gadgets
        .create(obj(json!({"id": "g1", "name": "a"})), &ctx())
        .await
        .expect("first");
    let err = gadgets
        .create(obj(json!({"name": "a"})), &ctx())
        .await
        .expect_err("same name");
    assert!(matches!(err, Error::UniqueViolation), "{err:?}");
    let err = gadgets
        .create(obj(json!({"id": "g1", "name": "b"})), &ctx())
        .await
        .expect_err("same id");
    assert!(matches!(err, Error::UniqueViolation), "{err:?}");
    gadgets
        .create(obj(json!({"name": "c"})), &ctx())
        .await
        .expect("other");
    let err = gadgets
        .patch(obj(json!({"name": "c"})), obj(json!({"name": "a"})), &ctx())
        .await
        .expect_err("patch to a taken name");
    assert!(matches!(err, Error::UniqueViolation), "{err:?}");
});

// ----- reads --------------------------------------------------------------

crate::db_test!(find_one_answers_every_column_in_entity_order, |db| {
    let posts = posts(db).await;
    let created = posts
        .create(
            obj(json!({"owner": "u1", "title": "second", "published": true})),
            &ctx(),
        )
        .await
        .expect("create");
    let found = posts
        .find_one(obj(json!({"id": created["id"], "owner": "u1"})), &ctx())
        .await
        .expect("find")
        .expect("found");
    assert_eq!(
        found,
        json!({
            "id": created["id"], "owner": "u1", "title": "second", "content": null,
            "published": true, "likes": null,
            "createdAt": created["createdAt"], "updatedAt": created["updatedAt"]
        })
    );
    assert_eq!(
        keys(&found),
        [
            "id",
            "owner",
            "title",
            "content",
            "published",
            "likes",
            "createdAt",
            "updatedAt"
        ]
    );
    let missing = posts
        .find_one(obj(json!({"id": "does-not-exist", "owner": "u1"})), &ctx())
        .await
        .expect("find");
    assert_eq!(missing, None);
});

crate::db_test!(find_counts_every_match_whatever_the_page, |db| {
    let posts = posts(db).await;
    seed(&posts, 5).await;
    let all = posts
        .find(obj(json!({"owner": "o"})), &ctx())
        .await
        .expect("find");
    assert_eq!((all.data.len(), all.total, all.limit), (5, Some(5), None));
    assert_eq!(
        serde_json::to_value(&all)
            .expect("json")
            .as_object()
            .expect("object")
            .len(),
        2,
        "no limit key when none was set"
    );

    let page = posts
        .find(
            obj(json!({"owner": "o"})),
            &ctx_with(json!({"limit": 2, "offset": 1})),
        )
        .await
        .expect("find");
    assert_eq!(titles(&page), ["t1", "t2"]);
    assert_eq!((page.total, page.limit), (Some(5), Some(2)));

    let tail = posts
        .find(obj(json!({"owner": "o"})), &ctx_with(json!({"offset": 4})))
        .await
        .expect("find");
    assert_eq!((titles(&tail), tail.total), (vec!["t4"], Some(5)));

    let none = posts
        .find(obj(json!({"owner": "x"})), &ctx_with(json!({"limit": 2})))
        .await
        .expect("find");
    assert_eq!((none.data.len(), none.total), (0, Some(0)));

    let err = posts
        .find(Map::new(), &ctx_with(json!({"limit": -1})))
        .await
        .expect_err("negative limit");
    assert!(matches!(err, Error::InvalidQuery(_)), "{err:?}");
});

crate::db_test!(find_filters_by_equality_and_null, |db| {
    let posts = posts(db).await;
    seed(&posts, 3).await;
    posts
        .patch(
            obj(json!({"title": "t1"})),
            obj(json!({"published": true})),
            &ctx(),
        )
        .await
        .expect("patch");
    let published = posts
        .find(obj(json!({"published": true})), &ctx())
        .await
        .expect("find");
    assert_eq!(titles(&published), ["t1"]);
    let unset = posts
        .find(obj(json!({"published": null})), &ctx())
        .await
        .expect("find");
    assert_eq!(titles(&unset), ["t0", "t2"]);
    let two = posts
        .find(obj(json!({"owner": "o", "likes": 20})), &ctx())
        .await
        .expect("find");
    assert_eq!(titles(&two), ["t2"]);

    let err = posts
        .find(obj(json!({"nope": 1})), &ctx())
        .await
        .expect_err("unknown field");
    assert!(matches!(err, Error::InvalidQuery(_)), "{err:?}");
    let err = posts
        .find(obj(json!({"likes": "x"})), &ctx())
        .await
        .expect_err("bad value");
    match err {
        Error::Validation(v) => assert_eq!(v.target, Target::Query),
        other => panic!("{other:?}"),
    }
    let err = posts
        .find(obj(json!({"owner": ["o", "p"]})), &ctx())
        .await
        .expect_err("array on a field other than the id");
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
});

crate::db_test!(find_orders_by_the_options, |db| {
    let posts = posts(db).await;
    seed(&posts, 3).await;
    let desc = posts
        .find(Map::new(), &ctx_with(json!({"orderBy": {"likes": "desc"}})))
        .await
        .expect("find");
    assert_eq!(titles(&desc), ["t2", "t1", "t0"]);
    posts
        .patch(
            obj(json!({"title": "t0"})),
            obj(json!({"owner": "a"})),
            &ctx(),
        )
        .await
        .expect("patch");
    let two_keys = posts
        .find(
            Map::new(),
            &ctx_with(json!({"orderBy": [{"owner": "asc"}, {"likes": -1}]})),
        )
        .await
        .expect("find");
    assert_eq!(titles(&two_keys), ["t0", "t2", "t1"]);
    let err = posts
        .find(Map::new(), &ctx_with(json!({"orderBy": {"nope": "asc"}})))
        .await
        .expect_err("unknown field");
    assert!(matches!(err, Error::InvalidQuery(_)), "{err:?}");
    let err = posts
        .find(Map::new(), &ctx_with(json!({"orderBy": {"likes": "up"}})))
        .await
        .expect_err("bad direction");
    assert!(matches!(err, Error::InvalidQuery(_)), "{err:?}");
});

crate::db_test!(projection_keeps_the_id, |db| {
    let posts = posts(db).await;
    seed(&posts, 1).await;
    let page = posts
        .find(Map::new(), &ctx_with(json!({"fields": ["title", "likes"]})))
        .await
        .expect("find");
    assert_eq!(keys(&page.data[0]), ["id", "title", "likes"]);
    let page = posts
        .find(
            Map::new(),
            &ctx_with(json!({"exclude": ["content", "createdAt"]})),
        )
        .await
        .expect("find");
    assert_eq!(
        keys(&page.data[0]),
        ["id", "owner", "title", "published", "likes", "updatedAt"]
    );
    let one = posts
        .find_one(Map::new(), &ctx_with(json!({"fields": ["owner"]})))
        .await
        .expect("find")
        .expect("found");
    assert_eq!(keys(&one), ["id", "owner"]);
    let err = posts
        .find(Map::new(), &ctx_with(json!({"fields": ["nope"]})))
        .await
        .expect_err("unknown field");
    assert!(matches!(err, Error::InvalidQuery(_)), "{err:?}");
});

crate::db_test!(an_id_array_means_in, |db| {
    let posts = posts(db).await;
    let ids = seed(&posts, 4).await;
    let some = posts
        .find(obj(json!({"id": [ids[0], ids[2], "unknown"]})), &ctx())
        .await
        .expect("find");
    assert_eq!(titles(&some), ["t0", "t2"]);
    let found = posts
        .find_in(
            vec![json!(ids[1]), json!(ids[3])],
            obj(json!({"owner": "o"})),
            &ctx(),
        )
        .await
        .expect("find_in");
    assert_eq!((titles(&found), found.total), (vec!["t1", "t3"], Some(2)));
    let empty = posts
        .find_in(Vec::new(), Map::new(), &ctx())
        .await
        .expect("find_in");
    assert_eq!(empty.total, Some(0));
    let err = posts
        .find_in(vec![json!(1)], Map::new(), &ctx())
        .await
        .expect_err("non-string id");
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    let err = posts
        .find_one(obj(json!({"id": [ids[0]]})), &ctx())
        .await
        .expect_err("no IN on a one route");
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
});

crate::db_test!(find_ids_answers_ids, |db| {
    let posts = posts(db).await;
    let ids = seed(&posts, 3).await;
    let page = posts
        .find_ids(obj(json!({"owner": "o"})), &ctx_with(json!({"limit": 2})))
        .await
        .expect("find_ids");
    assert_eq!(
        serde_json::to_value(&page).expect("json"),
        json!({"data": [ids[0], ids[1]], "total": 3, "limit": 2})
    );
});

crate::db_test!(typed_reads_go_through_serde, |db| {
    let posts = posts(db).await;
    let ids = seed(&posts, 2).await;
    let models = posts.find_models(Map::new(), &ctx()).await.expect("models");
    assert_eq!(models.len(), 2);
    assert_eq!(models[0].id, ids[0]);
    assert_eq!(models[1].likes, Some(10));
    let one = posts
        .find_one_model(obj(json!({"id": ids[1]})), &ctx())
        .await
        .expect("model")
        .expect("found");
    assert_eq!(one.title, "t1");
    assert_eq!(
        serde_json::to_value(&one).expect("json"),
        posts
            .find_one(obj(json!({"id": ids[1]})), &ctx())
            .await
            .expect("find")
            .expect("found")
    );
    let err = posts
        .find_models(Map::new(), &ctx_with(json!({"fields": ["title"]})))
        .await
        .expect_err("projection left fields out");
    assert!(matches!(err, Error::ModelMismatch { .. }), "{err:?}");
});

// ----- kinds and secrets --------------------------------------------------

crate::db_test!(every_kind_round_trips_and_secrets_stay_in, |db| {
    let gadgets = gadgets(db).await;
    let created = gadgets
        .create(
            obj(json!({
                "name": "g", "size": 3, "weight": 1.5,
                "specs": {"colors": ["red"], "n": 2}, "secretCode": "hunter2"
            })),
            &ctx(),
        )
        .await
        .expect("create");
    assert_eq!(
        keys(&created),
        ["id", "name", "size", "weight", "specs", "createdAt"]
    );
    let found = gadgets
        .find_one(obj(json!({"name": "g", "size": 3, "weight": 1.5})), &ctx())
        .await
        .expect("find")
        .expect("found");
    assert_eq!(
        found,
        json!({
            "id": created["id"], "name": "g", "size": 3, "weight": 1.5,
            "specs": {"colors": ["red"], "n": 2}, "createdAt": created["createdAt"]
        })
    );
    let by_secret = gadgets
        .find(obj(json!({"secretCode": "hunter2"})), &ctx())
        .await
        .expect("find");
    assert_eq!(by_secret.total, Some(1));
    assert!(by_secret.data[0].get("secretCode").is_none());
    let err = gadgets
        .find(
            Map::new(),
            &ctx_with(json!({"orderBy": {"secretCode": "asc"}})),
        )
        .await
        .expect_err("sorting by a secret");
    assert!(matches!(err, Error::InvalidQuery(_)), "{err:?}");
    let err = gadgets
        .find(obj(json!({"specs": {"n": 2}})), &ctx())
        .await
        .expect_err("filter on JSON");
    assert!(matches!(err, Error::InvalidQuery(_)), "{err:?}");
    let err = gadgets
        .create(obj(json!({"name": "h", "size": 3_000_000_000_i64})), &ctx())
        .await
        .expect_err("i32 overflow");
    assert_eq!(constraints(&err), [("size".to_owned(), vec!["max"])]);
    let model = gadgets
        .find_one_model(Map::new(), &ctx())
        .await
        .expect("model")
        .expect("found");
    assert_eq!((model.size, model.secret_code), (Some(3), None));
});

crate::db_test!(timestamps_are_stored_to_the_millisecond, |db| {
    let posts = posts(db).await;
    let created = posts
        .create(obj(json!({"owner": "o", "title": "x"})), &ctx())
        .await
        .expect("create");
    let by_time = posts
        .find(obj(json!({"createdAt": created["createdAt"]})), &ctx())
        .await
        .expect("find");
    assert_eq!(by_time.total, Some(1));
    let same_instant_other_offset = {
        let t = parse_timestamp(created["createdAt"].as_str().expect("text")).expect("parse");
        t.with_timezone(&chrono::FixedOffset::east_opt(3600).expect("offset"))
            .to_rfc3339()
    };
    let by_offset = posts
        .find(obj(json!({"createdAt": same_instant_other_offset})), &ctx())
        .await
        .expect("find");
    assert_eq!(by_offset.total, Some(1));
});

// ----- updates ------------------------------------------------------------

crate::db_test!(patch_updates_every_match_and_updated_at, |db| {
    let posts = posts(db).await;
    seed(&posts, 3).await;
    let before = posts
        .find_one(obj(json!({"title": "t0"})), &ctx())
        .await
        .expect("find")
        .expect("found");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let result = posts
        .patch(
            obj(json!({"owner": "o"})),
            obj(json!({"published": false})),
            &ctx(),
        )
        .await
        .expect("patch");
    assert_eq!(
        result,
        PatchResponse {
            count: 3,
            updated: None
        }
    );
    assert_eq!(
        serde_json::to_value(&result).expect("json"),
        json!({"count": 3})
    );
    let after = posts
        .find_one(obj(json!({"title": "t0"})), &ctx())
        .await
        .expect("find")
        .expect("found");
    assert_eq!(after["published"], json!(false));
    assert_eq!(after["createdAt"], before["createdAt"]);
    assert!(after["updatedAt"].as_str() > before["updatedAt"].as_str());
    let none = posts
        .patch(
            obj(json!({"owner": "nobody"})),
            obj(json!({"likes": 1})),
            &ctx(),
        )
        .await
        .expect("patch");
    assert_eq!(none.count, 0);
});

crate::db_test!(patch_refuses_to_change_the_id, |db| {
    let posts = posts(db).await;
    let ids = seed(&posts, 1).await;
    for data in [json!({"id": "other"}), json!({"id": ids[0], "title": "x"})] {
        let err = posts
            .patch(obj(json!({"id": ids[0]})), obj(data), &ctx())
            .await
            .expect_err("id in data");
        assert!(matches!(err, Error::CannotUpdateId), "{err:?}");
    }
    let err = posts
        .patch_one(obj(json!({"id": ids[0]})), obj(json!({"id": "x"})), &ctx())
        .await
        .expect_err("id in data");
    assert!(matches!(err, Error::CannotUpdateId), "{err:?}");
    let err = posts
        .patch(
            obj(json!({"id": ids[0]})),
            obj(json!({"title": null})),
            &ctx(),
        )
        .await
        .expect_err("null title");
    assert_eq!(constraints(&err), [("title".to_owned(), vec!["isString"])]);
});

crate::db_test!(patch_one_updates_the_first_match_only, |db| {
    let posts = posts(db).await;
    let ids = seed(&posts, 2).await;
    let result = posts
        .patch_one(
            obj(json!({"owner": "o"})),
            obj(json!({"title": "edited", "likes": 4})),
            &ctx(),
        )
        .await
        .expect("patch_one");
    assert_eq!(
        result,
        PatchResponse {
            count: 1,
            updated: None
        }
    );
    let page = posts.find(Map::new(), &ctx()).await.expect("find");
    assert_eq!(titles(&page), ["edited", "t1"]);

    let result = posts
        .patch_one(
            obj(json!({"id": ids[1], "owner": "o"})),
            obj(json!({"content": "c"})),
            &ctx_with(json!({"returnUpdatedEntity": true, "fields": ["content"]})),
        )
        .await
        .expect("patch_one");
    let updated = result.updated.expect("updated");
    assert_eq!(updated, json!({"id": ids[1], "content": "c"}));

    let err = posts
        .patch_one(
            obj(json!({"id": "nope"})),
            obj(json!({"title": "x"})),
            &ctx(),
        )
        .await
        .expect_err("no match");
    assert!(matches!(err, Error::EntityNotFound), "{err:?}");
});

crate::db_test!(patch_in_and_patch_batch, |db| {
    let posts = posts(db).await;
    let ids = seed(&posts, 4).await;
    let result = posts
        .patch_in(
            vec![json!(ids[0]), json!(ids[1]), json!(ids[2])],
            obj(json!({"likes": 10})),
            obj(json!({"title": "in"})),
            &ctx(),
        )
        .await
        .expect("patch_in");
    assert_eq!(result.count, 1);
    let results = posts
        .patch_batch(
            vec![
                (obj(json!({"id": ids[0]})), obj(json!({"likes": 1}))),
                (
                    obj(json!({"id": [ids[2], ids[3]]})),
                    obj(json!({"likes": 2})),
                ),
                (obj(json!({"id": "nope"})), obj(json!({"likes": 3}))),
            ],
            &ctx(),
        )
        .await
        .expect("patch_batch");
    let counts: Vec<u64> = results.iter().map(|r| r.count).collect();
    assert_eq!(counts, [1, 2, 0]);
    let page = posts
        .find(Map::new(), &ctx_with(json!({"fields": ["likes"]})))
        .await
        .expect("find");
    let likes: Vec<&Value> = page.data.iter().map(|r| &r["likes"]).collect();
    assert_eq!(likes, [&json!(1), &json!(10), &json!(2), &json!(2)]);
});

crate::db_test!(patch_batch_with_one_bad_item_writes_nothing, |db| {
    let gadgets = gadgets(db).await;
    gadgets
        .create_batch(
            vec![
                obj(json!({"id": "a", "name": "a"})),
                obj(json!({"id": "b", "name": "b"})),
            ],
            &ctx(),
        )
        .await
        .expect("seed");
    let err = gadgets
        .patch_batch(
            vec![
                (obj(json!({"id": "a"})), obj(json!({"size": 1}))),
                (obj(json!({"id": "b"})), obj(json!({"name": "a"}))),
            ],
            &ctx(),
        )
        .await
        .expect_err("duplicate name");
    assert!(matches!(err, Error::UniqueViolation), "{err:?}");
    let a = gadgets
        .find_one(obj(json!({"id": "a"})), &ctx())
        .await
        .expect("find")
        .expect("found");
    assert_eq!(a["size"], Value::Null);
});

// ----- deletes ------------------------------------------------------------

crate::db_test!(delete_delete_one_and_delete_in, |db| {
    let posts = posts(db).await;
    let ids = seed(&posts, 5).await;
    let result = posts
        .delete_one(obj(json!({"id": ids[0], "owner": "o"})), &ctx())
        .await
        .expect("delete_one");
    assert_eq!(
        serde_json::to_value(&result).expect("json"),
        json!({"count": 1})
    );
    let err = posts
        .delete_one(obj(json!({"id": ids[0]})), &ctx())
        .await
        .expect_err("already deleted");
    assert!(matches!(err, Error::EntityNotFound), "{err:?}");

    let result = posts
        .delete_one(
            obj(json!({"id": ids[1]})),
            &ctx_with(json!({"returnUpdatedEntity": true, "exclude": ["id", "content"]})),
        )
        .await
        .expect("delete_one");
    let deleted = result.deleted.expect("deleted");
    assert_eq!(deleted["title"], "t1");
    assert_eq!(
        keys(&deleted),
        [
            "owner",
            "title",
            "published",
            "likes",
            "createdAt",
            "updatedAt"
        ]
    );

    let result = posts
        .delete_in(
            vec![json!(ids[2]), json!(ids[3])],
            obj(json!({"likes": 20})),
            &ctx(),
        )
        .await
        .expect("delete_in");
    assert_eq!(
        result,
        DeleteResponse {
            count: 1,
            deleted: None
        }
    );
    let result = posts
        .delete(obj(json!({"owner": "o"})), &ctx())
        .await
        .expect("delete");
    assert_eq!(result.count, 2);
    assert_eq!(
        posts.find(Map::new(), &ctx()).await.expect("find").total,
        Some(0)
    );
});

// ----- hooks --------------------------------------------------------------

/// Records every hook call; changes data and answers in visible ways.
#[derive(Clone, Default)]
struct Recorder {
    events: Arc<Mutex<Vec<String>>>,
    /// Whether error hooks answer instead of the error.
    replace_errors: bool,
}

impl Recorder {
    fn record(&self, event: String) {
        self.events.lock().expect("lock").push(event);
    }

    fn events(&self) -> Vec<String> {
        std::mem::take(&mut *self.events.lock().expect("lock"))
    }
}

impl Hooks for Recorder {
    fn before_create<'a>(
        &'a self,
        _: &'a CrudContext,
        data: &'a mut Vec<Map>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.record(format!("before_create {}", data.len()));
            for item in data.iter_mut() {
                if let Some(Value::String(title)) = item.get_mut("title") {
                    *title = title.to_uppercase();
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
            self.record(format!("after_create {}", created.len()));
            for row in created.iter_mut() {
                row["hooked"] = json!(true);
            }
            Ok(())
        })
    }

    fn on_create_error<'a>(
        &'a self,
        _: &'a CrudContext,
        error: &'a Error,
    ) -> BoxFuture<'a, Option<Value>> {
        Box::pin(async move {
            self.record(format!("on_create_error {error}"));
            self.replace_errors.then(|| json!({"replaced": true}))
        })
    }

    fn before_read<'a>(
        &'a self,
        _: &'a CrudContext,
        query: &'a mut Map,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.record(format!("before_read {}", Value::Object(query.clone())));
            if query.get("owner") == Some(&json!("forbidden")) {
                return Err(Error::BadRequest("forbidden owner"));
            }
            Ok(())
        })
    }

    fn after_read<'a>(
        &'a self,
        _: &'a CrudContext,
        found: &'a mut FindResponse<Value>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.record(format!(
                "after_read {} {:?} {:?}",
                found.data.len(),
                found.total,
                found.limit
            ));
            Ok(())
        })
    }

    fn on_read_error<'a>(
        &'a self,
        _: &'a CrudContext,
        error: &'a Error,
    ) -> BoxFuture<'a, Option<Value>> {
        Box::pin(async move {
            self.record(format!("on_read_error {error}"));
            self.replace_errors.then(|| json!({"data": [], "total": 0}))
        })
    }

    fn before_update<'a>(
        &'a self,
        _: &'a CrudContext,
        updates: &'a mut Vec<(Map, Map)>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.record(format!("before_update {}", updates.len()));
            Ok(())
        })
    }

    fn after_update<'a>(
        &'a self,
        _: &'a CrudContext,
        results: &'a mut Vec<PatchResponse>,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.record(format!("after_update {}", results.len()));
            Ok(())
        })
    }

    fn on_update_error<'a>(
        &'a self,
        _: &'a CrudContext,
        error: &'a Error,
    ) -> BoxFuture<'a, Option<Value>> {
        Box::pin(async move {
            self.record(format!("on_update_error {error}"));
            // Not a PatchResponse: the error must stand.
            self.replace_errors.then(|| json!("nonsense"))
        })
    }

    fn before_delete<'a>(
        &'a self,
        _: &'a CrudContext,
        query: &'a mut Map,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.record(format!("before_delete {}", Value::Object(query.clone())));
            Ok(())
        })
    }

    fn after_delete<'a>(
        &'a self,
        _: &'a CrudContext,
        result: &'a mut DeleteResponse,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.record(format!("after_delete {}", result.count));
            Ok(())
        })
    }

    fn on_delete_error<'a>(
        &'a self,
        _: &'a CrudContext,
        error: &'a Error,
    ) -> BoxFuture<'a, Option<Value>> {
        Box::pin(async move {
            self.record(format!("on_delete_error {error}"));
            self.replace_errors.then(|| json!({"count": 0}))
        })
    }
}

crate::db_test!(hooks_run_in_order_around_each_operation, |db| {
    let recorder = Recorder::default();
    let posts = posts(db).await.with_hooks(recorder.clone());

    let created = posts
        .create(obj(json!({"owner": "o", "title": "quiet"})), &ctx())
        .await
        .expect("create");
    assert_eq!(
        (&created["title"], &created["hooked"]),
        (&json!("QUIET"), &json!(true))
    );
    assert_eq!(recorder.events(), ["before_create 1", "after_create 1"]);

    let batch = posts
        .create_batch(
            vec![
                obj(json!({"owner": "o", "title": "a"})),
                obj(json!({"owner": "o", "title": "b"})),
            ],
            &ctx(),
        )
        .await
        .expect("batch");
    assert_eq!(batch.len(), 2);
    assert_eq!(recorder.events(), ["before_create 2", "after_create 2"]);

    let one = posts
        .find_one(obj(json!({"title": "QUIET"})), &ctx())
        .await
        .expect("find")
        .expect("found");
    assert_eq!(one["title"], "QUIET");
    assert_eq!(
        recorder.events(),
        [
            r#"before_read {"title":"QUIET"}"#,
            "after_read 1 Some(1) Some(1)"
        ]
    );

    let id = one["id"].clone();
    posts
        .find_in(vec![id.clone()], Map::new(), &ctx_with(json!({"limit": 5})))
        .await
        .expect("find_in");
    assert_eq!(
        recorder.events(),
        [
            format!("before_read {}", json!({"id": [id.clone()]})),
            "after_read 1 Some(1) Some(5)".to_owned()
        ]
    );

    posts
        .patch_batch(
            vec![
                (obj(json!({"title": "A"})), obj(json!({"likes": 1}))),
                (obj(json!({"title": "B"})), obj(json!({"likes": 2}))),
            ],
            &ctx(),
        )
        .await
        .expect("patch_batch");
    assert_eq!(recorder.events(), ["before_update 2", "after_update 2"]);
    posts
        .patch_one(
            obj(json!({"id": id.clone()})),
            obj(json!({"likes": 3})),
            &ctx(),
        )
        .await
        .expect("patch_one");
    assert_eq!(recorder.events(), ["before_update 1", "after_update 1"]);

    posts
        .delete_in(vec![id.clone()], Map::new(), &ctx())
        .await
        .expect("delete_in");
    assert_eq!(
        recorder.events(),
        [
            format!("before_delete {}", json!({"id": [id.clone()]})),
            "after_delete 1".to_owned()
        ]
    );
});

crate::db_test!(error_hooks_see_errors_and_may_answer_instead, |db| {
    let recorder = Recorder::default();
    let posts = posts(db.clone()).await.with_hooks(recorder.clone());

    let err = posts
        .create(obj(json!({"owner": "o"})), &ctx())
        .await
        .expect_err("missing title");
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    let events = recorder.events();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        events[1].starts_with("on_create_error Validation error Data"),
        "{events:?}"
    );

    let err = posts
        .find(obj(json!({"owner": "forbidden"})), &ctx())
        .await
        .expect_err("a before hook refuses");
    assert!(matches!(err, Error::BadRequest(_)), "{err:?}");
    assert_eq!(
        recorder.events(),
        [
            r#"before_read {"owner":"forbidden"}"#,
            "on_read_error bad request: forbidden owner"
        ]
    );

    let replacing = Recorder {
        replace_errors: true,
        ..Recorder::default()
    };
    let posts = posts.with_hooks(replacing.clone());
    let created = posts
        .create(obj(json!({"owner": "o"})), &ctx())
        .await
        .expect("replaced");
    assert_eq!(created, json!({"replaced": true}));
    let batch = posts
        .create_batch(vec![obj(json!({"owner": "o"}))], &ctx())
        .await
        .expect_err("a replacement that is not a list does not fit a batch");
    assert!(matches!(batch, Error::Validation(_)), "{batch:?}");
    let found = posts
        .find(obj(json!({"owner": "forbidden"})), &ctx())
        .await
        .expect("replaced");
    assert_eq!((found.data.len(), found.total), (0, Some(0)));
    let deleted = posts
        .delete_one(obj(json!({"id": "nope"})), &ctx())
        .await
        .expect("replaced");
    assert_eq!(deleted.count, 0);
    let err = posts
        .patch_one(obj(json!({"id": "nope"})), obj(json!({"likes": 1})), &ctx())
        .await
        .expect_err("replacement of the wrong shape");
    assert!(matches!(err, Error::EntityNotFound), "{err:?}");
    assert!(
        replacing
            .events()
            .iter()
            .any(|e| e == "on_update_error entity not found")
    );
});

crate::db_test!(skip_service_hooks_skips_them, |db| {
    let recorder = Recorder::default();
    let posts = posts(db).await.with_hooks(recorder.clone());
    let skip = ctx_with(json!({"skipServiceHooks": true}));
    let created = posts
        .create(obj(json!({"owner": "o", "title": "quiet"})), &skip)
        .await
        .expect("create");
    assert_eq!(created["title"], "quiet");
    assert!(created.get("hooked").is_none());
    posts.find(Map::new(), &skip).await.expect("find");
    posts
        .patch(Map::new(), obj(json!({"likes": 1})), &skip)
        .await
        .expect("patch");
    posts.delete(Map::new(), &skip).await.expect("delete");
    assert!(recorder.events().is_empty());
});

// ----- the service as a trait object --------------------------------------

crate::db_test!(dyn_service_serves_the_same_operations, |db| {
    let services: Vec<Arc<dyn DynService>> = vec![
        posts(db.clone()).await.into_dyn(),
        gadgets(db).await.into_dyn(),
    ];
    let post = &services[0];
    assert_eq!((post.name(), post.info().table()), ("post", "post"));
    assert!(post.model_schema().get("properties").is_some());
    post.ensure_table().await.expect("idempotent");
    let created = post
        .create(obj(json!({"owner": "o", "title": "t"})), &ctx())
        .await
        .expect("create");
    let page = post.find_ids(Map::new(), &ctx()).await.expect("ids");
    assert_eq!(page.data, [created["id"].clone()]);
    let count = post
        .patch_in(
            vec![created["id"].clone()],
            Map::new(),
            obj(json!({"likes": 1})),
            &ctx(),
        )
        .await
        .expect("patch_in")
        .count;
    assert_eq!(count, 1);
    assert_eq!(services[1].name(), "gadget");
});

// ----- setup --------------------------------------------------------------

#[allow(unreachable_pub)]
mod no_rename {
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
    #[sea_orm(table_name = "no_rename")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub display_name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl crate::shared::Resource for Model {
        const SERVICE: &'static str = "x";
    }
}

#[allow(unreachable_pub)]
mod float32 {
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
    #[sea_orm(table_name = "float32")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub ratio: f32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl crate::shared::Resource for Model {
        const SERVICE: &'static str = "x";
    }
}

#[allow(unreachable_pub)]
mod int_key {
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
    #[sea_orm(table_name = "int_key")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl crate::shared::Resource for Model {
        const SERVICE: &'static str = "x";
    }
}

fn setup_reason(result: Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::Setup(crate::error::SetupError::UnsupportedSchema { reason, .. })) => reason,
        other => panic!("not an unsupported schema: {other:?}"),
    }
}

#[tokio::test]
async fn unsupported_entities_fail_at_setup() {
    let db = crate::storage::testing::TestDb::sqlite().await;
    let reason = setup_reason(CrudService::<no_rename::Entity>::new(db.clone()));
    assert!(reason.contains("rename_all"), "{reason}");
    let reason = setup_reason(CrudService::<float32::Entity>::new(db.clone()));
    assert!(reason.contains("ratio"), "{reason}");
    let reason = setup_reason(CrudService::<int_key::Entity>::new(db));
    assert!(reason.contains("primary key"), "{reason}");
}

#[test]
fn entity_info_of_the_post() {
    let schema = schemars::schema_for!(post::Model);
    let info = crate::storage::EntityInfo::new::<post::Entity>(&schema).expect("info");
    let wires: Vec<&str> = info.columns().iter().map(|c| c.wire.as_str()).collect();
    assert_eq!(
        wires,
        [
            "id",
            "owner",
            "title",
            "content",
            "published",
            "likes",
            "createdAt",
            "updatedAt"
        ]
    );
    assert_eq!(info.created_at().expect("createdAt").name, "created_at");
    assert_eq!(info.id().name, "id");
    assert!(info.id().primary_key);
    assert!(info.column("content").expect("content").nullable);
    assert!(!info.column("title").expect("title").nullable);
    assert_eq!(info.type_name(), "Post");
}
