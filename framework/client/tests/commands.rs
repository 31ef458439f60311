//! Typed commands: `cmd_s` (POST), `cmd` (PATCH), `cmd_get` (GET), their
//! routes, bodies and answers.

use ferrocrud_client::shared::user::{CreateAccountDto, CreateAccountReturnDto};
use ferrocrud_client::{Client, ClientConfig, Command, CommandMethod, CrudOptions};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::mock::Mock;

/// A command answering nothing.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct PublishDto {
    post_id: String,
}

impl Command for PublishDto {
    type Service = crate::Post;
    const NAME: &'static str = "publish";
    type Return = ();
}

/// A command answering a string (eicrud sends it as raw text).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct GreetDto {
    name: String,
}

impl Command for GreetDto {
    type Service = crate::Post;
    const NAME: &'static str = "greet";
    type Return = String;
}

/// A command answering maybe a number.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct CountDto {
    owner: String,
}

impl Command for CountDto {
    type Service = crate::Post;
    const NAME: &'static str = "count_posts";
    type Return = Option<u64>;
}

fn create_account() -> CreateAccountDto {
    CreateAccountDto {
        email: "hmws5b9wo.a@peer.test".into(),
        password: "pass-A-123456".into(),
        role: "user".into(),
        username: None,
        log_me_in: None,
        profile: Default::default(),
    }
}

#[tokio::test]
async fn cmd_s_matches_the_capture() {
    let mock = Mock::start().await;
    mock.reply(201, r#"{"userId":"d573ace2e3076cddbb3bd770"}"#);
    let answer: CreateAccountReturnDto = mock
        .client()
        .cmd_s(&create_account())
        .await
        .expect("created");
    assert_eq!(answer.user_id, "d573ace2e3076cddbb3bd770");
    assert_eq!(answer.access_token, None);
    let sent = mock.single();
    // Capture "create_account: guest creates a user account".
    assert_eq!(sent.line(), "POST /crud/s/user/cmd/create_account");
    assert_eq!(
        sent.body,
        r#"{"email":"hmws5b9wo.a@peer.test","password":"pass-A-123456","role":"user"}"#
    );
    assert_eq!(sent.content_type.as_deref(), Some("application/json"));
    assert_eq!(sent.authorization, None);
}

#[tokio::test]
async fn user_commands_follow_the_configured_user_service() {
    let mock = Mock::start().await;
    mock.reply(201, r#"{"userId":"u"}"#);
    let client =
        Client::new(ClientConfig::new(mock.url()).with_user_service("account")).expect("client");
    client.cmd_s(&create_account()).await.expect("created");
    assert_eq!(
        mock.single().line(),
        "POST /crud/s/account/cmd/create_account"
    );
}

#[tokio::test]
async fn cmd_patches_and_an_empty_answer_is_unit() {
    let mock = Mock::start().await;
    mock.reply(200, "");
    let client = mock.client();
    client.token_store().set("tok".into());
    client
        .cmd(&PublishDto {
            post_id: "p1".into(),
        })
        .await
        .expect("published");
    let sent = mock.single();
    assert_eq!(sent.line(), "PATCH /crud/s/post/cmd/publish");
    assert_eq!(sent.body, r#"{"postId":"p1"}"#);
    assert_eq!(sent.authorization.as_deref(), Some("Bearer tok"));
}

#[tokio::test]
async fn cmd_get_sends_the_dto_as_query() {
    let mock = Mock::start().await;
    mock.reply(200, "hello ada");
    let greeting = mock
        .client()
        .cmd_get(&GreetDto { name: "ada".into() })
        .await
        .expect("greeted");
    assert_eq!(greeting, "hello ada");
    let sent = mock.single();
    assert_eq!(
        sent.line(),
        "GET /crud/s/post/cmd/greet?query=%7B%22name%22:%22ada%22%7D"
    );
    assert_eq!(sent.body, "");
    assert_eq!(sent.content_type, None);
}

#[tokio::test]
async fn a_json_string_answer_decodes_too() {
    let mock = Mock::start().await;
    mock.reply(201, r#""hello ada""#);
    let greeting = mock
        .client()
        .cmd_s(&GreetDto { name: "ada".into() })
        .await
        .expect("greeted");
    assert_eq!(greeting, "hello ada");
}

#[tokio::test]
async fn an_empty_answer_is_none_for_an_option() {
    let mock = Mock::start().await;
    mock.reply(201, "").reply(201, "7");
    let client = mock.client();
    let dto = CountDto { owner: "o".into() };
    assert_eq!(client.cmd_s(&dto).await.expect("counted"), None);
    assert_eq!(client.cmd_s(&dto).await.expect("counted"), Some(7));
}

#[tokio::test]
async fn command_sends_options() {
    let mock = Mock::start().await;
    mock.reply(200, "").reply(200, "x");
    let client = mock.client();
    let options = CrudOptions {
        limit: Some(5),
        ..Default::default()
    };
    client
        .command(
            CommandMethod::Patch,
            &PublishDto {
                post_id: "p".into(),
            },
            options.clone(),
        )
        .await
        .expect("published");
    client
        .command(CommandMethod::Get, &GreetDto { name: "b".into() }, options)
        .await
        .expect("greeted");
    assert_eq!(
        mock.lines(),
        [
            "PATCH /crud/s/post/cmd/publish?options=%7B%22limit%22:5%7D",
            "GET /crud/s/post/cmd/greet?options=%7B%22limit%22:5%7D&query=%7B%22name%22:%22b%22%7D",
        ]
    );
}

#[tokio::test]
async fn command_raw_names_service_and_command() {
    let mock = Mock::start().await;
    mock.reply(201, r#"{"ok":true}"#);
    let answer: serde_json::Value = mock
        .client()
        .command_raw(
            CommandMethod::Post,
            "melon",
            "test_cmd",
            json!({"a": 1}),
            None,
        )
        .await
        .expect("answered");
    assert_eq!(answer, json!({"ok": true}));
    assert_eq!(mock.single().line(), "POST /crud/s/melon/cmd/test_cmd");
}

#[tokio::test]
async fn ready_reads_true() {
    let mock = Mock::start().await;
    mock.reply(200, "true");
    assert!(mock.client().ready().await.expect("ready"));
    assert_eq!(mock.single().line(), "GET /crud/rdy");
}

/// Futures of the client can be spawned on a multi-threaded runtime.
#[test]
fn futures_are_send() {
    fn send<F: std::future::Future + Send>(_: F) {}
    let client = Client::new(ClientConfig::new("https://api.example.com")).expect("client");
    let posts = client.service::<crate::Post>();
    send(posts.find_all(json!({}), None));
    send(posts.create_batch(vec![json!({})], None));
    send(posts.find_in(vec!["a".to_owned()], (), None));
    send(posts.patch_batch([(json!({}), json!({}))], None));
    send(client.cmd_s(&PublishDto {
        post_id: "p".into(),
    }));
    send(client.login(&ferrocrud_client::shared::user::LoginDto {
        email: String::new(),
        password: String::new(),
        two_fa_code: None,
        expires_in_sec: None,
    }));
    send(client.check_jwt());
    send(client.logout());
}
