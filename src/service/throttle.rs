//! Login throttling, stored in the `throttles` table so that several instances on one
//! database share it. Two keys per attempt: the account (the SHA-256 of the folded username,
//! so unknown usernames are throttled exactly like known ones) and the client address (from a
//! trusted proxy only, see `RequestMeta`). The rules are in `domain::throttle`.
//!
//! [`check`] runs before any password hash; [`record_failure`] after a wrong password or a
//! wrong two-step code (one counter per account for both factors); [`forget_account`] after a
//! complete login or a password reset. Every refusal and every wait imposed is audited.
//!
//! Lockout choice: the account key only ever imposes waits (at most 30 seconds) until 100
//! failures in an hour; then it refuses until that hour ends, whoever asks. A stranger can
//! therefore delay a patient, and after 100 guesses keep them out for what is left of that
//! hour, but never longer; a password reset clears the account's counter at once.

use crate::auth::secrets;
use crate::domain::throttle::{self, Rule};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::throttle as row;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, Set};
use serde_json::json;

/// One counter an attempt is checked against.
struct Key {
    key: String,
    kind: &'static str,
    rule: Rule,
}

fn account_key(username: &str) -> String {
    format!(
        "account:{}",
        secrets::hash_token(&crate::domain::username::fold(username))
    )
}

fn keys(username: &str, meta: &RequestMeta) -> Vec<Key> {
    let mut keys = vec![Key {
        key: account_key(username),
        kind: "account",
        rule: throttle::ACCOUNT,
    }];
    if let Some(ip) = meta.ip.as_deref().filter(|ip| !ip.is_empty()) {
        keys.push(Key {
            key: format!("ip:{ip}"),
            kind: "client",
            rule: throttle::CLIENT,
        });
    }
    keys
}

fn live_block(r: &row::Model, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let window_open = r.window_started_at + throttle::WINDOW > now;
    r.blocked_until.filter(|until| *until > now && window_open)
}

/// Refuses the attempt with `rate_limited` (and `Retry-After`) while the account or the
/// client must wait. Audited.
pub async fn check(
    state: &AppState,
    username: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let keys = keys(username, meta);
    let rows = row::Entity::find()
        .filter(row::Column::Key.is_in(keys.iter().map(|k| k.key.clone())))
        .all(&state.db)
        .await?;
    let longest = rows
        .iter()
        .filter_map(|r| live_block(r, now).map(|u| (r, u)))
        .max_by_key(|(_, u)| *u);
    let Some((r, until)) = longest else {
        return Ok(());
    };
    let kind = keys
        .iter()
        .find(|k| k.key == r.key)
        .map_or("account", |k| k.kind);
    let retry_after_secs = throttle::retry_after(until, now);
    audit::record(
        &state.db,
        meta,
        Event::new("login.throttled", Actor::Anonymous).detail(json!({
            "key": kind,
            "username_sha256": secrets::hash_token(&crate::domain::username::fold(username)),
            "failures": r.failures,
            "retry_after": retry_after_secs,
        })),
        now,
    )
    .await?;
    Err(Error::RateLimited { retry_after_secs })
}

/// Counts a failed attempt on every key; a key that now has to wait is audited.
pub async fn record_failure(
    state: &AppState,
    username: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    for k in keys(username, meta) {
        let counted = count(&state.db, &k.key, now).await?;
        let until =
            throttle::blocked_until(k.rule, counted.failures, counted.window_started_at, now);
        row::Entity::update_many()
            .col_expr(row::Column::BlockedUntil, Expr::value(until))
            .col_expr(row::Column::UpdatedAt, Expr::value(now))
            .filter(row::Column::Key.eq(k.key.as_str()))
            .exec(&state.db)
            .await?;
        if let Some(until) = until {
            audit::record(
                &state.db,
                meta,
                Event::new("login.throttle_imposed", Actor::Anonymous).detail(json!({
                    "key": k.kind,
                    "username_sha256": secrets::hash_token(&crate::domain::username::fold(username)),
                    "failures": counted.failures,
                    "wait_secs": throttle::retry_after(until, now),
                })),
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// Adds one failure to a key, opening a new window when the last one has ended. Each step is
/// one statement, so concurrent failures on several instances are all counted.
async fn count<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    now: DateTime<Utc>,
) -> Result<row::Model, DbErr> {
    row::Entity::insert(row::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(0),
        window_started_at: Set(now),
        blocked_until: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(OnConflict::column(row::Column::Key).do_nothing().to_owned())
    .exec_without_returning(conn)
    .await?;
    row::Entity::update_many()
        .col_expr(row::Column::Failures, Expr::value(0))
        .col_expr(row::Column::WindowStartedAt, Expr::value(now))
        .col_expr(
            row::Column::BlockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(row::Column::Key.eq(key))
        .filter(row::Column::WindowStartedAt.lte(now - throttle::WINDOW))
        .exec(conn)
        .await?;
    row::Entity::update_many()
        .col_expr(
            row::Column::Failures,
            Expr::col(row::Column::Failures).add(1),
        )
        .filter(row::Column::Key.eq(key))
        .exec(conn)
        .await?;
    row::Entity::find_by_id(key.to_owned())
        .one(conn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(key.to_owned()))
}

/// Clears the account's counter: after a complete login, or a password reset.
pub async fn forget_account<C: ConnectionTrait>(conn: &C, username: &str) -> Result<(), DbErr> {
    row::Entity::delete_many()
        .filter(row::Column::Key.eq(account_key(username)))
        .exec(conn)
        .await?;
    Ok(())
}
