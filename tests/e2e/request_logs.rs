//! Request ids and the JSON access log: ids round-trip, and what the logs
//! hold of a session's life (account, login, reset, password change) names
//! the requests and never a secret. (Every test's logs go to the same file,
//! checked for secrets as each test ends: `ferrocrud_tests::logs`.)

use std::path::Path;

use ferrocrud::http::request_id::ACCESS_TARGET;
use ferrocrud_tests::{Request, blog_test};
use reqwest::Method;
use serde_json::{Value, json};

use crate::users_support::{cmd_s, reset_token};

fn lines_with(path: &Path, needle: &str) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("log file")
        .lines()
        .filter(|line| line.contains(needle))
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

blog_test!(
    async fn request_ids_round_trip(server: TestServer) {
        let sent = [("x-request-id", "lb-4f1c:7/a.b_c-d".to_owned())];
        let kept = server
            .send(Request::new(Method::GET, "/crud/rdy").headers(&sent))
            .await;
        assert_eq!(kept.header("x-request-id"), Some("lb-4f1c:7/a.b_c-d"));
        for bad in ["has space", &"x".repeat(129), "quote\"d"] {
            let sent = [("x-request-id", bad.to_owned())];
            let replaced = server
                .send(Request::new(Method::GET, "/crud/rdy").headers(&sent))
                .await;
            let id = replaced.header("x-request-id").expect("an id");
            assert!(
                id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
                "{id}"
            );
        }
        let fresh = server
            .send(Request::new(Method::GET, "/crud/s/post/many"))
            .await;
        assert_eq!(
            fresh.header("x-request-id").map(str::len),
            Some(32),
            "errors too"
        );
    }
);

blog_test!(
    async fn json_logs_name_each_request_and_hold_no_secret(server: TestServer) {
        let logs = ferrocrud_tests::logs::path();
        let email = "logged@blog.test";
        let password = "first-secret-pass-1";
        let new_password = "second-secret-pass-2";
        let tagged = |id: &str| [("x-request-id", format!("logs-{id}"))];
        let account = json!({"email": email, "password": password, "role": "user"});
        let created = server
            .send(
                Request::new(Method::POST, "/crud/s/user/cmd/create_account")
                    .body(account)
                    .headers(&tagged("create")),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let user_id = created.json()["userId"]
            .as_str()
            .expect("userId")
            .to_owned();
        let first_token = server.login(email, password).await;
        let reset = reset_token(&server, email).await;
        let dto = json!({"token_id": reset, "newPassword": new_password});
        let answer = cmd_s(&server, "reset_password", dto, None).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let token = server.login(email, new_password).await;
        let read = server
            .send(
                Request::crud(Method::GET, "user", "one")
                    .query(json!({ "id": user_id }))
                    .token(Some(&token))
                    .headers(&tagged("read")),
            )
            .await;
        assert_eq!(read.status, 200, "{}", read.text);

        let created_lines = lines_with(logs, "logs-create");
        assert_eq!(created_lines.len(), 1, "{created_lines:?}");
        let line = &created_lines[0];
        assert_eq!(line["target"], ACCESS_TARGET);
        assert_eq!(line["operation"], "cmd/create_account");
        assert_eq!(line["status"], 201);
        assert!(line["duration_us"].is_u64(), "{line}");
        let read_lines = lines_with(logs, "logs-read");
        assert_eq!(read_lines.len(), 1, "{read_lines:?}");
        assert_eq!(read_lines[0]["span"]["user_id"], user_id.as_str());

        let text = std::fs::read_to_string(logs).expect("log file");
        let (random, _) = reset.split_once('_').expect("a reset token");
        for secret in [password, new_password, &first_token, &token, random] {
            assert!(
                !text.contains(secret),
                "a secret reached the logs: {secret}"
            );
        }
    }
);
