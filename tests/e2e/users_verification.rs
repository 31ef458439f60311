//! send_verification_email and verify_email, email changes included.

use ferrocrud_tests::blog_test;
use serde_json::json;

use crate::users_support::{
    PASSWORD, assert_coded, assert_only_login_counters_changed, assert_token_ok,
    assert_token_revoked, cmd_s, login, mails, payload, request_verification, reset_token, row,
};

fn verify(token_id: &str) -> serde_json::Value {
    json!({"token_id": token_id})
}

/// The last verification token mailed to `to`.
fn last_token(server: &ferrocrud_tests::TestServer, to: &str) -> String {
    mails(server, "email_verification", to)
        .last()
        .and_then(|m| m["token"].as_str())
        .expect("a verification mail")
        .to_owned()
}

blog_test!(
    async fn verification_round_trip(server: TestServer) {
        let (id, token) = server.user("vf@blog.test").await;
        let answer = request_verification(&server, json!({}), &token).await;
        assert_eq!((answer.status, answer.text.as_str()), (201, "true"));
        let token_id = last_token(&server, "vf@blog.test");
        assert!(token_id.ends_with(&format!("_{id}")), "{token_id}");
        assert_eq!(row(&server, &id).await.verified_email_attemp_count, Some(1));

        let answer = cmd_s(&server, "verify_email", verify(&token_id), None).await;
        assert_eq!((answer.status, answer.text.as_str()), (201, "{}"));
        let stored = row(&server, &id).await;
        assert_eq!(stored.verified_email, Some(true));
        assert_eq!(stored.email_verification_token, None);
        assert_eq!(stored.verified_email_attemp_count, Some(0));
        assert_eq!(
            stored.rvkd, None,
            "verifying the same address revokes nothing"
        );
        assert_token_ok(&server, &token, &id).await;

        // Verified: nothing more is sent.
        let answer = request_verification(&server, json!({}), &token).await;
        assert_eq!((answer.status, answer.text.as_str()), (201, "true"));
        assert_eq!(
            mails(&server, "email_verification", "vf@blog.test").len(),
            1
        );
    }
);

blog_test!(
    async fn verify_email_with_log_me_in_answers_a_token(server: TestServer) {
        let (id, token) = server.user("vf-login@blog.test").await;
        request_verification(&server, json!({}), &token).await;
        let token_id = last_token(&server, "vf-login@blog.test");
        let dto = json!({"token_id": token_id, "logMeIn": true});
        let answer = cmd_s(&server, "verify_email", dto, None).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let fresh = answer.json()["accessToken"]
            .as_str()
            .expect("token")
            .to_owned();
        assert_token_ok(&server, &fresh, &id).await;
    }
);

// eicrud answered `{}` (a 2xx) to any token once the email was verified,
// and kept tokens usable until they expired (reference/eicrud.md §3.2, §12
// #4): a used token is refused.
blog_test!(
    async fn regression_a_verification_token_works_once(server: TestServer) {
        let (_, token) = server.user("vf-once@blog.test").await;
        request_verification(&server, json!({}), &token).await;
        let token_id = last_token(&server, "vf-once@blog.test");
        assert_eq!(
            cmd_s(&server, "verify_email", verify(&token_id), None)
                .await
                .status,
            201
        );
        let again = cmd_s(&server, "verify_email", verify(&token_id), None).await;
        assert_coded(&again, 400, 7, "Token expired");
    }
);

blog_test!(
    async fn verify_email_bad_tokens(server: TestServer) {
        let (id, _) = server.user("vf-bad@blog.test").await;
        let answer = cmd_s(
            &server,
            "verify_email",
            verify(&format!("abcdefabcdefabcde_{id}")),
            None,
        )
        .await;
        assert_coded(&answer, 400, 7, "Token expired");
        let answer = cmd_s(
            &server,
            "verify_email",
            verify("abcdefabcdefabcde_nouser"),
            None,
        )
        .await;
        assert_coded(&answer, 400, 9, "User not found");
    }
);

