//! The `in` routes (findIn, patchIn, deleteIn), findIds, and id lists on
//! `many`.

use ferrocrud_tests::{Answer, Request, TestServer, blog_test};
use reqwest::Method;
use serde_json::{Value, json};

/// Creates `count` posts of `owner`, answers their ids in creation order.
async fn create_posts(server: &TestServer, token: &str, owner: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for i in 1..=count {
        let answer = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .body(json!({"owner": owner, "title": format!("p{i}")}))
                    .token(Some(token)),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        ids.push(answer.json()["id"].as_str().expect("id").to_owned());
    }
    ids
}

async fn route(
    server: &TestServer,
    method: Method,
    op: &str,
    token: &str,
    query: Value,
    body: Option<Value>,
) -> Answer {
    let mut request = Request::crud(method.clone(), "post", op)
        .query(query)
        .token(Some(token));
    if method == Method::GET {
        request = request.options(json!({}));
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    server.send(request).await
}

/// The sorted values of `field` in the rows of a page.
fn sorted(page: &Value, field: &str) -> Vec<String> {
    let mut values: Vec<String> = page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|row| row[field].as_str().expect("a string").to_owned())
        .collect();
    values.sort();
    values
}

fn sorted_ids(ids: &[&String]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|id| (*id).clone()).collect();
    ids.sort();
    ids
}

blog_test!(
    async fn find_in_answers_the_listed_posts(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let ids = create_posts(&server, &token, &owner, 3).await;
        let answer = route(
            &server,
            Method::GET,
            "in",
            &token,
            json!({"id": [ids[0], ids[2]], "owner": owner}),
            None,
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let page = answer.json();
        assert_eq!(
            (page["total"].clone(), page["limit"].clone()),
            (json!(2), json!(40))
        );
        assert_eq!(sorted(&page, "id"), sorted_ids(&[&ids[0], &ids[2]]));
    }
);

blog_test!(
    async fn in_routes_keep_the_rest_of_the_query(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let (other, other_token) = server.user("b@blog.test").await;
        let theirs = create_posts(&server, &other_token, &other, 2).await;
        let query = json!({"id": theirs, "owner": owner});
        let found = route(&server, Method::GET, "in", &token, query.clone(), None).await;
        assert_eq!(
            (found.status, found.json()["total"].clone()),
            (200, json!(0))
        );
        let patched = route(
            &server,
            Method::PATCH,
            "in",
            &token,
            query.clone(),
            Some(json!({"title": "pwned"})),
        )
        .await;
        assert_eq!((patched.status, patched.json()), (200, json!({"count": 0})));
        let deleted = route(&server, Method::DELETE, "in", &token, query, None).await;
        assert_eq!((deleted.status, deleted.json()), (200, json!({"count": 0})));
        let still = route(
            &server,
            Method::GET,
            "in",
            &other_token,
            json!({"id": theirs, "owner": other}),
            None,
        )
        .await
        .json();
        assert_eq!(sorted(&still, "title"), ["p1", "p2"]);
    }
);

blog_test!(
    async fn patch_in_changes_the_listed_posts_only(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let ids = create_posts(&server, &token, &owner, 3).await;
        let answer = route(
            &server,
            Method::PATCH,
            "in",
            &token,
            json!({"id": [ids[0], ids[1]], "owner": owner}),
            Some(json!({"title": "edited"})),
        )
        .await;
        assert_eq!((answer.status, answer.json()), (200, json!({"count": 2})));
        let all = route(
            &server,
            Method::GET,
            "many",
            &token,
            json!({"owner": owner}),
            None,
        )
        .await
        .json();
        assert_eq!(sorted(&all, "title"), ["edited", "edited", "p3"]);
    }
);

blog_test!(
    async fn delete_in_removes_the_listed_posts_only(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let ids = create_posts(&server, &token, &owner, 3).await;
        let answer = route(
            &server,
            Method::DELETE,
            "in",
            &token,
            json!({"id": [ids[0], ids[2]], "owner": owner}),
            None,
        )
        .await;
        assert_eq!((answer.status, answer.json()), (200, json!({"count": 2})));
        let all = route(
            &server,
            Method::GET,
            "many",
            &token,
            json!({"owner": owner}),
            None,
        )
        .await
        .json();
        assert_eq!(sorted(&all, "id"), [ids[1].clone()]);
    }
);

blog_test!(
    async fn an_empty_id_list_is_400_code_12(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            let body = (method == Method::PATCH).then(|| json!({"title": "x"}));
            let answer = route(
                &server,
                method.clone(),
                "in",
                &token,
                json!({"id": [], "owner": owner}),
                body,
            )
            .await;
            assert_eq!(answer.status, 400, "{method}");
            assert_eq!(
                answer.text,
                r#"{"message":"{\"message\":\"In query max id length\",\"code\":12,\"data\":{\"maxBatchSize\":250,\"idsLength\":0}}","error":"Bad Request","statusCode":400,"code":12,"data":{"maxBatchSize":250,"idsLength":0}}"#,
                "{method}"
            );
        }
    }
);

