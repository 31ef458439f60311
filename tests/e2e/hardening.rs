//! Regression tests of defects found by a security review and a fuzzer, each
//! named after the defect it pins.

use ferrocrud_tests::{Answer, Request, TestServer, blog_test, fixture_test};
use reqwest::Method;
use serde_json::{Value, json};

use crate::users_support::PASSWORD;

/// eicrud's `ValidationError` code, and the code of a body that is not JSON.
const VALIDATION: u64 = 10;
const UNSUPPORTED_MEDIA_TYPE: u64 = 113;

async fn login_with(server: &TestServer, content_type: &str, body: &str) -> Answer {
    server
        .send(Request::new(Method::PATCH, "/crud/s/user/cmd/login").raw_body(content_type, body))
        .await
}

async fn posts_of(server: &TestServer, token: &str, owner: &str) -> Vec<Value> {
    let answer = server
        .send(
            Request::crud(Method::GET, "post", "many")
                .query(json!({ "owner": owner }))
                .token(Some(token)),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn assert_nul_refused(answer: &Answer, field: &str) {
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(answer.code(), Some(VALIDATION), "{}", answer.text);
    let message = answer.message();
    assert!(
        message.contains(&format!("property {field} ")) && message.contains("noNulCharacter"),
        "{message}"
    );
}

blog_test!(
    async fn a_text_plain_login_is_refused_with_415(server: TestServer) {
        let email = "plain@blog.test";
        server.create_account(email, PASSWORD).await;
        let credentials = json!({ "email": email, "password": PASSWORD }).to_string();
        for content_type in [
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "",
        ] {
            let answer = login_with(&server, content_type, &credentials).await;
            assert_eq!(answer.status, 415, "{content_type:?}: {}", answer.text);
            assert_eq!(
                answer.code(),
                Some(UNSUPPORTED_MEDIA_TYPE),
                "{content_type:?}"
            );
            assert!(answer.header("set-cookie").is_none(), "{content_type:?}");
        }
        server.after_login_throttle().await;
        for content_type in ["application/json", "Application/JSON; charset=utf-8"] {
            let answer = login_with(&server, content_type, &credentials).await;
            assert_eq!(answer.status, 200, "{content_type:?}: {}", answer.text);
            server.after_login_throttle().await;
        }
    }
);

blog_test!(
    async fn a_cross_site_form_cannot_force_a_logout_by_a_401(server: TestServer) {
        // A form posting to check_jwt with the victim's (here: a bad) session
        // cookie: refused for its type before the cookie is read, so the
        // answer clears no cookie.
        let cookie = [("cookie", "eicrud-jwt=not-a-token".to_owned())];
        let answer = server
            .send(
                Request::new(Method::POST, "/crud/s/user/cmd/check_jwt")
                    .raw_body("application/x-www-form-urlencoded", "a=b")
                    .headers(&cookie),
            )
            .await;
        assert_eq!(answer.status, 415, "{}", answer.text);
        assert!(answer.header("set-cookie").is_none());
    }
);

blog_test!(
    async fn a_request_without_a_body_needs_no_content_type(server: TestServer) {
        let (_, token) = server.user("nobody@blog.test").await;
        let answer = server
            .send(
                Request::new(Method::PATCH, "/crud/s/user/cmd/check_jwt")
                    .raw_body("", "")
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
);

blog_test!(
    async fn a_nul_character_in_a_login_email_is_a_400_naming_the_field(server: TestServer) {
        let answer = server
            .cmd(
                Method::PATCH,
                "user",
                "login",
                json!({ "email": "nul\u{0}@blog.test", "password": PASSWORD }),
                None,
            )
            .await;
        assert_nul_refused(&answer, "email");
        let answer = server
            .cmd(
                Method::POST,
                "user",
                "create_account",
                json!({ "email": "nul\u{0}@blog.test", "password": PASSWORD, "role": "user" }),
                None,
            )
            .await;
        assert_nul_refused(&answer, "email");
    }
);

blog_test!(
    async fn a_nul_character_in_basic_credentials_is_a_400(server: TestServer) {
        use base64::Engine as _;
        let credentials = base64::engine::general_purpose::STANDARD
            .encode(format!("nul\u{0}@blog.test:{PASSWORD}"));
        let header = [("authorization", format!("Basic {credentials}"))];
        let answer = server
            .send(
                Request::new(Method::PATCH, "/crud/s/user/cmd/check_jwt")
                    .body(json!({}))
                    .headers(&header),
            )
            .await;
        assert_eq!(answer.status, 400, "{}", answer.text);
    }
);

blog_test!(
    async fn a_nul_character_in_created_or_patched_text_is_a_400_and_writes_nothing(
        server: TestServer,
    ) {
        let (owner, token) = server.user("writer@blog.test").await;
        let answer = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .body(json!({ "owner": owner, "title": "a\u{0}b", "content": "x" }))
                    .token(Some(&token)),
            )
            .await;
        assert_nul_refused(&answer, "title");
        assert!(posts_of(&server, &token, &owner).await.is_empty());

        let created = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .body(json!({ "owner": owner, "title": "clean", "content": "x" }))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.json()["id"].as_str().expect("id").to_owned();
        let answer = server
            .send(
                Request::crud(Method::PATCH, "post", "one")
                    .query(json!({ "id": id, "owner": owner }))
                    .body(json!({ "content": "before\u{0}after" }))
                    .token(Some(&token)),
            )
            .await;
        assert_nul_refused(&answer, "content");
        let posts = posts_of(&server, &token, &owner).await;
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0]["content"], "x");

        let answer = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .query(json!({ "owner": owner, "title": "\u{0}" }))
                    .token(Some(&token)),
            )
            .await;
        assert_nul_refused(&answer, "title");
    }
);

