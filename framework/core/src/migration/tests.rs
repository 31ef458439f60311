//! Migration tests: every body runs on SQLite, and on PostgreSQL when
//! `FERROCRUD_TEST_POSTGRES_URL` is set.

// `MigrationTrait`'s methods take `&SchemaManager` with its lifetime elided.
#![allow(elided_lifetimes_in_paths)]

use sea_orm::sea_query::{ColumnDef, Expr, ExprTrait as _, Func, Query, Table};
use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{DbErr, MigrationName, MigrationTrait, MigratorTrait, SchemaManager};

use super::*;
use crate::app::App;
use crate::error::Error;
use crate::security::{Role, ServiceSecurity};
use crate::service::CrudService;
use crate::storage::testing::post;

/// ferrocrud's migrations alone.
struct Framework;

impl MigratorTrait for Framework {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        migrations()
    }
}

/// ferrocrud's migrations, then the post table as the fixture had it
/// before `likes`.
struct WithPosts;

impl MigratorTrait for WithPosts {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut list = migrations();
        list.push(Box::new(CreatePost));
        list
    }
}

/// [`WithPosts`], then `post.likes`.
struct WithLikes;

impl MigratorTrait for WithLikes {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut list = <WithPosts as MigratorTrait>::migrations();
        list.push(Box::new(AddLikes));
        list
    }
}

/// The fixture's post table without `likes`.
struct CreatePost;

impl MigrationName for CreatePost {
    fn name(&self) -> &str {
        "m20261207_100000_create_post"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreatePost {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("post")
                    .col(ColumnDef::new("id").string().not_null().primary_key())
                    .col(ColumnDef::new("owner").string().not_null())
                    .col(ColumnDef::new("title").string().not_null())
                    .col(ColumnDef::new("content").text().null())
                    .col(ColumnDef::new("published").boolean().null())
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("updated_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("post").to_owned())
            .await
    }
}

/// Adds `post.likes`.
struct AddLikes;

impl MigrationName for AddLikes {
    fn name(&self) -> &str {
        "m20261207_100001_add_post_likes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddLikes {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("post")
                    .add_column(ColumnDef::new("likes").big_integer().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("post").drop_column("likes").to_owned())
            .await
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|name| (*name).to_owned()).collect()
}

/// `(name, type, not null)` of each column of `table`, sorted by name.
async fn column_types(db: &Db, table: &str) -> Vec<(String, String, bool)> {
    let statement = match db.backend() {
        DbBackend::Sqlite => Query::select()
            .columns(["name", "type", "notnull"])
            .from_function(Func::cust("pragma_table_info").arg(table), "info")
            .to_owned(),
        _ => Query::select()
            .expr_as(Expr::col("column_name").cast_as("text"), "name")
            .expr_as(Expr::col("data_type").cast_as("text"), "type")
            .expr_as(Expr::col("is_nullable").eq("NO"), "notnull")
            .from(("information_schema", "columns"))
            .and_where(Expr::col("table_schema").eq(Func::cust("current_schema")))
            .and_where(Expr::col("table_name").eq(table))
            .to_owned(),
    };
    let mut columns: Vec<(String, String, bool)> = db
        .query_all(&statement)
        .await
        .expect("columns")
        .iter()
        .map(|row| {
            let not_null = match db.backend() {
                DbBackend::Sqlite => row.try_get::<i32>("", "notnull").expect("notnull") != 0,
                _ => row.try_get::<bool>("", "notnull").expect("notnull"),
            };
            (
                row.try_get("", "name").expect("name"),
                row.try_get("", "type").expect("type"),
                not_null,
            )
        })
        .collect();
    columns.sort();
    columns
}

/// The versions recorded in the migration table.
async fn recorded(db: &Db) -> Vec<String> {
    Migrations::of(Framework)
        .applied(db)
        .await
        .expect("applied")
}

crate::db_test!(migrations_apply_once_in_order, |db| {
    let framework = Migrations::of(Framework);
    assert_eq!(
        framework.names(),
        names(&[CreateCommandUsage::NAME, CreateUser::NAME])
    );
    let status = framework.status(&db).await.expect("status");
    assert!(status.iter().all(|m| m.state == MigrationState::Pending));
    assert_eq!(
        framework.schema_state(&db).await.expect("state"),
        SchemaState::Behind
    );

    let applied = framework.up(&db).await.expect("up");
    assert_eq!(applied, framework.names());
    assert!(framework.up(&db).await.expect("again").is_empty());
    assert_eq!(recorded(&db).await, framework.names());
    assert_eq!(
        framework.schema_state(&db).await.expect("state"),
        SchemaState::Current
    );
    let lines: Vec<String> = framework
        .status(&db)
        .await
        .expect("status")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            "applied  m20261207_000001_ferrocrud_command_usage",
            "applied  m20261207_000002_ferrocrud_user",
        ]
    );
});

