//! create_account, login, check_jwt, logout.

use base64::Engine as _;
use ferrocrud_tests::{Request, blog_test};
use reqwest::Method;
use serde_json::{Value, json};

fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("payload part");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

blog_test!(
    async fn create_account_answers_the_user_id(server: TestServer) {
        let answer = server
            .cmd(
                Method::POST,
                "user",
                "create_account",
                json!({"email": "a@blog.test", "password": "pass-A-123456", "role": "user"}),
                None,
            )
            .await;
        assert_eq!(answer.status, 201);
        assert_eq!(
            answer.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        let body = answer.json();
        assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
        assert!(body["userId"].as_str().is_some_and(|id| id.len() == 36));
    }
);

blog_test!(
    async fn create_account_log_me_in_gives_a_working_token(server: TestServer) {
        let dto = json!({"email": "b@blog.test", "password": "pass-B-123456", "role": "user", "logMeIn": true});
        let answer = server
            .cmd(Method::POST, "user", "create_account", dto, None)
            .await;
        assert_eq!(answer.status, 201);
        let body = answer.json();
        let token = body["accessToken"].as_str().expect("accessToken");
        let check = server
            .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(token))
            .await;
        assert_eq!(check.status, 200);
        assert_eq!(
            check.json(),
            json!({"accessToken": null, "refreshTokenSec": null, "userId": body["userId"]})
        );
    }
);

blog_test!(
    async fn create_account_trims_and_lowercases_the_email(server: TestServer) {
        let id = server
            .create_account("  MIXED.Case@BLOG.TEST ", "pass-C-123456")
            .await;
        let answer = server
            .cmd(
                Method::PATCH,
                "user",
                "login",
                json!({"email": "mixed.case@blog.test", "password": "pass-C-123456"}),
                None,
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.json()["userId"], id);
    }
);

blog_test!(
    async fn duplicate_email_is_code_16(server: TestServer) {
        server
            .create_account("dup@blog.test", "pass-A-123456")
            .await;
        let dto = json!({"email": "dup@blog.test", "password": "pass-A-123456", "role": "user"});
        let answer = server
            .cmd(Method::POST, "user", "create_account", dto, None)
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.message(),
            r#"{"message":"An account with this username already exists.","code":16}"#
        );
        assert_eq!(answer.json()["error"], "Bad Request");
        assert_eq!(answer.code(), Some(16));
    }
);

blog_test!(
    async fn guest_cannot_create_an_admin(server: TestServer) {
        let dto = json!({"email": "x1@blog.test", "password": "pass-A-123456", "role": "admin"});
        let answer = server
            .cmd(Method::POST, "user", "create_account", dto, None)
            .await;
        assert_eq!(answer.status, 403);
        assert_eq!(
            answer.json(),
            json!({"message": "Role guest is not allowed to POST user create_account - guest failed on email ", "error": "Forbidden", "statusCode": 403, "code": 104})
        );
        let login = server
            .cmd(
                Method::PATCH,
                "user",
                "login",
                json!({"email": "x1@blog.test", "password": "pass-A-123456"}),
                None,
            )
            .await;
        assert_eq!(login.status, 401, "no account was created");
    }
);

blog_test!(
    async fn create_account_validation_errors(server: TestServer) {
        let cases = [
            (
                json!({"email": "x2@blog.test", "role": "user"}),
                "password",
                "minLength",
            ),
            (
                json!({"email": "x2b@blog.test", "password": "pass-A-123456"}),
                "role",
                "isString",
            ),
            (
                json!({"email": "not-an-email", "password": "pass-A-123456", "role": "user"}),
                "email",
                "isEmail",
            ),
            (
                json!({"email": "x3@blog.test", "password": "short", "role": "user"}),
                "password",
                "minLength",
            ),
            (
                json!({"email": "x5@blog.test", "password": "pass-A-123456", "role": "user", "isAdmin": true}),
                "isAdmin",
                "whitelistValidation",
            ),
        ];
        for (dto, property, constraint) in cases {
            let answer = server
                .cmd(Method::POST, "user", "create_account", dto.clone(), None)
                .await;
            assert_eq!(answer.status, 400, "{dto}");
            assert_eq!(
                answer.message(),
                format!(
                    "Validation error Data: An instance of CreateAccountDto has failed the validation:\n - property {property} has failed the following constraints: {constraint} \n"
                ),
                "{dto}"
            );
        }
    }
);

blog_test!(
    async fn oversized_password_is_code_23(server: TestServer) {
        let dto = json!({"email": "x4@blog.test", "password": "p".repeat(60), "role": "user"});
        let answer = server
            .cmd(Method::POST, "user", "create_account", dto, None)
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.message(),
            r#"{"message":"Field (password) size is too big. Add a @$MaxSize decorator on the field or increase defaultMaxSize.","code":23,"data":{"problemField":"password","fieldSize":62,"maxSize":50}}"#
        );
        assert_eq!(
            answer.json()["data"],
            json!({"problemField": "password", "fieldSize": 62, "maxSize": 50})
        );
    }
);