blog_test!(
    async fn a_token_is_refused_from_the_second_of_its_exp(server: TestServer) {
        let (id, _) = server.user("expiring@blog.test").await;
        // exp = now: Node's jsonwebtoken, which eicrud uses, refuses it at once.
        let token = server.token_for(&id, None, 0);
        let answer = server
            .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(&token))
            .await;
        assert_eq!(answer.status, 401, "{}", answer.text);
        assert_eq!(answer.message(), "jwt expired");
    }
);

blog_test!(
    async fn more_than_250_ids_on_the_many_routes_is_400_code_12(server: TestServer) {
        let (owner, token) = server.user("lists@blog.test").await;
        let ids: Vec<String> = (0..1500).map(|i| format!("id-{i}")).collect();
        let at_most = &ids[..250];
        let ok = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .query(json!({ "id": at_most, "owner": owner }))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(ok.status, 200, "{}", ok.text);
        for (method, op) in [
            (Method::GET, "many"),
            (Method::GET, "ids"),
            (Method::PATCH, "many"),
            (Method::DELETE, "many"),
        ] {
            let mut request = Request::crud(method.clone(), "post", op)
                .query(json!({ "id": ids, "owner": owner }))
                .token(Some(&token));
            if method == Method::PATCH {
                request = request.body(json!({ "title": "x" }));
            }
            let answer = server.send(request).await;
            assert_eq!(answer.status, 400, "{method} {op}: {}", answer.text);
            assert_eq!(answer.code(), Some(12), "{method} {op}");
            assert_eq!(
                answer.json()["data"],
                json!({ "maxBatchSize": 250, "idsLength": 1500 }),
                "{method} {op}"
            );
        }
    }
);

blog_test!(
    async fn wrong_current_passwords_in_commands_count_as_failed_logins(server: TestServer) {
        let email = "guessed@blog.test";
        let (_, token) = server.user(email).await;
        let other = server.another_instance().await;
        for n in 0..6 {
            server.after_login_throttle().await;
            // Alternate the commands and the two instances: one counter.
            let on = if n % 2 == 0 { &server } else { &other };
            let answer = if n < 3 {
                on.cmd(
                    Method::POST,
                    "user",
                    "change_password",
                    json!({ "oldPassword": "not-the-password-1", "newPassword": "a-new-password-1" }),
                    Some(&token),
                )
                .await
            } else {
                on.cmd(
                    Method::POST,
                    "user",
                    "send_verification_email",
                    json!({ "newEmail": "elsewhere@blog.test", "password": "not-the-password-1" }),
                    Some(&token),
                )
                .await
            };
            assert_eq!(answer.status, 400, "try {n}: {}", answer.text);
            assert_eq!(answer.code(), Some(5), "try {n}");
        }
        server.after_login_throttle().await;
        let right = server
            .cmd(
                Method::POST,
                "user",
                "change_password",
                json!({ "oldPassword": PASSWORD, "newPassword": "a-new-password-1" }),
                Some(&token),
            )
            .await;
        assert_eq!(right.status, 429, "{}", right.text);
        assert_eq!(right.code(), Some(3));
        server.after_login_throttle().await;
        let login = server
            .cmd(
                Method::PATCH,
                "user",
                "login",
                json!({ "email": email, "password": PASSWORD }),
                None,
            )
            .await;
        assert_eq!(login.status, 429, "{}", login.text);
    }
);

fixture_test!(
    async fn a_cannot_rule_fails_closed_when_the_dto_leaves_its_field_out(server: TestServer) {
        // The fixture's guests: `can_cmd::<GuardedDto>()`, then
        // `cannot_cmd::<GuardedDto>().when(gt("amount", 10))`.
        let guarded = |dto: Value| server.cmd(Method::PATCH, "post", "guarded", dto, None);
        let small = guarded(json!({ "amount": 5 })).await;
        assert_eq!(small.status, 200, "{}", small.text);
        let large = guarded(json!({ "amount": 50 })).await;
        assert_eq!(large.status, 403, "{}", large.text);
        // `amount` left out: the cannot cannot tell, and refuses.
        let unknown = guarded(json!({})).await;
        assert_eq!(unknown.status, 403, "{}", unknown.text);
    }
);

