//! Cookie mode with CSRF, Basic auth, and token renewal.

use base64::Engine as _;
use ferrocrud::app::App;
use ferrocrud::service::CrudService;
use ferrocrud::storage::testing::run_db_test;
use ferrocrud::user::{CrudUserService, UserOptions};
use ferrocrud_tests::{Answer, Request, TestServer, blog_test};
use reqwest::Method;
use serde_json::{Value, json};

fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("payload part");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

/// The value of a `set-cookie` header named `name`.
fn set_cookie<'a>(answer: &'a Answer, name: &str) -> Option<&'a str> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
}

fn cookie_value(set_cookie: &str) -> String {
    let first = set_cookie.split(';').next().unwrap_or("");
    first
        .split_once('=')
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

struct CookieSession {
    jwt: String,
    csrf: String,
    body_token: String,
}

async fn cookie_login(server: &TestServer, email: &str) -> CookieSession {
    server.create_account(email, "cookie-pass-123").await;
    let answer = server
        .send(
            Request::new(Method::PATCH, "/crud/s/user/cmd/login")
                .options(json!({"jwtCookie": true}))
                .body(json!({"email": email, "password": "cookie-pass-123"})),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let jwt_cookie = set_cookie(&answer, "eicrud-jwt").expect("eicrud-jwt cookie");
    assert!(
        jwt_cookie.ends_with("; Path=/; HttpOnly; Secure; SameSite=Lax"),
        "{jwt_cookie}"
    );
    let csrf_cookie = set_cookie(&answer, "eicrud-csrf").expect("eicrud-csrf cookie");
    assert!(
        csrf_cookie.ends_with("; Path=/; Secure; SameSite=Lax"),
        "{csrf_cookie}"
    );
    assert!(
        !csrf_cookie.contains("HttpOnly"),
        "the page must read the CSRF cookie"
    );
    CookieSession {
        jwt: cookie_value(jwt_cookie),
        csrf: cookie_value(csrf_cookie),
        body_token: answer.json()["accessToken"]
            .as_str()
            .expect("accessToken")
            .to_owned(),
    }
}

fn cookies(session: &CookieSession) -> String {
    format!("eicrud-jwt={}; eicrud-csrf={}", session.jwt, session.csrf)
}

blog_test!(
    async fn cookie_login_binds_the_session_to_a_csrf_nonce(server: TestServer) {
        let session = cookie_login(&server, "cookie@blog.test").await;
        let (jwt, nonce) = session.body_token.split_once('#').expect("<jwt>#<nonce>");
        assert_eq!(jwt, session.jwt);
        assert_eq!(payload(jwt)["csrf"], nonce);
        let keys: Vec<String> = payload(jwt)
            .as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["rvkd", "id", "csrf", "iat", "exp"]);
        assert_eq!(session.csrf.len(), 64, "hex HMAC-SHA256");
    }
);

blog_test!(
    async fn cookie_session_needs_the_csrf_header_on_writes(server: TestServer) {
        let session = cookie_login(&server, "cookie@blog.test").await;
        let jar = cookies(&session);
        let with_header = [
            ("cookie", jar.clone()),
            ("eicrud-csrf", session.csrf.clone()),
        ];
        let ok = server
            .send(
                Request::new(Method::PATCH, "/crud/s/user/cmd/check_jwt")
                    .options(json!({"jwtCookie": true}))
                    .body(json!({}))
                    .headers(&with_header),
            )
            .await;
        assert_eq!(ok.status, 200, "{}", ok.text);

        let without = [("cookie", jar.clone())];
        let refused = server
            .send(
                Request::new(Method::PATCH, "/crud/s/user/cmd/check_jwt")
                    .body(json!({}))
                    .headers(&without),
            )
            .await;
        assert_eq!(refused.status, 401);
        assert_eq!(
            refused.json(),
            json!({"message": "CSRF token mismatch.", "error": "Unauthorized", "statusCode": 401, "code": 107})
        );
        assert_eq!(
            refused.header("set-cookie"),
            Some("eicrud-jwt=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
        );

        let wrong = [("cookie", jar.clone()), ("eicrud-csrf", "0".repeat(64))];
        let refused = server
            .send(
                Request::new(Method::PATCH, "/crud/s/user/cmd/check_jwt")
                    .body(json!({}))
                    .headers(&wrong),
            )
            .await;
        assert_eq!(
            (refused.status, refused.message()),
            (401, "CSRF token mismatch.".to_owned())
        );
    }
);

blog_test!(
    async fn a_csrf_token_of_another_session_is_refused(server: TestServer) {
        let mine = cookie_login(&server, "mine@blog.test").await;
        let theirs = cookie_login(&server, "theirs@blog.test").await;
        let jar = format!("eicrud-jwt={}; eicrud-csrf={}", mine.jwt, theirs.csrf);
        let headers = [("cookie", jar), ("eicrud-csrf", theirs.csrf.clone())];
        let refused = server
            .send(
                Request::new(Method::PATCH, "/crud/s/user/cmd/check_jwt")
                    .body(json!({}))
                    .headers(&headers),
            )
            .await;
        assert_eq!(
            (refused.status, refused.message()),
            (401, "CSRF token JWT mismatch.".to_owned())
        );
    }
);

blog_test!(
    async fn reads_need_only_the_cookie(server: TestServer) {
        let session = cookie_login(&server, "reader@blog.test").await;
        let user_id = payload(&session.jwt)["id"].clone();
        let headers = [("cookie", cookies(&session))];
        let answer = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({"jwtCookie": true}))
                    .query(json!({"owner": user_id}))
                    .headers(&headers),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.json(), json!({"data": [], "total": 0, "limit": 40}));
    }
);