blog_test!(
    async fn login_answers_a_token_with_eicrud_claims(server: TestServer) {
        let id = server
            .create_account("login@blog.test", "pass-A-123456")
            .await;
        let answer = server
            .cmd(
                Method::PATCH,
                "user",
                "login",
                json!({"email": "login@blog.test", "password": "pass-A-123456"}),
                None,
            )
            .await;
        assert_eq!(answer.status, 200);
        let body = answer.json();
        let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["accessToken", "userId"]);
        assert_eq!(body["userId"], id);
        let claims = payload(body["accessToken"].as_str().expect("token"));
        let keys: Vec<&String> = claims.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["rvkd", "id", "iat", "exp"]);
        assert_eq!(claims["id"], id);
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            1800
        );
    }
);

blog_test!(
    async fn wrong_password_and_unknown_email_answer_alike(server: TestServer) {
        server
            .create_account("known@blog.test", "pass-A-123456")
            .await;
        let wrong = server
            .cmd(
                Method::PATCH,
                "user",
                "login",
                json!({"email": "known@blog.test", "password": "wrong-password-1"}),
                None,
            )
            .await;
        let unknown = server
            .cmd(
                Method::PATCH,
                "user",
                "login",
                json!({"email": "nobody@blog.test", "password": "pass-A-123456"}),
                None,
            )
            .await;
        assert_eq!(wrong.status, 401);
        assert_eq!(wrong.text, unknown.text);
        assert_eq!(
            wrong.message(),
            r#"{"message":"Invalid credentials","code":5}"#
        );
    }
);

blog_test!(
    async fn login_validation_errors(server: TestServer) {
        let oversized = server
            .cmd(
                Method::PATCH,
                "user",
                "login",
                json!({"email": "a@blog.test", "password": "p".repeat(70)}),
                None,
            )
            .await;
        assert_eq!(oversized.status, 400);
        assert_eq!(
            oversized.inner()["data"],
            json!({"problemField": "password", "fieldSize": 72, "maxSize": 50})
        );
        let missing = server
            .cmd(
                Method::PATCH,
                "user",
                "login",
                json!({"email": "a@blog.test"}),
                None,
            )
            .await;
        assert_eq!(missing.status, 400);
        assert_eq!(
            missing.message(),
            "Validation error Data: An instance of LoginDto has failed the validation:\n - property password has failed the following constraints: isString \n"
        );
    }
);

blog_test!(
    async fn check_jwt_without_token_is_401(server: TestServer) {
        let answer = server
            .cmd(Method::PATCH, "user", "check_jwt", json!({}), None)
            .await;
        assert_eq!(answer.status, 401);
        assert_eq!(answer.message(), "User not found.");
        assert_eq!(answer.header("set-cookie"), None);
    }
);

blog_test!(
    async fn garbage_and_tampered_tokens_are_401_and_clear_the_cookie(server: TestServer) {
        let garbage = server
            .cmd(
                Method::PATCH,
                "user",
                "check_jwt",
                json!({}),
                Some("not.a.jwt"),
            )
            .await;
        assert_eq!(garbage.status, 401);
        assert_eq!(garbage.message(), "invalid token");
        assert_eq!(
            garbage.header("set-cookie"),
            Some("eicrud-jwt=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
        );

        let (_, token) = server.user("tamper@blog.test").await;
        let (other_id, _) = server.user("other@blog.test").await;
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut claims = payload(&token);
        claims["id"] = Value::String(other_id);
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
        let forged = parts.join(".");
        let answer = server
            .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(&forged))
            .await;
        assert_eq!(answer.status, 401);
        assert_eq!(answer.message(), "invalid signature");
        assert!(answer.header("set-cookie").is_some());
    }
);

blog_test!(
    async fn logout_answers_empty_and_clears_the_cookie(server: TestServer) {
        let (_, token) = server.user("logout@blog.test").await;
        let answer = server
            .cmd(Method::PATCH, "user", "logout", json!({}), Some(&token))
            .await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.text, "");
        assert_eq!(
            answer.header("set-cookie"),
            Some("eicrud-jwt=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
        );
    }
);

blog_test!(
    async fn seeded_moderator_can_log_in(server: TestServer) {
        let token = server
            .login(ferrocrud_tests::MODERATOR.0, ferrocrud_tests::MODERATOR.1)
            .await;
        let answer = server
            .send(
                Request::new(Method::PATCH, "/crud/s/user/cmd/check_jwt")
                    .body(json!({}))
                    .token(Some(&token)),
            )
            .await;
        assert_eq!(answer.status, 200);
    }
);
