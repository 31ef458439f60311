//! Regression tests of the read defects a security review found: answers and
//! queries that told a role more than its read rules allow, and date-times
//! that rules compared as text while the database compares instants.
//!
//! The fixture's [`READER`] role owns posts (`owner` pinned to its id), reads
//! only [`READER_FIELDS`], and may not read with a `createdAt` at or after
//! [`READER_CUTOFF`].

use ferrocrud_tests::fixture::{READER, READER_FIELDS};
use ferrocrud_tests::{Answer, Request, TestServer, blog_test, fixture_test};
use reqwest::Method;
use serde_json::{Value, json};

use crate::users_support::PASSWORD;

/// eicrud's `Forbidden` code.
const FORBIDDEN: u64 = 104;

/// A reader account, logged in: (user id, token).
async fn reader(server: &TestServer) -> (String, String) {
    let email = "reader@blog.test";
    let id = server.create_account(email, PASSWORD).await;
    server.set_user_fields(&id, json!({ "role": READER })).await;
    (id, server.login(email, PASSWORD).await)
}

/// Creates a post of `owner` with every field set; answers its id.
async fn full_post(server: &TestServer, token: &str, owner: &str, title: &str) -> String {
    let answer = server
        .send(
            Request::crud(Method::POST, "post", "one")
                .body(json!({
                    "owner": owner,
                    "title": title,
                    "content": "the hidden content",
                    "published": true,
                    "likes": 7,
                }))
                .token(Some(token)),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()["id"].as_str().expect("id").to_owned()
}

fn assert_only_reader_fields(row: &Value) {
    let mut keys: Vec<&str> = row
        .as_object()
        .expect("a row")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = READER_FIELDS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected, "{row}");
}

fn assert_forbidden_on(answer: &Answer, field: &str) {
    assert_eq!(answer.status, 403, "{field}: {}", answer.text);
    assert_eq!(answer.code(), Some(FORBIDDEN), "{}", answer.text);
    assert!(
        answer.message().ends_with(&format!("failed on {field} ")),
        "{}",
        answer.message()
    );
}

