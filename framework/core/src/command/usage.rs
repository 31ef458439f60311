//! Per-subject call counters, changed atomically in the database.
//!
//! One row per (subject, key): how many calls were made and when the last
//! one was let through. The subject is a user id for command limits, or a
//! login identifier for the login throttle. Each check is a single upsert whose `WHERE`
//! does the test, so two server instances on one database cannot both let a
//! call through that only one may make.

use sea_orm::ConnectionTrait;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};

use crate::error::{Error, Result};
use crate::storage::Db;

/// One subject's use of one command (or of login).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "ferrocrud_command_usage")]
pub(crate) struct Model {
    /// The user id, or the login identifier.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    /// `<service>_<command>`, or `login`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub command: String,
    /// Calls counted against `max_uses_per_user`.
    pub uses: i64,
    /// Epoch milliseconds of the last call let through.
    pub last_call_ms: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Counts one use, or fails with [`Error::MaxUsesReached`] when `max` uses were made.
pub(crate) async fn reserve_use(db: &Db, subject: &str, command: &str, max: u64) -> Result<()> {
    let max = i64::try_from(max).unwrap_or(i64::MAX);
    if max == 0 {
        return Err(Error::MaxUsesReached { max: 0 });
    }
    let stmt = Query::insert()
        .into_table(Entity)
        .columns([
            Column::Subject,
            Column::Command,
            Column::Uses,
            Column::LastCallMs,
        ])
        .values_panic([subject.into(), command.into(), 1i64.into(), 0i64.into()])
        .on_conflict(
            OnConflict::columns([Column::Subject, Column::Command])
                .value(Column::Uses, Expr::col((Entity, Column::Uses)).add(1))
                .action_and_where(Expr::col((Entity, Column::Uses)).lt(max))
                .to_owned(),
        )
        .to_owned();
    let result = db.execute(&stmt).await?;
    if result.rows_affected() == 0 {
        return Err(Error::MaxUsesReached { max: max as u64 });
    }
    Ok(())
}

/// Gives back a use reserved by [`reserve_use`] for a call that failed.
pub(crate) async fn release_use(db: &Db, subject: &str, command: &str) -> Result<()> {
    let stmt = Query::update()
        .table(Entity)
        .value(Column::Uses, Expr::col(Column::Uses).sub(1))
        .and_where(Expr::col(Column::Subject).eq(subject))
        .and_where(Expr::col(Column::Command).eq(command))
        .and_where(Expr::col(Column::Uses).gt(0))
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

/// Gives back a call claimed by [`claim_call`] at `claimed_ms` for a call that
/// failed: the previous call was at least an interval ago, so the subject
/// may call again at once. A later claim is left alone.
pub(crate) async fn release_call(
    db: &Db,
    subject: &str,
    command: &str,
    claimed_ms: i64,
) -> Result<()> {
    let stmt = Query::update()
        .table(Entity)
        .value(Column::LastCallMs, 0i64)
        .and_where(Expr::col(Column::Subject).eq(subject))
        .and_where(Expr::col(Column::Command).eq(command))
        .and_where(Expr::col(Column::LastCallMs).eq(claimed_ms))
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

/// Deletes the rows of `command` whose last call was at or before
/// `older_than_ms`, for keys whose rows hold nothing back after that time
/// (never the command limits, whose uses count forever). Without this,
/// every identifier ever tried, most of them no account's, would keep its
/// rows. Answers how many were deleted.
pub(crate) async fn purge_calls(db: &Db, command: &str, older_than_ms: i64) -> Result<u64> {
    let stmt = Query::delete()
        .from_table(Entity)
        .and_where(Expr::col(Column::Command).eq(command))
        .and_where(Expr::col(Column::LastCallMs).lte(older_than_ms))
        .to_owned();
    Ok(db.execute(&stmt).await?.rows_affected())
}

/// Lets a call through if the last one was at least `interval_ms` ago, or
/// fails with [`Error::WaitUntil`] naming when the next call is allowed.
pub(crate) async fn claim_call(
    db: &Db,
    subject: &str,
    command: &str,
    now_ms: i64,
    interval_ms: i64,
) -> Result<()> {
    let stmt = Query::insert()
        .into_table(Entity)
        .columns([
            Column::Subject,
            Column::Command,
            Column::Uses,
            Column::LastCallMs,
        ])
        .values_panic([subject.into(), command.into(), 0i64.into(), now_ms.into()])
        .on_conflict(
            OnConflict::columns([Column::Subject, Column::Command])
                .value(Column::LastCallMs, now_ms)
                .action_and_where(Expr::col((Entity, Column::LastCallMs)).lte(now_ms - interval_ms))
                .to_owned(),
        )
        .to_owned();
    let result = db.execute(&stmt).await?;
    if result.rows_affected() > 0 {
        return Ok(());
    }
    let last = Entity::find_by_id((subject.to_owned(), command.to_owned()))
        .one(db)
        .await?
        .map_or(now_ms, |row| row.last_call_ms);
    Err(Error::WaitUntil {
        next_allowed_call: last + interval_ms,
    })
}
