//! The session: the token on requests, login, check_jwt, logout, the
//! 401-drop-and-retry-as-guest behaviour and the insecure-URL refusal.

use std::sync::Arc;

use ferrocrud_client::shared::user::LoginDto;
use ferrocrud_client::{
    Client, ClientConfig, ClientError, ErrorCode, MemoryTokenStore, TokenStore,
};
use serde_json::json;

use crate::mock::Mock;
use crate::{OWNER, POST_ID, Post};

const TOKEN_MISMATCH: &str = r#"{"message":"{\"message\":\"Token rvkd count mismatch\",\"code\":4}","error":"Unauthorized","statusCode":401}"#;
const GUEST_FORBIDDEN: &str = r#"{"message":"Role guest is not allowed to GET post - guest failed on all ","error":"Forbidden","statusCode":403}"#;
const INVALID_CREDENTIALS: &str = r#"{"message":"{\"message\":\"Invalid credentials\",\"code\":5}","error":"Unauthorized","statusCode":401}"#;

fn login_dto() -> LoginDto {
    LoginDto {
        email: "hmws5b9wo.a@peer.test".into(),
        password: "pass-A-123456".into(),
        two_fa_code: None,
        expires_in_sec: None,
    }
}

#[tokio::test]
async fn the_stored_token_goes_out_as_bearer() {
    let mock = Mock::start().await;
    mock.reply(200, "null");
    let client = mock.client();
    client.token_store().set("tok-1".into());
    client
        .service::<Post>()
        .find_one(json!({"id": POST_ID}), None)
        .await
        .expect("answered");
    assert_eq!(mock.single().authorization.as_deref(), Some("Bearer tok-1"));
}

#[tokio::test]
async fn a_401_drops_the_token_and_retries_once_as_guest() {
    let mock = Mock::start().await;
    mock.reply(401, TOKEN_MISMATCH).reply(403, GUEST_FORBIDDEN);
    let client = mock.client();
    client.token_store().set("revoked".into());
    let err = client
        .service::<Post>()
        .find(json!({"owner": OWNER}), None)
        .await
        .expect_err("the guest is refused");
    assert_eq!(err.status(), Some(403));
    assert_eq!(client.token_store().get(), None);
    let sent = mock.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].authorization.as_deref(), Some("Bearer revoked"));
    assert_eq!(sent[1].authorization, None);
    assert_eq!(sent[0].line(), sent[1].line());
    assert_eq!(sent[0].body, sent[1].body);
}

#[tokio::test]
async fn the_retry_as_guest_can_succeed() {
    let mock = Mock::start().await;
    mock.reply(401, TOKEN_MISMATCH).reply(201, "");
    let client = mock.client();
    client.token_store().set("revoked".into());
    client
        .command_raw::<()>(
            ferrocrud_client::CommandMethod::Post,
            "post",
            "ping",
            json!({"a": 1}),
            None,
        )
        .await
        .expect("the guest may ping");
    let sent = mock.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].body, r#"{"a":1}"#);
}

