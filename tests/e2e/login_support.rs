//! Helpers of the login tests: blog servers with their database at hand,
//! login requests, and direct reads and writes of user rows.

use blog::user as entity;
use ferrocrud::storage::Db;
use ferrocrud_tests::{Answer, TestServer};
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

/// The password of accounts made by [`account`].
pub(crate) const PASSWORD: &str = "pass-word-123";

/// Declares a test that runs, on each backend, with a blog server and its
/// database: `login_test!(async fn name(server, db) { ... });`.
macro_rules! login_test {
    (async fn $name:ident($server:ident, $db:ident) $body:block) => {
        #[test]
        fn $name() {
            ferrocrud_tests::run_blog_test(
                stringify!($name),
                |$server: ferrocrud_tests::TestServer| async move {
                    let $db = $server.db.clone();
                    $body
                },
            );
        }
    };
}
pub(crate) use login_test;

/// `PATCH /crud/s/user/cmd/login`, with a two-factor code when given.
pub(crate) async fn login(
    server: &TestServer,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> Answer {
    let mut dto = json!({"email": email, "password": password});
    if let Some(code) = code {
        dto["twoFA_code"] = json!(code);
    }
    server.cmd(Method::PATCH, "user", "login", dto, None).await
}

/// A `user` account with [`PASSWORD`]; answers its id.
pub(crate) async fn account(server: &TestServer, email: &str) -> String {
    server.create_account(email, PASSWORD).await
}

/// The user row, secrets included.
pub(crate) async fn row(db: &Db, id: &str) -> entity::Model {
    entity::Entity::find_by_id(id.to_owned())
        .one(db.connection())
        .await
        .expect("database")
        .expect("user row")
}

/// Sets one column of a user row.
pub(crate) async fn set(db: &Db, id: &str, column: entity::Column, value: Expr) {
    let result = entity::Entity::update_many()
        .col_expr(column, value)
        .filter(entity::Column::Id.eq(id.to_owned()))
        .exec(db.connection())
        .await
        .expect("database");
    assert_eq!(result.rows_affected, 1);
}

/// The two-factor codes in the server's mailbox, to `to`.
pub(crate) fn codes_to(server: &TestServer, to: &str) -> Vec<String> {
    server
        .mails()
        .into_iter()
        .filter(|mail| mail["kind"] == "two_factor" && mail["to"] == to)
        .filter_map(|mail| mail["code"].as_str().map(str::to_owned))
        .collect()
}

/// The `"<n> seconds"` of a lockout answer, after checking its shape.
pub(crate) fn locked_out_seconds(answer: &Answer) -> u64 {
    assert_eq!(answer.status, 429, "{}", answer.text);
    let body = answer.json();
    let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["statusCode", "error", "message", "code", "data"]);
    assert_eq!(body["error"], "Too Many Requests");
    let inner = answer.inner();
    assert_eq!(inner["message"], "Too many login attempts. Please wait");
    assert_eq!(inner["code"], 3);
    assert_eq!(inner["data"], body["data"]);
    let data = body["data"].as_str().expect("data is a string");
    let seconds = data
        .strip_suffix(" seconds")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("data is \"<n> seconds\": {data}"));
    assert!(seconds <= 36, "6 failures wait at most 6² seconds: {data}");
    seconds
}

/// The answer to a wrong password, as the server words it.
pub(crate) const INVALID_CREDENTIALS: &str = r#"{"message":"{\"message\":\"Invalid credentials\",\"code\":5}","error":"Unauthorized","statusCode":401,"code":5}"#;
