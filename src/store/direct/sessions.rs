//! The refresh and the token check of [`crate::store::sessions`], run directly on SQLite: the
//! same statements, built by the same functions, read into the same types.

use super::values::{self, FromRow, Row, get, opt_date, opt_time, opt_uuid, opt_word, time, uuid};
use super::{Direct, db_err};
use crate::store::account;
use crate::store::sessions::{
    ContextRow, Principal, PrincipalRow, RefreshContext, Spent, context_from_rows,
    insert_refresh_token_statement, principal_from_rows, principal_statement,
    refresh_context_statement, spend_statement,
};
use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::TransactionBehavior;
use sea_orm::sea_query::{QueryStatementWriter, SqliteQueryBuilder};
use sea_orm::{DatabaseConnection, DbErr};
use std::sync::OnceLock;
use uuid::Uuid;

/// Bound values, encoded as sqlx encodes them.
fn params(values: &[sea_orm::Value]) -> Result<Vec<rusqlite::types::Value>, DbErr> {
    values.iter().map(values::to_sql).collect()
}

/// Runs one built statement on `conn` (prepared once per connection) and reads its rows.
fn query<T: FromRow>(
    conn: &rusqlite::Connection,
    stmt: &impl QueryStatementWriter,
) -> Result<Vec<T>, DbErr> {
    let (sql, bound) = stmt.build(SqliteQueryBuilder);
    let bound = params(&bound.0)?;
    values::rows(&mut *conn.prepare_cached(&sql).map_err(db_err)?, &bound)
}

/// [`crate::store::sessions::principal`] on a read connection: one statement.
pub fn principal(
    direct: &Direct,
    account_id: Uuid,
    session_id: Uuid,
    practice_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, DbErr> {
    let bound = params(&principal_values(account_id, session_id, practice_id, now))?;
    direct.read(|conn| {
        let mut stmt = conn.prepare_cached(principal_sql()).map_err(db_err)?;
        let rows: Vec<WithAccount> = values::rows(&mut stmt, &bound)?;
        let account = rows.first().map(|r| r.account.clone());
        let rows = rows.into_iter().map(|r| r.row).collect();
        Ok((principal_from_rows(account, rows, practice_id, now), 1))
    })
}

/// The SQL of [`principal_statement`], built once: it is the same for every token, only the
/// bound values differ, and building it with sea-query on every check cost about 5% of a
/// token check's CPU. `principal_values_come_in_this_order` checks the values' order.
fn principal_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let stmt = principal_statement(Uuid::nil(), Uuid::nil(), Uuid::nil(), DateTime::UNIX_EPOCH);
        stmt.build(SqliteQueryBuilder).0
    })
}

/// The values [`principal_statement`] binds, in its order.
fn principal_values(
    account_id: Uuid,
    session_id: Uuid,
    practice_id: Uuid,
    now: DateTime<Utc>,
) -> [sea_orm::Value; 4] {
    [
        now.into(),
        account_id.into(),
        session_id.into(),
        practice_id.into(),
    ]
}

/// The next refresh token of a session: its secret's hash and how long it may lie unused.
pub struct NextToken<'a> {
    pub hash: &'a str,
    pub idle_ttl: TimeDelta,
}

/// A refresh in one transaction on the writer: [`crate::store::sessions::spend_refresh_token`], then
/// [`crate::store::sessions::refresh_context`], then, when `go_on` accepts what they read (handing back what
/// the caller needs of it), [`crate::store::sessions::insert_refresh_token`] and COMMIT. `None`: there is no
/// direct writer, the token was not spent here, or `go_on` declined; everything is rolled back
/// and the caller takes the general path, which decides again and says why.
pub async fn refresh<G>(
    direct: &Direct,
    db: &DatabaseConnection,
    token_hash: &str,
    next: NextToken<'_>,
    now: DateTime<Utc>,
    go_on: impl FnOnce(&Spent, &RefreshContext) -> Option<G>,
) -> Result<Option<(RefreshContext, G)>, DbErr> {
    let spend = spend_statement(token_hash, now);
    let done = direct
        .write(db, |conn| {
            // IMMEDIATE: the write lock first, so the spend never upgrades a read.
            let txn = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let spent: Vec<Spent> = query(&txn, &spend)?;
            let Some(spent) = spent.into_iter().next() else {
                return Ok((None, 1));
            };
            let rows: Vec<ContextRow> = query(&txn, &refresh_context_statement(spent.session_id))?;
            let Some(context) = context_from_rows(rows) else {
                return Ok((None, 2));
            };
            let Some(granted) = go_on(&spent, &context) else {
                return Ok((None, 2));
            };
            let idle_expires_at = Ord::min(now + next.idle_ttl, context.session.expires_at);
            let insert =
                insert_refresh_token_statement(context.session.id, next.hash, idle_expires_at, now);
            let (sql, bound) = insert.build(SqliteQueryBuilder);
            let bound = params(&bound.0)?;
            txn.prepare_cached(&sql)
                .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(bound)))
                .map_err(db_err)?;
            txn.commit().map_err(db_err)?;
            Ok((Some((context, granted)), 3))
        })
        .await?;
    Ok(done.flatten())
}

