//! Request options (`returnUpdatedEntity`, `fields`, `exclude`, `orderBy`,
//! `offset`, unknown options) and the id checks of create and patch.

use ferrocrud_tests::{Answer, Request, TestServer, blog_test, fixture_test};
use reqwest::Method;
use serde_json::{Value, json};

async fn create(server: &TestServer, token: &str, body: Value) -> Value {
    let answer = server
        .send(
            Request::crud(Method::POST, "post", "one")
                .body(body)
                .token(Some(token)),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()
}

async fn find(server: &TestServer, token: &str, owner: &str, options: Value) -> Answer {
    server
        .send(
            Request::crud(Method::GET, "post", "many")
                .options(options)
                .query(json!({"owner": owner}))
                .token(Some(token)),
        )
        .await
}

/// Three posts: (title, likes) = (b, 2), (a, 3), (c, 1).
async fn three_posts(server: &TestServer, token: &str, owner: &str) {
    for (title, likes) in [("b", 2), ("a", 3), ("c", 1)] {
        create(
            server,
            token,
            json!({"owner": owner, "title": title, "content": "text", "likes": likes}),
        )
        .await;
    }
}

fn column(page: &Value, field: &str) -> Vec<Value> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|row| row[field].clone())
        .collect()
}

fixture_test!(
    async fn return_updated_entity_on_patch_one_answers_the_row(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = create(&server, &token, json!({"owner": owner, "title": "old"})).await;
        let answer = server
            .send(
                Request::crud(Method::PATCH, "post", "one")
                    .options(json!({"returnUpdatedEntity": true}))
                    .query(json!({"id": created["id"], "owner": owner}))
                    .body(json!({"title": "new", "likes": 9}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let body = answer.json();
        assert_eq!(body["count"], 1);
        let updated = &body["updated"];
        assert_eq!(
            (
                updated["id"].clone(),
                updated["owner"].clone(),
                updated["title"].clone(),
                updated["likes"].clone(),
                updated["createdAt"].clone()
            ),
            (
                created["id"].clone(),
                json!(owner),
                json!("new"),
                json!(9),
                created["createdAt"].clone()
            )
        );
    }
);

fixture_test!(
    async fn return_updated_entity_on_delete_one_answers_the_row(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = create(&server, &token, json!({"owner": owner, "title": "gone"})).await;
        let answer = server
            .send(
                Request::crud(Method::DELETE, "post", "one")
                    .options(json!({"returnUpdatedEntity": true}))
                    .query(json!({"id": created["id"], "owner": owner}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let body = answer.json();
        assert_eq!(body["count"], 1);
        assert_eq!(body["deleted"]["id"], created["id"]);
        assert_eq!(body["deleted"]["title"], "gone");
    }
);

fixture_test!(
    async fn without_the_option_no_row_is_answered(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = create(&server, &token, json!({"owner": owner, "title": "old"})).await;
        let answer = server
            .send(
                Request::crud(Method::PATCH, "post", "one")
                    .options(json!({"returnUpdatedEntity": false}))
                    .query(json!({"id": created["id"], "owner": owner}))
                    .body(json!({"title": "new"}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!((answer.status, answer.json()), (200, json!({"count": 1})));
    }
);

blog_test!(
    async fn return_updated_entity_needs_an_option_ability(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = create(&server, &token, json!({"owner": owner, "title": "old"})).await;
        let query = json!({"id": created["id"], "owner": owner});
        let patch = server
            .send(
                Request::crud(Method::PATCH, "post", "one")
                    .options(json!({"returnUpdatedEntity": true}))
                    .query(query.clone())
                    .body(json!({"title": "new"}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(patch.status, 403);
        assert_eq!(
            patch.message(),
            "Role user is not allowed to PATCH post - user failed on returnUpdatedEntity->true - guest failed on title "
        );
        let delete = server
            .send(
                Request::crud(Method::DELETE, "post", "one")
                    .options(json!({"returnUpdatedEntity": true}))
                    .query(query.clone())
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(delete.status, 403);
        let read = server
            .send(
                Request::crud(Method::GET, "post", "one")
                    .options(json!({}))
                    .query(query)
                    .token(Some(&token)),
            )
            .await
            .json();
        assert_eq!(read["title"], "old", "nothing changed");
    }
);

blog_test!(
    async fn fields_option_projects_the_rows(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        three_posts(&server, &token, &owner).await;
        let page = find(
            &server,
            &token,
            &owner,
            json!({"fields": ["title", "likes"]}),
        )
        .await
        .json();
        for row in page["data"].as_array().expect("data") {
            let keys: Vec<&String> = row.as_object().expect("object").keys().collect();
            assert_eq!(keys, ["id", "title", "likes"], "{row}");
        }
    }
);

blog_test!(
    async fn exclude_option_drops_fields(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        three_posts(&server, &token, &owner).await;
        let page = find(
            &server,
            &token,
            &owner,
            json!({"exclude": ["content", "createdAt", "updatedAt"]}),
        )
        .await
        .json();
        for row in page["data"].as_array().expect("data") {
            let keys: Vec<&String> = row.as_object().expect("object").keys().collect();
            assert_eq!(
                keys,
                ["id", "owner", "title", "published", "likes"],
                "{row}"
            );
        }
    }
);

blog_test!(
    async fn unknown_field_in_fields_or_exclude_is_400(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        for options in [
            json!({"fields": ["author"]}),
            json!({"exclude": ["author"]}),
        ] {
            let answer = find(&server, &token, &owner, options.clone()).await;
            assert_eq!(
                (answer.status, answer.message()),
                (400, "unknown field author in options".to_owned()),
                "{options}"
            );
        }
    }
);

blog_test!(
    async fn order_by_sorts_and_offset_skips(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        three_posts(&server, &token, &owner).await;
        let by_title = find(
            &server,
            &token,
            &owner,
            json!({"orderBy": {"title": "asc"}}),
        )
        .await
        .json();
        assert_eq!(
            column(&by_title, "title"),
            [json!("a"), json!("b"), json!("c")]
        );
        let by_likes = find(
            &server,
            &token,
            &owner,
            json!({"orderBy": {"likes": "desc"}}),
        )
        .await
        .json();
        assert_eq!(column(&by_likes, "likes"), [json!(3), json!(2), json!(1)]);
        let page = find(
            &server,
            &token,
            &owner,
            json!({"orderBy": [{"title": -1}], "offset": 1, "limit": 1}),
        )
        .await
        .json();
        assert_eq!(column(&page, "title"), [json!("b")]);
        assert_eq!(
            (page["total"].clone(), page["limit"].clone()),
            (json!(3), json!(1))
        );
    }
);

blog_test!(
    async fn unknown_option_is_400(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let answer = find(
            &server,
            &token,
            &owner,
            json!({"returnUpdatedEntities": true}),
        )
        .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.message(),
            "Validation error Options: An instance of CrudOptions has failed the validation:\n - property returnUpdatedEntities has failed the following constraints: whitelistValidation \n"
        );
        let bad_order = find(&server, &token, &owner, json!({"orderBy": {"title": "up"}})).await;
        assert_eq!(bad_order.status, 400);
    }
);

blog_test!(
    async fn id_in_create_body_without_allow_id_override_is_code_20(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let answer = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .body(json!({"id": "chosen-id", "owner": owner, "title": "mine"}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.text,
            r#"{"message":"{\"message\":\"Id is not empty and allowIdOverride is not set\",\"code\":20}","error":"Bad Request","statusCode":400,"code":20}"#
        );
        let page = find(&server, &token, &owner, json!({})).await.json();
        assert_eq!(page["total"], 0);
    }
);

blog_test!(
    async fn allow_id_override_needs_an_option_ability(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let answer = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .options(json!({"allowIdOverride": true}))
                    .body(json!({"id": "chosen-id", "owner": owner, "title": "mine"}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 403);
        // The guest's failing field is left out: see
        // `allow_id_override_keeps_the_fields_in_their_order`.
        assert!(
            answer.message().starts_with(
                "Role user is not allowed to POST post - user failed on allowIdOverride->true - guest failed on "
            ),
            "{}",
            answer.text
        );
    }
);

blog_test!(
    async fn id_in_patch_data_is_code_21(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = create(&server, &token, json!({"owner": owner, "title": "mine"})).await;
        let answer = server
            .send(
                Request::crud(Method::PATCH, "post", "one")
                    .query(json!({"id": created["id"], "owner": owner}))
                    .body(json!({"id": "another-id"}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.text,
            r#"{"message":"{\"message\":\"Cannot update id field\",\"code\":21}","error":"Bad Request","statusCode":400,"code":21}"#
        );
    }
);

blog_test!(
    async fn patch_one_without_a_matching_row_is_code_18(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let answer = server
            .send(
                Request::crud(Method::PATCH, "post", "one")
                    .query(json!({"id": "no-such-post", "owner": owner}))
                    .body(json!({"title": "x"}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.text,
            r#"{"message":"{\"message\":\"Entity not found\",\"code\":18}","error":"Bad Request","statusCode":400,"code":18}"#
        );
    }
);

/// The moderator's id and token (moderators may set `allowIdOverride` in
/// the fixture).
async fn moderator(server: &TestServer) -> (String, String) {
    let token = server
        .login(ferrocrud_tests::MODERATOR.0, ferrocrud_tests::MODERATOR.1)
        .await;
    let check = server
        .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(&token))
        .await
        .json();
    let id = check["userId"].as_str().expect("userId").to_owned();
    (id, token)
}

fixture_test!(
    async fn allow_id_override_lets_a_role_with_the_ability_choose_the_id(server: TestServer) {
        let (owner, token) = moderator(&server).await;
        let answer = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .options(json!({"allowIdOverride": true}))
                    .body(json!({"id": "chosen-id", "owner": owner, "title": "mine"}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        assert_eq!(answer.json()["id"], "chosen-id");
        let read = server
            .send(
                Request::crud(Method::GET, "post", "one")
                    .options(json!({}))
                    .query(json!({"id": "chosen-id", "owner": owner}))
                    .token(Some(&token)),
            )
            .await
            .json();
        assert_eq!(read["title"], "mine");
    }
);

fixture_test!(
    async fn allow_id_override_keeps_the_fields_in_their_order(server: TestServer) {
        let (owner, token) = moderator(&server).await;
        let answer = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .options(json!({"allowIdOverride": true}))
                    .body(json!({"id": "chosen-id", "owner": owner, "title": "mine", "content": "c", "likes": 1}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let body = answer.json();
        let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
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
    }
);