crate::db_test!(framework_migrations_make_the_tables_of_the_entities, |db| {
    let framework = Migrations::of(Framework);
    framework.up(&db).await.expect("up");
    let migrated = (
        column_types(&db, "user").await,
        column_types(&db, "ferrocrud_command_usage").await,
    );
    assert_eq!(framework.down(&db, 2).await.expect("down").len(), 2);
    assert!(column_types(&db, "user").await.is_empty());

    crate::storage::ensure_table::<crate::user::entity::Entity>(&db)
        .await
        .expect("user table");
    crate::storage::ensure_table::<crate::command::usage::Entity>(&db)
        .await
        .expect("usage table");
    let created = (
        column_types(&db, "user").await,
        column_types(&db, "ferrocrud_command_usage").await,
    );
    assert_eq!(migrated.0.len(), 37, "{:?}", migrated.0);
    assert_eq!(migrated, created);
});

crate::db_test!(a_development_schema_is_taken_over, |db| {
    crate::storage::ensure_table::<crate::user::entity::Entity>(&db)
        .await
        .expect("user table");
    crate::storage::ensure_table::<crate::command::usage::Entity>(&db)
        .await
        .expect("usage table");
    let created = column_types(&db, "user").await;
    let framework = Migrations::of(Framework);
    assert_eq!(framework.up(&db).await.expect("up"), framework.names());
    assert_eq!(column_types(&db, "user").await, created);
});

crate::db_test!(down_rolls_back_the_newest_first, |db| {
    let migrations = Migrations::of(WithLikes);
    migrations.up(&db).await.expect("up");
    assert!(
        column_types(&db, "post")
            .await
            .iter()
            .any(|c| c.0 == "likes")
    );

    let rolled_back = migrations.down(&db, 1).await.expect("down");
    assert_eq!(rolled_back, names(&["m20261207_100001_add_post_likes"]));
    assert!(
        !column_types(&db, "post")
            .await
            .iter()
            .any(|c| c.0 == "likes")
    );
    let status = migrations.status(&db).await.expect("status");
    assert_eq!(
        status.last(),
        Some(&MigrationStatus {
            name: "m20261207_100001_add_post_likes".into(),
            state: MigrationState::Pending,
        })
    );
    assert_eq!(
        migrations.schema_state(&db).await.expect("state"),
        SchemaState::Behind
    );

    assert_eq!(
        migrations.up(&db).await.expect("up again"),
        names(&["m20261207_100001_add_post_likes"])
    );
    assert_eq!(
        migrations.schema_state(&db).await.expect("state"),
        SchemaState::Current
    );
});

crate::db_test!(a_database_ahead_of_the_code_is_refused, |db| {
    Migrations::of(WithLikes).up(&db).await.expect("up");
    let older = Migrations::of(WithPosts);
    assert_eq!(
        older.schema_state(&db).await.expect("state"),
        SchemaState::Ahead
    );
    let status = older.status(&db).await.expect("status");
    assert_eq!(
        status.last(),
        Some(&MigrationStatus {
            name: "m20261207_100001_add_post_likes".into(),
            state: MigrationState::Unknown,
        })
    );
    for error in [
        older.up(&db).await.expect_err("up"),
        older.down(&db, 1).await.expect_err("down"),
    ] {
        assert_eq!(
            error.to_string(),
            "invalid setup: the database has migration `m20261207_100001_add_post_likes` applied, which this build does not know: it is ahead of the code"
        );
    }
    // Nothing was rolled back.
    assert!(
        column_types(&db, "post")
            .await
            .iter()
            .any(|c| c.0 == "likes")
    );
});

