//! Command modes (GET, POST, PATCH), secure mode, DTO validation and
//! unknown commands, on the fixture's commands of service `post`.

use ferrocrud_tests::{Request, fixture_test};
use reqwest::Method;
use serde_json::json;

fixture_test!(
    async fn get_mode_reads_the_dto_from_the_query(server: TestServer) {
        let answer = server
            .send(
                Request::new(Method::GET, "/crud/s/post/cmd/ping")
                    .query(json!({"message": "hi", "count": 2})),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(
            answer.json(),
            json!({"message": "hi", "count": 2, "userId": null})
        );
    }
);

fixture_test!(
    async fn get_mode_knows_the_user_of_the_token(server: TestServer) {
        let (id, token) = server.user("a@blog.test").await;
        let answer = server
            .send(
                Request::new(Method::GET, "/crud/s/post/cmd/ping")
                    .query(json!({"message": "hi"}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(
            answer.json(),
            json!({"message": "hi", "count": null, "userId": id})
        );
    }
);

fixture_test!(
    async fn get_mode_with_a_missing_required_field_is_400(server: TestServer) {
        let answer = server
            .send(Request::new(Method::GET, "/crud/s/post/cmd/ping").query(json!({"count": 1})))
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.text,
            r#"{"message":"DTO does not match its type","error":"Bad Request","statusCode":400,"code":10}"#
        );
    }
);

fixture_test!(
    async fn get_mode_without_allow_get_is_403_code_17(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        let answer = server
            .send(
                Request::new(Method::GET, "/crud/s/post/cmd/secure_echo")
                    .query(json!({"text": "hi"}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.text,
            r#"{"message":"{\"message\":\"GET method not allowed.\",\"code\":17}","error":"Forbidden","statusCode":403,"code":17}"#
        );
    }
);

fixture_test!(
    async fn post_mode_answers_201_and_patch_mode_200(server: TestServer) {
        let dto = json!({"message": "hello", "count": 7});
        let expected = json!({"message": "hello", "count": 7, "userId": null});
        let post = server
            .cmd(Method::POST, "post", "ping", dto.clone(), None)
            .await;
        assert_eq!((post.status, post.json()), (201, expected.clone()));
        let patch = server.cmd(Method::PATCH, "post", "ping", dto, None).await;
        assert_eq!((patch.status, patch.json()), (200, expected));
    }
);

fixture_test!(
    async fn secure_only_command_over_patch_is_403(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        let dto = json!({"text": "secret"});
        let patch = server
            .cmd(
                Method::PATCH,
                "post",
                "secure_echo",
                dto.clone(),
                Some(&token),
            )
            .await;
        assert_eq!(patch.status, 403);
        assert_eq!(
            patch.text,
            r#"{"message":"Command must be used in secure mode (POST)","error":"Forbidden","statusCode":403,"code":105}"#
        );
        let post = server
            .cmd(
                Method::POST,
                "post",
                "secure_echo",
                dto.clone(),
                Some(&token),
            )
            .await;
        assert_eq!((post.status, post.json()), (201, dto));
    }
);

fixture_test!(
    async fn max_uses_command_over_patch_by_a_user_is_403(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        let answer = server
            .cmd(Method::PATCH, "post", "limited", json!({}), Some(&token))
            .await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.message(),
            "Command must be used in secure mode (POST)"
        );
        assert_eq!(answer.code(), Some(105));
    }
);

fixture_test!(
    async fn max_uses_command_over_patch_by_a_guest_is_allowed(server: TestServer) {
        let answer = server
            .cmd(Method::PATCH, "post", "limited", json!({}), None)
            .await;
        assert_eq!((answer.status, answer.text.as_str()), (200, "true"));
    }
);

fixture_test!(
    async fn command_without_a_rule_for_the_role_is_403(server: TestServer) {
        let answer = server
            .cmd(
                Method::POST,
                "post",
                "secure_echo",
                json!({"text": "x"}),
                None,
            )
            .await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.message(),
            "Role guest is not allowed to POST post secure_echo - guest failed on all "
        );
    }
);

fixture_test!(
    async fn command_dto_validation_errors(server: TestServer) {
        let error = |property: &str, constraint: &str| {
            format!(
                "Validation error Data: An instance of PingDto has failed the validation:\n - property {property} has failed the following constraints: {constraint} \n"
            )
        };
        let cases = [
            (json!({"count": 1}), "message", "isString"),
            (json!({"message": 3}), "message", "isString"),
            (json!({"message": "x", "count": "two"}), "count", "isInt"),
            (
                json!({"message": "x", "extra": true}),
                "extra",
                "whitelistValidation",
            ),
        ];
        for (dto, property, constraint) in cases {
            let answer = server
                .cmd(Method::PATCH, "post", "ping", dto.clone(), None)
                .await;
            assert_eq!(answer.status, 400, "{dto}");
            assert_eq!(answer.message(), error(property, constraint), "{dto}");
            assert_eq!(answer.code(), Some(10), "{dto}");
        }
    }
);

fixture_test!(
    async fn oversized_command_field_is_code_23(server: TestServer) {
        let answer = server
            .cmd(
                Method::PATCH,
                "post",
                "ping",
                json!({"message": "m".repeat(60)}),
                None,
            )
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.inner(),
            json!({"message": "Field (message) size is too big. Add a @$MaxSize decorator on the field or increase defaultMaxSize.", "code": 23, "data": {"problemField": "message", "fieldSize": 62, "maxSize": 50}})
        );
    }
);

fixture_test!(
    async fn unknown_command_is_403_in_every_mode(server: TestServer) {
        for method in [Method::POST, Method::PATCH] {
            let answer = server
                .cmd(method.clone(), "post", "nope", json!({}), None)
                .await;
            assert_eq!(answer.status, 403, "{method}");
            assert_eq!(
                answer.text,
                r#"{"message":"Command nope not found in security map","error":"Forbidden","statusCode":403,"code":103}"#,
                "{method}"
            );
        }
        let get = server
            .send(Request::new(Method::GET, "/crud/s/post/cmd/nope").query(json!({})))
            .await;
        assert_eq!((get.status, get.code()), (403, Some(103)));
    }
);
