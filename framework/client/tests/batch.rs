//! Batch chunking: batches and id lists go in chunks of the batch size,
//! which shrinks to the `maxBatchSize` of a code 12 or 13 answer.

use serde_json::{Value, json};

use crate::mock::Mock;
use crate::{Post, post_json};

/// eicrud's body for code 13 (capture "Batch too big", reference §6.7).
fn too_big(max: usize, size: usize) -> String {
    let inner = json!({"message": "Max batch size exceeded", "code": 13, "data": {"maxBatchSize": max, "batchSize": size}});
    json!({"message": inner.to_string(), "error": "Bad Request", "statusCode": 400}).to_string()
}

fn created(ids: &[&str]) -> String {
    let rows: Vec<String> = ids.iter().map(|id| post_json(id, id)).collect();
    format!("[{}]", rows.join(","))
}

fn new_posts(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"owner": "o", "title": format!("t{i}")}))
        .collect()
}

/// The number of items in each request body.
fn body_sizes(mock: &Mock) -> Vec<usize> {
    mock.requests()
        .iter()
        .map(|r| {
            serde_json::from_str::<Vec<Value>>(&r.body)
                .expect("array body")
                .len()
        })
        .collect()
}

#[tokio::test]
async fn create_batch_shrinks_to_the_servers_max_batch_size() {
    let mock = Mock::start().await;
    mock.reply(400, &too_big(2, 5))
        .reply(201, &created(&["a", "b"]))
        .reply(201, &created(&["c", "d"]))
        .reply(201, &created(&["e"]));
    let posts = mock.client().service::<Post>();
    let made = posts
        .create_batch(new_posts(5), None)
        .await
        .expect("created");
    let ids: Vec<&str> = made.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    assert_eq!(body_sizes(&mock), [5, 2, 2, 1]);
    let sent = mock.requests();
    assert!(sent.iter().all(|r| r.line() == "POST /crud/s/post/batch"));
    // The chunks are the items, in order.
    let titles: Vec<String> = sent[1..]
        .iter()
        .flat_map(|r| serde_json::from_str::<Vec<Value>>(&r.body).expect("array"))
        .map(|v| v["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(titles, ["t0", "t1", "t2", "t3", "t4"]);
}

#[tokio::test]
async fn create_batch_uses_the_configured_batch_size() {
    let mock = Mock::start().await;
    mock.reply(201, &created(&["a", "b"]))
        .reply(201, &created(&["c"]));
    let posts = mock.client().service::<Post>().with_batch_size(2);
    assert_eq!(
        posts
            .create_batch(new_posts(3), None)
            .await
            .expect("created")
            .len(),
        3
    );
    assert_eq!(body_sizes(&mock), [2, 1]);
}

#[tokio::test]
async fn a_batch_size_of_zero_sends_one_request() {
    let mock = Mock::start().await;
    mock.reply(201, &created(&["a", "b", "c"]));
    let client = ferrocrud_client::Client::new(
        ferrocrud_client::ClientConfig::new(mock.url()).with_batch_size(0),
    )
    .expect("client");
    let posts = client.service::<Post>();
    assert_eq!(
        posts
            .create_batch(new_posts(3), None)
            .await
            .expect("created")
            .len(),
        3
    );
    assert_eq!(body_sizes(&mock), [3]);
}

#[tokio::test]
async fn a_shrink_keeps_the_chunks_already_accepted() {
    let mock = Mock::start().await;
    mock.reply(201, &created(&["a", "b", "c"]))
        .reply(400, &too_big(1, 2))
        .reply(201, &created(&["d"]))
        .reply(201, &created(&["e"]));
    let posts = mock.client().service::<Post>().with_batch_size(3);
    assert_eq!(
        posts
            .create_batch(new_posts(5), None)
            .await
            .expect("created")
            .len(),
        5
    );
    assert_eq!(body_sizes(&mock), [3, 2, 1, 1]);
}

#[tokio::test]
async fn a_max_batch_size_that_does_not_help_is_an_error() {
    let mock = Mock::start().await;
    mock.reply(400, &too_big(5, 3));
    let posts = mock.client().service::<Post>();
    let err = posts
        .create_batch(new_posts(3), None)
        .await
        .expect_err("refused");
    assert_eq!(
        err.code(),
        Some(ferrocrud_client::ErrorCode::MaxBatchSizeExceeded)
    );
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn a_max_batch_size_of_zero_is_an_error() {
    let mock = Mock::start().await;
    mock.reply(400, &too_big(0, 3));
    let posts = mock.client().service::<Post>();
    posts
        .create_batch(new_posts(3), None)
        .await
        .expect_err("refused");
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn patch_batch_shrinks_on_a_ferrocrud_body() {
    let mock = Mock::start().await;
    // ferrocrud's body: eicrud's shape plus top-level code and data.
    let body = json!({
        "message": r#"{"message":"Max batch size exceeded","code":13,"data":{"maxBatchSize":1,"batchSize":2}}"#,
        "error": "Bad Request", "statusCode": 400, "code": 13,
        "data": {"maxBatchSize": 1, "batchSize": 2}
    });
    mock.reply(400, &body.to_string())
        .reply(200, r#"[{"count":1}]"#)
        .reply(200, r#"[{"count":0}]"#);
    let posts = mock.client().service::<Post>();
    let answers = posts
        .patch_batch(
            [
                (json!({"id": "a"}), json!({"likes": 1})),
                (json!({"id": "b"}), json!({"likes": 2})),
            ],
            None,
        )
        .await
        .expect("patched");
    assert_eq!(answers.iter().map(|a| a.count).collect::<Vec<_>>(), [1, 0]);
    assert_eq!(body_sizes(&mock), [2, 1, 1]);
}

#[tokio::test]
async fn id_lists_shrink_on_code_12() {
    let mock = Mock::start().await;
    let inner = json!({"message": "In query max id length", "code": 12, "data": {"maxBatchSize": 2, "idsLength": 3}});
    let body = json!({"message": inner.to_string(), "error": "Bad Request", "statusCode": 400});
    mock.reply(400, &body.to_string())
        .reply(200, r#"{"count":2}"#)
        .reply(200, r#"{"count":1}"#);
    let posts = mock.client().service::<Post>();
    let deleted = posts
        .delete_in(["a", "b", "c"], (), None)
        .await
        .expect("deleted");
    assert_eq!(deleted.count, 3);
    assert_eq!(
        mock.lines(),
        [
            "DELETE /crud/s/post/in?query=%7B%22id%22:[%22a%22,%22b%22,%22c%22]%7D",
            "DELETE /crud/s/post/in?query=%7B%22id%22:[%22a%22,%22b%22]%7D",
            "DELETE /crud/s/post/in?query=%7B%22id%22:[%22c%22]%7D",
        ]
    );
}

#[tokio::test]
async fn patch_in_sums_the_counts_of_its_chunks() {
    let mock = Mock::start().await;
    mock.reply(200, r#"{"count":2}"#)
        .reply(200, r#"{"count":1}"#);
    let posts = mock.client().service::<Post>().with_batch_size(2);
    let patched = posts
        .patch_in(["a", "b", "c"], (), json!({"likes": 0}), None)
        .await
        .expect("patched");
    assert_eq!(patched.count, 3);
    assert!(mock.requests().iter().all(|r| r.body == r#"{"likes":0}"#));
}

#[tokio::test]
async fn other_errors_stop_the_batch() {
    let mock = Mock::start().await;
    mock.reply(201, &created(&["a"]))
        .reply(403, r#"{"message":"Role user is not allowed to POST post","error":"Forbidden","statusCode":403}"#);
    let posts = mock.client().service::<Post>().with_batch_size(1);
    let err = posts
        .create_batch(new_posts(3), None)
        .await
        .expect_err("refused");
    assert_eq!(err.status(), Some(403));
    assert_eq!(mock.requests().len(), 2);
}