// Purpose binding, the other way round: a reset token does not verify.
blog_test!(
    async fn regression_a_reset_token_cannot_verify_an_email(server: TestServer) {
        let (id, _) = server.user("vf-purpose@blog.test").await;
        let token_id = reset_token(&server, "vf-purpose@blog.test").await;
        let answer = cmd_s(&server, "verify_email", verify(&token_id), None).await;
        assert_coded(&answer, 400, 7, "Token expired");
        assert_eq!(row(&server, &id).await.verified_email, None);
    }
);

blog_test!(
    async fn verification_emails_are_throttled_per_user(server: TestServer) {
        let (id, token) = server.user("vf-throttle@blog.test").await;
        let (_, other) = server.user("vf-throttle-2@blog.test").await;
        for _ in 0..2 {
            let answer = request_verification(&server, json!({}), &token).await;
            assert_eq!(answer.status, 201, "{}", answer.text);
        }
        let before = row(&server, &id).await;
        let answer = request_verification(&server, json!({}), &token).await;
        assert_coded(
            &answer,
            400,
            6,
            "Email already sent, check your spam folder or try again later",
        );
        assert_eq!(row(&server, &id).await, before, "nothing written");
        assert_eq!(
            mails(&server, "email_verification", "vf-throttle@blog.test").len(),
            2
        );
        let answer = request_verification(&server, json!({}), &other).await;
        assert_eq!(answer.status, 201, "another user is not throttled");
        // The second token replaced the first.
        let tokens = mails(&server, "email_verification", "vf-throttle@blog.test");
        let first = tokens[0]["token"].as_str().expect("token");
        assert_coded(
            &cmd_s(&server, "verify_email", verify(first), None).await,
            400,
            7,
            "Token expired",
        );
        let second = tokens[1]["token"].as_str().expect("token");
        assert_eq!(
            cmd_s(&server, "verify_email", verify(second), None)
                .await
                .status,
            201
        );
    }
);

blog_test!(
    async fn send_verification_email_as_guest_is_403(server: TestServer) {
        let answer = cmd_s(&server, "send_verification_email", json!({}), None).await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.message(),
            "Role guest is not allowed to POST user send_verification_email - guest failed on all "
        );
    }
);

blog_test!(
    async fn an_email_change_moves_the_account_and_revokes_its_tokens(server: TestServer) {
        let (id, token) = server.user("old@blog.test").await;
        let dto = json!({"newEmail": " New@Blog.TEST ", "password": PASSWORD});
        let answer = request_verification(&server, dto, &token).await;
        assert_eq!((answer.status, answer.text.as_str()), (201, "true"));
        assert!(mails(&server, "email_verification", "old@blog.test").is_empty());
        let token_id = last_token(&server, "new@blog.test");
        let stored = row(&server, &id).await;
        assert_eq!(stored.next_email.as_deref(), Some("new@blog.test"));
        assert_eq!(stored.email, "old@blog.test", "not before verification");
        assert_token_ok(&server, &token, &id).await;

        let dto = json!({"token_id": token_id, "logMeIn": true});
        let answer = cmd_s(&server, "verify_email", dto, None).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let fresh = answer.json()["accessToken"]
            .as_str()
            .expect("token")
            .to_owned();
        assert_eq!(payload(&fresh)["rvkd"], 1);
        let stored = row(&server, &id).await;
        assert_eq!(stored.email, "new@blog.test");
        assert_eq!(stored.next_email, None);
        assert_eq!(stored.verified_email, Some(true));
        assert_token_revoked(&server, &token).await;
        assert_token_ok(&server, &fresh, &id).await;
        assert_coded(
            &login(&server, "old@blog.test", PASSWORD).await,
            401,
            5,
            "Invalid credentials",
        );
        assert_eq!(login(&server, "new@blog.test", PASSWORD).await.status, 200);
    }
);