blog_test!(
    async fn logout_clears_the_session_cookie(server: TestServer) {
        let session = cookie_login(&server, "out@blog.test").await;
        let headers = [
            ("cookie", cookies(&session)),
            ("eicrud-csrf", session.csrf.clone()),
        ];
        let answer = server
            .send(
                Request::new(Method::PATCH, "/crud/s/user/cmd/logout")
                    .options(json!({"jwtCookie": true}))
                    .body(json!({}))
                    .headers(&headers),
            )
            .await;
        assert_eq!((answer.status, answer.text.as_str()), (200, ""));
        assert_eq!(
            answer.header("set-cookie"),
            Some("eicrud-jwt=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
        );
    }
);

blog_test!(
    /// eicrud accepts a token minted without a CSRF nonce from the cookie, with
    /// no CSRF check at all (its bug #18); here a cookie must hold a cookie-mode token.
    async fn regression_plain_token_in_the_cookie_is_refused(server: TestServer) {
        let (_, token) = server.user("plain@blog.test").await;
        let headers = [("cookie", format!("eicrud-jwt={token}"))];
        let get = server
            .send(
                Request::new(Method::PATCH, "/crud/s/user/cmd/check_jwt")
                    .body(json!({}))
                    .headers(&headers),
            )
            .await;
        assert_eq!(
            (get.status, get.message()),
            (401, "CSRF token mismatch.".to_owned())
        );
    }
);

blog_test!(
    async fn basic_auth_logs_in_for_one_request(server: TestServer) {
        let (id, _) = server.user("basic@blog.test").await;
        server.after_login_throttle().await;
        let credentials =
            base64::engine::general_purpose::STANDARD.encode("basic@blog.test:pass-word-123");
        let headers = [("authorization", format!("Basic {credentials}"))];
        let answer = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({}))
                    .query(json!({"owner": id}))
                    .headers(&headers),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);

        server.after_login_throttle().await;
        let wrong =
            base64::engine::general_purpose::STANDARD.encode("basic@blog.test:wrong-password");
        let headers = [("authorization", format!("Basic {wrong}"))];
        let refused = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({}))
                    .query(json!({"owner": id}))
                    .headers(&headers),
            )
            .await;
        assert_eq!((refused.status, refused.code()), (401, Some(5)));
        let garbage = [("authorization", "Basic !!!".to_owned())];
        let refused = server
            .send(
                Request::crud(Method::GET, "post", "many")
                    .options(json!({}))
                    .headers(&garbage),
            )
            .await;
        assert_eq!((refused.status, refused.code()), (401, Some(5)));
    }
);