impl FromRow for Spent {
    fn from_row(r: &Row<'_, '_>) -> Result<Self, DbErr> {
        Ok(Spent {
            id: uuid(r, "id")?,
            session_id: uuid(r, "session_id")?,
            idle_expires_at: time(r, "idle_expires_at")?,
        })
    }
}

impl FromRow for ContextRow {
    fn from_row(r: &Row<'_, '_>) -> Result<Self, DbErr> {
        Ok(ContextRow {
            session_id: uuid(r, "session_id")?,
            account_id: uuid(r, "account_id")?,
            practice_id: uuid(r, "practice_id")?,
            client_id: get(r, "client_id")?,
            scope: get(r, "scope")?,
            amr: get(r, "amr")?,
            auth_time: time(r, "auth_time")?,
            created_at: time(r, "created_at")?,
            expires_at: time(r, "expires_at")?,
            revoked_at: opt_time(r, "revoked_at")?,
            revoked_reason: get(r, "revoked_reason")?,
            sessions_valid_after: opt_time(r, "sessions_valid_after")?,
            practice_slug: get(r, "practice_slug")?,
            practice_name: get(r, "practice_name")?,
            practice_phone: get(r, "practice_phone")?,
            practice_mfa_required: get(r, "practice_mfa_required")?,
            access_id: opt_uuid(r, "access_id")?,
            patient_id: opt_uuid(r, "patient_id")?,
            relation: opt_word(r, "relation")?,
            status: opt_word(r, "status")?,
            consent_expires_at: opt_time(r, "consent_expires_at")?,
            patient_first_name: get(r, "patient_first_name")?,
            date_of_birth: opt_date(r, "date_of_birth")?,
            practitioner_id: opt_uuid(r, "practitioner_id")?,
            launch_patient_id: opt_uuid(r, "launch_patient_id")?,
        })
    }
}

/// A row of [`principal_statement`]: the account's own columns and the rest.
struct WithAccount {
    account: account::Model,
    row: PrincipalRow,
}

impl FromRow for WithAccount {
    fn from_row(r: &Row<'_, '_>) -> Result<Self, DbErr> {
        let account = account::Model {
            id: uuid(r, "id")?,
            username: get(r, "username")?,
            username_folded: get(r, "username_folded")?,
            email: get(r, "email")?,
            email_folded: get(r, "email_folded")?,
            email_verified_at: opt_time(r, "email_verified_at")?,
            mobile: get(r, "mobile")?,
            first_name: get(r, "first_name")?,
            last_name: get(r, "last_name")?,
            date_of_birth: opt_date(r, "date_of_birth")?,
            password_hash: get(r, "password_hash")?,
            password_changed_at: time(r, "password_changed_at")?,
            must_change_password: get(r, "must_change_password")?,
            totp_secret: get(r, "totp_secret")?,
            totp_enabled_at: opt_time(r, "totp_enabled_at")?,
            totp_last_step: get(r, "totp_last_step")?,
            sessions_valid_after: opt_time(r, "sessions_valid_after")?,
            created_at: time(r, "created_at")?,
            updated_at: time(r, "updated_at")?,
        };
        let row = PrincipalRow {
            x_session_live: get(r, "x_session_live")?,
            x_practice_slug: get(r, "x_practice_slug")?,
            x_practice_name: get(r, "x_practice_name")?,
            x_practice_phone: get(r, "x_practice_phone")?,
            x_practice_mfa_required: get(r, "x_practice_mfa_required")?,
            x_access_id: opt_uuid(r, "x_access_id")?,
            x_patient_id: opt_uuid(r, "x_patient_id")?,
            x_relation: opt_word(r, "x_relation")?,
            x_status: opt_word(r, "x_status")?,
            x_consent_expires_at: opt_time(r, "x_consent_expires_at")?,
            x_patient_first_name: get(r, "x_patient_first_name")?,
            x_date_of_birth: opt_date(r, "x_date_of_birth")?,
            x_age_of_majority: get(r, "x_age_of_majority")?,
            x_override_kind: opt_word(r, "x_override_kind")?,
        };
        Ok(WithAccount { account, row })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_values_come_in_this_order() {
        let (a, s, p) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let now = Utc::now();
        let (sql, values) = principal_statement(a, s, p, now).build(SqliteQueryBuilder);
        assert_eq!(sql, principal_sql());
        assert_eq!(values.0, principal_values(a, s, p, now).to_vec());
    }
}