blog_test!(
    async fn mock_role_is_applied_for_roles_that_can_mock_and_refused_otherwise(
        server: TestServer,
    ) {
        server
            .users
            .ensure_account("mocker@blog.test", PASSWORD, "admin")
            .await
            .expect("admin seeded");
        let admin = server.login("mocker@blog.test", PASSWORD).await;
        let (other, user) = server.user("mocked@blog.test").await;
        let server = &server;
        let read = |token: &str, options: Value| {
            let token = token.to_owned();
            let query = json!({ "id": other.as_str() });
            async move {
                server
                    .send(
                        Request::crud(Method::GET, "user", "one")
                            .options(options)
                            .query(query)
                            .token(Some(&token)),
                    )
                    .await
            }
        };
        // An admin reads any user; acting as `user`, only itself.
        assert_eq!(read(&admin, json!({})).await.status, 200);
        let as_user = read(&admin, json!({ "mockRole": "user" })).await;
        assert_eq!(as_user.status, 403, "{}", as_user.text);
        assert_eq!(
            as_user.code(),
            Some(104),
            "refused by the user role's rules"
        );
        // A role it does not inherit, or a role that cannot mock: refused with a code.
        for (token, role) in [(&admin, "nobody"), (&user, "guest")] {
            let refused = read(token, json!({ "mockRole": role })).await;
            assert_eq!(refused.status, 403, "{role}: {}", refused.text);
            assert_eq!(refused.code(), Some(114), "{role}");
        }
    }
);

blog_test!(
    async fn cached_without_the_id_in_the_query_is_a_400(server: TestServer) {
        let (owner, token) = server.user("cached@blog.test").await;
        let created = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .body(json!({ "owner": owner, "title": "t" }))
                    .token(Some(&token)),
            )
            .await;
        let id = created.json()["id"].as_str().expect("id").to_owned();
        let find = |query: Value| {
            server.send(
                Request::crud(Method::GET, "post", "one")
                    .options(json!({ "cached": true }))
                    .query(query)
                    .token(Some(&token)),
            )
        };
        let refused = find(json!({ "owner": owner })).await;
        assert_eq!(refused.status, 400, "{}", refused.text);
        assert_eq!(refused.code(), Some(10));
        let found = find(json!({ "id": id, "owner": owner })).await;
        assert_eq!(found.status, 200, "{}", found.text);
        assert_eq!(found.json()["id"], id.as_str());
    }
);

blog_test!(
    async fn account_creation_mail_is_throttled_per_address(server: TestServer) {
        use sea_orm::EntityTrait as _;

        let address = "recreated@blog.test";
        let count = |server: &TestServer| {
            crate::users_support::mails(server, "account_creation", address).len()
        };
        let id = server.create_account(address, PASSWORD).await;
        for _ in 0..100 {
            if count(&server) == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(count(&server), 1, "the first mail");
        // The account deleted and made again at once: no second mail.
        blog::user::Entity::delete_by_id(id)
            .exec(&server.db)
            .await
            .expect("deleted");
        server.create_account(address, PASSWORD).await;
        server.create_account("another@blog.test", PASSWORD).await;
        for _ in 0..100 {
            if !crate::users_support::mails(&server, "account_creation", "another@blog.test")
                .is_empty()
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(count(&server), 1, "no second mail to the same address");
    }
);

blog_test!(
    async fn excluding_every_field_answers_empty_rows_not_a_500(server: TestServer) {
        // Found by the API fuzzer: a projection that left no column made a
        // SELECT without columns, a syntax error, answered 500.
        let (owner, token) = server.user("exclude-all@blog.test").await;
        let created = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .body(json!({ "owner": owner, "title": "kept" }))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let every = [
            "id",
            "owner",
            "title",
            "content",
            "published",
            "likes",
            "createdAt",
            "updatedAt",
        ];
        for op in ["one", "many"] {
            let answer = server
                .send(
                    Request::crud(Method::GET, "post", op)
                        .query(json!({ "owner": owner }))
                        .options(json!({ "fields": every, "exclude": every }))
                        .token(Some(&token)),
                )
                .await;
            assert_eq!(answer.status, 200, "{op}: {}", answer.text);
            let row = if op == "one" {
                answer.json()
            } else {
                answer.json()["data"][0].clone()
            };
            assert_eq!(row, json!({}), "{op}");
        }
    }
);

blog_test!(
    async fn a_nul_character_in_the_ids_of_an_in_query_is_a_400(server: TestServer) {
        // Found by the API fuzzer on PostgreSQL: the ids of the `in` routes
        // were taken out of the query before the NUL check, and reached the
        // database.
        let (owner, token) = server.user("in-nul@blog.test").await;
        for method in [Method::GET, Method::PATCH, Method::DELETE] {
            let mut request = Request::crud(method.clone(), "post", "in")
                .query(json!({ "id": ["a\u{0}b"], "owner": owner }))
                .token(Some(&token));
            if method == Method::PATCH {
                request = request.body(json!({ "title": "x" }));
            }
            let answer = server.send(request).await;
            assert_nul_refused(&answer, "id.0");
        }
    }
);
