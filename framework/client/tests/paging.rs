//! Auto-pagination: `find_all`, `find_ids` and `find_in` follow pages with
//! `offset` until `total` (or the asked limit) is read.

use ferrocrud_client::CrudOptions;
use serde_json::json;

use crate::mock::Mock;
use crate::{OWNER, Post, post_json};

/// A page of posts `ids`, with `total` matches and the server's page size.
fn page(ids: &[&str], total: u64, limit: u64) -> String {
    let data: Vec<String> = ids.iter().map(|id| post_json(id, id)).collect();
    format!(
        r#"{{"data":[{}],"total":{total},"limit":{limit}}}"#,
        data.join(",")
    )
}

/// The decoded `options` of every request.
fn sent_options(mock: &Mock) -> Vec<serde_json::Value> {
    mock.requests()
        .iter()
        .map(|r| {
            let query = r.url.split_once('?').map(|(_, q)| q).unwrap_or_default();
            let options = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("options="))
                .expect("options sent");
            let text = options.replace('+', " ");
            let decoded = percent_decode(&text);
            serde_json::from_str(&decoded).expect("JSON options")
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

#[tokio::test]
async fn find_all_follows_pages_until_total() {
    let mock = Mock::start().await;
    mock.reply(200, &page(&["a", "b"], 5, 2))
        .reply(200, &page(&["c", "d"], 5, 2))
        .reply(200, &page(&["e"], 5, 1));
    let posts = mock.client().service::<Post>();
    let all = posts
        .find_all(json!({"owner": OWNER}), None)
        .await
        .expect("all");
    let ids: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    assert_eq!(
        sent_options(&mock),
        [
            json!({}),
            json!({"limit": 2, "offset": 2}),
            json!({"limit": 1, "offset": 4}),
        ]
    );
    // The query is the same on every page.
    let queries: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| r.url.split("&query=").nth(1).unwrap_or_default().to_owned())
        .collect();
    assert!(queries.iter().all(|q| q == &queries[0]), "{queries:?}");
}

#[tokio::test]
async fn find_all_stops_at_the_asked_limit_and_keeps_other_options() {
    let mock = Mock::start().await;
    mock.reply(200, &page(&["a", "b"], 10, 2))
        .reply(200, &page(&["c"], 10, 1));
    let posts = mock.client().service::<Post>();
    let options = CrudOptions {
        limit: Some(3),
        fields: Some(vec!["title".into()]),
        ..Default::default()
    };
    let all = posts
        .find_all(json!({"owner": OWNER}), options)
        .await
        .expect("all");
    assert_eq!(all.len(), 3);
    assert_eq!(
        sent_options(&mock),
        [
            json!({"limit": 3, "fields": ["title"]}),
            json!({"limit": 1, "offset": 2, "fields": ["title"]}),
        ]
    );
}

#[tokio::test]
async fn find_all_starts_at_the_asked_offset() {
    let mock = Mock::start().await;
    mock.reply(200, &page(&["b", "c"], 5, 2))
        .reply(200, &page(&["d", "e"], 5, 2));
    let posts = mock.client().service::<Post>();
    let options = CrudOptions {
        offset: Some(1),
        ..Default::default()
    };
    let all = posts.find_all(json!({}), options).await.expect("all");
    assert_eq!(all.len(), 4);
    assert_eq!(
        sent_options(&mock),
        [json!({"offset": 1}), json!({"limit": 2, "offset": 3})]
    );
}

#[tokio::test]
async fn find_all_needs_one_request_when_the_page_holds_everything() {
    let mock = Mock::start().await;
    mock.reply(200, &page(&["a", "b"], 2, 40));
    let posts = mock.client().service::<Post>();
    assert_eq!(posts.find_all(json!({}), None).await.expect("all").len(), 2);
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn find_all_does_not_page_past_a_limit_the_server_honoured() {
    let mock = Mock::start().await;
    mock.reply(200, &page(&["a"], 2, 1));
    let posts = mock.client().service::<Post>();
    let options = CrudOptions {
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(
        posts.find_all(json!({}), options).await.expect("all").len(),
        1
    );
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn find_all_stops_on_an_empty_page() {
    let mock = Mock::start().await;
    mock.reply(200, &page(&["a", "b"], 6, 2))
        .reply(200, &page(&[], 6, 2));
    let posts = mock.client().service::<Post>();
    assert_eq!(posts.find_all(json!({}), None).await.expect("all").len(), 2);
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn find_reads_one_page_only() {
    let mock = Mock::start().await;
    mock.reply(200, &page(&["a", "b"], 5, 2));
    let posts = mock.client().service::<Post>();
    let first = posts.find(json!({}), None).await.expect("page");
    assert_eq!(
        (first.data.len(), first.total, first.limit),
        (2, Some(5), Some(2))
    );
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn find_ids_follows_pages() {
    let mock = Mock::start().await;
    mock.reply(200, r#"{"data":["a","b"],"total":3,"limit":2}"#)
        .reply(200, r#"{"data":["c"],"total":3,"limit":1}"#);
    let posts = mock.client().service::<Post>();
    let ids = posts.find_ids(json!({}), None).await.expect("ids");
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(
        mock.lines()[1],
        "GET /crud/s/post/ids?options=%7B%22limit%22:1,%22offset%22:2%7D&query=%7B%7D"
    );
}

#[tokio::test]
async fn find_in_follows_the_pages_of_each_chunk() {
    let mock = Mock::start().await;
    mock.reply(200, &page(&["a", "b"], 3, 2))
        .reply(200, &page(&["c"], 3, 1))
        .reply(200, &page(&["d"], 1, 40));
    let posts = mock.client().service::<Post>().with_batch_size(3);
    let found = posts
        .find_in(["a", "b", "c", "d"], (), None)
        .await
        .expect("found");
    let ids: Vec<&str> = found.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert_eq!(
        mock.lines(),
        [
            "GET /crud/s/post/in?options=%7B%7D&query=%7B%22id%22:[%22a%22,%22b%22,%22c%22]%7D",
            "GET /crud/s/post/in?options=%7B%22limit%22:1,%22offset%22:2%7D&query=%7B%22id%22:[%22a%22,%22b%22,%22c%22]%7D",
            "GET /crud/s/post/in?options=%7B%7D&query=%7B%22id%22:[%22d%22]%7D",
        ]
    );
}