#[tokio::test]
async fn a_401_as_guest_is_not_retried() {
    let mock = Mock::start().await;
    mock.reply(401, TOKEN_MISMATCH);
    let client = mock.client();
    let err = client
        .service::<Post>()
        .delete_one(json!({"id": POST_ID}), None)
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Some(ErrorCode::TokenMismatch));
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn a_second_401_is_returned() {
    let mock = Mock::start().await;
    mock.reply(401, TOKEN_MISMATCH).reply(401, TOKEN_MISMATCH);
    let client = mock.client();
    client.token_store().set("revoked".into());
    let err = client
        .service::<Post>()
        .find_one(json!({}), None)
        .await
        .expect_err("refused");
    assert_eq!(err.status(), Some(401));
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn login_sends_no_token_and_stores_the_new_one() {
    let mock = Mock::start().await;
    mock.reply(
        200,
        r#"{"accessToken":"new-token","userId":"d573ace2e3076cddbb3bd770"}"#,
    );
    let client = mock.client();
    // A stale token would make the server refuse the login (capture "login
    // while holding a revoked token").
    client.token_store().set("stale".into());
    let login = client.login(&login_dto()).await.expect("logged in");
    assert_eq!(login.user_id, OWNER);
    assert_eq!(client.token_store().get().as_deref(), Some("new-token"));
    let sent = mock.single();
    // Capture "login: returns accessToken and userId".
    assert_eq!(sent.line(), "PATCH /crud/s/user/cmd/login");
    assert_eq!(
        sent.body,
        r#"{"email":"hmws5b9wo.a@peer.test","password":"pass-A-123456"}"#
    );
    assert_eq!(sent.authorization, None);
    assert_eq!(sent.content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn a_refused_login_is_an_error_and_not_retried() {
    let mock = Mock::start().await;
    mock.reply(401, INVALID_CREDENTIALS);
    let client = mock.client();
    client.token_store().set("still-valid".into());
    let err = client.login(&login_dto()).await.expect_err("refused");
    assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials));
    assert_eq!(
        err.api().map(|a| a.message.as_str()),
        Some("Invalid credentials")
    );
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(client.token_store().get().as_deref(), Some("still-valid"));
}

#[tokio::test]
async fn login_goes_to_the_configured_user_service() {
    let mock = Mock::start().await;
    mock.reply(200, r#"{"accessToken":"t","userId":"u"}"#);
    let client =
        Client::new(ClientConfig::new(mock.url()).with_user_service("account")).expect("client");
    client.login(&login_dto()).await.expect("logged in");
    assert_eq!(mock.single().line(), "PATCH /crud/s/account/cmd/login");
}

#[tokio::test]
async fn check_jwt_matches_the_capture_and_answers_the_user_id() {
    let mock = Mock::start().await;
    mock.reply(
        200,
        r#"{"accessToken":null,"refreshTokenSec":null,"userId":"77c6c16e0141f2e4af7fdc10"}"#,
    );
    let client = mock.client();
    client.token_store().set("tok".into());
    let user = client.check_jwt().await.expect("checked");
    assert_eq!(user.as_deref(), Some("77c6c16e0141f2e4af7fdc10"));
    assert_eq!(client.token_store().get().as_deref(), Some("tok"));
    let sent = mock.single();
    // Capture "create_account: logMeIn returns a usable accessToken" (its check_jwt).
    assert_eq!(sent.line(), "PATCH /crud/s/user/cmd/check_jwt");
    assert_eq!(sent.body, "{}");
    assert_eq!(sent.authorization.as_deref(), Some("Bearer tok"));
    assert_eq!(sent.content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn check_jwt_stores_a_renewed_token() {
    let mock = Mock::start().await;
    mock.reply(
        200,
        r#"{"accessToken":"renewed","refreshTokenSec":1800,"userId":"u"}"#,
    );
    let client = mock.client();
    client.token_store().set("old".into());
    assert_eq!(
        client.check_jwt().await.expect("checked").as_deref(),
        Some("u")
    );
    assert_eq!(client.token_store().get().as_deref(), Some("renewed"));
}

#[tokio::test]
async fn check_jwt_answers_none_on_401_and_forgets_the_token() {
    let mock = Mock::start().await;
    mock.reply(401, TOKEN_MISMATCH);
    let client = mock.client();
    client.token_store().set("revoked".into());
    assert_eq!(client.check_jwt().await.expect("checked"), None);
    assert_eq!(client.token_store().get(), None);
    assert_eq!(mock.requests().len(), 1, "check_jwt is not retried");
}

#[tokio::test]
async fn check_jwt_without_a_token_sends_nothing() {
    let mock = Mock::start().await;
    assert_eq!(mock.client().check_jwt().await.expect("checked"), None);
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn check_jwt_returns_other_errors() {
    let mock = Mock::start().await;
    mock.reply(403, GUEST_FORBIDDEN);
    let client = mock.client();
    client.token_store().set("tok".into());
    let err = client.check_jwt().await.expect_err("forbidden");
    assert_eq!(err.status(), Some(403));
    assert_eq!(client.token_store().get().as_deref(), Some("tok"));
}

#[tokio::test]
async fn logout_sends_the_token_and_clears_the_store() {
    let mock = Mock::start().await;
    mock.reply(200, "");
    let client = mock.client();
    client.token_store().set("tok".into());
    client.logout().await.expect("logged out");
    assert_eq!(client.token_store().get(), None);
    let sent = mock.single();
    assert_eq!(sent.line(), "PATCH /crud/s/user/cmd/logout");
    assert_eq!(sent.body, "{}");
    assert_eq!(sent.authorization.as_deref(), Some("Bearer tok"));
}

#[tokio::test]
async fn logout_with_a_revoked_token_is_fine() {
    let mock = Mock::start().await;
    mock.reply(401, TOKEN_MISMATCH);
    let client = mock.client();
    client.token_store().set("revoked".into());
    client.logout().await.expect("logged out");
    assert_eq!(client.token_store().get(), None);
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn logout_clears_the_store_even_when_the_server_fails() {
    let mock = Mock::start().await;
    mock.reply(
        500,
        r#"{"statusCode":500,"message":"Internal server error"}"#,
    );
    let client = mock.client();
    client.token_store().set("tok".into());
    let err = client.logout().await.expect_err("server error");
    assert_eq!(err.status(), Some(500));
    assert_eq!(client.token_store().get(), None);
}

#[tokio::test]
async fn logout_without_a_token_sends_nothing() {
    let mock = Mock::start().await;
    mock.client().logout().await.expect("logged out");
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn service_clients_share_the_session() {
    let mock = Mock::start().await;
    mock.reply(200, r#"{"accessToken":"shared","userId":"u"}"#)
        .reply(200, "null")
        .reply(200, "null");
    let client = mock.client();
    let posts = client.service::<Post>();
    let profiles = client
        .clone()
        .service_named::<serde_json::Value>("user-profile");
    client.login(&login_dto()).await.expect("logged in");
    posts.find_one(json!({}), None).await.expect("answered");
    profiles.find_one(json!({}), None).await.expect("answered");
    let auth: Vec<_> = mock
        .requests()
        .into_iter()
        .map(|r| r.authorization)
        .collect();
    assert_eq!(
        auth,
        [
            None,
            Some("Bearer shared".into()),
            Some("Bearer shared".into())
        ]
    );
}

#[tokio::test]
async fn clients_can_share_one_store() {
    let mock = Mock::start().await;
    mock.reply(401, TOKEN_MISMATCH).reply(200, "null");
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let a = mock.client().with_token_store(Arc::clone(&store));
    let b = mock.client().with_token_store(Arc::clone(&store));
    a.token_store().set("tok".into());
    b.service::<Post>()
        .find_one(json!({}), None)
        .await
        .expect("answered as guest");
    assert_eq!(a.token_store().get(), None, "b's 401 logged a out too");
}

/// A client whose URL names a non-local host that resolves to the mock.
fn remote_client(mock: &Mock, config: impl FnOnce(ClientConfig) -> ClientConfig) -> Client {
    let http = reqwest::Client::builder()
        .resolve("api.example.test", mock.addr)
        .build()
        .expect("http client");
    let url = format!("http://api.example.test:{}", mock.addr.port());
    Client::new(config(ClientConfig::new(url)))
        .expect("client")
        .with_http_client(http)
}

#[tokio::test]
async fn no_token_goes_over_plain_http_to_a_remote_host() {
    let mock = Mock::start().await;
    let client = remote_client(&mock, |c| c);
    client.token_store().set("tok".into());
    let err = client
        .service::<Post>()
        .find_one(json!({}), None)
        .await
        .expect_err("refused");
    assert!(matches!(err, ClientError::InsecureUrl { .. }), "{err:?}");
    let err = client.check_jwt().await.expect_err("refused");
    assert!(matches!(err, ClientError::InsecureUrl { .. }), "{err:?}");
    assert!(mock.requests().is_empty());
    assert_eq!(client.token_store().get().as_deref(), Some("tok"));
}

#[tokio::test]
async fn no_login_goes_over_plain_http_to_a_remote_host() {
    let mock = Mock::start().await;
    let client = remote_client(&mock, |c| c);
    let err = client.login(&login_dto()).await.expect_err("refused");
    assert!(matches!(err, ClientError::InsecureUrl { .. }), "{err:?}");
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn guests_may_use_plain_http() {
    let mock = Mock::start().await;
    mock.reply(200, "null");
    let client = remote_client(&mock, |c| c);
    client
        .service::<Post>()
        .find_one(json!({}), None)
        .await
        .expect("answered");
    assert_eq!(mock.single().authorization, None);
}

#[tokio::test]
async fn the_insecure_url_check_can_be_turned_off() {
    let mock = Mock::start().await;
    mock.reply(200, r#"{"accessToken":"t","userId":"u"}"#)
        .reply(200, "null");
    let client = remote_client(&mock, ClientConfig::danger_allow_insecure_url);
    client.login(&login_dto()).await.expect("logged in");
    client
        .service::<Post>()
        .find_one(json!({}), None)
        .await
        .expect("answered");
    assert_eq!(
        mock.requests()[1].authorization.as_deref(),
        Some("Bearer t")
    );
}

#[test]
fn invalid_urls_are_refused() {
    for url in [
        "not a url",
        "ftp://example.com",
        "mailto:a@b.c",
        "https://x.test/?a=1",
    ] {
        let err = Client::new(ClientConfig::new(url)).expect_err(url);
        assert!(
            matches!(err, ClientError::InvalidUrl { .. }),
            "{url}: {err:?}"
        );
    }
}

#[test]
fn debug_output_hides_the_token() {
    let client = Client::new(ClientConfig::new("https://api.example.com")).expect("client");
    client.token_store().set("secret-token".into());
    let shown = format!("{client:?} {:?}", client.service::<Post>());
    assert!(!shown.contains("secret-token"), "{shown}");
    assert!(shown.contains("has_token: true"), "{shown}");
}
