//! The exact request of every CRUD call; those the captures show are
//! compared with `reference/eicrud-wire.md` byte for byte.

use ferrocrud_client::CrudOptions;
use serde_json::json;

use crate::mock::Mock;
use crate::{OWNER, POST_ID, Post, post_json};

fn limit(n: i64) -> CrudOptions {
    CrudOptions {
        limit: Some(n),
        ..Default::default()
    }
}

#[tokio::test]
async fn create_posts_the_data_without_a_query_string() {
    let mock = Mock::start().await;
    mock.reply(201, &post_json(POST_ID, "first"));
    let posts = mock.client().service::<Post>();
    let data = json!({"owner": OWNER, "title": "first", "content": "hello world", "likes": 3});
    let created = posts.create(&data, None).await.expect("created");
    assert_eq!(created.id, POST_ID);
    let sent = mock.single();
    // Capture "post create: own post".
    assert_eq!(sent.line(), "POST /crud/s/post/one");
    assert_eq!(
        sent.body,
        r#"{"owner":"d573ace2e3076cddbb3bd770","title":"first","content":"hello world","likes":3}"#
    );
    assert_eq!(sent.content_type.as_deref(), Some("application/json"));
    assert_eq!(sent.authorization, None);
}

#[tokio::test]
async fn create_sends_options_when_given() {
    let mock = Mock::start().await;
    mock.reply(201, &post_json(POST_ID, "first"));
    let posts = mock.client().service::<Post>();
    let options = CrudOptions {
        allow_id_override: Some(true),
        ..Default::default()
    };
    let post = Post {
        id: POST_ID.into(),
        owner: OWNER.into(),
        title: "first".into(),
        content: None,
        likes: None,
    };
    posts.create(&post, options).await.expect("created");
    let sent = mock.single();
    assert_eq!(
        sent.line(),
        "POST /crud/s/post/one?options=%7B%22allowIdOverride%22:true%7D"
    );
    assert_eq!(
        sent.body,
        r#"{"id":"2597e974a5b465a4acffc96a","owner":"d573ace2e3076cddbb3bd770","title":"first","content":null,"likes":null}"#
    );
}

#[tokio::test]
async fn find_one_matches_the_capture() {
    let mock = Mock::start().await;
    mock.reply(200, &post_json(POST_ID, "first"));
    let posts = mock.client().service::<Post>();
    let found = posts
        .find_one(json!({"id": POST_ID, "owner": OWNER}), None)
        .await
        .expect("found");
    assert_eq!(found.map(|p| p.title).as_deref(), Some("first"));
    // Capture "post findOne: own post by {id, owner}": options always sent.
    assert_eq!(
        mock.single().line(),
        "GET /crud/s/post/one?options=%7B%7D&query=%7B%22id%22:%222597e974a5b465a4acffc96a%22,%22owner%22:%22d573ace2e3076cddbb3bd770%22%7D"
    );
}

#[tokio::test]
async fn find_one_reads_null_as_none() {
    let mock = Mock::start().await;
    mock.reply(200, "null");
    let posts = mock.client().service::<Post>();
    let found = posts
        .find_one(json!({"id": "does-not-exist", "owner": OWNER}), None)
        .await
        .expect("answered");
    assert_eq!(found, None);
}

#[tokio::test]
async fn find_matches_the_captures() {
    let mock = Mock::start().await;
    let page = format!(
        r#"{{"data":[{}],"total":2,"limit":40}}"#,
        post_json(POST_ID, "first")
    );
    mock.reply(200, &page).reply(200, &page);
    let posts = mock.client().service::<Post>();
    let found = posts
        .find(json!({"owner": OWNER}), None)
        .await
        .expect("page");
    assert_eq!(
        (found.data.len(), found.total, found.limit),
        (1, Some(2), Some(40))
    );
    posts
        .find(json!({"owner": OWNER}), limit(1))
        .await
        .expect("page");
    // Captures "post find: own posts" and "post find: options.limit=1".
    assert_eq!(
        mock.lines(),
        [
            "GET /crud/s/post/many?options=%7B%7D&query=%7B%22owner%22:%22d573ace2e3076cddbb3bd770%22%7D",
            "GET /crud/s/post/many?options=%7B%22limit%22:1%7D&query=%7B%22owner%22:%22d573ace2e3076cddbb3bd770%22%7D",
        ]
    );
}

