//! Per-user command limits (`max_uses_per_user`, `min_time_between_calls`)
//! and batch fields, on the fixture's commands of service `post`.

use ferrocrud_tests::{TestServer, fixture_test};
use reqwest::Method;
use serde_json::{Value, json};

async fn limited(server: &TestServer, dto: Value, token: Option<&str>) -> ferrocrud_tests::Answer {
    server
        .cmd(Method::POST, "post", "limited", dto, token)
        .await
}

const MAX_USES_BODY: &str = r#"{"message":"You have reached the maximum uses for this command (2)","error":"Forbidden","statusCode":403,"code":106}"#;

fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since_epoch.as_millis()).expect("milliseconds fit")
}

fixture_test!(
    async fn max_uses_per_user_refuses_the_third_call(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        for call in 1..=2 {
            let answer = limited(&server, json!({}), Some(&token)).await;
            assert_eq!(
                (answer.status, answer.text.as_str()),
                (201, "true"),
                "call {call}"
            );
        }
        let third = limited(&server, json!({}), Some(&token)).await;
        assert_eq!((third.status, third.text.as_str()), (403, MAX_USES_BODY));
    }
);

fixture_test!(
    async fn a_failed_call_gives_its_use_back(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        let failed = limited(&server, json!({"fail": true}), Some(&token)).await;
        assert_eq!(failed.status, 400);
        assert_eq!(failed.message(), ferrocrud_tests::fixture::LIMITED_FAILURE);
        for call in 1..=2 {
            let answer = limited(&server, json!({}), Some(&token)).await;
            assert_eq!(answer.status, 201, "call {call}: {}", answer.text);
        }
        let third = limited(&server, json!({}), Some(&token)).await;
        assert_eq!(third.text, MAX_USES_BODY);
    }
);

fixture_test!(
    async fn uses_are_counted_per_user(server: TestServer) {
        let (_, first) = server.user("a@blog.test").await;
        let (_, second) = server.user("b@blog.test").await;
        for _ in 0..2 {
            assert_eq!(limited(&server, json!({}), Some(&first)).await.status, 201);
        }
        assert_eq!(limited(&server, json!({}), Some(&first)).await.status, 403);
        assert_eq!(limited(&server, json!({}), Some(&second)).await.status, 201);
    }
);

fixture_test!(
    async fn guests_are_not_counted(server: TestServer) {
        for call in 1..=4 {
            let answer = limited(&server, json!({}), None).await;
            assert_eq!(answer.status, 201, "call {call}: {}", answer.text);
        }
    }
);

fixture_test!(
    async fn a_second_call_within_the_interval_is_429_code_14(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        let before = now_ms();
        let first = server
            .cmd(Method::POST, "post", "slow", json!({}), Some(&token))
            .await;
        assert_eq!((first.status, first.text.as_str()), (201, "true"));
        let second = server
            .cmd(Method::POST, "post", "slow", json!({}), Some(&token))
            .await;
        let after = now_ms();
        assert_eq!(second.status, 429);
        let body = second.json();
        let next = body["data"]["nextAllowedCall"]
            .as_i64()
            .expect("nextAllowedCall in epoch ms");
        assert!(
            next >= before + 60_000 - 1_000 && next <= after + 60_000,
            "nextAllowedCall {next} is the first call plus 60 s ({before}..{after})"
        );
        assert_eq!(
            second.text,
            format!(
                r#"{{"statusCode":429,"error":"Too Many Requests","message":"{{\"message\":\"Wait until\",\"code\":14,\"data\":{{\"nextAllowedCall\":{next}}}}}","code":14,"data":{{"nextAllowedCall":{next}}}}}"#
            )
        );
    }
);

fixture_test!(
    async fn a_failed_call_does_not_start_the_interval(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        let failed = server
            .cmd(
                Method::POST,
                "post",
                "slow",
                json!({"fail": true}),
                Some(&token),
            )
            .await;
        assert_eq!(
            (failed.status, failed.message()),
            (400, ferrocrud_tests::fixture::SLOW_FAILURE.to_owned())
        );
        let next = server
            .cmd(Method::POST, "post", "slow", json!({}), Some(&token))
            .await;
        assert_eq!(next.status, 201, "{}", next.text);
    }
);