/// A blog-like app whose user service renews tokens at every `check_jwt`.
async fn renewing_app(db: ferrocrud::storage::Db) -> (String, tokio::sync::oneshot::Sender<()>) {
    let mut options = UserOptions::new("renewal secret");
    options.renew_jwt = true;
    options.renew_after_fraction = 0.0;
    let users = CrudUserService::<blog::user::Entity>::with_entity(
        db.clone(),
        options,
        ferrocrud::email::ConsoleMailer,
    )
    .expect("user service");
    let posts = CrudService::<blog::post::Entity>::new(db.clone()).expect("post service");
    let app = App::builder(db)
        .roles(blog::security::roles())
        .user_service(users, blog::security::users())
        .service(posts, blog::security::posts())
        .build()
        .await
        .expect("app");
    ferrocrud_tests::serve_app(app).await
}

async fn call(
    url: &str,
    path: &str,
    body: Value,
    headers: &[(&str, String)],
) -> (u16, Value, Vec<String>) {
    let mut request = reqwest::Client::new()
        .patch(format!("{url}{path}"))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let response = request.send().await.expect("answer");
    let status = response.status().as_u16();
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        cookies,
    )
}

#[test]
fn check_jwt_renews_tokens_when_configured() {
    run_db_test("check_jwt_renews_tokens_when_configured", |db| async move {
        let (url, stop) = renewing_app(db).await;
        let account = json!({"email": "renew@blog.test", "password": "pass-word-123", "role": "user", "logMeIn": true});
        let (status, created, _) =
            call(&url, "/crud/s/user/cmd/create_account", account, &[]).await;
        assert_eq!(status, 200, "PATCH create_account: {created}");
        let token = created["accessToken"].as_str().expect("token").to_owned();
        let bearer = [("authorization", format!("Bearer {token}"))];
        let (status, answer, _) =
            call(&url, "/crud/s/user/cmd/check_jwt", json!({}), &bearer).await;
        assert_eq!(status, 200);
        assert_eq!(answer["refreshTokenSec"], 1800);
        let renewed = answer["accessToken"]
            .as_str()
            .expect("renewed token")
            .to_owned();
        let bearer = [("authorization", format!("Bearer {renewed}"))];
        let (status, again, _) = call(&url, "/crud/s/user/cmd/check_jwt", json!({}), &bearer).await;
        assert_eq!(
            (status, again["userId"].clone()),
            (200, created["userId"].clone())
        );
        let _ = stop.send(());
    });
}

#[test]
fn cookie_sessions_are_renewed_in_cookies() {
    run_db_test("cookie_sessions_are_renewed_in_cookies", |db| async move {
        let (url, stop) = renewing_app(db).await;
        let account =
            json!({"email": "renewc@blog.test", "password": "pass-word-123", "role": "user"});
        call(&url, "/crud/s/user/cmd/create_account", account, &[]).await;
        let login = json!({"email": "renewc@blog.test", "password": "pass-word-123"});
        let (status, _, set) = call(
            &url,
            "/crud/s/user/cmd/login?options=%7B%22jwtCookie%22%3Atrue%7D",
            login,
            &[],
        )
        .await;
        assert_eq!(status, 200);
        let jwt = set
            .iter()
            .find(|c| c.starts_with("eicrud-jwt="))
            .map(|c| cookie_value(c))
            .expect("jwt cookie");
        let csrf = set
            .iter()
            .find(|c| c.starts_with("eicrud-csrf="))
            .map(|c| cookie_value(c))
            .expect("csrf cookie");
        let headers = [
            ("cookie", format!("eicrud-jwt={jwt}; eicrud-csrf={csrf}")),
            ("eicrud-csrf", csrf.clone()),
        ];
        let (status, answer, set) =
            call(&url, "/crud/s/user/cmd/check_jwt", json!({}), &headers).await;
        assert_eq!(status, 200);
        assert_eq!(
            answer["accessToken"],
            Value::Null,
            "cookie sessions are renewed in cookies only"
        );
        assert!(
            set.iter()
                .any(|c| c.starts_with("eicrud-jwt=") && !c.starts_with("eicrud-jwt=;")),
            "{set:?}"
        );
        assert!(set.iter().any(|c| c.starts_with("eicrud-csrf=")), "{set:?}");
        let _ = stop.send(());
    });
}

blog_test!(
    async fn the_blog_does_not_renew_by_default(server: TestServer) {
        let (_, token) = server.user("norenew@blog.test").await;
        let answer = server
            .cmd(Method::PATCH, "user", "check_jwt", json!({}), Some(&token))
            .await;
        assert_eq!(answer.json()["accessToken"], Value::Null);
    }
);
