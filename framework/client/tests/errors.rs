//! Error answers: coded (eicrud's JSON-in-message and ferrocrud's top-level
//! code), plain, not JSON; and undecodable success bodies.

use ferrocrud_client::{ClientError, ErrorCode};
use serde_json::json;

use crate::mock::Mock;
use crate::{OWNER, Post};

#[tokio::test]
async fn an_eicrud_coded_error_carries_code_text_and_data() {
    let mock = Mock::start().await;
    // Capture "post create: oversized title (> 50 JSON chars) -> 400 code 23".
    mock.reply(
        400,
        r#"{"message":"{\"message\":\"Field (title) size is too big. Add a @$MaxSize decorator on the field or increase defaultMaxSize.\",\"code\":23,\"data\":{\"problemField\":\"title\",\"fieldSize\":62,\"maxSize\":50}}","error":"Bad Request","statusCode":400}"#,
    );
    let posts = mock.client().service::<Post>();
    let err = posts
        .create(json!({"owner": OWNER, "title": "t".repeat(60)}), None)
        .await
        .expect_err("refused");
    let api = err.api().expect("an API error");
    assert_eq!(api.status, 400);
    assert_eq!(api.code, Some(ErrorCode::FieldSizeIsTooBig));
    assert!(
        api.message.starts_with("Field (title) size is too big"),
        "{}",
        api.message
    );
    assert_eq!(
        api.data,
        Some(json!({"problemField": "title", "fieldSize": 62, "maxSize": 50}))
    );
    assert_eq!(api.body.error, "Bad Request");
    assert_eq!(api.body.status_code, 400);
}

#[tokio::test]
async fn a_ferrocrud_error_with_top_level_code_reads_the_same() {
    let mock = Mock::start().await;
    let body = json!({
        "message": r#"{"message":"An account with this username already exists.","code":16}"#,
        "error": "Bad Request", "statusCode": 400, "code": 16
    });
    mock.reply(400, &body.to_string());
    let err = mock
        .client()
        .service::<Post>()
        .create(json!({}), None)
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Some(ErrorCode::EmailAlreadyTaken));
    assert_eq!(
        err.api().map(|a| a.message.as_str()),
        Some("An account with this username already exists.")
    );
}

#[tokio::test]
async fn a_ferrocrud_only_code_is_read() {
    let mock = Mock::start().await;
    let body = json!({"message": "Malformed JSON", "error": "Bad Request", "statusCode": 400, "code": 100});
    mock.reply(400, &body.to_string());
    let err = mock
        .client()
        .service::<Post>()
        .find(json!({}), None)
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Some(ErrorCode::MalformedJson));
}

#[tokio::test]
async fn a_plain_error_has_no_code() {
    let mock = Mock::start().await;
    // Capture "unknown service -> 400".
    mock.reply(
        400,
        r#"{"message":"Service not found: nope-service","error":"Bad Request","statusCode":400}"#,
    );
    let err = mock
        .client()
        .service_named::<Post>("nope-service")
        .find(json!({}), None)
        .await
        .expect_err("refused");
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), None);
    let api = err.api().expect("an API error");
    assert_eq!(api.message, "Service not found: nope-service");
    assert_eq!(api.data, None);
    assert_eq!(
        mock.single().line(),
        "GET /crud/s/nope-service/many?options=%7B%7D&query=%7B%7D"
    );
    assert_eq!(
        err.to_string(),
        "server answered 400: Service not found: nope-service"
    );
}

#[tokio::test]
async fn an_error_body_that_is_not_json_keeps_its_text() {
    let mock = Mock::start().await;
    mock.reply(502, "");
    let err = mock
        .client()
        .service::<Post>()
        .find(json!({}), None)
        .await
        .expect_err("refused");
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.code(), None);
}

#[tokio::test]
async fn an_undecodable_answer_is_a_decode_error() {
    let mock = Mock::start().await;
    mock.reply(201, r#"{"unexpected":true}"#);
    let err = mock
        .client()
        .service::<Post>()
        .create(json!({}), None)
        .await
        .expect_err("not a post");
    match err {
        ClientError::Decode { status, body, .. } => {
            assert_eq!(status, 201);
            assert_eq!(body, r#"{"unexpected":true}"#);
        }
        other => panic!("not a decode error: {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let client = ferrocrud_client::Client::new(ferrocrud_client::ClientConfig::new(format!(
        "http://{addr}"
    )))
    .expect("client");
    let err = client.ready().await.expect_err("nobody listens");
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
}

#[tokio::test]
async fn an_in_query_must_be_an_object() {
    let mock = Mock::start().await;
    let err = mock
        .client()
        .service::<Post>()
        .find_in(["a"], json!(["not", "an", "object"]), None)
        .await
        .expect_err("refused");
    assert!(
        matches!(err, ClientError::NotAnObject { what: "query" }),
        "{err:?}"
    );
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn data_that_cannot_be_json_is_an_encode_error() {
    let mock = Mock::start().await;
    let mut bad = std::collections::HashMap::new();
    bad.insert((1, 2), "tuple keys are not JSON");
    let err = mock
        .client()
        .service::<Post>()
        .create(&bad, None)
        .await
        .expect_err("refused");
    assert!(
        matches!(err, ClientError::Encode { what: "data", .. }),
        "{err:?}"
    );
    assert!(mock.requests().is_empty());
}