/// The post service on `db`, built with `migrator` when given.
async fn build_posts<M: MigratorTrait>(db: Db, migrator: Option<M>) -> crate::Result<App> {
    let posts = CrudService::<post::Entity>::new(db.clone()).expect("post service");
    let builder = App::builder(db)
        .roles([Role::new("guest")])
        .service(posts, ServiceSecurity::new());
    match migrator {
        Some(migrator) => builder.migrator(migrator).build().await,
        None => builder.build().await,
    }
}

fn missing_likes(result: crate::Result<App>) {
    match result {
        Err(Error::Setup(SetupError::MissingColumn { table, column })) => {
            assert_eq!((table.as_str(), column.as_str()), ("post", "likes"));
        }
        Err(other) => panic!("another error: {other}"),
        Ok(_) => panic!("the application was built"),
    }
}

crate::db_test!(build_applies_the_migrations_then_checks_the_columns, |db| {
    // Without the migration that adds `likes`, the entity's column is missing.
    missing_likes(build_posts(db.clone(), Some(WithPosts)).await);
    assert_eq!(
        recorded(&db).await,
        names(&[
            CreateCommandUsage::NAME,
            CreateUser::NAME,
            "m20261207_100000_create_post"
        ])
    );
    // With it, the start applies it and goes on.
    build_posts(db.clone(), Some(WithLikes))
        .await
        .expect("built");
    assert_eq!(recorded(&db).await.len(), 4);
});

crate::db_test!(a_lagging_development_schema_is_refused_at_start, |db| {
    // The table as an older entity created it, then a build without migrator:
    // creating tables leaves it as it is, and the check names the column.
    Migrations::of(WithPosts)
        .up(&db)
        .await
        .expect("older post table");
    missing_likes(build_posts::<Framework>(db.clone(), None).await);
});

crate::db_test!(a_migrator_without_the_framework_tables_is_refused, |db| {
    struct PostsOnly;
    impl MigratorTrait for PostsOnly {
        fn migrations() -> Vec<Box<dyn MigrationTrait>> {
            vec![Box::new(CreatePost), Box::new(AddLikes)]
        }
    }
    match build_posts(db, Some(PostsOnly)).await {
        Err(Error::Setup(SetupError::MissingTable { table })) => {
            assert_eq!(table, "ferrocrud_command_usage");
        }
        Err(other) => panic!("another error: {other}"),
        Ok(_) => panic!("the application was built"),
    }
});

crate::db_test!(
    a_misconfiguration_is_found_before_the_database_is_touched,
    |db| {
        let posts = CrudService::<post::Entity>::new(db.clone()).expect("post service");
        let security = ServiceSecurity::new().role("guest", |r| {
            r.can("read").when(crate::security::eq("author", "someone"));
        });
        let built = App::builder(db.clone())
            .roles([Role::new("guest")])
            .service(posts, security)
            .migrator(WithLikes)
            .build()
            .await;
        assert!(
            matches!(built, Err(Error::Setup(SetupError::UnknownField { .. }))),
            "{:?}",
            built.err()
        );
        assert!(recorded(&db).await.is_empty(), "nothing migrated");
    }
);

crate::db_test!(instances_starting_together_migrate_once, |db| {
    if db.backend() != DbBackend::Postgres {
        // One process is assumed to migrate a SQLite database.
        return;
    }
    let migrations = Migrations::of(WithLikes);
    let (first, second) = tokio::join!(migrations.up(&db), migrations.up(&db));
    let (first, second) = (first.expect("first"), second.expect("second"));
    assert_eq!(first.len() + second.len(), 4, "{first:?} {second:?}");
    assert!(
        first.is_empty() || second.is_empty(),
        "{first:?} {second:?}"
    );
    assert_eq!(recorded(&db).await.len(), 4);
});
