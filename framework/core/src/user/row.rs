//! [`AccountRow`]: the account columns of one user, as the user service reads
//! them, and the statements that read and write them on the application's
//! user table.

use sea_orm::sea_query::{Expr, ExprTrait as _, Query, SelectStatement, UpdateStatement};
use sea_orm::{ConnectionTrait as _, FromQueryResult};
use serde::Serialize;

use super::AccountService;
use super::columns::{COLUMNS, Col};
use crate::error::Result;
use crate::storage::{DateTimeUtc, Name};

/// The account columns the framework reads, secrets included.
///
/// Serialized with the wire names and formats, like the Model.
#[derive(Debug, Clone, PartialEq, FromQueryResult, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // every required column is read; not every one is used yet
pub(crate) struct AccountRow {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) password: String,
    pub(crate) role: String,
    pub(crate) username: Option<String>,
    #[serde(with = "crate::storage::timestamp_opt")]
    pub(crate) last_login_attempt: Option<DateTimeUtc>,
    pub(crate) failed_login_count: Option<i64>,
    pub(crate) rvkd: Option<i64>,
    pub(crate) next_email: Option<String>,
    pub(crate) verified_email: Option<bool>,
    pub(crate) email_verification_token: Option<String>,
    #[serde(with = "crate::storage::timestamp_opt")]
    pub(crate) last_email_verification_sent: Option<DateTimeUtc>,
    pub(crate) verified_email_attemp_count: Option<i64>,
    #[serde(with = "crate::storage::timestamp_opt")]
    pub(crate) last_password_reset_sent: Option<DateTimeUtc>,
    pub(crate) password_reset_token: Option<String>,
    pub(crate) password_reset_attemp_count: Option<i64>,
    #[serde(with = "crate::storage::timestamp_opt")]
    pub(crate) timeout: Option<DateTimeUtc>,
    pub(crate) timeout_count: Option<i64>,
    #[serde(rename = "twoFA")]
    pub(crate) two_f_a: Option<bool>,
    #[serde(rename = "lastTwoFACode")]
    pub(crate) last_two_f_a_code: Option<String>,
    #[serde(rename = "lastTwoFACodeSent", with = "crate::storage::timestamp_opt")]
    pub(crate) last_two_f_a_code_sent: Option<DateTimeUtc>,
    #[serde(rename = "twoFACodeCount")]
    pub(crate) two_f_a_code_count: Option<i64>,
    pub(crate) no_token_refresh: Option<bool>,
    #[serde(with = "crate::storage::timestamp")]
    pub(crate) created_at: DateTimeUtc,
    #[serde(with = "crate::storage::timestamp")]
    pub(crate) updated_at: DateTimeUtc,
}

impl AccountService {
    /// The user's table, as statements name it.
    fn table(&self) -> Name {
        Name(self.inner.crud.info().table())
    }

    /// `SELECT <the required account columns> FROM <user table>`.
    fn select_account(&self) -> SelectStatement {
        Query::select()
            .columns(COLUMNS.iter().filter(|c| c.required).map(|c| c.column))
            .from(self.table())
            .to_owned()
    }

    /// The account whose `column` holds `value`, if any.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the database fails.
    pub(crate) async fn account_where(
        &self,
        column: Col,
        value: &str,
    ) -> Result<Option<AccountRow>> {
        let stmt = self
            .select_account()
            .and_where(Expr::col(column).eq(value))
            .limit(1)
            .to_owned();
        let Some(row) = self.inner.db.query_one(&stmt).await? else {
            return Ok(None);
        };
        Ok(Some(AccountRow::from_query_result(&row, "")?))
    }

    /// The account of user `id`, if any.
    ///
    /// # Errors
    ///
    /// As [`AccountService::account_where`].
    pub(crate) async fn account(&self, id: &str) -> Result<Option<AccountRow>> {
        self.account_where(Col::Id, id).await
    }

    /// `UPDATE <user table> WHERE id = <id>`, to which the caller adds values
    /// and conditions.
    pub(crate) fn update_account(&self, id: &str) -> UpdateStatement {
        Query::update()
            .table(self.table())
            .and_where(Expr::col(Col::Id).eq(id))
            .to_owned()
    }

    /// Runs an update of the user table; the number of rows it changed.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the database fails.
    pub(crate) async fn run_update(&self, stmt: &UpdateStatement) -> Result<u64> {
        Ok(self.inner.db.execute(stmt).await?.rows_affected())
    }
}
