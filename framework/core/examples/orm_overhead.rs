//! What the ORM costs on the read of a `findOne`: the same one-row query by
//! id and owner, awaited back to back on one task, three ways:
//!
//! 1. `CrudService::find_one`, as the HTTP layer calls it (query checks,
//!    sea-query building, sea-orm, the row as JSON);
//! 2. sea-orm's typed finder (`Entity::find().filter(..).one(..)`);
//! 3. the driver alone: one prepared `sqlx::query` on the same pool;
//! 4. the driver on one connection held throughout: the same query without
//!    the pool, whose release of each connection costs a round trip
//!    (`Db`'s single statements avoid it too; see `storage::statements`).
//!
//! ```sh
//! cargo run --release -p ferrocrud --features testing --example orm_overhead -- \
//!     postgres://postgres@127.0.0.1:5432/ferrocrud_orm 20000
//! ```
//!
//! The database must exist; the `post` table is created in it if missing.
//! It prints the wall time per query (mostly the round trip to PostgreSQL)
//! and this process's CPU time per query (Linux: `/proc/self/schedstat`),
//! which is what the layers above the driver add.
#![allow(
    clippy::print_stdout,
    reason = "an example that prints its measurements"
)]

use std::time::Instant;

use ferrocrud::context::{CrudContext, Verb};
use ferrocrud::service::CrudService;
use ferrocrud::storage::Db;
use ferrocrud::storage::testing::post;
use sea_orm::sqlx::Row as _;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: orm_overhead <postgres url> [queries]")?;
    let count: u32 = args.next().map_or(Ok(20_000), |n| n.parse())?;
    let db = Db::connect(&url).await?;
    let service = CrudService::<post::Entity>::new(db.clone())?;
    service.ensure_table().await?;
    let created = service
        .create(
            object(json!({"owner": "orm-owner", "title": "t", "content": "y".repeat(200)})),
            &CrudContext::internal_for::<post::Model>(Verb::Post),
        )
        .await?;
    let id = created["id"].as_str().ok_or("no id")?.to_owned();
    let ctx = CrudContext::internal_for::<post::Model>(Verb::Get);
    let query = object(json!({"id": id, "owner": "orm-owner"}));
    let pool = db.connection().get_postgres_connection_pool().clone();
    let mut held = pool.acquire().await?;
    let sql = r#"SELECT "id", "owner", "title", "content", "published", "likes", "created_at", "updated_at" FROM "post" WHERE "id" = $1 AND "owner" = $2 LIMIT 1"#;

    for round in 1..=3 {
        let started = Clock::start();
        for _ in 0..count {
            let found = service.find_one(query.clone(), &ctx).await?;
            std::hint::black_box(found.ok_or("not found")?);
        }
        let service_us = started.per_query(count);

        let started = Clock::start();
        for _ in 0..count {
            let found = post::Entity::find()
                .filter(post::Column::Id.eq(id.as_str()))
                .filter(post::Column::Owner.eq("orm-owner"))
                .one(db.connection())
                .await?;
            std::hint::black_box(found.ok_or("not found")?);
        }
        let typed_us = started.per_query(count);

        let started = Clock::start();
        for _ in 0..count {
            let row = sea_orm::sqlx::query(sql)
                .bind(id.as_str())
                .bind("orm-owner")
                .fetch_optional(&pool)
                .await?
                .ok_or("not found")?;
            let title: String = row.try_get("title")?;
            std::hint::black_box(title);
        }
        let driver_us = started.per_query(count);

        let started = Clock::start();
        for _ in 0..count {
            let row = sea_orm::sqlx::query(sql)
                .bind(id.as_str())
                .bind("orm-owner")
                .fetch_optional(&mut *held)
                .await?
                .ok_or("not found")?;
            let title: String = row.try_get("title")?;
            std::hint::black_box(title);
        }
        let held_us = started.per_query(count);

        println!(
            "round {round}: {count} queries; µs per query (wall / CPU): \
             CrudService::find_one {:.1} / {:.1}, sea-orm typed {:.1} / {:.1}, \
             sqlx on the pool {:.1} / {:.1}, sqlx on one connection {:.1} / {:.1}",
            service_us.0,
            service_us.1,
            typed_us.0,
            typed_us.1,
            driver_us.0,
            driver_us.1,
            held_us.0,
            held_us.1
        );
    }
    Ok(())
}

/// Wall and CPU time since a start.
struct Clock {
    wall: Instant,
    cpu_ns: u64,
}

impl Clock {
    fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu_ns: cpu_ns(),
        }
    }

    /// (wall µs, CPU µs) per query.
    fn per_query(&self, count: u32) -> (f64, f64) {
        let wall = self.wall.elapsed().as_secs_f64() * 1e6 / f64::from(count);
        let cpu = cpu_ns().saturating_sub(self.cpu_ns) as f64 / 1e3 / f64::from(count);
        (wall, cpu)
    }
}

/// CPU time of the main thread, which runs this single-threaded runtime
/// (0 where `/proc/self/schedstat` is missing).
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}
