//! Owner-restricted CRUD on posts.

use ferrocrud_tests::{Request, TestServer, blog_test};
use reqwest::Method;
use serde_json::{Value, json};

async fn create(server: &TestServer, token: Option<&str>, body: Value) -> ferrocrud_tests::Answer {
    server
        .send(
            Request::crud(Method::POST, "post", "one")
                .body(body)
                .token(token),
        )
        .await
}

async fn find_one(
    server: &TestServer,
    token: Option<&str>,
    query: Value,
) -> ferrocrud_tests::Answer {
    server
        .send(
            Request::crud(Method::GET, "post", "one")
                .options(json!({}))
                .query(query)
                .token(token),
        )
        .await
}

fn is_iso_millis(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.len() == 24 && s.ends_with('Z') && s.as_bytes()[19] == b'.')
}

blog_test!(
    async fn create_answers_the_given_fields_with_id_and_dates(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let answer = create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "first", "content": "hello world", "likes": 3}),
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
        assert!(is_iso_millis(&body["createdAt"]) && body["createdAt"] == body["updatedAt"]);
    }
);

blog_test!(
    async fn find_one_reads_every_column_of_an_own_post(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "first"}),
        )
        .await
        .json();
        let answer = find_one(
            &server,
            Some(&token),
            json!({"id": created["id"], "owner": owner}),
        )
        .await;
        assert_eq!(answer.status, 200);
        let body = answer.json();
        let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
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
        assert_eq!(body["content"], Value::Null);
        assert_eq!(body["createdAt"], created["createdAt"]);
    }
);

blog_test!(
    async fn find_one_without_owner_is_forbidden(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "first"}),
        )
        .await
        .json();
        let answer = find_one(&server, Some(&token), json!({"id": created["id"]})).await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.message(),
            "Role user is not allowed to GET post - user failed on all - guest failed on all "
        );
    }
);

blog_test!(
    async fn find_one_of_a_missing_id_is_null(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let answer = find_one(
            &server,
            Some(&token),
            json!({"id": "does-not-exist", "owner": owner}),
        )
        .await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.text, "null");
    }
);

blog_test!(
    async fn find_pages_with_total_and_limit(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "first"}),
        )
        .await;
        create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "second", "published": true}),
        )
        .await;
        let all = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({}))
                    .query(json!({"owner": owner}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(all.status, 200);
        let all = all.json();
        assert_eq!(
            (all["total"].clone(), all["limit"].clone()),
            (json!(2), json!(40))
        );
        assert_eq!(all["data"].as_array().map(Vec::len), Some(2));
        let page = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({"limit": 1}))
                    .query(json!({"owner": owner}))
                    .token(Some(&token)),
            )
            .await
            .json();
        assert_eq!(
            (page["total"].clone(), page["limit"].clone()),
            (json!(2), json!(1))
        );
        assert_eq!(page["data"].as_array().map(Vec::len), Some(1));
        let by_title = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({}))
                    .query(json!({"owner": owner, "title": "second"}))
                    .token(Some(&token)),
            )
            .await
            .json();
        assert_eq!(by_title["total"], 1);
        assert_eq!(by_title["data"][0]["published"], true);
        let capped = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({"limit": 1000}))
                    .query(json!({"owner": owner}))
                    .token(Some(&token)),
            )
            .await
            .json();
        assert_eq!(capped["limit"], 40);
    }
);

blog_test!(
    async fn patch_one_changes_an_own_post(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "first", "likes": 3}),
        )
        .await
        .json();
        let query = json!({"id": created["id"], "owner": owner});
        // Timestamps have millisecond precision: let a few pass so the patch's
        // `updatedAt` must differ from `createdAt`.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let answer = server
            .send(
                Request::crud(Method::PATCH, "post", "one")
                    .query(query.clone())
                    .body(json!({"title": "first (edited)", "likes": 4}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.json(), json!({"count": 1}));
        let read = find_one(&server, Some(&token), query).await.json();
        assert_eq!(
            (read["title"].clone(), read["likes"].clone()),
            (json!("first (edited)"), json!(4))
        );
        assert!(read["updatedAt"].as_str() > read["createdAt"].as_str());
    }
);

blog_test!(
    async fn a_post_cannot_be_moved_to_another_owner(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let (other, _) = server.user("b@blog.test").await;
        let created = create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "first"}),
        )
        .await
        .json();
        let answer = server
            .send(
                Request::crud(Method::PATCH, "post", "one")
                    .query(json!({"id": created["id"], "owner": owner}))
                    .body(json!({"owner": other}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.message(),
            "Role user is not allowed to PATCH post - user failed on owner - guest failed on owner "
        );
    }
);

