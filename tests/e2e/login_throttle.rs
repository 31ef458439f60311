//! The login throttle: one attempt per identifier per 600 ms (425 code 3),
//! known or not, shared by every server on one database. These tests run
//! with the throttle as it ships; every other test shortens it.

use std::time::Duration;

use ferrocrud_tests::{LoginThrottle, ServerApp, TestServer, run_server_test};
use reqwest::Method;
use serde_json::json;

use crate::login_support::{PASSWORD, account, login};

/// Runs `body` against a blog server with the login throttle as it ships.
fn with_real_throttle<F, Fut>(test_name: &str, body: F)
where
    F: Fn(TestServer) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_server_test(
        test_name,
        ServerApp::Blog,
        LoginThrottle::Real,
        move |server| {
            assert_eq!(
                server.users.options().min_time_between_login_attempts,
                Duration::from_millis(600),
                "the throttle as it ships"
            );
            body(server)
        },
    );
}

#[test]
fn a_second_login_within_600_ms_is_425() {
    with_real_throttle("a_second_login_within_600_ms_is_425", |server| async move {
        server
            .create_account("fast@blog.test", "pass-A-123456")
            .await;
        let dto = json!({"email": "fast@blog.test", "password": "pass-A-123456"});
        let first = server
            .cmd(Method::PATCH, "user", "login", dto.clone(), None)
            .await;
        assert_eq!(first.status, 200);
        let second = server
            .cmd(Method::PATCH, "user", "login", dto.clone(), None)
            .await;
        assert_eq!(second.status, 425);
        assert_eq!(
            second.text,
            r#"{"statusCode":425,"error":"Too early","message":"{\"message\":\"Too many login attempts. Please wait\",\"code\":3}","code":3}"#
        );
        let unknown = json!({"email": "ghost@blog.test", "password": "pass-A-123456"});
        assert_eq!(
            server
                .cmd(Method::PATCH, "user", "login", unknown.clone(), None)
                .await
                .status,
            401
        );
        assert_eq!(
            server
                .cmd(Method::PATCH, "user", "login", unknown, None)
                .await
                .status,
            425,
            "unknown logins are throttled alike"
        );
        server.after_login_throttle().await;
        assert_eq!(
            server
                .cmd(Method::PATCH, "user", "login", dto, None)
                .await
                .status,
            200
        );
    });
}

#[test]
fn the_throttle_is_shared_by_two_server_instances() {
    with_real_throttle(
        "the_throttle_is_shared_by_two_server_instances",
        |first| async move {
            let second = first.another_instance().await;
            account(&first, "shared@blog.test").await;
            let taken = login(&first, "shared@blog.test", PASSWORD, None).await;
            assert_eq!(taken.status, 200, "{}", taken.text);
            let too_early = login(&second, "shared@blog.test", PASSWORD, None).await;
            assert_eq!(too_early.status, 425, "{}", too_early.text);
        },
    );
}

#[test]
fn a_command_password_check_shares_the_login_throttle() {
    with_real_throttle(
        "a_command_password_check_shares_the_login_throttle",
        |server| async move {
            let email = "command-throttle@blog.test";
            let (_, token) = server.user(email).await;
            server.after_login_throttle().await;
            // A command's check of the current password, then a login on the
            // same account within 600 ms: too early, as a second login is.
            let wrong = server
                .cmd(
                    Method::POST,
                    "user",
                    "change_password",
                    json!({"oldPassword": "not-the-password-1", "newPassword": "a-new-password-1"}),
                    Some(&token),
                )
                .await;
            assert_eq!(wrong.status, 400, "{}", wrong.text);
            let login = server
                .cmd(
                    Method::PATCH,
                    "user",
                    "login",
                    json!({"email": email, "password": "pass-word-123"}),
                    None,
                )
                .await;
            assert_eq!(login.status, 425, "{}", login.text);
            server.after_login_throttle().await;
            let right = server
                .cmd(
                    Method::POST,
                    "user",
                    "change_password",
                    json!({"oldPassword": "pass-word-123", "newPassword": "a-new-password-1"}),
                    Some(&token),
                )
                .await;
            assert_eq!(right.status, 201, "{}", right.text);
        },
    );
}
