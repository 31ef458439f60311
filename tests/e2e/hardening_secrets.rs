//! Regression tests of the defects a security review found in what the
//! server keeps secret: one-time-token digests anyone could compute, secret
//! columns a client could write, and login counters that never expired.

use ferrocrud::app::App;
use ferrocrud::security::{Crud, ServiceSecurity, eq, user_id};
use ferrocrud::service::CrudService;
use ferrocrud::storage::testing::run_db_test;
use ferrocrud::user::{CrudUserService, UserOptions};
use ferrocrud_tests::{Request, TestServer, blog_test, send_to, serve_app};
use reqwest::Method;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::users_support::{PASSWORD, cmd_s, row};

/// The digest an email token had before it was keyed: SHA-256 over public
/// parts, which anyone who can write the row could compute for a token of
/// their choosing.
fn unkeyed_digest(purpose: &str, user_id: &str, address: &str, random: &str) -> String {
    let hash = Sha256::new()
        .chain_update(b"ferrocrud email token v1\0")
        .chain_update(purpose)
        .chain_update(b"\0")
        .chain_update(user_id)
        .chain_update(b"\0")
        .chain_update(address)
        .chain_update(b"\0")
        .chain_update(random)
        .finalize();
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

blog_test!(
    async fn a_row_write_alone_cannot_mint_a_working_reset_or_verification_link(
        server: TestServer,
    ) {
        let email = "minted@blog.test";
        let (id, _) = server.user(email).await;
        let random = "A".repeat(43);
        let now = ferrocrud::storage::format_timestamp(&chrono::Utc::now());
        server
            .set_user_fields(
                &id,
                json!({
                    "passwordResetToken": unkeyed_digest("password_reset", &id, email, &random),
                    "lastPasswordResetSent": now,
                    "emailVerificationToken":
                        unkeyed_digest("email_verification", &id, email, &random),
                    "lastEmailVerificationSent": now,
                }),
            )
            .await;
        let token_id = format!("{random}_{id}");
        let reset = json!({ "token_id": token_id, "newPassword": "pass-taken-over-1" });
        let answer = cmd_s(&server, "reset_password", reset, None).await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        let verify = json!({ "token_id": token_id });
        let answer = cmd_s(&server, "verify_email", verify, None).await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        let stored = row(&server, &id).await;
        assert_ne!(stored.verified_email, Some(true), "not verified");
        // The password is the account's own still.
        server.after_login_throttle().await;
        server.login(email, "pass-word-123").await;
    }
);

/// An application entity with a secret column: API keys, stored as digests.
mod api_key {
    use sea_orm::entity::prelude::*;
    use serde::{Deserialize, Serialize};

    /// An API key of a user; only its digest is kept.
    #[derive(
        Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize, schemars::JsonSchema,
    )]
    #[sea_orm(table_name = "api_key")]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub(crate) id: String,
        pub(crate) owner: String,
        pub(crate) label: String,
        /// What a request's key is checked against.
        #[schemars(extend("x-secret" = true))]
        pub(crate) digest: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl ferrocrud::shared::Resource for Model {
        const SERVICE: &'static str = "api_key";
    }
}