blog_test!(
    async fn create_validation_errors(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let entity_error = |property: &str, constraint: &str| {
            format!(
                "Validation error Data: An instance of Post has failed the validation:\n - property {property} has failed the following constraints: {constraint} \n"
            )
        };
        let missing_title = create(
            &server,
            Some(&token),
            json!({"owner": owner, "content": "no title"}),
        )
        .await;
        assert_eq!(
            (missing_title.status, missing_title.message()),
            (400, entity_error("title", "isString"))
        );
        let wrong_type = create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "typed", "likes": "many"}),
        )
        .await;
        assert_eq!(
            (wrong_type.status, wrong_type.message()),
            (400, entity_error("likes", "max"))
        );
        let unknown = create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "x", "hacker": 1}),
        )
        .await;
        assert_eq!(
            (unknown.status, unknown.message()),
            (400, entity_error("hacker", "whitelistValidation"))
        );
        let long_title = create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "t".repeat(60)}),
        )
        .await;
        assert_eq!(long_title.status, 400);
        assert_eq!(
            long_title.inner()["data"],
            json!({"problemField": "title", "fieldSize": 62, "maxSize": 50})
        );
        let big = create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "big", "content": "c".repeat(900)}),
        )
        .await;
        assert_eq!(big.status, 201);
        let too_big = create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "big", "content": "c".repeat(1200)}),
        )
        .await;
        assert_eq!(too_big.status, 400);
        assert_eq!(too_big.inner()["code"], 23);
        assert_eq!(
            too_big.inner()["data"],
            json!({"problemField": "content", "fieldSize": 1202, "maxSize": 1000})
        );
    }
);

blog_test!(
    async fn creating_for_another_owner_or_as_guest_is_forbidden(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let (other, _) = server.user("b@blog.test").await;
        let for_other = create(
            &server,
            Some(&token),
            json!({"owner": other, "title": "not mine"}),
        )
        .await;
        assert_eq!(for_other.status, 403);
        assert_eq!(
            for_other.message(),
            "Role user is not allowed to POST post - user failed on owner - guest failed on owner "
        );
        let guest = create(&server, None, json!({"owner": owner, "title": "anon"})).await;
        assert_eq!(guest.status, 403);
        assert_eq!(
            guest.message(),
            "Role guest is not allowed to POST post - guest failed on owner "
        );
        let mine = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({}))
                    .query(json!({"owner": other}))
                    .token(None),
            )
            .await;
        assert_eq!(mine.status, 403, "guests cannot list either");
    }
);

blog_test!(
    async fn another_user_cannot_touch_a_post_and_nothing_changes(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let (other, other_token) = server.user("b@blog.test").await;
        let created = create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "first"}),
        )
        .await
        .json();
        let query = json!({"id": created["id"], "owner": owner});
        let before = find_one(&server, Some(&token), query.clone()).await.json();

        let read = find_one(&server, Some(&other_token), query.clone()).await;
        assert_eq!(
            (read.status, read.message()),
            (
                403,
                "Role user is not allowed to GET post - user failed on all - guest failed on all "
                    .to_owned()
            )
        );
        let list = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({}))
                    .query(json!({"owner": owner}))
                    .token(Some(&other_token)),
            )
            .await;
        assert_eq!(list.status, 403);
        let patch = server
            .send(
                Request::crud(Method::PATCH, "post", "one")
                    .query(query.clone())
                    .body(json!({"title": "pwned"}))
                    .token(Some(&other_token)),
            )
            .await;
        assert_eq!((patch.status, patch.message()), (403, "Role user is not allowed to PATCH post - user failed on title - guest failed on title ".to_owned()));
        let delete = server
            .send(
                Request::crud(Method::DELETE, "post", "one")
                    .query(query.clone())
                    .token(Some(&other_token)),
            )
            .await;
        assert_eq!((delete.status, delete.message()), (403, "Role user is not allowed to DELETE post - user failed on all - guest failed on all ".to_owned()));
        let guest = find_one(&server, None, query.clone()).await;
        assert_eq!(
            (guest.status, guest.message()),
            (
                403,
                "Role guest is not allowed to GET post - guest failed on all ".to_owned()
            )
        );
        let own_owner = find_one(
            &server,
            Some(&other_token),
            json!({"id": created["id"], "owner": other}),
        )
        .await;
        assert_eq!((own_owner.status, own_owner.text.as_str()), (200, "null"));

        assert_eq!(find_one(&server, Some(&token), query).await.json(), before);
    }
);

blog_test!(
    async fn delete_one_removes_an_own_post(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let created = create(
            &server,
            Some(&token),
            json!({"owner": owner, "title": "gone"}),
        )
        .await
        .json();
        let query = json!({"id": created["id"], "owner": owner});
        let answer = server
            .send(
                Request::crud(Method::DELETE, "post", "one")
                    .query(query.clone())
                    .token(Some(&token)),
            )
            .await;
        assert_eq!((answer.status, answer.json()), (200, json!({"count": 1})));
        assert_eq!(find_one(&server, Some(&token), query).await.text, "null");
    }
);

blog_test!(
    async fn batch_needs_a_batch_size(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let answer = server
            .send(
                Request::crud(Method::POST, "post", "batch")
                    .body(json!([{"owner": owner, "title": "a"}]))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.inner()["code"], 13);
        let count = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({}))
                    .query(json!({"owner": owner}))
                    .token(Some(&token)),
            )
            .await
            .json();
        assert_eq!(count["total"], 0);
    }
);
