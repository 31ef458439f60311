//! change_password, logout_everywhere, and revocation by any credential write.

use ferrocrud::context::{CrudContext, Verb};
use ferrocrud::shared::user::UserService;
use ferrocrud_tests::blog_test;
use reqwest::Method;
use serde_json::json;

use crate::users_support::{
    PASSWORD, assert_coded, assert_only_login_counters_changed, assert_token_ok,
    assert_token_revoked, cmd_s, login, obj, payload, row, token, users,
};

blog_test!(
    async fn change_password_revokes_every_token_and_answers_a_new_one(server: TestServer) {
        let (id, first) = server.user("cp@blog.test").await;
        let second = token(&server, "cp@blog.test", PASSWORD).await;
        let dto =
            json!({"oldPassword": PASSWORD, "newPassword": "pass-changed-1", "logMeIn": true});
        let answer = cmd_s(&server, "change_password", dto, Some(&first)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let body = answer.json();
        assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
        let fresh = body["accessToken"].as_str().expect("accessToken");
        let claims = payload(fresh);
        assert_eq!(claims["id"], id.as_str());
        assert_eq!(claims["rvkd"], 1, "rvkd went from null to 1");
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            1800
        );

        assert_token_revoked(&server, &first).await;
        assert_token_revoked(&server, &second).await;
        assert_token_ok(&server, fresh, &id).await;
        let old = login(&server, "cp@blog.test", PASSWORD).await;
        assert_coded(&old, 401, 5, "Invalid credentials");
        let new = login(&server, "cp@blog.test", "pass-changed-1").await;
        assert_eq!(new.status, 200, "{}", new.text);
    }
);

blog_test!(
    async fn change_password_without_log_me_in_answers_an_empty_object(server: TestServer) {
        let (_, token) = server.user("cp2@blog.test").await;
        let dto = json!({"oldPassword": PASSWORD, "newPassword": "pass-changed-1"});
        let answer = cmd_s(&server, "change_password", dto, Some(&token)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        assert_eq!(answer.text, "{}");
    }
);

blog_test!(
    async fn change_password_with_a_wrong_old_password_is_400_code_5(server: TestServer) {
        let (id, token) = server.user("cp3@blog.test").await;
        let before = row(&server, &id).await;
        let dto = json!({"oldPassword": "nope-nope-1", "newPassword": "pass-changed-1"});
        let answer = cmd_s(&server, "change_password", dto, Some(&token)).await;
        assert_eq!(
            answer.json(),
            json!({"message": "{\"message\":\"Invalid credentials\",\"code\":5}", "error": "Bad Request", "statusCode": 400, "code": 5})
        );
        assert_eq!(
            row(&server, &id).await.failed_login_count,
            Some(1),
            "counted as a failed login"
        );
        assert_only_login_counters_changed(&server, &before, "nothing else written").await;
        assert_token_ok(&server, &token, &id).await;
    }
);

blog_test!(
    async fn change_password_as_guest_is_403(server: TestServer) {
        let dto = json!({"oldPassword": PASSWORD, "newPassword": "pass-changed-1"});
        let answer = cmd_s(&server, "change_password", dto, None).await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.message(),
            "Role guest is not allowed to POST user change_password - guest failed on all "
        );
    }
);

blog_test!(
    async fn change_password_over_patch_is_refused(server: TestServer) {
        let (_, token) = server.user("cp4@blog.test").await;
        let dto = json!({"oldPassword": PASSWORD, "newPassword": PASSWORD});
        let answer = server
            .cmd(Method::PATCH, "user", "change_password", dto, Some(&token))
            .await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.message(),
            "Command must be used in secure mode (POST)"
        );
    }
);

blog_test!(
    async fn change_password_length_rules(server: TestServer) {
        let (id, token) = server.user("cp5@blog.test").await;
        let oversized = json!({"oldPassword": PASSWORD, "newPassword": "n".repeat(60)});
        let answer = cmd_s(&server, "change_password", oversized, Some(&token)).await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.json()["data"],
            json!({"problemField": "newPassword", "fieldSize": 62, "maxSize": 50})
        );
        let answer = cmd_s(
            &server,
            "change_password",
            json!({"oldPassword": PASSWORD, "newPassword": "x", "expiresInSec": 99_999_999}),
            Some(&token),
        )
        .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.message(),
            "Invalid expiresInSec: 99999999 max: 2592000"
        );
        assert_token_ok(&server, &token, &id).await;
    }
);

// eicrud weakness (reference/eicrud.md §4.10, §12 #7): no minimum length on
// change_password; any password of one character was accepted.
blog_test!(
    async fn regression_change_password_enforces_the_minimum_length(server: TestServer) {
        let (id, token) = server.user("cp6@blog.test").await;
        let before = row(&server, &id).await;
        let dto = json!({"oldPassword": PASSWORD, "newPassword": "short"});
        let answer = cmd_s(&server, "change_password", dto, Some(&token)).await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert_eq!(
            answer.message(),
            "Validation error Data: An instance of ChangePasswordDto has failed the validation:\n - property newPassword has failed the following constraints: minLength \n"
        );
        assert_eq!(row(&server, &id).await, before, "nothing written");
    }
);