#[test]
fn secret_columns_are_never_writable_through_crud() {
    run_db_test(
        "secret_columns_are_never_writable_through_crud",
        |db| async move {
            let users = CrudUserService::<blog::user::Entity>::with_entity(
                db.clone(),
                UserOptions::new("secret columns"),
                ferrocrud::email::ConsoleMailer,
            )
            .expect("user service");
            let keys = CrudService::<api_key::Entity>::new(db.clone()).expect("api_key service");
            let abilities = ServiceSecurity::new().role("user", |r| {
                r.can(Crud::ALL).when(eq("owner", user_id()));
            });
            let app = App::builder(db)
                .roles(blog::security::roles())
                .user_service(users.clone(), blog::security::users())
                .service(keys, abilities)
                .build()
                .await
                .expect("app");
            let (url, stop) = serve_app(app).await;
            users
                .ensure_account("keys@blog.test", PASSWORD, "user")
                .await
                .expect("account");
            let http = reqwest::Client::new();
            let credentials = json!({ "email": "keys@blog.test", "password": PASSWORD });
            let login = send_to(
                &http,
                &url,
                Request::new(Method::PATCH, "/crud/s/user/cmd/login").body(credentials),
            )
            .await;
            assert_eq!(login.status, 200, "{}", login.text);
            let token = login.json()["accessToken"]
                .as_str()
                .expect("token")
                .to_owned();
            let owner = login.json()["userId"].as_str().expect("userId").to_owned();
            let create = |data: Value| {
                Request::crud(Method::POST, "api_key", "one")
                    .body(data)
                    .token(Some(&token))
            };
            let refused = send_to(
                &http,
                &url,
                create(json!({ "owner": owner, "label": "ci", "digest": "chosen by the client" })),
            )
            .await;
            assert_eq!(refused.status, 400, "{}", refused.text);
            assert!(refused.message().contains("digest"), "{}", refused.text);
            let created = send_to(
                &http,
                &url,
                create(json!({ "owner": owner, "label": "ci" })),
            )
            .await;
            assert_eq!(created.status, 201, "{}", created.text);
            let key = created.json()["id"].as_str().expect("id").to_owned();
            let patched = send_to(
                &http,
                &url,
                Request::crud(Method::PATCH, "api_key", "one")
                    .query(json!({ "id": key, "owner": owner }))
                    .body(json!({ "digest": "chosen by the client" }))
                    .token(Some(&token)),
            )
            .await;
            assert_eq!(patched.status, 400, "{}", patched.text);
            let _ = stop.send(());
        },
    );
}

/// The call-counter rows of `subject`, by key.
async fn counter_rows(server: &TestServer, subject: &str) -> Vec<String> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        command: String,
    }
    let select = Query::select()
        .column(Alias::new("command"))
        .from(Alias::new("ferrocrud_command_usage"))
        .and_where(Expr::col(Alias::new("subject")).eq(subject))
        .to_owned();
    let backend = server.db.get_database_backend();
    let mut rows: Vec<String> = Row::find_by_statement(backend.build(&select))
        .all(&server.db)
        .await
        .expect("rows")
        .into_iter()
        .map(|row| row.command)
        .collect();
    rows.sort();
    rows
}

/// Moves the last call of every counter row of `subject` back by `ms`.
async fn age_counter_rows(server: &TestServer, subject: &str, ms: i64) {
    let update = Query::update()
        .table(Alias::new("ferrocrud_command_usage"))
        .value(
            Alias::new("last_call_ms"),
            Expr::col(Alias::new("last_call_ms")).sub(ms),
        )
        .and_where(Expr::col(Alias::new("subject")).eq(subject))
        .to_owned();
    server.db.execute(&update).await.expect("aged");
}

blog_test!(
    async fn login_counters_of_unknown_identifiers_expire_without_telling_accounts_apart(
        server: TestServer,
    ) {
        let options = server.users.options().clone();
        let reset_ms = i64::try_from(options.failed_login_reset.as_millis()).expect("ms");
        let known = "known@blog.test";
        let (id, _) = server.user(known).await;
        let ghost = "ghost@blog.test";
        let attempt = |email: &'static str| {
            let server = &server;
            async move {
                server.after_login_throttle().await;
                let dto = json!({ "email": email, "password": "wrong-password-1" });
                server
                    .cmd(Method::PATCH, "user", "login", dto, None)
                    .await
                    .status
            }
        };
        // Both locked out after six failures.
        for email in [known, ghost] {
            for _ in 0..6 {
                assert_eq!(attempt(email).await, 401, "{email}");
            }
            assert_eq!(attempt(email).await, 429, "{email}");
        }
        assert_eq!(
            counter_rows(&server, ghost).await,
            ["login", "login_failures"]
        );
        // Past the reset time the unknown identifier's rows are purged...
        age_counter_rows(&server, ghost, reset_ms + 1_000).await;
        let last = chrono::Utc::now() - chrono::Duration::milliseconds(reset_ms + 1_000);
        server
            .set_user_fields(
                &id,
                json!({ "lastLoginAttempt": ferrocrud::storage::format_timestamp(&last) }),
            )
            .await;
        let purged = server.users.purge_login_counters().await.expect("purged");
        assert!(purged >= 2, "{purged} rows purged");
        assert!(counter_rows(&server, ghost).await.is_empty());
        // ...and both answer alike again: five failures, then the lock.
        for email in [known, ghost] {
            for n in 0..6 {
                assert_eq!(attempt(email).await, 401, "{email}, failure {n}");
            }
            assert_eq!(attempt(email).await, 429, "{email}");
        }
    }
);