blog_test!(
    async fn an_email_change_needs_the_password_then_a_free_address(server: TestServer) {
        let (id, token) = server.user("chg@blog.test").await;
        server.user("taken@blog.test").await;
        let before = row(&server, &id).await;
        for dto in [
            json!({"newEmail": "free@blog.test", "password": "wrong-password"}),
            json!({"newEmail": "free@blog.test"}),
            // The password is checked first: a stolen token alone cannot probe addresses.
            json!({"newEmail": "taken@blog.test", "password": "wrong-password"}),
        ] {
            let answer = request_verification(&server, dto.clone(), &token).await;
            assert_coded(&answer, 400, 5, "Invalid credentials");
        }
        let dto = json!({"newEmail": "taken@blog.test", "password": PASSWORD});
        let answer = request_verification(&server, dto, &token).await;
        assert_coded(
            &answer,
            400,
            16,
            "An account with this username already exists.",
        );
        assert_only_login_counters_changed(
            &server,
            &before,
            "nothing written but the login counters of the password checks",
        )
        .await;
        assert!(mails(&server, "email_verification", "free@blog.test").is_empty());
    }
);

blog_test!(
    async fn an_address_taken_before_verification_is_code_16(server: TestServer) {
        let (id, token) = server.user("late@blog.test").await;
        let dto = json!({"newEmail": "race@blog.test", "password": PASSWORD});
        assert_eq!(request_verification(&server, dto, &token).await.status, 201);
        let token_id = last_token(&server, "race@blog.test");
        server.create_account("race@blog.test", PASSWORD).await;
        let answer = cmd_s(&server, "verify_email", verify(&token_id), None).await;
        assert_coded(
            &answer,
            400,
            16,
            "An account with this username already exists.",
        );
        assert_eq!(row(&server, &id).await.email, "late@blog.test");
        assert_token_ok(&server, &token, &id).await;
    }
);

// A token mailed to the current address must not complete an email change
// asked for earlier (eicrud kept `nextEmail` and moved the account).
blog_test!(
    async fn regression_a_plain_verification_cancels_a_pending_email_change(server: TestServer) {
        let (id, token) = server.user("keep@blog.test").await;
        let dto = json!({"newEmail": "elsewhere@blog.test", "password": PASSWORD});
        assert_eq!(request_verification(&server, dto, &token).await.status, 201);
        let change = last_token(&server, "elsewhere@blog.test");
        assert_eq!(
            request_verification(&server, json!({}), &token)
                .await
                .status,
            201
        );
        let plain = last_token(&server, "keep@blog.test");
        assert_coded(
            &cmd_s(&server, "verify_email", verify(&change), None).await,
            400,
            7,
            "Token expired",
        );
        assert_eq!(
            cmd_s(&server, "verify_email", verify(&plain), None)
                .await
                .status,
            201
        );
        let stored = row(&server, &id).await;
        assert_eq!(stored.email, "keep@blog.test");
        assert_eq!(stored.next_email, None);
        assert_eq!(stored.verified_email, Some(true));
    }
);

blog_test!(
    async fn an_unsent_verification_mail_is_503_and_changes_nothing(server: TestServer) {
        let (id, token) = server.user("vf-down@blog.test").await;
        let before = row(&server, &id).await;
        std::fs::remove_file(&server.mail_log).ok();
        std::fs::create_dir_all(&server.mail_log).expect("directory");
        let dto = json!({"newEmail": "vf-new@blog.test", "password": PASSWORD});
        for dto in [json!({}), dto] {
            let answer = request_verification(&server, dto, &token).await;
            assert_eq!(answer.status, 503, "{}", answer.text);
            assert_eq!(
                answer.json(),
                json!({"message": "The email could not be sent. Please try again later.", "error": "Service Unavailable", "statusCode": 503, "code": 112})
            );
            let after = row(&server, &id).await;
            assert_eq!(
                after.email_verification_token,
                before.email_verification_token
            );
            assert_eq!(
                after.verified_email_attemp_count,
                before.verified_email_attemp_count
            );
            assert_eq!(
                after.last_email_verification_sent,
                before.last_email_verification_sent
            );
            assert_eq!(after.next_email, before.next_email);
        }
    }
);