blog_test!(
    async fn more_than_250_ids_is_400_code_12(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let ids: Vec<String> = (0..251).map(|i| format!("id-{i}")).collect();
        let at_most: Vec<String> = ids[..250].to_vec();
        let ok = route(
            &server,
            Method::GET,
            "in",
            &token,
            json!({"id": at_most, "owner": owner}),
            None,
        )
        .await;
        assert_eq!(ok.status, 200, "{}", ok.text);
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            let body = (method == Method::PATCH).then(|| json!({"title": "x"}));
            let answer = route(
                &server,
                method.clone(),
                "in",
                &token,
                json!({"id": ids, "owner": owner}),
                body,
            )
            .await;
            assert_eq!(answer.status, 400, "{method}");
            assert_eq!(
                answer.json()["data"],
                json!({"maxBatchSize": 250, "idsLength": 251}),
                "{method}"
            );
            assert_eq!(answer.code(), Some(12), "{method}");
        }
    }
);

blog_test!(
    async fn an_id_that_is_not_a_list_is_400(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let ids = create_posts(&server, &token, &owner, 1).await;
        for query in [
            json!({"id": ids[0], "owner": owner}),
            json!({"owner": owner}),
        ] {
            for method in [Method::GET, Method::PATCH, Method::DELETE] {
                let body = (method == Method::PATCH).then(|| json!({"title": "x"}));
                let answer =
                    route(&server, method.clone(), "in", &token, query.clone(), body).await;
                assert_eq!(answer.status, 400, "{method} {query}");
                assert_eq!(
                    answer.message(),
                    "an `in` query needs an array of ids in its id field",
                    "{method} {query}"
                );
            }
        }
        let ids_not_strings = route(
            &server,
            Method::GET,
            "in",
            &token,
            json!({"id": [1, 2], "owner": owner}),
            None,
        )
        .await;
        assert_eq!(
            (ids_not_strings.status, ids_not_strings.message()),
            (400, "the ids of an `in` query must be strings".to_owned())
        );
    }
);

blog_test!(
    async fn find_ids_answers_ids_total_and_limit_4000(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let ids = create_posts(&server, &token, &owner, 3).await;
        let answer = route(
            &server,
            Method::GET,
            "ids",
            &token,
            json!({"owner": owner}),
            None,
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let page = answer.json();
        let keys: Vec<&String> = page.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["data", "total", "limit"]);
        assert_eq!(
            (page["total"].clone(), page["limit"].clone()),
            (json!(3), json!(4000))
        );
        let mut found: Vec<String> = page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|id| id.as_str().expect("a bare id").to_owned())
            .collect();
        found.sort();
        assert_eq!(found, sorted_ids(&ids.iter().collect::<Vec<_>>()));
    }
);

blog_test!(
    async fn find_ids_caps_the_limit_at_4000(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let answer = server
            .send(
                Request::crud(Method::GET, "post", "ids")
                    .options(json!({"limit": 5000}))
                    .query(json!({"owner": owner}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.json()["limit"], 4000);
        let small = server
            .send(
                Request::crud(Method::GET, "post", "ids")
                    .options(json!({"limit": 2}))
                    .query(json!({"owner": owner}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(small.json()["limit"], 2);
    }
);

blog_test!(
    async fn find_many_accepts_an_id_list(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let ids = create_posts(&server, &token, &owner, 3).await;
        let answer = route(
            &server,
            Method::GET,
            "many",
            &token,
            json!({"id": [ids[1], ids[2]], "owner": owner}),
            None,
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let page = answer.json();
        assert_eq!(page["total"], 2);
        assert_eq!(sorted(&page, "id"), sorted_ids(&[&ids[1], &ids[2]]));
    }
);

blog_test!(
    async fn find_one_refuses_an_id_list(server: TestServer) {
        let (owner, token) = server.user("a@blog.test").await;
        let ids = create_posts(&server, &token, &owner, 2).await;
        let answer = route(
            &server,
            Method::GET,
            "one",
            &token,
            json!({"id": ids, "owner": owner}),
            None,
        )
        .await;
        assert_eq!(answer.status, 400, "{}", answer.text);
    }
);
