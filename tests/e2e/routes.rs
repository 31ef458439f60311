//! Routing, decoding and the error table.

use ferrocrud_tests::{Request, blog_test};
use reqwest::Method;
use serde_json::json;

blog_test!(
    async fn ready_answers_true(server: TestServer) {
        let answer = server.send(Request::new(Method::GET, "/crud/rdy")).await;
        assert_eq!((answer.status, answer.text.as_str()), (200, "true"));
    }
);

blog_test!(
    async fn unknown_service_is_400(server: TestServer) {
        let answer = server
            .send(
                Request::crud(Method::GET, "nope-service", "many")
                    .options(json!({}))
                    .query(json!({})),
            )
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.json(),
            json!({"message": "Service not found: nope-service", "error": "Bad Request", "statusCode": 400, "code": 102})
        );
    }
);

blog_test!(
    async fn unknown_command_is_403(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        let answer = server
            .cmd(Method::POST, "user", "no_such_cmd", json!({}), Some(&token))
            .await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.message(),
            "Command no_such_cmd not found in security map"
        );
    }
);

blog_test!(
    async fn malformed_json_parameters_are_400(server: TestServer) {
        let answer = server
            .send(Request::new(Method::GET, "/crud/s/post/many?query=%7Bnope"))
            .await;
        assert_eq!((answer.status, answer.code()), (400, Some(100)));
        let answer = server
            .send(Request::new(
                Method::GET,
                "/crud/s/post/many?options=%7Bnope",
            ))
            .await;
        assert_eq!((answer.status, answer.code()), (400, Some(100)));
        let answer = server
            .send(Request::new(Method::GET, "/crud/s/post/many?service=post"))
            .await;
        assert_eq!((answer.status, answer.code()), (400, Some(110)));
        let answer = server
            .send(Request::crud(Method::GET, "post", "many").options(json!({"limit": -1})))
            .await;
        assert_eq!(answer.status, 400);
    }
);

blog_test!(
    async fn empty_create_body_fails_validation(server: TestServer) {
        let (_, token) = server.user("a@blog.test").await;
        let answer = server
            .send(
                Request::crud(Method::POST, "post", "one")
                    .headers(&[("content-type", "application/json".into())])
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(
            answer.status, 400,
            "an empty create body fails validation: {}",
            answer.text
        );
    }
);

blog_test!(
    async fn oversized_body_is_413(server: TestServer) {
        let big = "x".repeat(2 * 1024 * 1024);
        let answer = server
            .send(Request::crud(Method::POST, "post", "one").body(json!({"title": big})))
            .await;
        assert_eq!((answer.status, answer.code()), (413, Some(101)));
    }
);

blog_test!(
    async fn unknown_routes_are_404(server: TestServer) {
        let answer = server
            .send(Request::new(Method::GET, "/crud/s/post/nowhere"))
            .await;
        assert_eq!(answer.status, 404);
        assert_eq!(answer.message(), "Cannot GET /crud/s/post/nowhere");
        let answer = server
            .send(Request::new(Method::PUT, "/crud/s/post/one"))
            .await;
        assert_eq!(answer.status, 404);
    }
);

blog_test!(
    async fn get_is_refused_for_commands_without_allow_get(server: TestServer) {
        let answer = server
            .cmd(Method::GET, "user", "login", json!({}), None)
            .await;
        assert_eq!(answer.status, 403);
        assert_eq!(answer.code(), Some(17));
    }
);

blog_test!(
    async fn serves_its_openapi_document(server: TestServer) {
        let answer = server
            .send(Request::new(Method::GET, "/crud/openapi.json"))
            .await;
        assert_eq!(answer.status, 200);
        let document = answer.json();
        assert_eq!(document["openapi"], "3.1.0");
        let paths = document["paths"].as_object().expect("paths");
        for path in [
            "/crud/s/post/one",
            "/crud/s/post/many",
            "/crud/s/post/in",
            "/crud/s/post/ids",
            "/crud/s/post/batch",
            "/crud/s/user/cmd/login",
            "/crud/s/user/cmd/create_account",
            "/crud/rdy",
        ] {
            assert!(paths.contains_key(path), "missing {path}");
        }
        assert_eq!(
            document["paths"]["/crud/s/post/one"]["post"]["responses"]["201"]["content"]["application/json"]
                ["schema"]["$ref"],
            "#/components/schemas/Post"
        );
        let user = &document["components"]["schemas"]["User"]["properties"];
        assert!(
            user.get("password").is_none(),
            "secrets are not documented as readable"
        );
        assert!(
            !answer.text.contains("#/$defs/"),
            "every reference points into the components"
        );
    }
);
