//! send_password_reset_email and reset_password.

use ferrocrud::context::{CrudContext, Verb};
use ferrocrud::shared::user::UserService;
use ferrocrud_tests::blog_test;
use serde_json::json;

use crate::users_support::{
    PASSWORD, assert_coded, assert_token_ok, assert_token_revoked, cmd_s, login, mails, obj,
    payload, request_reset, request_verification, reset_token, row, users, wait_for_mails,
};

fn reset(token_id: &str, new_password: &str) -> serde_json::Value {
    json!({"token_id": token_id, "newPassword": new_password, "logMeIn": true})
}

blog_test!(
    async fn password_reset_round_trip(server: TestServer) {
        let (id, old) = server.user("rs@blog.test").await;
        let token_id = reset_token(&server, "rs@blog.test").await;
        let (random, user) = token_id.split_once('_').expect("<random>_<userId>");
        assert_eq!(user, id);
        assert!(random.len() >= 22 && random.chars().all(|c| c.is_ascii_alphanumeric()));

        let answer = cmd_s(
            &server,
            "reset_password",
            reset(&token_id, "pass-reset-12"),
            None,
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let fresh = answer.json()["accessToken"]
            .as_str()
            .expect("accessToken")
            .to_owned();
        assert_eq!(payload(&fresh)["rvkd"], 1);
        assert_token_ok(&server, &fresh, &id).await;
        assert_token_revoked(&server, &old).await;
        assert_coded(
            &login(&server, "rs@blog.test", PASSWORD).await,
            401,
            5,
            "Invalid credentials",
        );
        assert_eq!(
            login(&server, "rs@blog.test", "pass-reset-12").await.status,
            200
        );
        let stored = row(&server, &id).await;
        assert_eq!(stored.password_reset_token, None, "used up");
        assert_eq!(stored.password_reset_attemp_count, Some(0));
    }
);

blog_test!(
    async fn reset_password_with_expires_in_sec_and_without_log_me_in(server: TestServer) {
        server.user("rs-exp@blog.test").await;
        let token_id = reset_token(&server, "rs-exp@blog.test").await;
        let dto = json!({"token_id": token_id, "newPassword": "pass-reset-12", "logMeIn": true, "expiresInSec": 60});
        let answer = cmd_s(&server, "reset_password", dto, None).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let claims = payload(answer.json()["accessToken"].as_str().expect("token"));
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            60
        );

        let token_id = reset_token(&server, "rs-exp@blog.test").await;
        let dto = json!({"token_id": token_id, "newPassword": "pass-reset-13"});
        let answer = cmd_s(&server, "reset_password", dto, None).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        assert_eq!(answer.text, "{}");
    }
);

blog_test!(
    async fn reset_password_bad_token_is_code_7_and_unknown_user_code_9(server: TestServer) {
        let (id, _) = server.user("rs-bad@blog.test").await;
        let answer = cmd_s(
            &server,
            "reset_password",
            reset(&format!("abcdefabcdefabcde_{id}"), "pass-reset-12"),
            None,
        )
        .await;
        assert_eq!(
            answer.json(),
            json!({"message": "{\"message\":\"Token expired\",\"code\":7}", "error": "Bad Request", "statusCode": 400, "code": 7})
        );
        let answer = cmd_s(
            &server,
            "reset_password",
            reset("abcdefabcdefabcde_nouser", "pass-reset-12"),
            None,
        )
        .await;
        assert_coded(&answer, 400, 9, "User not found");
        let answer = cmd_s(
            &server,
            "reset_password",
            reset("no-separator", "pass-reset-12"),
            None,
        )
        .await;
        assert_coded(&answer, 400, 7, "Token expired");
    }
);

// Medusa before #15604 and eicrud (reference/eicrud.md §3.5, anchors I.2):
// a reset token stayed valid until it expired, so a leaked link could be
// replayed after its owner used it.
blog_test!(
    async fn regression_a_reset_token_works_once(server: TestServer) {
        server.user("rs-once@blog.test").await;
        let token_id = reset_token(&server, "rs-once@blog.test").await;
        let first = cmd_s(
            &server,
            "reset_password",
            reset(&token_id, "pass-reset-12"),
            None,
        )
        .await;
        assert_eq!(first.status, 201, "{}", first.text);
        let second = cmd_s(
            &server,
            "reset_password",
            reset(&token_id, "pass-attacker-1"),
            None,
        )
        .await;
        assert_coded(&second, 400, 7, "Token expired");
        assert_eq!(
            login(&server, "rs-once@blog.test", "pass-reset-12")
                .await
                .status,
            200
        );
    }
);

// Two uses racing each other: the UPDATE matches only while the row still
// holds the token, so exactly one wins.
blog_test!(
    async fn regression_concurrent_uses_of_a_reset_token_succeed_once(server: TestServer) {
        server.user("rs-race@blog.test").await;
        let token_id = reset_token(&server, "rs-race@blog.test").await;
        let (a, b) = tokio::join!(
            cmd_s(
                &server,
                "reset_password",
                reset(&token_id, "pass-race-aa"),
                None
            ),
            cmd_s(
                &server,
                "reset_password",
                reset(&token_id, "pass-race-bb"),
                None
            ),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 400], "{} / {}", a.text, b.text);
    }
);

