//! Tokens that stop working: revoked (`rvkd` changed), expired, of a
//! timed-out or deleted user. The user rows are changed directly through
//! the user service, as application code does.

use ferrocrud_tests::{Answer, Request, TestServer, blog_test};
use reqwest::Method;
use serde_json::json;

const CLEAR_COOKIE: &str = "eicrud-jwt=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax";

const MISMATCH_BODY: &str = r#"{"message":"{\"message\":\"Token rvkd count mismatch\",\"code\":4}","error":"Unauthorized","statusCode":401,"code":4}"#;

const TIMEOUT: &str = "2099-01-01T00:00:00.000Z";

/// One request per verb and a command, all with `token` as `owner`.
async fn every_verb(server: &TestServer, token: &str, owner: &str) -> Vec<(&'static str, Answer)> {
    let query = json!({"owner": owner});
    let get = server
        .send(
            Request::crud(Method::GET, "post", "many")
                .options(json!({}))
                .query(query.clone())
                .token(Some(token)),
        )
        .await;
    let patch = server
        .send(
            Request::crud(Method::PATCH, "post", "many")
                .query(query.clone())
                .body(json!({"title": "x"}))
                .token(Some(token)),
        )
        .await;
    let post = server
        .send(
            Request::crud(Method::POST, "post", "one")
                .body(json!({"owner": owner, "title": "x"}))
                .token(Some(token)),
        )
        .await;
    let delete = server
        .send(
            Request::crud(Method::DELETE, "post", "many")
                .query(query)
                .token(Some(token)),
        )
        .await;
    let command = server
        .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(token))
        .await;
    vec![
        ("GET", get),
        ("PATCH", patch),
        ("POST", post),
        ("DELETE", delete),
        ("check_jwt", command),
    ]
}

/// Revokes every session of `id` `times` times, as `logout_everywhere` does
/// (the counter itself is not writable through the user service).
async fn revoke(server: &TestServer, id: &str, times: usize) {
    for _ in 0..times {
        let dto = ferrocrud::shared::user::LogoutEverywhereDto {
            user_id: id.to_owned(),
        };
        server
            .users
            .logout_everywhere(dto)
            .await
            .expect("sessions revoked");
    }
}

blog_test!(
    async fn a_revoked_token_is_401_code_4_on_every_verb(server: TestServer) {
        let (id, token) = server.user("a@blog.test").await;
        revoke(&server, &id, 1).await;
        for (what, answer) in every_verb(&server, &token, &id).await {
            assert_eq!(answer.status, 401, "{what}");
            assert_eq!(answer.text, MISMATCH_BODY, "{what}");
            assert_eq!(answer.header("set-cookie"), Some(CLEAR_COOKIE), "{what}");
        }
    }
);

blog_test!(
    async fn a_token_with_the_current_rvkd_works(server: TestServer) {
        let (id, _) = server.user("a@blog.test").await;
        revoke(&server, &id, 3).await;
        let current = server.token_for(&id, Some(3), 1800);
        let answer = server
            .cmd(
                Method::PATCH,
                "user",
                "check_jwt",
                json!({}),
                Some(&current),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.json()["userId"], id);
        let older = server.token_for(&id, Some(2), 1800);
        let refused = server
            .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(&older))
            .await;
        assert_eq!(refused.text, MISMATCH_BODY);
    }
);

blog_test!(
    async fn login_after_a_revocation_issues_a_working_token(server: TestServer) {
        let email = "a@blog.test";
        let id = server.create_account(email, "pass-word-123").await;
        revoke(&server, &id, 1).await;
        let token = server.login(email, "pass-word-123").await;
        let answer = server
            .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(&token))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
);

blog_test!(
    async fn an_expired_token_is_401_jwt_expired(server: TestServer) {
        let (id, _) = server.user("a@blog.test").await;
        let expired = server.token_for(&id, None, -10);
        for (what, answer) in every_verb(&server, &expired, &id).await {
            assert_eq!(answer.status, 401, "{what}");
            assert_eq!(
                answer.text,
                r#"{"message":"jwt expired","error":"Unauthorized","statusCode":401,"code":107}"#,
                "{what}"
            );
            assert_eq!(answer.header("set-cookie"), Some(CLEAR_COOKIE), "{what}");
        }
    }
);

blog_test!(
    async fn a_timed_out_user_is_401_code_2_on_every_verb(server: TestServer) {
        let (id, token) = server.user("a@blog.test").await;
        server
            .set_user_fields(&id, json!({"timeout": TIMEOUT}))
            .await;
        for (what, answer) in every_verb(&server, &token, &id).await {
            assert_eq!(answer.status, 401, "{what}");
            assert_eq!(
                answer.text,
                r#"{"message":"{\"message\":\"Account locked. Please wait until\",\"code\":2,\"data\":\"2099-01-01T00:00:00.000Z\"}","error":"Unauthorized","statusCode":401,"code":2,"data":"2099-01-01T00:00:00.000Z"}"#,
                "{what}"
            );
            assert_eq!(answer.header("set-cookie"), Some(CLEAR_COOKIE), "{what}");
        }
    }
);

blog_test!(
    async fn a_timed_out_user_cannot_log_in(server: TestServer) {
        let email = "a@blog.test";
        let id = server.create_account(email, "pass-word-123").await;
        server
            .set_user_fields(&id, json!({"timeout": TIMEOUT}))
            .await;
        let answer = server
            .cmd(
                Method::PATCH,
                "user",
                "login",
                json!({"email": email, "password": "pass-word-123"}),
                None,
            )
            .await;
        assert_eq!(answer.status, 401);
        assert_eq!(
            answer.inner(),
            json!({"message": "Account locked. Please wait until", "code": 2, "data": TIMEOUT})
        );
        assert_eq!(answer.code(), Some(2));
    }
);

blog_test!(
    async fn a_timeout_in_the_past_locks_nothing(server: TestServer) {
        let (id, token) = server.user("a@blog.test").await;
        server
            .set_user_fields(&id, json!({"timeout": "2001-01-01T00:00:00.000Z"}))
            .await;
        let answer = server
            .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(&token))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
);

blog_test!(
    async fn a_token_of_a_deleted_user_is_401_code_9(server: TestServer) {
        let (id, token) = server.user("a@blog.test").await;
        let ctx = ferrocrud::CrudContext::internal_for::<ferrocrud::shared::user::UserService>(
            ferrocrud::context::Verb::Delete,
        );
        let query = json!({"id": id}).as_object().cloned().expect("object");
        let deleted = server
            .users
            .crud()
            .delete_one(query, &ctx)
            .await
            .expect("user deleted");
        assert_eq!(deleted.count, 1);
        let answer = server
            .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(&token))
            .await;
        assert_eq!(answer.status, 401);
        assert_eq!(
            answer.text,
            r#"{"message":"{\"message\":\"User not found\",\"code\":9}","error":"Unauthorized","statusCode":401,"code":9}"#
        );
        assert_eq!(answer.header("set-cookie"), Some(CLEAR_COOKIE));
    }
);
