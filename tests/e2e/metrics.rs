//! The metrics listener: what a login, a read and a refused command move in
//! `/metrics`, and label values that stay within what the server serves.

use std::collections::BTreeMap;

use ferrocrud_tests::{Request, TestServer, blog_test, fixture_test};
use reqwest::Method;
use serde_json::json;

/// Every sample of the scrape: `name{labels}` to its value.
async fn scrape(server: &TestServer) -> BTreeMap<String, f64> {
    let answer = reqwest::get(&server.metrics_url)
        .await
        .expect("metrics answer");
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers()["content-type"],
        ferrocrud::metrics::CONTENT_TYPE
    );
    let text = answer.text().await.expect("metrics text");
    text.lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').expect("a sample");
            (name.to_owned(), value.parse().expect("a number"))
        })
        .collect()
}

fn value(samples: &BTreeMap<String, f64>, name: &str) -> f64 {
    samples.get(name).copied().unwrap_or(0.0)
}

blog_test!(
    async fn a_login_moves_the_login_and_hashing_series(server: TestServer) {
        let before = scrape(&server).await;
        let email = "metered@blog.test";
        let (id, token) = server.user(email).await;
        server.after_login_throttle().await;
        let wrong = json!({"email": email, "password": "not-the-password"});
        let refused = server
            .cmd(Method::PATCH, "user", "login", wrong, None)
            .await;
        assert_eq!(refused.status, 401, "{}", refused.text);
        let read = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .query(json!({ "owner": id }))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(read.status, 200, "{}", read.text);
        let after = scrape(&server).await;

        let moved = |name: &str| value(&after, name) - value(&before, name);
        assert_eq!(moved(r#"ferrocrud_logins_total{outcome="success"}"#), 1.0);
        assert_eq!(
            moved(r#"ferrocrud_logins_total{outcome="wrong_password"}"#),
            1.0
        );
        // The account's hash, then two verifications.
        assert_eq!(moved("ferrocrud_password_hashes_total"), 3.0);
        assert_eq!(value(&after, "ferrocrud_password_hash_queue_depth"), 0.0);
        assert_eq!(
            value(&after, "ferrocrud_password_hash_rejections_total"),
            0.0
        );
        assert_eq!(
            moved(
                r#"ferrocrud_http_request_duration_seconds_count{service="user",operation="cmd:login",status="200"}"#
            ),
            1.0
        );
        assert_eq!(
            moved(
                r#"ferrocrud_http_request_duration_seconds_count{service="post",operation="find",status="200"}"#
            ),
            1.0
        );
        assert!(
            moved("ferrocrud_user_cache_hits_total") + moved("ferrocrud_user_cache_misses_total")
                >= 1.0,
            "the read checked its token"
        );
        assert!(value(&after, r#"ferrocrud_db_pool_connections{state="idle"}"#) >= 0.0);
        assert!(after.contains_key(r#"ferrocrud_db_pool_connections{state="in_use"}"#));
        assert!(after.contains_key("ferrocrud_http_requests_in_flight"));
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(
            value(
                &after,
                &format!(
                    r#"ferrocrud_build_info{{version="{version}",app="blog",app_version="{version}"}}"#
                )
            ),
            1.0,
            "{after:?}"
        );
    }
);

blog_test!(
    async fn labels_never_hold_what_a_client_invents(server: TestServer) {
        for path in [
            "/crud/s/invented-service/one",
            "/crud/s/user/cmd/invented_command",
        ] {
            let answer = server.send(Request::new(Method::GET, path)).await;
            assert!(answer.status >= 400, "{path}: {}", answer.status);
        }
        let samples = scrape(&server).await;
        let invented: Vec<&String> = samples
            .keys()
            .filter(|name| name.contains("invented"))
            .collect();
        assert!(invented.is_empty(), "{invented:?}");
        assert!(
            samples.keys().any(|name| name.starts_with(
                r#"ferrocrud_http_request_duration_seconds_count{service="unknown",operation="unknown""#
            )),
            "{samples:?}"
        );
        assert!(
            samples.keys().any(|name| name.starts_with(
                r#"ferrocrud_http_request_duration_seconds_count{service="user",operation="unknown""#
            )),
            "{samples:?}"
        );
    }
);

fixture_test!(
    async fn refused_command_calls_are_counted_by_limit(server: TestServer) {
        let (_, token) = server.user("limited@blog.test").await;
        let call = || {
            server.cmd(
                Method::POST,
                "post",
                "limited",
                json!({}),
                Some(token.as_str()),
            )
        };
        for _ in 0..2 {
            assert_eq!(call().await.status, 201);
        }
        assert_eq!(call().await.status, 403);
        let samples = scrape(&server).await;
        assert_eq!(
            value(
                &samples,
                r#"ferrocrud_command_limit_refusals_total{limit="max_uses"}"#
            ),
            1.0
        );
    }
);