fixture_test!(
    async fn return_updated_entity_follows_the_role_read_projection(server: TestServer) {
        let (id, token) = reader(&server).await;
        let post = full_post(&server, &token, &id, "first").await;
        let options = json!({ "returnUpdatedEntity": true });
        let patched = server
            .send(
                Request::crud(Method::PATCH, "post", "one")
                    .query(json!({ "id": post, "owner": id }))
                    .options(options.clone())
                    .body(json!({ "title": "renamed" }))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(patched.status, 200, "{}", patched.text);
        let updated = &patched.json()["updated"];
        assert_only_reader_fields(updated);
        assert_eq!(updated["title"], "renamed");
        // Asking for a hidden field does not bring it back.
        let asked = server
            .send(
                Request::crud(Method::PATCH, "post", "one")
                    .query(json!({ "id": post, "owner": id }))
                    .options(json!({ "returnUpdatedEntity": true, "fields": ["title", "content"] }))
                    .body(json!({ "title": "again" }))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(asked.status, 200, "{}", asked.text);
        assert!(
            asked.json()["updated"].get("content").is_none(),
            "{}",
            asked.text
        );
        let deleted = server
            .send(
                Request::crud(Method::DELETE, "post", "one")
                    .query(json!({ "id": post, "owner": id }))
                    .options(options)
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(deleted.status, 200, "{}", deleted.text);
        assert_only_reader_fields(&deleted.json()["deleted"]);
    }
);

fixture_test!(
    async fn filtering_or_sorting_on_an_unreadable_field_is_403(server: TestServer) {
        let (id, token) = reader(&server).await;
        full_post(&server, &token, &id, "first").await;
        let find = |query: Value, options: Value| {
            let token = token.clone();
            let server = &server;
            async move {
                server
                    .send(
                        Request::crud(Method::GET, "post", "many")
                            .query(query)
                            .options(options)
                            .token(Some(&token)),
                    )
                    .await
            }
        };
        // `owner` is not readable, but every rule pins it: filtering on it
        // tells nothing, and is how eicrud asks for one's own rows.
        let own = find(
            json!({ "owner": id }),
            json!({ "orderBy": { "title": "asc" } }),
        )
        .await;
        assert_eq!(own.status, 200, "{}", own.text);
        assert_eq!(own.json()["total"], 1);
        assert_only_reader_fields(&own.json()["data"][0]);
        // Which posts hold a content, how they rank by likes: refused.
        let by_content = find(
            json!({ "owner": id, "content": "the hidden content" }),
            json!({}),
        )
        .await;
        assert_forbidden_on(&by_content, "content");
        let by_likes = find(
            json!({ "owner": id }),
            json!({ "orderBy": { "likes": "desc" } }),
        )
        .await;
        assert_forbidden_on(&by_likes, "likes");
        let listed = find(
            json!({ "owner": id }),
            json!({ "orderBy": [{ "title": "asc" }, { "published": "desc" }] }),
        )
        .await;
        assert_forbidden_on(&listed, "published");
        // A count is an answer too: patches and deletes filter alike.
        let patch_count = server
            .send(
                Request::crud(Method::PATCH, "post", "many")
                    .query(json!({ "owner": id, "likes": 7 }))
                    .body(json!({ "title": "guess" }))
                    .token(Some(&token)),
            )
            .await;
        assert_forbidden_on(&patch_count, "likes");
        let delete_count = server
            .send(
                Request::crud(Method::DELETE, "post", "many")
                    .query(json!({ "owner": id, "published": true }))
                    .token(Some(&token)),
            )
            .await;
        assert_forbidden_on(&delete_count, "published");
        let left = find(json!({ "owner": id }), json!({})).await;
        assert_eq!(left.json()["data"][0]["title"], "first", "nothing changed");
    }
);

blog_test!(
    async fn filtering_or_sorting_on_an_always_excluded_field_is_403(server: TestServer) {
        server
            .users
            .ensure_account("admin@blog.test", PASSWORD, "admin")
            .await
            .expect("admin seeded");
        let admin = server.login("admin@blog.test", PASSWORD).await;
        let (user, _) = server.user("someone@blog.test").await;
        for (query, options) in [
            (json!({ "id": user, "password": "$argon2id$" }), json!({})),
            (json!({}), json!({ "orderBy": { "password": "asc" } })),
        ] {
            let answer = server
                .send(
                    Request::crud(Method::GET, "user", "many")
                        .query(query)
                        .options(options)
                        .token(Some(&admin)),
                )
                .await;
            assert_forbidden_on(&answer, "password");
        }
        let sorted = server
            .send(
                Request::crud(Method::GET, "user", "many")
                    .options(json!({ "orderBy": { "email": "asc" } }))
                    .token(Some(&admin)),
            )
            .await;
        assert_eq!(sorted.status, 200, "{}", sorted.text);
    }
);

fixture_test!(
    async fn date_times_are_compared_as_instants_not_as_text(server: TestServer) {
        // The reader may not read with a `createdAt` at or after
        // 2030-01-01T00:00:00+01:00, that is 2029-12-31T23:00:00Z.
        let (id, token) = reader(&server).await;
        let read = |created_at: &str| {
            let token = token.clone();
            let query = json!({ "owner": id, "createdAt": created_at });
            let server = &server;
            async move {
                server
                    .send(
                        Request::crud(Method::GET, "post", "many")
                            .query(query)
                            .token(Some(&token)),
                    )
                    .await
            }
        };
        for after in [
            // As text, "2029" sorts before "2030": both were let through.
            "2029-12-31T23:30:00.000Z",
            "2029-12-31T23:30:00-01:00",
            "2029-12-31T23:00:00Z",
        ] {
            let answer = read(after).await;
            assert_eq!(answer.status, 403, "{after}: {}", answer.text);
        }
        for before in ["2029-12-31T22:59:59.999Z", "2029-12-31T23:59:00+01:00"] {
            let answer = read(before).await;
            assert_eq!(answer.status, 200, "{before}: {}", answer.text);
        }
    }
);
