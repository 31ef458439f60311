//! The typed Rust client (`ferrocrud-client`) against a real server.

use blog::post::Model as Post;
use ferrocrud::storage::format_timestamp;
use ferrocrud_client::shared::user::{CreateAccountDto, LoginDto, TimeoutUserDto};
use ferrocrud_client::{Client, ClientConfig, CrudOptions, ErrorCode};
use ferrocrud_tests::fixture::{LimitedDto, PingDto, PingReturnDto};
use ferrocrud_tests::{Request, TestServer, blog_test, fixture_test};
use reqwest::Method;
use serde_json::json;

const PASSWORD: &str = "pass-word-123";

fn client(server: &TestServer) -> Client {
    Client::new(ClientConfig::new(server.url.as_str())).expect("a loopback URL")
}

/// A client logged in as a new account: (client, user id).
async fn logged_in(server: &TestServer, email: &str) -> (Client, String) {
    let client = client(server);
    let created = client
        .cmd_s(&CreateAccountDto {
            email: email.into(),
            password: PASSWORD.into(),
            role: "user".into(),
            username: None,
            log_me_in: None,
            profile: Default::default(),
        })
        .await
        .expect("account created");
    let login = client
        .login(&LoginDto {
            email: email.into(),
            password: PASSWORD.into(),
            two_fa_code: None,
            expires_in_sec: None,
        })
        .await
        .expect("logged in");
    assert_eq!(login.user_id, created.user_id);
    (client, created.user_id)
}

blog_test!(
    async fn client_creates_an_account_logs_in_and_checks_its_token(server: TestServer) {
        let (client, id) = logged_in(&server, "a@blog.test").await;
        assert!(client.token_store().get().is_some());
        assert_eq!(client.check_jwt().await.expect("check_jwt"), Some(id));
    }
);

blog_test!(
    async fn client_creates_and_finds_own_posts(server: TestServer) {
        let (client, id) = logged_in(&server, "a@blog.test").await;
        let posts = client.service::<Post>();
        let created = posts
            .create(json!({"owner": id, "title": "typed", "likes": 4}), None)
            .await
            .expect("created");
        assert_eq!(
            (
                created.owner.as_str(),
                created.title.as_str(),
                created.likes
            ),
            (id.as_str(), "typed", Some(4))
        );
        assert_eq!((created.content.clone(), created.published), (None, None));
        let page = posts.find(json!({"owner": id}), None).await.expect("found");
        assert_eq!(page.data, std::slice::from_ref(&created));
        assert_eq!((page.total, page.limit), (Some(1), Some(40)));
        let one = posts
            .find_one(json!({"id": created.id, "owner": id}), None)
            .await
            .expect("found one");
        assert_eq!(one, Some(created));
    }
);

blog_test!(
    async fn client_timestamps_are_the_wire_timestamps(server: TestServer) {
        let (client, id) = logged_in(&server, "a@blog.test").await;
        let created = client
            .service::<Post>()
            .create(json!({"owner": id, "title": "dated"}), None)
            .await
            .expect("created");
        let token = client.token_store().get().expect("a token");
        let raw = server
            .send(
                Request::crud(Method::GET, "post", "one")
                    .options(json!({}))
                    .query(json!({"id": created.id, "owner": id}))
                    .token(Some(&token)),
            )
            .await
            .json();
        assert_eq!(raw["createdAt"], format_timestamp(&created.created_at));
        assert_eq!(raw["updatedAt"], format_timestamp(&created.updated_at));
        assert_eq!(
            created.created_at.timestamp_subsec_nanos() % 1_000_000,
            0,
            "millisecond precision"
        );
    }
);

blog_test!(
    async fn client_surfaces_a_denied_call_as_a_403_error(server: TestServer) {
        let (client, _) = logged_in(&server, "a@blog.test").await;
        let (other, _) = server.user("b@blog.test").await;
        let err = client
            .service::<Post>()
            .find(json!({"owner": other}), CrudOptions::default())
            .await
            .expect_err("another owner's posts");
        assert_eq!(err.status(), Some(403));
        assert_eq!(err.code(), Some(ErrorCode::Forbidden));
        let api = err.api().expect("an API error");
        assert_eq!(
            api.message,
            "Role user is not allowed to GET post - user failed on all - guest failed on all "
        );
        assert!(
            client.token_store().get().is_some(),
            "a 403 keeps the session"
        );
    }
);