blog_test!(
    async fn logout_everywhere_revokes_every_token_of_the_user(server: TestServer) {
        let (id, first) = server.user("le@blog.test").await;
        let second = token(&server, "le@blog.test", PASSWORD).await;
        let (other_id, other) = server.user("le-other@blog.test").await;
        let answer = cmd_s(
            &server,
            "logout_everywhere",
            json!({"userId": id}),
            Some(&first),
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        assert_eq!(answer.text, "");
        assert_eq!(answer.header("content-length"), Some("0"));
        assert_token_revoked(&server, &first).await;
        assert_token_revoked(&server, &second).await;
        assert_token_ok(&server, &other, &other_id).await;
        let fresh = token(&server, "le@blog.test", PASSWORD).await;
        assert_eq!(payload(&fresh)["rvkd"], 1);
        assert_token_ok(&server, &fresh, &id).await;
    }
);

// The ability says a user may end only its own sessions (eicrud's documented
// rule); another user's id is refused before anything is written.
blog_test!(
    async fn regression_logout_everywhere_for_another_user_is_403(server: TestServer) {
        let (victim, victim_token) = server.user("le-victim@blog.test").await;
        let (_, attacker) = server.user("le-attacker@blog.test").await;
        let answer = cmd_s(
            &server,
            "logout_everywhere",
            json!({"userId": victim}),
            Some(&attacker),
        )
        .await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.message(),
            "Role user is not allowed to POST user logout_everywhere - user failed on userId - guest failed on all "
        );
        assert_token_ok(&server, &victim_token, &victim).await;
        assert_eq!(row(&server, &victim).await.rvkd, None);
    }
);

blog_test!(
    async fn logout_everywhere_as_guest_is_403(server: TestServer) {
        let (id, _) = server.user("le-guest@blog.test").await;
        let answer = cmd_s(&server, "logout_everywhere", json!({"userId": id}), None).await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.message(),
            "Role guest is not allowed to POST user logout_everywhere - guest failed on all "
        );
    }
);

// eicrud hashes passwords only on its own code paths and asks for the
// current `rvkd` on every credential write; here any write of a password
// through the user service is hashed and revokes the user's tokens in the
// same UPDATE, whoever makes it.
blog_test!(
    async fn regression_a_crud_patch_of_password_is_hashed_and_revokes(server: TestServer) {
        let (id, old) = server.user("crud-pw@blog.test").await;
        let ctx = CrudContext::internal_for::<UserService>(Verb::Patch);
        let patched = users(&server)
            .crud()
            .patch_one(
                obj(json!({"id": id})),
                obj(json!({"password": "set-by-admin-1"})),
                &ctx,
            )
            .await
            .expect("patch");
        assert_eq!(patched.count, 1);
        let stored = row(&server, &id).await;
        assert!(
            stored.password.starts_with("$argon2id$"),
            "{}",
            stored.password
        );
        assert!(!stored.password.contains("set-by-admin-1"));
        assert_eq!(stored.rvkd, Some(1));
        assert_token_revoked(&server, &old).await;
        let fresh = login(&server, "crud-pw@blog.test", "set-by-admin-1").await;
        assert_eq!(fresh.status, 200, "{}", fresh.text);
    }
);

blog_test!(
    async fn a_crud_write_of_email_revokes_and_one_of_another_field_does_not(server: TestServer) {
        let (id, old) = server.user("crud-mail@blog.test").await;
        let ctx = CrudContext::internal_for::<UserService>(Verb::Patch);
        let crud = users(&server).crud();
        crud.patch_one(obj(json!({"id": id})), obj(json!({"trust": 3})), &ctx)
            .await
            .expect("patch trust");
        assert_token_ok(&server, &old, &id).await;
        crud.patch(
            obj(json!({"id": id})),
            obj(json!({"email": "crud-mail-2@blog.test"})),
            &ctx,
        )
        .await
        .expect("patch email");
        assert_token_revoked(&server, &old).await;
        assert_eq!(row(&server, &id).await.rvkd, Some(1));
    }
);

// A revoked token must never become valid again: `rvkd` only grows.
blog_test!(
    async fn regression_rvkd_cannot_be_written_back(server: TestServer) {
        let (id, old) = server.user("crud-rvkd@blog.test").await;
        let crud = users(&server).crud();
        let ctx = CrudContext::internal_for::<UserService>(Verb::Patch);
        crud.patch_one(
            obj(json!({"id": id})),
            obj(json!({"password": "pass-word-456"})),
            &ctx,
        )
        .await
        .expect("patch");
        let err = crud
            .patch_one(obj(json!({"id": id})), obj(json!({"rvkd": null})), &ctx)
            .await
            .expect_err("rvkd is the server's");
        assert!(
            matches!(err, ferrocrud::Error::ManagedField(ref f) if f == "rvkd"),
            "{err:?}"
        );
        assert_token_revoked(&server, &old).await;
    }
);
