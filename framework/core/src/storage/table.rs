//! Running the statements of [`query`](super::query) on a connection or a
//! transaction.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Condition, Value};
use serde_json::{Map, Value as Json};

use super::convert::read_row;
use super::info::EntityInfo;
use super::query::{Changes, Select};
use crate::error::Error;

/// Reads the rows of a SELECT as JSON objects.
pub(crate) async fn select<C: ConnectionTrait>(
    conn: &C,
    info: &EntityInfo,
    select: Select,
) -> Result<Vec<Map<String, Json>>, Error> {
    let columns = select.columns.clone();
    let rows = conn.query_all(&info.select_statement(select)).await?;
    rows.iter()
        .map(|row| read_row(info, &columns, row).map_err(Error::from))
        .collect()
}

/// Counts the rows matching a condition.
pub(crate) async fn count<C: ConnectionTrait>(
    conn: &C,
    info: &EntityInfo,
    condition: Condition,
) -> Result<u64, Error> {
    let row = conn.query_one(&info.count_statement(condition)).await?;
    let count = match row {
        Some(row) => row.try_get::<i64>("", "count")?,
        None => 0,
    };
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Inserts one row given as (column index, value) pairs.
pub(crate) async fn insert<C: ConnectionTrait>(
    conn: &C,
    info: &EntityInfo,
    row: Vec<(usize, Value)>,
) -> Result<(), Error> {
    conn.execute(&info.insert_statement(row)?).await?;
    Ok(())
}

/// Updates the rows matching a condition (values set, counters increased);
/// returns how many.
pub(crate) async fn update<C: ConnectionTrait>(
    conn: &C,
    info: &EntityInfo,
    condition: Condition,
    changes: Changes,
) -> Result<u64, Error> {
    if changes.is_empty() {
        // Nothing to set (an entity without updatedAt and empty data): the
        // rows "updated" are the rows matched.
        return count(conn, info, condition).await;
    }
    let result = conn
        .execute(&info.update_statement(condition, changes))
        .await?;
    Ok(result.rows_affected())
}

/// Deletes the rows matching a condition; returns how many.
pub(crate) async fn delete<C: ConnectionTrait>(
    conn: &C,
    info: &EntityInfo,
    condition: Condition,
) -> Result<u64, Error> {
    let result = conn.execute(&info.delete_statement(condition)).await?;
    Ok(result.rows_affected())
}
