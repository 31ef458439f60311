//! Service `ferrocrud-service` with the abilities it was generated with: a user
//! reaches its own rows only, a guest reaches nothing.

use ferrocrud_app::services::ferrocrud_service::entity::Model;
use ferrocrud_client::{CrudOptions, ErrorCode};
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn a_user_creates_and_finds_its_own_rows() {
    let app = TestApp::start().await;
    let (client, id) = app.logged_in("owner@example.com").await;
    let rows = client.service::<Model>();
    let created = rows
        .create(json!({ "owner": id, "name": "first" }), None)
        .await
        .expect("created");
    assert_eq!(
        (created.owner.as_str(), created.name.as_str()),
        (id.as_str(), "first")
    );
    let page = rows
        .find(json!({ "owner": id }), CrudOptions::default())
        .await
        .expect("found");
    assert_eq!(page.data, [created]);
}

#[tokio::test]
async fn a_user_may_not_read_the_rows_of_another() {
    let app = TestApp::start().await;
    let (client, _) = app.logged_in("owner@example.com").await;
    let other = app.create_account("other@example.com").await;
    let err = client
        .service::<Model>()
        .find(json!({ "owner": other }), CrudOptions::default())
        .await
        .expect_err("another user's rows");
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
}

#[tokio::test]
async fn a_guest_may_not_read() {
    let app = TestApp::start().await;
    let err = app
        .client()
        .service::<Model>()
        .find(json!({}), CrudOptions::default())
        .await
        .expect_err("a guest");
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
}
