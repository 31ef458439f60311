//! Helpers of the user-service tests (`users_*.rs`).

use std::time::Duration;

use base64::Engine as _;
use blog::user as entity;
use ferrocrud::user::AccountService;
use ferrocrud_tests::{Answer, TestServer};
use reqwest::Method;
use sea_orm::EntityTrait as _;
use serde_json::{Map, Value, json};

/// The current time.
pub(crate) fn now() -> ferrocrud::storage::DateTimeUtc {
    std::time::SystemTime::now().into()
}

/// The password of accounts made by [`TestServer::user`].
pub(crate) const PASSWORD: &str = "pass-word-123";

/// The user service of the served application.
pub(crate) fn users(server: &TestServer) -> &AccountService {
    server.app.users().expect("the blog has a user service")
}

/// The user's row as stored, secrets included.
pub(crate) async fn row(server: &TestServer, id: &str) -> entity::Model {
    entity::Entity::find_by_id(id.to_owned())
        .one(&server.db)
        .await
        .expect("database")
        .expect("the user exists")
}

/// Asserts that the user's row is `before` but for the login counters a
/// password check moves (`failedLoginCount`, `lastLoginAttempt`).
pub(crate) async fn assert_only_login_counters_changed(
    server: &TestServer,
    before: &entity::Model,
    why: &str,
) {
    let after = row(server, &before.id).await;
    assert_eq!(
        entity::Model {
            failed_login_count: before.failed_login_count,
            last_login_attempt: before.last_login_attempt,
            ..after
        },
        *before,
        "{why}"
    );
}

/// A JSON object.
pub(crate) fn obj(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

/// A secure-mode (POST) command of the user service. A command that checks
/// the current password (`change_password`, `send_verification_email` with
/// `newEmail`) shares the account's login throttle, so it is sent after the
/// throttle's window: the tests that use this helper are not about it.
pub(crate) async fn cmd_s(
    server: &TestServer,
    cmd: &str,
    dto: Value,
    token: Option<&str>,
) -> Answer {
    if cmd == "change_password"
        || (cmd == "send_verification_email" && dto.get("newEmail").is_some())
    {
        server.after_login_throttle().await;
    }
    server.cmd(Method::POST, "user", cmd, dto, token).await
}

/// `check_jwt` with a token.
pub(crate) async fn check_jwt(server: &TestServer, token: &str) -> Answer {
    server
        .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(token))
        .await
}

/// Asserts that a token still works for `user_id`.
pub(crate) async fn assert_token_ok(server: &TestServer, token: &str, user_id: &str) {
    let answer = check_jwt(server, token).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json()["userId"], user_id);
}

/// Asserts that a token is revoked: 401 code 4.
pub(crate) async fn assert_token_revoked(server: &TestServer, token: &str) {
    let answer = check_jwt(server, token).await;
    assert_eq!(answer.status, 401, "{}", answer.text);
    assert_eq!(
        answer.message(),
        r#"{"message":"Token rvkd count mismatch","code":4}"#
    );
}

/// Logs in, waiting out the per-identifier login throttle (425) if needed.
pub(crate) async fn login(server: &TestServer, email: &str, password: &str) -> Answer {
    let dto = json!({"email": email, "password": password});
    for _ in 0..10 {
        let answer = server
            .cmd(Method::PATCH, "user", "login", dto.clone(), None)
            .await;
        if answer.status != 425 {
            return answer;
        }
        server.after_login_throttle().await;
    }
    panic!("login of {email} still throttled");
}

/// Logs in and answers the token.
pub(crate) async fn token(server: &TestServer, email: &str, password: &str) -> String {
    let answer = login(server, email, password).await;
    assert_eq!(answer.status, 200, "login: {}", answer.text);
    answer.json()["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_owned()
}

/// The payload of a JWT.
pub(crate) fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("payload part");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

/// The mails of one kind sent to one address.
pub(crate) fn mails(server: &TestServer, kind: &str, to: &str) -> Vec<Value> {
    server
        .mails()
        .into_iter()
        .filter(|m| m["kind"] == kind && m["to"] == to)
        .collect()
}

/// Waits until `count` mails of `kind` went to `to` (the password-reset
/// mail leaves after the answer), and answers the last token.
pub(crate) async fn wait_for_mails(
    server: &TestServer,
    kind: &str,
    to: &str,
    count: usize,
) -> String {
    for _ in 0..200 {
        let found = mails(server, kind, to);
        if found.len() >= count {
            return found[count - 1]["token"]
                .as_str()
                .expect("token")
                .to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {kind} mail number {count} to {to}");
}

/// `send_password_reset_email` for `email`.
pub(crate) async fn request_reset(server: &TestServer, email: &str) -> Answer {
    cmd_s(
        server,
        "send_password_reset_email",
        json!({"email": email}),
        None,
    )
    .await
}

/// Requests a reset for `email` and answers the mailed token.
pub(crate) async fn reset_token(server: &TestServer, email: &str) -> String {
    let before = mails(server, "password_reset", email).len();
    let answer = request_reset(server, email).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.text, "true");
    wait_for_mails(server, "password_reset", email, before + 1).await
}

/// `send_verification_email` as the holder of `token`.
pub(crate) async fn request_verification(server: &TestServer, dto: Value, token: &str) -> Answer {
    cmd_s(server, "send_verification_email", dto, Some(token)).await
}

/// Asserts an eicrud coded error.
pub(crate) fn assert_coded(answer: &Answer, status: u16, code: u64, text: &str) {
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(answer.code(), Some(code), "{}", answer.text);
    assert_eq!(answer.inner()["message"], text, "{}", answer.text);
}
