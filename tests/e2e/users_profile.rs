//! The blog's own user entity: `displayName` and `bio` beside the account
//! columns, read and written under abilities; the managed account columns
//! refused to every CRUD write, whatever the role.

use ferrocrud_tests::{Answer, Request, TestServer, blog_test};
use reqwest::Method;
use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use crate::users_support::{PASSWORD, row, token};

/// The account columns no CRUD write may set, with a value of their type.
const MANAGED: &[(&str, &str)] = &[
    ("rvkd", "7"),
    ("password", r#""a-new-password-1""#),
    ("verifiedEmail", "true"),
    ("timeout", r#""2100-01-01T00:00:00.000Z""#),
    ("failedLoginCount", "0"),
];

async fn create_account(server: &TestServer, dto: Value) -> Answer {
    server
        .cmd(Method::POST, "user", "create_account", dto, None)
        .await
}

async fn find_one(server: &TestServer, token: Option<&str>, id: &str) -> Answer {
    server
        .send(
            Request::crud(Method::GET, "user", "one")
                .query(json!({ "id": id }))
                .token(token),
        )
        .await
}

async fn patch_one(server: &TestServer, token: Option<&str>, id: &str, data: Value) -> Answer {
    server
        .send(
            Request::crud(Method::PATCH, "user", "one")
                .query(json!({ "id": id }))
                .body(data)
                .token(token),
        )
        .await
}

/// A seeded administrator's token.
async fn admin(server: &TestServer) -> String {
    server
        .users
        .ensure_account("admin@blog.test", PASSWORD, "admin")
        .await
        .expect("admin seeded");
    token(server, "admin@blog.test", PASSWORD).await
}

blog_test!(
    async fn display_name_round_trips_from_create_account_to_find_one(server: TestServer) {
        let answer = create_account(
            &server,
            json!({"email": "ann@blog.test", "password": PASSWORD, "role": "user",
                   "displayName": "Ann Example"}),
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let id = answer.json()["userId"].as_str().expect("userId").to_owned();
        let token = token(&server, "ann@blog.test", PASSWORD).await;

        let answer = find_one(&server, Some(&token), &id).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let user = answer.json();
        assert_eq!(user["displayName"], "Ann Example");
        assert_eq!(user["email"], "ann@blog.test");
        assert_eq!(user.get("password"), None, "secrets are never sent");
        assert_eq!(user.get("bio"), Some(&Value::Null));
    }
);

blog_test!(
    async fn create_account_checks_the_profile_fields_by_their_type(server: TestServer) {
        let long = "x".repeat(49);
        for (dto, constraint) in [
            (
                json!({"displayName": long}),
                "property displayName has failed the following constraints: maxLength",
            ),
            (
                json!({"displayName": 12}),
                "property displayName has failed",
            ),
        ] {
            let mut body = json!({"email": "bo@blog.test", "password": PASSWORD, "role": "user"});
            body.as_object_mut()
                .expect("object")
                .extend(dto.as_object().expect("object").clone());
            let answer = create_account(&server, body).await;
            assert_eq!(answer.status, 400, "{}", answer.text);
            assert!(
                answer.text.contains(constraint),
                "{constraint}: {}",
                answer.text
            );
        }
        // Neither an unknown field nor an account column is a profile field.
        for extra in [
            json!({"nickname": "bo"}),
            json!({"rvkd": 3}),
            json!({"verifiedEmail": true}),
        ] {
            let mut body = json!({"email": "bo@blog.test", "password": PASSWORD, "role": "user"});
            body.as_object_mut()
                .expect("object")
                .extend(extra.as_object().expect("object").clone());
            let answer = create_account(&server, body).await;
            assert_eq!(answer.status, 400, "{extra}: {}", answer.text);
        }
        // Nothing was written by the refused calls.
        let answer = create_account(
            &server,
            json!({"email": "bo@blog.test", "password": PASSWORD, "role": "user"}),
        )
        .await;
        assert_eq!(
            answer.status, 201,
            "the address is still free: {}",
            answer.text
        );
    }
);

blog_test!(
    async fn bio_is_patched_by_its_owner_and_refused_to_another_user(server: TestServer) {
        let (ann, ann_token) = server.user("ann@blog.test").await;
        let (_bob, bob_token) = server.user("bob@blog.test").await;

        let answer = patch_one(
            &server,
            Some(&ann_token),
            &ann,
            json!({"bio": "Writes about Rust.", "displayName": "Ann"}),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let answer = find_one(&server, Some(&ann_token), &ann).await;
        assert_eq!(answer.json()["bio"], "Writes about Rust.");
        assert_eq!(answer.json()["displayName"], "Ann");

        let answer = patch_one(&server, Some(&bob_token), &ann, json!({"bio": "pwned"})).await;
        assert_eq!(answer.status, 403, "{}", answer.text);
        let answer = find_one(&server, Some(&bob_token), &ann).await;
        assert_eq!(
            answer.status, 403,
            "another user's row is not readable: {}",
            answer.text
        );
        assert_eq!(
            row(&server, &ann).await.bio.as_deref(),
            Some("Writes about Rust.")
        );

        // The email is not among the fields a user edits on its own row.
        let answer = patch_one(
            &server,
            Some(&ann_token),
            &ann,
            json!({"email": "x@blog.test"}),
        )
        .await;
        assert_eq!(answer.status, 403, "{}", answer.text);

        // The bio is bounded by its type.
        let answer = patch_one(
            &server,
            Some(&ann_token),
            &ann,
            json!({"bio": "b".repeat(501)}),
        )
        .await;
        assert_eq!(answer.status, 400, "{}", answer.text);
    }
);

blog_test!(
    async fn managed_columns_are_refused_to_every_role_admin_included(server: TestServer) {
        let (target, user_token) = server.user("ann@blog.test").await;
        let moderator = token(
            &server,
            ferrocrud_tests::MODERATOR.0,
            ferrocrud_tests::MODERATOR.1,
        )
        .await;
        let admin = admin(&server).await;
        let before = row(&server, &target).await;

        let callers: [(&str, Option<&str>); 4] = [
            ("guest", None),
            ("user", Some(&user_token)),
            ("moderator", Some(&moderator)),
            ("admin", Some(&admin)),
        ];
        for (role, token) in callers {
            for (field, value) in MANAGED {
                let value: Value = serde_json::from_str(value).expect("JSON");
                let answer =
                    patch_one(&server, token, &target, json!({ *field: value.clone() })).await;
                assert_eq!(
                    answer.status, 400,
                    "{role} patching {field}: {}",
                    answer.text
                );
                assert!(
                    answer.message().contains(field),
                    "{role} patching {field}: the field is named: {}",
                    answer.text
                );
                // Beside a field the caller may write, too.
                let answer = patch_one(
                    &server,
                    token,
                    &target,
                    json!({"bio": "ok", *field: value.clone()}),
                )
                .await;
                assert_eq!(
                    answer.status, 400,
                    "{role} patching bio and {field}: {}",
                    answer.text
                );

                let answer = server
                    .send(
                        Request::crud(Method::POST, "user", "one")
                            .body(json!({"email": "new@blog.test", "password": "clear-pass-1",
                                         "role": "user", *field: value}))
                            .token(token),
                    )
                    .await;
                assert_eq!(
                    answer.status, 400,
                    "{role} creating with {field}: {}",
                    answer.text
                );
            }
            // `role` needs a rule that names it; the blog has none.
            let answer = patch_one(&server, token, &target, json!({"role": "admin"})).await;
            assert_eq!(answer.status, 403, "{role} patching role: {}", answer.text);
        }
        let after = row(&server, &target).await;
        assert_eq!(after.role, "user");
        assert_eq!(after.rvkd, before.rvkd);
        assert_eq!(after.password, before.password);
        assert_eq!(after.verified_email, before.verified_email);
        assert_eq!(after.timeout, before.timeout);
        assert_eq!(after.failed_login_count, before.failed_login_count);
        assert_eq!(after.bio, None, "no refused patch wrote its other fields");
        let created = blog::user::Entity::find()
            .filter(blog::user::Column::Email.eq("new@blog.test"))
            .one(&server.db)
            .await
            .expect("database");
        assert_eq!(created, None, "no refused create wrote a row");
    }
);

blog_test!(
    async fn an_admin_edits_any_profile_but_not_the_role(server: TestServer) {
        let (target, _) = server.user("ann@blog.test").await;
        let admin = admin(&server).await;
        let answer = patch_one(
            &server,
            Some(&admin),
            &target,
            json!({"displayName": "Moderated"}),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let answer = find_one(&server, Some(&admin), &target).await;
        assert_eq!(answer.json()["displayName"], "Moderated");
        let answer = patch_one(
            &server,
            Some(&admin),
            &target,
            json!({"displayName": "x", "role": "moderator"}),
        )
        .await;
        assert_eq!(answer.status, 403, "{}", answer.text);
        assert_eq!(row(&server, &target).await.role, "user");
    }
);
