//! Login lockout after repeated failures, shared by every server on one
//! database, and the same answers for accounts that do not exist.

use blog::user as entity;
use sea_orm::sea_query::Expr;

use crate::login_support::{
    INVALID_CREDENTIALS, PASSWORD, account, locked_out_seconds, login, login_test, row, set,
};

login_test!(
    async fn lockout_after_six_failures_refuses_even_the_right_password(server, db) {
        let id = account(&server, "locked@blog.test").await;
        for n in 1..=6 {
            server.after_login_throttle().await;
            let wrong = login(&server, "locked@blog.test", "wrong-password-1", None).await;
            assert_eq!(wrong.text, INVALID_CREDENTIALS, "failure {n}");
        }
        assert_eq!(row(&db, &id).await.failed_login_count, Some(6));
        server.after_login_throttle().await;
        let right = login(&server, "locked@blog.test", PASSWORD, None).await;
        assert!(locked_out_seconds(&right) >= 1);
        // The refused attempt counted nothing and moved nothing.
        assert_eq!(row(&db, &id).await.failed_login_count, Some(6));
    }
);

login_test!(
    async fn a_success_after_the_lockout_resets_the_counter(server, db) {
        let id = account(&server, "reset@blog.test").await;
        for _ in 0..6 {
            server.after_login_throttle().await;
            login(&server, "reset@blog.test", "wrong-password-1", None).await;
        }
        server.after_login_throttle().await;
        locked_out_seconds(&login(&server, "reset@blog.test", PASSWORD, None).await);
        // The lockout ends 36 s after the last failure: move that back.
        let an_hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
        set(&db, &id, entity::Column::LastLoginAttempt, Expr::value(an_hour_ago)).await;
        server.after_login_throttle().await;
        let right = login(&server, "reset@blog.test", PASSWORD, None).await;
        assert_eq!(right.status, 200, "{}", right.text);
        assert_eq!(row(&db, &id).await.failed_login_count, Some(0));
        server.after_login_throttle().await;
        let wrong = login(&server, "reset@blog.test", "wrong-password-1", None).await;
        assert_eq!(wrong.text, INVALID_CREDENTIALS, "one failure is not a lockout");
    }
);

login_test!(
    async fn lockout_is_shared_by_two_server_instances(first, db) {
        // A second blog app on the same database, behind its own listener.
        let second = first.another_instance().await;
        let id = account(&first, "shared@blog.test").await;
        for n in 0..6 {
            let server = if n % 2 == 0 { &first } else { &second };
            server.after_login_throttle().await;
            let wrong = login(server, "shared@blog.test", "wrong-password-1", None).await;
            assert_eq!(wrong.text, INVALID_CREDENTIALS, "failure {n}");
        }
        assert_eq!(row(&db, &id).await.failed_login_count, Some(6));
        for server in [&first, &second] {
            server.after_login_throttle().await;
            locked_out_seconds(&login(server, "shared@blog.test", PASSWORD, None).await);
        }
    }
);

login_test!(
    async fn eicrud_lockout_revealed_which_accounts_exist(server, _db) {
        // eicrud counts failures only on existing rows, so an unknown address
        // never gets its 429. Here both get the same answers, step by step.
        account(&server, "exists@blog.test").await;
        for n in 1..=6 {
            server.after_login_throttle().await;
            let known = login(&server, "exists@blog.test", "wrong-password-1", None).await;
            let unknown = login(&server, "ghost@blog.test", "wrong-password-1", None).await;
            assert_eq!(known.text, INVALID_CREDENTIALS, "failure {n}");
            assert_eq!(unknown.text, known.text, "failure {n}");
        }
        server.after_login_throttle().await;
        let known = login(&server, "exists@blog.test", PASSWORD, None).await;
        let unknown = login(&server, "ghost@blog.test", PASSWORD, None).await;
        locked_out_seconds(&known);
        locked_out_seconds(&unknown);
        assert_eq!(known.inner()["message"], unknown.inner()["message"]);
    }
);

login_test!(
    async fn eicrud_timeout_check_before_the_password_revealed_accounts(server, db) {
        let id = account(&server, "timedout@blog.test").await;
        let until = chrono::Utc::now() + chrono::Duration::hours(1);
        set(&db, &id, entity::Column::Timeout, Expr::value(until)).await;
        let wrong = login(&server, "timedout@blog.test", "wrong-password-1", None).await;
        let unknown = login(&server, "nobody@blog.test", "wrong-password-1", None).await;
        assert_eq!(wrong.text, INVALID_CREDENTIALS);
        assert_eq!(unknown.text, wrong.text);
        server.after_login_throttle().await;
        let right = login(&server, "timedout@blog.test", PASSWORD, None).await;
        assert_eq!(right.status, 401);
        assert_eq!(right.inner()["message"], "Account locked. Please wait until");
        assert_eq!(right.code(), Some(2));
        let stored = row(&db, &id).await.timeout.expect("timeout");
        assert_eq!(
            right.inner()["data"],
            ferrocrud::storage::format_timestamp(&stored)
        );
    }
);