fixture_test!(
    async fn the_interval_is_per_user(server: TestServer) {
        let (_, first) = server.user("a@blog.test").await;
        let (_, second) = server.user("b@blog.test").await;
        let call = |token: String| {
            let server = server.clone();
            async move {
                server
                    .cmd(Method::POST, "post", "slow", json!({}), Some(&token))
                    .await
                    .status
            }
        };
        assert_eq!(call(first.clone()).await, 201);
        assert_eq!(call(first).await, 429);
        assert_eq!(call(second).await, 201);
    }
);

fixture_test!(
    async fn batch_field_within_the_role_size_is_accepted(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        let answer = server
            .cmd(
                Method::POST,
                "post",
                "echo_batch",
                json!({"items": ["a", "b", "c"]}),
                Some(&token),
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        assert_eq!(answer.json(), json!(["a", "b", "c"]));
    }
);

fixture_test!(
    async fn batch_field_over_the_role_size_is_400_code_13(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        let answer = server
            .cmd(
                Method::POST,
                "post",
                "echo_batch",
                json!({"items": ["a", "b", "c", "d"]}),
                Some(&token),
            )
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.text,
            r#"{"message":"{\"message\":\"Max batch size exceeded\",\"code\":13,\"data\":{\"maxBatchSize\":3,\"batchSize\":4,\"field\":\"items\"}}","error":"Bad Request","statusCode":400,"code":13,"data":{"maxBatchSize":3,"batchSize":4,"field":"items"}}"#
        );
    }
);

fixture_test!(
    async fn batch_field_size_is_inherited(server: TestServer) {
        let token = server
            .login(ferrocrud_tests::MODERATOR.0, ferrocrud_tests::MODERATOR.1)
            .await;
        let three = json!({"items": ["a", "b", "c"]});
        let ok = server
            .cmd(Method::POST, "post", "echo_batch", three, Some(&token))
            .await;
        assert_eq!(ok.status, 201, "{}", ok.text);
        let four = json!({"items": ["a", "b", "c", "d"]});
        let refused = server
            .cmd(Method::POST, "post", "echo_batch", four, Some(&token))
            .await;
        assert_eq!(
            (refused.status, refused.json()["data"].clone()),
            (
                400,
                json!({"maxBatchSize": 3, "batchSize": 4, "field": "items"})
            )
        );
    }
);

fixture_test!(
    async fn batch_field_that_is_not_an_array_is_400_code_19(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        for dto in [
            json!({"items": "a"}),
            json!({"items": {"0": "a"}}),
            json!({}),
        ] {
            let answer = server
                .cmd(
                    Method::POST,
                    "post",
                    "echo_batch",
                    dto.clone(),
                    Some(&token),
                )
                .await;
            assert_eq!(answer.status, 400, "{dto}");
            assert_eq!(
                answer.text,
                r#"{"message":"{\"message\":\"Payload must be an array\",\"code\":19}","error":"Bad Request","statusCode":400,"code":19}"#,
                "{dto}"
            );
        }
    }
);

fixture_test!(
    async fn empty_batch_field_is_400(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        let answer = server
            .cmd(
                Method::POST,
                "post",
                "echo_batch",
                json!({"items": []}),
                Some(&token),
            )
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.message(), "Batchsize must be at least 1");
        assert_eq!(answer.code(), Some(13));
    }
);

fixture_test!(
    async fn a_role_without_a_command_batch_size_cannot_batch(server: TestServer) {
        let answer = server
            .cmd(
                Method::POST,
                "post",
                "echo_batch",
                json!({"items": ["a"]}),
                None,
            )
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.json()["data"],
            json!({"maxBatchSize": 0, "batchSize": 1, "field": "items"})
        );
    }
);