blog_test!(
    async fn client_login_with_a_wrong_password_is_code_5(server: TestServer) {
        let client = client(&server);
        server.create_account("a@blog.test", PASSWORD).await;
        let err = client
            .login(&LoginDto {
                email: "a@blog.test".into(),
                password: "wrong-password".into(),
                two_fa_code: None,
                expires_in_sec: None,
            })
            .await
            .expect_err("wrong password");
        assert_eq!(
            (err.status(), err.code()),
            (Some(401), Some(ErrorCode::InvalidCredentials))
        );
        assert!(client.token_store().get().is_none());
    }
);

blog_test!(
    async fn client_logout_forgets_the_session(server: TestServer) {
        let (client, _) = logged_in(&server, "a@blog.test").await;
        client.logout().await.expect("logged out");
        assert!(client.token_store().get().is_none());
        assert_eq!(client.check_jwt().await.expect("check_jwt"), None);
    }
);

fixture_test!(
    async fn client_sends_typed_commands_in_each_mode(server: TestServer) {
        let (client, id) = logged_in(&server, "a@blog.test").await;
        let dto = PingDto {
            message: "hi".into(),
            count: Some(2),
        };
        let expected = PingReturnDto {
            message: "hi".into(),
            count: Some(2),
            user_id: Some(id),
        };
        assert_eq!(client.cmd_get(&dto).await.expect("GET"), expected);
        assert_eq!(client.cmd(&dto).await.expect("PATCH"), expected);
        assert_eq!(client.cmd_s(&dto).await.expect("POST"), expected);
    }
);

fixture_test!(
    async fn client_command_errors_carry_the_server_code(server: TestServer) {
        let (client, _) = logged_in(&server, "a@blog.test").await;
        let err = client
            .cmd(&LimitedDto::default())
            .await
            .expect_err("limited needs POST for users");
        assert_eq!(
            (err.status(), err.code()),
            (Some(403), Some(ErrorCode::SecureModeRequired))
        );
        for _ in 0..2 {
            assert!(client.cmd_s(&LimitedDto::default()).await.expect("POST"));
        }
        let err = client
            .cmd_s(&LimitedDto::default())
            .await
            .expect_err("third use");
        assert_eq!(err.code(), Some(ErrorCode::MaxUsesReached));
        assert_eq!(
            err.api().map(|api| api.message.as_str()),
            Some("You have reached the maximum uses for this command (2)")
        );
    }
);

fixture_test!(
    async fn client_create_batch_shrinks_to_the_server_batch_size(server: TestServer) {
        let (client, id) = logged_in(&server, "a@blog.test").await;
        let posts = client.service::<Post>();
        let items: Vec<_> = (1..=7)
            .map(|i| json!({"owner": id, "title": format!("p{i}")}))
            .collect();
        let created = posts.create_batch(items, None).await.expect("created");
        let titles: Vec<&str> = created.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["p1", "p2", "p3", "p4", "p5", "p6", "p7"]);
        let page = posts.find(json!({"owner": id}), None).await.expect("found");
        assert_eq!(page.total, Some(7), "each post created once");
    }
);

blog_test!(
    async fn a_moderator_times_a_user_out_with_typed_dtos(server: TestServer) {
        let (_, target) = logged_in(&server, "target@blog.test").await;
        let moderator = client(&server);
        moderator
            .login(&LoginDto {
                email: ferrocrud_tests::MODERATOR.0.into(),
                password: ferrocrud_tests::MODERATOR.1.into(),
                two_fa_code: None,
                expires_in_sec: None,
            })
            .await
            .expect("moderator logged in");
        let timeout = TimeoutUserDto {
            user_id: target.clone(),
            timeout_duration_minutes: 5,
            allowed_roles: vec!["user".into()],
        };
        let answer: () = moderator.cmd_s(&timeout).await.expect("user timed out");
        assert_eq!(answer, ());

        let beyond = TimeoutUserDto {
            allowed_roles: vec!["moderator".into()],
            ..timeout
        };
        let refused = moderator
            .cmd_s(&beyond)
            .await
            .expect_err("moderators may time out users only");
        assert_eq!(refused.status(), Some(403));

        server.after_login_throttle().await;
        let locked = client(&server)
            .login(&LoginDto {
                email: "target@blog.test".into(),
                password: PASSWORD.into(),
                two_fa_code: None,
                expires_in_sec: None,
            })
            .await
            .expect_err("a timed-out user cannot log in");
        assert_eq!(
            (locked.status(), locked.code()),
            (Some(401), Some(ErrorCode::TimedOut))
        );
    }
);