// eicrud stores reset and verification tokens in clear in the user row
// (reference/eicrud.md §3.5, §12 #5; loco's template too, STYLE.md): a
// database leak hands out working links.
blog_test!(
    async fn regression_email_tokens_are_not_stored_in_clear(server: TestServer) {
        let (id, token) = server.user("rs-clear@blog.test").await;
        let token_id = reset_token(&server, "rs-clear@blog.test").await;
        let random = token_id.split_once('_').expect("token").0;
        let stored = row(&server, &id).await;
        let digest = stored.password_reset_token.expect("a digest is stored");
        assert_eq!(digest.len(), 64);
        assert!(!digest.contains(random));
        assert_ne!(digest, token_id);

        assert_eq!(
            request_verification(&server, json!({}), &token)
                .await
                .status,
            201
        );
        let mailed = mails(&server, "email_verification", "rs-clear@blog.test");
        let verification = mailed[0]["token"].as_str().expect("token");
        let stored = row(&server, &id).await;
        let digest = stored.email_verification_token.expect("a digest is stored");
        assert!(!digest.contains(verification.split_once('_').expect("token").0));

        // The stored digest itself is no token.
        let answer = cmd_s(
            &server,
            "reset_password",
            reset(
                &format!("{}_{id}", stored.password_reset_token.unwrap_or_default()),
                "pass-reset-12",
            ),
            None,
        )
        .await;
        assert_coded(&answer, 400, 7, "Token expired");
    }
);

// Purpose binding: a verification token (mailed to the same address) must
// not reset a password.
blog_test!(
    async fn regression_a_verification_token_cannot_reset_a_password(server: TestServer) {
        let (_, token) = server.user("rs-purpose@blog.test").await;
        assert_eq!(
            request_verification(&server, json!({}), &token)
                .await
                .status,
            201
        );
        let mailed = mails(&server, "email_verification", "rs-purpose@blog.test");
        let verification = mailed[0]["token"].as_str().expect("token").to_owned();
        // With and without a reset pending.
        let answer = cmd_s(
            &server,
            "reset_password",
            reset(&verification, "pass-reset-12"),
            None,
        )
        .await;
        assert_coded(&answer, 400, 7, "Token expired");
        reset_token(&server, "rs-purpose@blog.test").await;
        let answer = cmd_s(
            &server,
            "reset_password",
            reset(&verification, "pass-reset-12"),
            None,
        )
        .await;
        assert_coded(&answer, 400, 7, "Token expired");
        assert_eq!(
            login(&server, "rs-purpose@blog.test", PASSWORD)
                .await
                .status,
            200
        );
    }
);

blog_test!(
    async fn regression_a_token_of_another_user_or_a_guessed_one_is_refused(server: TestServer) {
        let (victim, _) = server.user("rs-victim@blog.test").await;
        server.user("rs-attacker@blog.test").await;
        reset_token(&server, "rs-victim@blog.test").await;
        let own = reset_token(&server, "rs-attacker@blog.test").await;
        let random = own.split_once('_').expect("token").0;
        // The attacker's random part with the victim's id.
        let answer = cmd_s(
            &server,
            "reset_password",
            reset(&format!("{random}_{victim}"), "pass-stolen-1"),
            None,
        )
        .await;
        assert_coded(&answer, 400, 7, "Token expired");
        // Guesses of the victim's token.
        for guess in ["a", "0000000000000000000000000000000000000000000", random] {
            let answer = cmd_s(
                &server,
                "reset_password",
                reset(&format!("{guess}_{victim}"), "pass-stolen-1"),
                None,
            )
            .await;
            assert_coded(&answer, 400, 7, "Token expired");
        }
        assert_eq!(
            login(&server, "rs-victim@blog.test", PASSWORD).await.status,
            200
        );
    }
);

