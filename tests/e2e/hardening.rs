//! Regression tests of defects found by a security review and a fuzzer, each
//! named after the defect it pins.

use ferrocrud_tests::{Answer, Request, TestServer, blog_test};
use reqwest::Method;
use serde_json::json;

use crate::users_support::PASSWORD;

/// The code of a body that is not JSON.
const UNSUPPORTED_MEDIA_TYPE: u64 = 113;

async fn login_with(server: &TestServer, content_type: &str, body: &str) -> Answer {
    server
        .send(Request::new(Method::PATCH, "/crud/s/user/cmd/login").raw_body(content_type, body))
        .await
}

blog_test!(
    async fn a_text_plain_login_is_refused_with_415(server: TestServer) {
        let email = "plain@blog.test";
        server.create_account(email, PASSWORD).await;
        let credentials = json!({ "email": email, "password": PASSWORD }).to_string();
        for content_type in [
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "",
        ] {
            let answer = login_with(&server, content_type, &credentials).await;
            assert_eq!(answer.status, 415, "{content_type:?}: {}", answer.text);
            assert_eq!(
                answer.code(),
                Some(UNSUPPORTED_MEDIA_TYPE),
                "{content_type:?}"
            );
            assert!(answer.header("set-cookie").is_none(), "{content_type:?}");
        }
        server.after_login_throttle().await;
        for content_type in ["application/json", "Application/JSON; charset=utf-8"] {
            let answer = login_with(&server, content_type, &credentials).await;
            assert_eq!(answer.status, 200, "{content_type:?}: {}", answer.text);
            server.after_login_throttle().await;
        }
    }
);

blog_test!(
    async fn a_cross_site_form_cannot_force_a_logout_by_a_401(server: TestServer) {
        // A form posting to check_jwt with the victim's (here: a bad) session
        // cookie: refused for its type before the cookie is read, so the
        // answer clears no cookie.
        let cookie = [("cookie", "eicrud-jwt=not-a-token".to_owned())];
        let answer = server
            .send(
                Request::new(Method::POST, "/crud/s/user/cmd/check_jwt")
                    .raw_body("application/x-www-form-urlencoded", "a=b")
                    .headers(&cookie),
            )
            .await;
        assert_eq!(answer.status, 415, "{}", answer.text);
        assert!(answer.header("set-cookie").is_none());
    }
);

blog_test!(
    async fn a_request_without_a_body_needs_no_content_type(server: TestServer) {
        let (_, token) = server.user("nobody@blog.test").await;
        let answer = server
            .send(
                Request::new(Method::PATCH, "/crud/s/user/cmd/check_jwt")
                    .raw_body("", "")
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
);
