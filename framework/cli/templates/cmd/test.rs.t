//! Command `ferrocrud_cmd` of service `ferrocrud-service` with the abilities it
//! was generated with: nobody may call it.

use ferrocrud_app::shared::FerrocrudServiceFerrocrudCmdDto;
use ferrocrud_client::ErrorCode;

use crate::support::TestApp;

#[tokio::test]
async fn a_user_may_not_call_it_yet() {
    let app = TestApp::start().await;
    let (client, _) = app.logged_in("caller@example.com").await;
    let dto = FerrocrudServiceFerrocrudCmdDto {
        my_arg: "hello".into(),
    };
    let err = client.cmd_s(&dto).await.expect_err("denied until allowed");
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
}

#[tokio::test]
async fn a_guest_may_not_call_it_yet() {
    let app = TestApp::start().await;
    let dto = FerrocrudServiceFerrocrudCmdDto {
        my_arg: "hello".into(),
    };
    let err = app
        .client()
        .cmd_s(&dto)
        .await
        .expect_err("denied until allowed");
    assert_eq!(err.code(), Some(ErrorCode::Forbidden));
}