blog_test!(
    async fn a_new_reset_token_replaces_the_previous_one(server: TestServer) {
        server.user("rs-replace@blog.test").await;
        let first = reset_token(&server, "rs-replace@blog.test").await;
        let second = reset_token(&server, "rs-replace@blog.test").await;
        let answer = cmd_s(
            &server,
            "reset_password",
            reset(&first, "pass-reset-12"),
            None,
        )
        .await;
        assert_coded(&answer, 400, 7, "Token expired");
        let answer = cmd_s(
            &server,
            "reset_password",
            reset(&second, "pass-reset-12"),
            None,
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
    }
);

blog_test!(
    async fn an_expired_reset_token_is_refused(server: TestServer) {
        let (id, _) = server.user("rs-late@blog.test").await;
        let token_id = reset_token(&server, "rs-late@blog.test").await;
        let sent = crate::users_support::now()
            - std::time::Duration::from_secs(6 * 3600)
            - std::time::Duration::from_secs(1);
        users(&server)
            .crud()
            .patch_one(
                obj(json!({"id": id})),
                obj(json!({"lastPasswordResetSent": ferrocrud::storage::format_timestamp(&sent)})),
                &CrudContext::internal_for::<UserService>(Verb::Patch),
            )
            .await
            .expect("age the token");
        let answer = cmd_s(
            &server,
            "reset_password",
            reset(&token_id, "pass-reset-12"),
            None,
        )
        .await;
        assert_coded(&answer, 400, 7, "Token expired");
    }
);

// eicrud weakness (reference/eicrud.md §4.10): no minimum length on reset.
blog_test!(
    async fn regression_reset_password_enforces_the_length_rules(server: TestServer) {
        let (id, _) = server.user("rs-short@blog.test").await;
        let token_id = reset_token(&server, "rs-short@blog.test").await;
        let answer = cmd_s(&server, "reset_password", reset(&token_id, "short"), None).await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert_eq!(
            answer.message(),
            "Validation error Data: An instance of ResetPasswordDto has failed the validation:\n - property newPassword has failed the following constraints: minLength \n"
        );
        let answer = cmd_s(
            &server,
            "reset_password",
            reset(&token_id, &"p".repeat(60)),
            None,
        )
        .await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert_eq!(answer.code(), Some(23), "{}", answer.text);
        // The token survived the refused attempts.
        let answer = cmd_s(
            &server,
            "reset_password",
            reset(&token_id, "pass-reset-12"),
            None,
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        assert_eq!(row(&server, &id).await.rvkd, Some(1));
    }
);

// eicrud reads the reset throttle's counter from the caller (a guest), so
// reset mails were never throttled (reference/eicrud.md §3.5, §12 #5). Here
// the count is the target user's, and one user's count does not limit
// another's.
blog_test!(
    async fn regression_the_reset_throttle_counts_per_target_user(server: TestServer) {
        let (a, _) = server.user("rs-th-a@blog.test").await;
        server.user("rs-th-b@blog.test").await;
        reset_token(&server, "rs-th-a@blog.test").await;
        let second = reset_token(&server, "rs-th-a@blog.test").await;
        let stored = row(&server, &a).await;
        assert_eq!(stored.password_reset_attemp_count, Some(2));

        let third = request_reset(&server, "rs-th-a@blog.test").await;
        assert_eq!(
            (third.status, third.text.as_str()),
            (201, "true"),
            "no enumeration"
        );
        assert_eq!(
            row(&server, &a).await,
            stored,
            "throttled: nothing written, nothing sent"
        );

        // Another user is not limited by the first one's count.
        reset_token(&server, "rs-th-b@blog.test").await;
        assert_eq!(
            mails(&server, "password_reset", "rs-th-a@blog.test").len(),
            2
        );

        // A successful use resets the count.
        let answer = cmd_s(
            &server,
            "reset_password",
            reset(&second, "pass-reset-12"),
            None,
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        reset_token(&server, "rs-th-a@blog.test").await;
    }
);

// Enumeration (anchors I.4; STYLE.md on loco): an unknown address gets the
// same answer as a known one, and nothing is mailed.
blog_test!(
    async fn regression_unknown_email_reset_answers_true_identically(server: TestServer) {
        server.user("rs-known@blog.test").await;
        let known = request_reset(&server, "rs-known@blog.test").await;
        let unknown = request_reset(&server, "rs-ghost@blog.test").await;
        assert_eq!((known.status, known.text.as_str()), (201, "true"));
        assert_eq!((unknown.status, unknown.text.as_str()), (201, "true"));
        assert_eq!(known.header("content-type"), unknown.header("content-type"));
        wait_for_mails(&server, "password_reset", "rs-known@blog.test", 1).await;
        assert!(mails(&server, "password_reset", "rs-ghost@blog.test").is_empty());
    }
);

blog_test!(
    async fn send_password_reset_email_validates_the_email(server: TestServer) {
        let answer = request_reset(&server, "nope").await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.message(),
            "Validation error Data: An instance of SendPasswordResetEmailDto has failed the validation:\n - property email has failed the following constraints: isEmail \n"
        );
    }
);

blog_test!(
    async fn a_reset_mail_that_cannot_be_sent_withdraws_its_token(server: TestServer) {
        let (id, _) = server.user("rs-down@blog.test").await;
        let before = row(&server, &id).await;
        // The mailbox path becomes a directory: every send fails.
        std::fs::remove_file(&server.mail_log).ok();
        std::fs::create_dir_all(&server.mail_log).expect("directory");
        let answer = request_reset(&server, "rs-down@blog.test").await;
        assert_eq!(
            (answer.status, answer.text.as_str()),
            (201, "true"),
            "no enumeration"
        );
        // The mail leaves after the answer; wait for the token's withdrawal.
        let mut withdrawn = false;
        for _ in 0..200 {
            let now = row(&server, &id).await;
            if now.password_reset_token == before.password_reset_token
                && now.password_reset_attemp_count == before.password_reset_attemp_count
                && now.last_password_reset_sent == before.last_password_reset_sent
            {
                withdrawn = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(withdrawn, "token and counters rolled back");
    }
);
