//! The user service: accounts, login, and what guests and users may not do.

use ferrocrud_client::shared::user::{CreateAccountDto, LoginDto};
use ferrocrud_client::{CrudOptions, ErrorCode};
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn a_guest_creates_an_account() {
    let app = TestApp::start().await;
    let id = app.create_account("ada@example.com").await;
    assert!(!id.is_empty());
}

#[tokio::test]
async fn a_user_logs_in_and_its_token_checks() {
    let app = TestApp::start().await;
    let (client, id) = app.logged_in("ada@example.com").await;
    assert_eq!(client.check_jwt().await.expect("check_jwt"), Some(id));
    client.logout().await.expect("logout");
    assert_eq!(client.check_jwt().await.expect("check_jwt"), None);
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let app = TestApp::start().await;
    app.create_account("ada@example.com").await;
    let err = app
        .client()
        .login(&LoginDto {
            email: "ada@example.com".into(),
            password: format!("not {PASSWORD}"),
            two_fa_code: None,
            expires_in_sec: None,
        })
        .await
        .expect_err("a wrong password");
    assert_eq!(
        (err.status(), err.code()),
        (Some(401), Some(ErrorCode::InvalidCredentials))
    );
}

#[tokio::test]
async fn a_guest_may_not_create_an_admin() {
    let app = TestApp::start().await;
    let err = app
        .client()
        .cmd_s(&CreateAccountDto {
            email: "mallory@example.com".into(),
            password: PASSWORD.into(),
            role: "admin".into(),
            username: None,
            log_me_in: None,
            profile: Default::default(),
        })
        .await
        .expect_err("an admin account");
    assert_eq!(
        (err.status(), err.code()),
        (Some(403), Some(ErrorCode::Forbidden))
    );
}

#[tokio::test]
async fn a_display_name_given_at_create_account_is_read_back_by_its_owner() {
    let app = TestApp::start().await;
    let mut dto = CreateAccountDto {
        email: "ada@example.com".into(),
        password: PASSWORD.into(),
        role: "user".into(),
        ..Default::default()
    };
    dto.profile
        .insert("displayName".into(), json!("Ada Lovelace"));
    let client = app.client();
    let id = client.cmd_s(&dto).await.expect("account created").user_id;
    client
        .login(&LoginDto {
            email: "ada@example.com".into(),
            password: PASSWORD.into(),
            two_fa_code: None,
            expires_in_sec: None,
        })
        .await
        .expect("logged in");
    let users = client.service_named::<Value>("user");
    let me = users
        .find_one(json!({ "id": id }), CrudOptions::default())
        .await
        .expect("its own row");
    assert_eq!(
        me.as_ref().map(|m| &m["displayName"]),
        Some(&json!("Ada Lovelace"))
    );

    users
        .patch_one(
            json!({ "id": id }),
            json!({ "displayName": "Ada" }),
            CrudOptions::default(),
        )
        .await
        .expect("its own display name");
    let err = users
        .patch_one(
            json!({ "id": id }),
            json!({ "rvkd": 0 }),
            CrudOptions::default(),
        )
        .await
        .expect_err("the account state is the server's");
    assert_eq!(err.status(), Some(400));
    let err = users
        .patch_one(
            json!({ "id": id }),
            json!({ "role": "admin" }),
            CrudOptions::default(),
        )
        .await
        .expect_err("the role needs a rule that names it");
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
}

#[tokio::test]
async fn a_user_may_not_read_other_users() {
    let app = TestApp::start().await;
    let other = app.create_account("bob@example.com").await;
    let (client, _) = app.logged_in("ada@example.com").await;
    let err = client
        .service_named::<Value>("user")
        .find(json!({ "id": other }), CrudOptions::default())
        .await
        .expect_err("other users are not readable");
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
}