#[tokio::test]
async fn find_ids_uses_the_ids_route() {
    let mock = Mock::start().await;
    mock.reply(200, r#"{"data":["a","b"],"total":2,"limit":40}"#);
    let posts = mock.client().service::<Post>();
    let ids = posts
        .find_ids(json!({"owner": OWNER}), None)
        .await
        .expect("ids");
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(
        mock.single().line(),
        "GET /crud/s/post/ids?options=%7B%7D&query=%7B%22owner%22:%22d573ace2e3076cddbb3bd770%22%7D"
    );
}

#[tokio::test]
async fn find_in_puts_the_ids_after_the_limiting_keys() {
    let mock = Mock::start().await;
    let page = format!(
        r#"{{"data":[{}],"total":1,"limit":40}}"#,
        post_json("a", "x")
    );
    mock.reply(200, &page);
    let posts = mock.client().service::<Post>();
    let found = posts
        .find_in(["a", "b"], json!({"owner": OWNER}), None)
        .await
        .expect("found");
    assert_eq!(found.len(), 1);
    assert_eq!(
        mock.single().line(),
        "GET /crud/s/post/in?options=%7B%7D&query=%7B%22owner%22:%22d573ace2e3076cddbb3bd770%22,%22id%22:[%22a%22,%22b%22]%7D"
    );
}

#[tokio::test]
async fn find_in_without_limiting_keys_and_with_a_custom_id_field() {
    let mock = Mock::start().await;
    mock.reply(200, r#"{"data":[],"total":0,"limit":40}"#);
    let client = ferrocrud_client::Client::new(
        ferrocrud_client::ClientConfig::new(mock.url()).with_id_field("_id"),
    )
    .expect("client");
    let posts = client.service_named::<serde_json::Value>("post");
    let ids = vec!["a".to_owned()];
    posts.find_in(&ids, (), None).await.expect("found");
    assert_eq!(
        mock.single().line(),
        "GET /crud/s/post/in?options=%7B%7D&query=%7B%22_id%22:[%22a%22]%7D"
    );
}

#[tokio::test]
async fn empty_id_lists_and_batches_send_nothing() {
    let mock = Mock::start().await;
    let posts = mock.client().service::<Post>();
    let none: [&str; 0] = [];
    assert!(
        posts
            .find_in(none, (), None)
            .await
            .expect("empty")
            .is_empty()
    );
    assert_eq!(
        posts
            .patch_in(none, (), json!({"title": "x"}), None)
            .await
            .expect("empty")
            .count,
        0
    );
    assert_eq!(
        posts.delete_in(none, (), None).await.expect("empty").count,
        0
    );
    assert!(
        posts
            .create_batch(Vec::<Post>::new(), None)
            .await
            .expect("empty")
            .is_empty()
    );
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn patch_one_matches_the_capture() {
    let mock = Mock::start().await;
    mock.reply(200, r#"{"count":1}"#);
    let posts = mock.client().service::<Post>();
    let answer = posts
        .patch_one(
            json!({"id": POST_ID, "owner": OWNER}),
            json!({"title": "first (edited)", "likes": 4}),
            None,
        )
        .await
        .expect("patched");
    assert_eq!((answer.count, answer.updated), (1, None));
    let sent = mock.single();
    // Capture "post patchOne: own post": no options when none are given.
    assert_eq!(
        sent.line(),
        "PATCH /crud/s/post/one?query=%7B%22id%22:%222597e974a5b465a4acffc96a%22,%22owner%22:%22d573ace2e3076cddbb3bd770%22%7D"
    );
    assert_eq!(sent.body, r#"{"title":"first (edited)","likes":4}"#);
    assert_eq!(sent.content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn patch_one_returns_the_updated_entity_when_asked() {
    let mock = Mock::start().await;
    let answer = format!(r#"{{"count":1,"updated":{}}}"#, post_json(POST_ID, "new"));
    mock.reply(200, &answer);
    let posts = mock.client().service::<Post>();
    let options = CrudOptions {
        return_updated_entity: Some(true),
        ..Default::default()
    };
    let answer = posts
        .patch_one(json!({"id": POST_ID}), json!({"title": "new"}), options)
        .await
        .expect("patched");
    assert_eq!(answer.updated.map(|p| p.title).as_deref(), Some("new"));
    assert_eq!(
        mock.single().line(),
        "PATCH /crud/s/post/one?options=%7B%22returnUpdatedEntity%22:true%7D&query=%7B%22id%22:%222597e974a5b465a4acffc96a%22%7D"
    );
}

#[tokio::test]
async fn patch_many_in_and_batch() {
    let mock = Mock::start().await;
    mock.reply(200, r#"{"count":2}"#)
        .reply(200, r#"{"count":2}"#)
        .reply(200, r#"[{"count":1},{"count":0}]"#);
    let posts = mock.client().service::<Post>();
    let patched = posts
        .patch(json!({"owner": OWNER}), json!({"likes": 0}), None)
        .await
        .expect("patched");
    assert_eq!(patched.count, 2);
    let patched = posts
        .patch_in(
            ["a", "b"],
            json!({"owner": OWNER}),
            json!({"likes": 1}),
            None,
        )
        .await
        .expect("patched");
    assert_eq!(patched.count, 2);
    let answers = posts
        .patch_batch(
            [
                (json!({"id": "a"}), json!({"title": "A"})),
                (json!({"id": "b"}), json!({"title": "B"})),
            ],
            None,
        )
        .await
        .expect("patched");
    assert_eq!(answers.iter().map(|a| a.count).collect::<Vec<_>>(), [1, 0]);
    let sent = mock.requests();
    assert_eq!(
        sent[0].line(),
        "PATCH /crud/s/post/many?query=%7B%22owner%22:%22d573ace2e3076cddbb3bd770%22%7D"
    );
    assert_eq!(sent[0].body, r#"{"likes":0}"#);
    assert_eq!(
        sent[1].line(),
        "PATCH /crud/s/post/in?query=%7B%22owner%22:%22d573ace2e3076cddbb3bd770%22,%22id%22:[%22a%22,%22b%22]%7D"
    );
    assert_eq!(sent[1].body, r#"{"likes":1}"#);
    assert_eq!(sent[2].line(), "PATCH /crud/s/post/batch");
    assert_eq!(
        sent[2].body,
        r#"[{"query":{"id":"a"},"data":{"title":"A"}},{"query":{"id":"b"},"data":{"title":"B"}}]"#
    );
}

#[tokio::test]
async fn delete_one_matches_the_capture() {
    let mock = Mock::start().await;
    mock.reply(200, r#"{"count":1}"#);
    let posts = mock.client().service::<Post>();
    let answer = posts
        .delete_one(
            json!({"id": "367846dd5fdd4b55d6f64409", "owner": OWNER}),
            None,
        )
        .await
        .expect("deleted");
    assert_eq!(answer.count, 1);
    let sent = mock.single();
    // Capture "post create: content within @$MaxSize(1000) accepted" (its delete).
    assert_eq!(
        sent.line(),
        "DELETE /crud/s/post/one?query=%7B%22id%22:%22367846dd5fdd4b55d6f64409%22,%22owner%22:%22d573ace2e3076cddbb3bd770%22%7D"
    );
    assert_eq!(sent.body, "");
    assert_eq!(sent.content_type, None);
}

#[tokio::test]
async fn delete_many_and_in() {
    let mock = Mock::start().await;
    mock.reply(200, r#"{"count":3}"#)
        .reply(200, r#"{"count":2}"#);
    let posts = mock.client().service::<Post>();
    assert_eq!(
        posts
            .delete(json!({"owner": OWNER}), None)
            .await
            .expect("deleted")
            .count,
        3
    );
    assert_eq!(
        posts
            .delete_in(["a", "b"], (), None)
            .await
            .expect("deleted")
            .count,
        2
    );
    assert_eq!(
        mock.lines(),
        [
            "DELETE /crud/s/post/many?query=%7B%22owner%22:%22d573ace2e3076cddbb3bd770%22%7D",
            "DELETE /crud/s/post/in?query=%7B%22id%22:[%22a%22,%22b%22]%7D",
        ]
    );
}

#[tokio::test]
async fn a_base_url_path_prefix_is_kept() {
    let mock = Mock::start().await;
    mock.reply(200, "null");
    let client = ferrocrud_client::Client::new(ferrocrud_client::ClientConfig::new(format!(
        "{}/backend/",
        mock.url()
    )))
    .expect("client");
    client
        .service_named::<Post>("user-profile")
        .find_one(json!({}), None)
        .await
        .expect("answered");
    assert_eq!(
        mock.single().line(),
        "GET /backend/crud/s/user-profile/one?options=%7B%7D&query=%7B%7D"
    );
}

#[tokio::test]
async fn query_values_are_encoded() {
    let mock = Mock::start().await;
    mock.reply(200, "null");
    let posts = mock.client().service::<Post>();
    posts
        .find_one(json!({"title": "a b&c=d+é'"}), None)
        .await
        .expect("answered");
    assert_eq!(
        mock.single().line(),
        "GET /crud/s/post/one?options=%7B%7D&query=%7B%22title%22:%22a+b%26c%3Dd%2B%C3%A9%27%22%7D"
    );
}
