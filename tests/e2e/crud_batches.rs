//! createBatch and patchBatch within and over the role's batch size, on the
//! fixture (users may batch up to 5 posts).

use ferrocrud_tests::{Answer, Request, TestServer, fixture_test};
use reqwest::Method;
use serde_json::{Value, json};

async fn create_batch(server: &TestServer, token: &str, items: Value) -> Answer {
    server
        .send(
            Request::crud(Method::POST, "post", "batch")
                .body(items)
                .token(Some(token)),
        )
        .await
}

async fn patch_batch(server: &TestServer, token: &str, items: Value) -> Answer {
    server
        .send(
            Request::crud(Method::PATCH, "post", "batch")
                .body(items)
                .token(Some(token)),
        )
        .await
}

/// The posts of `owner`, sorted by title.
async fn titles(server: &TestServer, token: &str, owner: &str) -> Vec<String> {
    let page = server
        .send(
            Request::crud(Method::GET, "post", "many")
                .options(json!({"orderBy": {"title": "asc"}}))
                .query(json!({"owner": owner}))
                .token(Some(token)),
        )
        .await
        .json();
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|post| post["title"].as_str().expect("title").to_owned())
        .collect()
}

fn posts(owner: &str, count: usize) -> Value {
    Value::Array(
        (1..=count)
            .map(|i| json!({"owner": owner, "title": format!("p{i}"), "likes": i}))
            .collect(),
    )
}

fixture_test!(
    async fn create_batch_within_the_batch_size_answers_the_posts_in_order(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let answer = create_batch(&server, &token, posts(&owner, 5)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let created = answer.json();
        let created = created.as_array().expect("an array");
        assert_eq!(created.len(), 5);
        for (i, post) in created.iter().enumerate() {
            let keys: Vec<&String> = post.as_object().expect("object").keys().collect();
            assert_eq!(
                keys,
                ["id", "owner", "title", "likes", "createdAt", "updatedAt"]
            );
            assert_eq!(post["title"], format!("p{}", i + 1));
            assert_eq!(post["likes"], i + 1);
            assert_eq!(post["owner"], owner);
        }
        assert_eq!(
            titles(&server, &token, &owner).await,
            ["p1", "p2", "p3", "p4", "p5"]
        );
    }
);

fixture_test!(
    async fn create_batch_over_the_batch_size_is_400_code_13_and_writes_nothing(
        server: TestServer,
    ) {
        let (owner, token) = server.user("a@blog.test").await;
        let answer = create_batch(&server, &token, posts(&owner, 6)).await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.text,
            r#"{"message":"{\"message\":\"Max batch size exceeded\",\"code\":13,\"data\":{\"maxBatchSize\":5,\"batchSize\":6}}","error":"Bad Request","statusCode":400,"code":13,"data":{"maxBatchSize":5,"batchSize":6}}"#
        );
        assert!(titles(&server, &token, &owner).await.is_empty());
    }
);

fixture_test!(
    async fn create_batch_with_one_forbidden_item_writes_nothing(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let (other, _) = server.user("b@blog.test").await;
        let items = json!([
            {"owner": owner, "title": "mine"},
            {"owner": other, "title": "theirs"},
        ]);
        let answer = create_batch(&server, &token, items).await;
        assert_eq!(answer.status, 403);
        assert!(
            answer.message().starts_with(
                "Role user is not allowed to POST post - user failed on owner - guest failed on "
            ),
            "{}",
            answer.text
        );
        assert!(titles(&server, &token, &owner).await.is_empty());
    }
);

fixture_test!(
    async fn create_batch_with_one_invalid_item_writes_nothing(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let items = json!([
            {"owner": owner, "title": "fine"},
            {"owner": owner, "title": "bad", "likes": -1},
        ]);
        let answer = create_batch(&server, &token, items).await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.message(),
            "Validation error Data: An instance of Post has failed the validation:\n - property likes has failed the following constraints: min \n"
        );
        assert!(titles(&server, &token, &owner).await.is_empty());
    }
);

fixture_test!(
    async fn create_batch_needs_an_array(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let answer = create_batch(&server, &token, json!({"owner": owner, "title": "x"})).await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.text,
            r#"{"message":"{\"message\":\"Payload must be an array\",\"code\":19}","error":"Bad Request","statusCode":400,"code":19}"#
        );
        let empty = create_batch(&server, &token, json!([])).await;
        assert_eq!(
            (empty.status, empty.message()),
            (400, "Batchsize must be at least 1".to_owned())
        );
    }
);

fixture_test!(
    async fn patch_batch_applies_each_pair(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = create_batch(&server, &token, posts(&owner, 2)).await.json();
        let items = json!([
            {"query": {"id": created[0]["id"], "owner": owner}, "data": {"title": "first"}},
            {"query": {"id": created[1]["id"], "owner": owner}, "data": {"title": "second"}},
        ]);
        let answer = patch_batch(&server, &token, items).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.json(), json!([{"count": 1}, {"count": 1}]));
        assert_eq!(titles(&server, &token, &owner).await, ["first", "second"]);
    }
);

fixture_test!(
    async fn patch_batch_over_the_batch_size_is_400_code_13(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = create_batch(&server, &token, posts(&owner, 1)).await.json();
        let item =
            json!({"query": {"id": created[0]["id"], "owner": owner}, "data": {"title": "x"}});
        let answer = patch_batch(&server, &token, Value::Array(vec![item; 6])).await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.json()["data"],
            json!({"maxBatchSize": 5, "batchSize": 6})
        );
        assert_eq!(titles(&server, &token, &owner).await, ["p1"]);
    }
);

fixture_test!(
    async fn patch_batch_with_one_forbidden_pair_changes_nothing(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let (other, _) = server.user("b@blog.test").await;
        let created = create_batch(&server, &token, posts(&owner, 2)).await.json();
        let items = json!([
            {"query": {"id": created[0]["id"], "owner": owner}, "data": {"title": "changed"}},
            {"query": {"id": created[1]["id"], "owner": owner}, "data": {"owner": other}},
        ]);
        let answer = patch_batch(&server, &token, items).await;
        assert_eq!(answer.status, 403);
        assert_eq!(titles(&server, &token, &owner).await, ["p1", "p2"]);
    }
);

fixture_test!(
    async fn patch_batch_items_hold_only_query_and_data(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = create_batch(&server, &token, posts(&owner, 1)).await.json();
        let items = json!([
            {"query": {"id": created[0]["id"], "owner": owner}, "data": {"title": "x"}, "upsert": true},
        ]);
        let answer = patch_batch(&server, &token, items).await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.message(),
            "a batch patch item holds only `query` and `data`"
        );
        assert_eq!(titles(&server, &token, &owner).await, ["p1"]);
    }
);
