//! `blog migrate up|down|status`, and the checks the server makes at start.

use sea_orm::ConnectionTrait as _;
use sea_orm::sea_query::{Query, Table};

use crate::support::{MIGRATIONS, failure, lines, on_each_backend};

/// `state  name` for each migration, as `migrate status` prints them.
fn status(states: [&str; 4]) -> Vec<String> {
    states
        .iter()
        .zip(MIGRATIONS)
        .map(|(state, name)| format!("{state:<8} {name}"))
        .collect()
}

#[tokio::test]
async fn migrations_apply_list_and_roll_back() {
    on_each_backend("migrations_apply_list_and_roll_back", |db| async move {
        assert_eq!(
            lines(&db.blog(&["migrate", "status"])),
            status(["pending"; 4])
        );
        assert_eq!(lines(&db.blog(&["migrate", "up"])), status(["applied"; 4]));
        assert_eq!(
            lines(&db.blog(&["migrate", "up"])),
            ["no pending migration"]
        );
        assert_eq!(
            lines(&db.blog(&["migrate", "status"])),
            status(["applied"; 4])
        );

        // The added column goes with its migration.
        let conn = db.connect().await;
        // Qualified: SQLite reads an unknown "website" alone as a string.
        let website = Query::select()
            .column(("user", "website"))
            .from("user")
            .to_owned();
        conn.query_all(&website).await.expect("user.website exists");
        assert_eq!(
            lines(&db.blog(&["migrate", "down"])),
            ["rolled back m20261207_130000_user_website"]
        );
        assert_eq!(
            lines(&db.blog(&["migrate", "status"])),
            status(["applied", "applied", "applied", "pending"])
        );
        assert!(
            conn.query_all(&website).await.is_err(),
            "user.website dropped"
        );

        assert_eq!(
            lines(&db.blog(&["migrate", "up"])),
            ["applied  m20261207_130000_user_website"]
        );
        conn.query_all(&website).await.expect("user.website again");
        conn.close().await.expect("closed");
    })
    .await;
}

#[tokio::test]
async fn migrate_refuses_unknown_arguments() {
    on_each_backend("migrate_refuses_unknown_arguments", |db| async move {
        for args in [
            &["migrate"][..],
            &["migrate", "sideways"],
            &["migrate", "down", "0"],
        ] {
            let stderr = failure(&db.blog(args));
            assert!(
                stderr.contains("usage: blog migrate up | migrate down [STEPS] | migrate status"),
                "{args:?}: {stderr}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_lagging_schema_is_refused_at_start() {
    on_each_backend("a_lagging_schema_is_refused_at_start", |db| async move {
        lines(&db.blog(&["migrate", "up"]));
        // The column dropped behind the migrations' back: every migration is
        // recorded, so none is pending, and the entity still has the field.
        let conn = db.connect().await;
        conn.execute(
            &Table::alter()
                .table("user")
                .drop_column("website")
                .to_owned(),
        )
        .await
        .expect("column dropped");
        conn.close().await.expect("closed");

        let mut server = db.serve(crate::support::free_port());
        let output = server.wait_for_exit().await;
        assert!(
            output.contains("table `user` has no column `website`, which its entity declares"),
            "{output}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_database_ahead_of_the_code_is_refused() {
    on_each_backend("a_database_ahead_of_the_code_is_refused", |db| async move {
        lines(&db.blog(&["migrate", "up"]));
        let newer = "m20991231_000000_from_a_newer_build";
        let conn = db.connect().await;
        conn.execute(
            &Query::insert()
                .into_table("seaql_migrations")
                .columns(["version", "applied_at"])
                .values_panic([newer.into(), 0i64.into()])
                .to_owned(),
        )
        .await
        .expect("a newer build's migration recorded");
        conn.close().await.expect("closed");

        let mut expected = status(["applied"; 4]);
        expected.push(format!("unknown  {newer}"));
        assert_eq!(lines(&db.blog(&["migrate", "status"])), expected);
        let refusal =
            format!("the database has migration `{newer}` applied, which this build does not know");
        for args in [&["migrate", "up"][..], &["migrate", "down"]] {
            let stderr = failure(&db.blog(args));
            assert!(stderr.contains(&refusal), "{args:?}: {stderr}");
        }
        let mut server = db.serve(crate::support::free_port());
        let output = server.wait_for_exit().await;
        assert!(output.contains(&refusal), "{output}");
    })
    .await;
}
