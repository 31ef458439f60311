//! The user cache of token checks: every change of a user is seen by the
//! next request on the instance that made it and, on PostgreSQL, by every
//! other instance on the same database, whoever wrote it.

use std::time::Duration;

use ferrocrud::context::{CrudContext, Verb};
use ferrocrud::shared::user::UserService;
use ferrocrud_tests::{MODERATOR, TestServer, blog_test};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use serde_json::json;

use crate::users_support::{
    PASSWORD, assert_coded, assert_token_ok, assert_token_revoked, check_jwt, cmd_s, obj, token,
};

/// How long a change may take to reach another instance before the test
/// fails: far below the cache's 60 s lifetime, so only a notification can
/// explain a pass.
const PROPAGATION: Duration = Duration::from_secs(5);

/// Waits until `instance` has heard of every user change made so far.
///
/// Notifications arrive in commit order, each a while after its commit: one
/// from a login made earlier in the test may still be on its way and drop a
/// user the test just loaded into the cache. A notification sent now comes
/// after all of them; once the invalidations it adds have been counted and
/// the count stays still, nothing earlier is left in flight.
async fn settle(instance: &TestServer) {
    let invalidations = || instance.users.stats().cache.invalidations;
    let before = invalidations();
    instance
        .db
        .connection()
        .execute_unprepared("SELECT pg_notify('ferrocrud_user_changed', 'settle')")
        .await
        .expect("notified");
    let deadline = tokio::time::Instant::now() + PROPAGATION;
    let mut last = before;
    let mut still_since = tokio::time::Instant::now();
    loop {
        let now = invalidations();
        if now != last {
            last = now;
            still_since = tokio::time::Instant::now();
        }
        if last > before && still_since.elapsed() >= Duration::from_millis(250) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the settle notification never arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Polls `check_jwt` on `server` until it answers `status` with `code`.
async fn eventually(server: &TestServer, token: &str, status: u16, code: u64) {
    let deadline = tokio::time::Instant::now() + PROPAGATION;
    loop {
        let answer = check_jwt(server, token).await;
        if answer.status == status && answer.code() == Some(code) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {} after {PROPAGATION:?}: {}",
            answer.status,
            answer.text
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

blog_test!(
    async fn the_instance_that_writes_sees_its_writes_at_once(server: TestServer) {
        let (id, first) = server.user("cache-one@blog.test").await;
        assert_token_ok(&server, &first, &id).await;
        assert_token_ok(&server, &first, &id).await;

        // Revocation through a command.
        let answer = cmd_s(
            &server,
            "logout_everywhere",
            json!({"userId": id}),
            Some(&first),
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        assert_token_revoked(&server, &first).await;

        // A timeout through a command.
        let second = token(&server, "cache-one@blog.test", PASSWORD).await;
        assert_token_ok(&server, &second, &id).await;
        let moderator = token(&server, MODERATOR.0, MODERATOR.1).await;
        let dto = json!({"userId": id, "timeoutDurationMinutes": 5, "allowedRoles": ["user"]});
        let answer = cmd_s(&server, "timeout_user", dto, Some(&moderator)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        let answer = check_jwt(&server, &second).await;
        assert_coded(&answer, 401, 2, "Account locked. Please wait until");

        // Deletion through the user service.
        let ctx = CrudContext::internal_for::<UserService>(Verb::Delete);
        let deleted = server
            .users
            .crud()
            .delete_one(obj(json!({"id": id})), &ctx)
            .await
            .expect("deleted");
        assert_eq!(deleted.count, 1);
        let answer = check_jwt(&server, &second).await;
        assert_eq!(answer.status, 401, "{}", answer.text);
    }
);

blog_test!(
    async fn other_instances_and_other_writers_are_heard_on_postgres(server: TestServer) {
        if server.db.backend() != DbBackend::Postgres {
            // SQLite has no notifications: one instance per database file,
            // and writes from other programs show within the cache lifetime.
            return;
        }
        let a = server;
        let b = a.another_instance().await;
        // The test needs both caches on: each instance's listener connects
        // in the background after start.
        for instance in [&a, &b] {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while !instance.users.hears_user_changes() {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "listener never connected"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let (id, first) = a.user("cache-two@blog.test").await;
        // The login's own notification must not drop what is cached next.
        settle(&a).await;
        settle(&b).await;
        assert_token_ok(&a, &first, &id).await;
        assert_token_ok(&b, &first, &id).await;

        // Both instances answer from their caches: a write that bypasses the
        // trigger goes unseen...
        let sql = |text: &str| {
            Statement::from_sql_and_values(DbBackend::Postgres, text, [id.clone().into()])
        };
        let txn = a.db.connection().begin().await.expect("transaction");
        txn.execute_unprepared(r#"ALTER TABLE "user" DISABLE TRIGGER ferrocrud_user_changed"#)
            .await
            .expect("trigger off");
        txn.execute_raw(sql(
            r#"UPDATE "user" SET rvkd = COALESCE(rvkd, 0) + 1 WHERE id = $1"#,
        ))
        .await
        .expect("unseen write");
        txn.execute_unprepared(r#"ALTER TABLE "user" ENABLE TRIGGER ferrocrud_user_changed"#)
            .await
            .expect("trigger on");
        txn.commit().await.expect("committed");
        assert_token_ok(&a, &first, &id).await;
        assert_token_ok(&b, &first, &id).await;
        // ...and any write through the trigger, even one changing nothing,
        // reaches both.
        a.db.connection()
            .execute_raw(sql(r#"UPDATE "user" SET rvkd = rvkd WHERE id = $1"#))
            .await
            .expect("seen write");
        eventually(&a, &first, 401, 4).await;
        eventually(&b, &first, 401, 4).await;
        let first = token(&a, "cache-two@blog.test", PASSWORD).await;
        assert_token_ok(&a, &first, &id).await;
        assert_token_ok(&b, &first, &id).await;

        // Revoked on A: B hears of it.
        let answer = cmd_s(&a, "logout_everywhere", json!({"userId": id}), Some(&first)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        assert_token_revoked(&a, &first).await;
        eventually(&b, &first, 401, 4).await;

        // Timed out on B: A hears of it.
        let second = token(&b, "cache-two@blog.test", PASSWORD).await;
        assert_token_ok(&a, &second, &id).await;
        assert_token_ok(&b, &second, &id).await;
        let moderator = token(&b, MODERATOR.0, MODERATOR.1).await;
        let dto = json!({"userId": id, "timeoutDurationMinutes": 5, "allowedRoles": ["user"]});
        let answer = cmd_s(&b, "timeout_user", dto, Some(&moderator)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        eventually(&a, &second, 401, 2).await;

        // The timeout lifted and the counter moved by hand, outside
        // ferrocrud: both instances hear of it.
        a.db.connection()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                r#"UPDATE "user" SET timeout = NULL WHERE id = $1"#,
                [id.clone().into()],
            ))
            .await
            .expect("timeout lifted");
        let third = token(&a, "cache-two@blog.test", PASSWORD).await;
        assert_token_ok(&a, &third, &id).await;
        assert_token_ok(&b, &third, &id).await;
        a.db.connection()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                r#"UPDATE "user" SET rvkd = COALESCE(rvkd, 0) + 1 WHERE id = $1"#,
                [id.clone().into()],
            ))
            .await
            .expect("counter moved");
        eventually(&a, &third, 401, 4).await;
        eventually(&b, &third, 401, 4).await;
    }
);
