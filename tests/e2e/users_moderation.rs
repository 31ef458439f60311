//! timeout_user.

use ferrocrud_tests::{MODERATOR, Request, TestServer, blog_test};
use reqwest::Method;
use serde_json::{Value, json};

use crate::users_support::{PASSWORD, assert_coded, cmd_s, login, row, token};

async fn moderator(server: &TestServer) -> String {
    token(server, MODERATOR.0, MODERATOR.1).await
}

fn timeout(user_id: &str, minutes: i64) -> Value {
    json!({"userId": user_id, "timeoutDurationMinutes": minutes, "allowedRoles": ["user"]})
}

/// Asserts a 401 code 2 whose data is the timeout's end.
fn assert_timed_out(answer: &ferrocrud_tests::Answer) -> String {
    assert_coded(answer, 401, 2, "Account locked. Please wait until");
    answer.inner()["data"].as_str().expect("until").to_owned()
}

/// Asserts the guard's 401 code 2, which also clears the session cookie.
fn assert_guard_timed_out(answer: &ferrocrud_tests::Answer) {
    assert_timed_out(answer);
    assert_eq!(
        answer.header("set-cookie"),
        Some("eicrud-jwt=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
    );
}

blog_test!(
    async fn a_moderator_times_out_a_user(server: TestServer) {
        let (id, _) = server.user("to@blog.test").await;
        let (other, other_token) = server.user("to-other@blog.test").await;
        let moderator = moderator(&server).await;
        let before = crate::users_support::now();
        let answer = cmd_s(&server, "timeout_user", timeout(&id, 1), Some(&moderator)).await;
        assert_eq!((answer.status, answer.text.as_str()), (201, ""));
        let stored = row(&server, &id).await;
        assert_eq!(stored.timeout_count, Some(2), "eicrud: (count || 1) + 1");
        let until = stored.timeout.expect("timeout");
        assert!(
            until > before + std::time::Duration::from_secs(50),
            "{until}"
        );
        assert!(
            until <= crate::users_support::now() + std::time::Duration::from_secs(60),
            "{until}"
        );

        let login = login(&server, "to@blog.test", PASSWORD).await;
        let data = assert_timed_out(&login);
        assert_eq!(data, ferrocrud::storage::format_timestamp(&until));
        let check = server
            .cmd(
                Method::PATCH,
                "user",
                "check_jwt",
                json!({}),
                Some(&other_token),
            )
            .await;
        assert_eq!(check.json()["userId"], other.as_str(), "others unaffected");
    }
);

// eicrud caches users for 12 minutes on GET and PATCH, so a timed-out user
// kept reading and writing until the cache entry expired (reference/eicrud.md
// §3.9, §12 #9). Here the very next request is refused, whatever its method.
blog_test!(
    async fn regression_a_timeout_applies_to_the_next_request_of_any_verb(server: TestServer) {
        let (id, user_token) = server.user("to-now@blog.test").await;
        // Warm every path first.
        let post = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .body(json!({"owner": id, "title": "before"}))
                    .token(Some(&user_token)),
            )
            .await;
        assert_eq!(post.status, 201, "{}", post.text);
        let moderator = moderator(&server).await;
        let answer = cmd_s(&server, "timeout_user", timeout(&id, 5), Some(&moderator)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);

        let post = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .body(json!({"owner": id, "title": "during"}))
                    .token(Some(&user_token)),
            )
            .await;
        assert_guard_timed_out(&post);
        let patch = server
            .cmd(
                Method::PATCH,
                "user",
                "check_jwt",
                json!({}),
                Some(&user_token),
            )
            .await;
        assert_guard_timed_out(&patch);
        let get = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({}))
                    .query(json!({"owner": id}))
                    .token(Some(&user_token)),
            )
            .await;
        assert_guard_timed_out(&get);
    }
);

blog_test!(
    async fn timeouts_escalate(server: TestServer) {
        let (id, _) = server.user("to-twice@blog.test").await;
        let moderator = moderator(&server).await;
        cmd_s(&server, "timeout_user", timeout(&id, 10), Some(&moderator)).await;
        let start = crate::users_support::now();
        let answer = cmd_s(&server, "timeout_user", timeout(&id, 10), Some(&moderator)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let stored = row(&server, &id).await;
        assert_eq!(stored.timeout_count, Some(3));
        let until = stored.timeout.expect("timeout");
        assert!(
            until
                >= start + std::time::Duration::from_secs(20 * 60)
                    - std::time::Duration::from_secs(1)
        );
    }
);

blog_test!(
    async fn timeout_user_refusals(server: TestServer) {
        let (id, user_token) = server.user("to-no@blog.test").await;
        let moderator = moderator(&server).await;
        // A plain user.
        let answer = cmd_s(&server, "timeout_user", timeout(&id, 1), Some(&user_token)).await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.message(),
            "Role user is not allowed to POST user timeout_user - user failed on all - guest failed on all "
        );
        // allowedRoles beyond [user].
        let dto = json!({"userId": id, "timeoutDurationMinutes": 1, "allowedRoles": ["moderator"]});
        let answer = cmd_s(&server, "timeout_user", dto, Some(&moderator)).await;
        assert_eq!(
            answer.message(),
            "Role moderator is not allowed to POST user timeout_user - moderator failed on userId - user failed on all - guest failed on all "
        );
        // Missing and too small durations.
        let dto = json!({"userId": id, "allowedRoles": ["user"]});
        let answer = cmd_s(&server, "timeout_user", dto, Some(&moderator)).await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.message(),
            "Validation error Data: An instance of TimeoutUserDto has failed the validation:\n - property timeoutDurationMinutes has failed the following constraints: isInt \n"
        );
        let answer = cmd_s(&server, "timeout_user", timeout(&id, 0), Some(&moderator)).await;
        assert_eq!(answer.status, 400);
        assert!(
            answer
                .message()
                .contains("timeoutDurationMinutes has failed the following constraints: min")
        );
        // An unknown user.
        let answer = cmd_s(
            &server,
            "timeout_user",
            timeout("nobody", 1),
            Some(&moderator),
        )
        .await;
        assert_coded(&answer, 400, 9, "User not found");
        assert_eq!(row(&server, &id).await.timeout, None);
    }
);

blog_test!(
    async fn a_target_whose_role_is_not_allowed_is_401(server: TestServer) {
        let moderator_token = moderator(&server).await;
        let moderator_id = server
            .cmd(
                Method::PATCH,
                "user",
                "check_jwt",
                json!({}),
                Some(&moderator_token),
            )
            .await
            .json()["userId"]
            .as_str()
            .expect("id")
            .to_owned();
        let answer = cmd_s(
            &server,
            "timeout_user",
            timeout(&moderator_id, 1),
            Some(&moderator_token),
        )
        .await;
        assert_eq!(
            answer.json(),
            json!({"message": "Not allowed to timeout user of role moderator", "error": "Unauthorized", "statusCode": 401, "code": 104})
        );
        assert_eq!(row(&server, &moderator_id).await.timeout, None);
    }
);
