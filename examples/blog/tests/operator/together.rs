//! Two servers started together on an empty PostgreSQL database: one
//! applies the migrations under the advisory lock, the other waits for it,
//! finds nothing left to do, and both serve.

use ferrocrud::migration::{MigrationState, Migrations};

use crate::support::{MIGRATIONS, free_port, on_postgres};

#[tokio::test]
async fn two_servers_on_an_empty_database_migrate_once() {
    on_postgres(
        "two_servers_on_an_empty_database_migrate_once",
        |db| async move {
            let mut first = db.serve(free_port());
            let mut second = db.serve(free_port());
            for server in [&mut first, &mut second] {
                let ready = server.ready().await;
                assert!(ready.contains(r#""schema":"ok""#), "{ready}");
            }
            assert!(first.is_running() && second.is_running());

            // Each migration recorded once, applied by one server only.
            let conn = db.connect().await;
            let status = Migrations::of(blog::migration::Migrator)
                .status(&conn)
                .await
                .expect("status");
            conn.close().await.expect("closed");
            assert_eq!(
                status.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
                MIGRATIONS
            );
            assert!(status.iter().all(|m| m.state == MigrationState::Applied));
            // One JSON object per log line.
            let logs = [first.log(), second.log()];
            for name in MIGRATIONS {
                let applied = format!(r#""migration":"{name}""#);
                let times = logs
                    .iter()
                    .flat_map(|log| log.lines())
                    .filter(|line| line.contains(r#""message":"applied migration""#))
                    .filter(|line| line.contains(&applied))
                    .count();
                assert_eq!(
                    times, 1,
                    "{name} applied {times} times:\n{}\n{}",
                    logs[0], logs[1]
                );
            }
        },
    )
    .await;
}
