//! Attempt counters (`throttles`), one row per key, shared by every instance on the database.
//!
//! An attempt is counted BEFORE it is checked, by one upsert that adds it and returns the new
//! count ([`count_attempt`]): of any number of concurrent attempts each gets its own count, so
//! they are judged exactly as the same attempts one after another would be. The statement also
//! writes the wait that count imposes (as if the attempt fails), so the attempts behind it wait
//! at once; an attempt that then succeeds takes its count back ([`uncount`]). A key that must
//! wait is not counted at all (the statement changes and returns nothing), so waiting is never
//! extended by attempts refused meanwhile. The rules are in `domain::throttle`.

use crate::domain::throttle::{self, Rule};
use crate::store::throttle as row;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter,
};

fn col(c: row::Column) -> Expr {
    Expr::col((row::Entity, c))
}

/// The wait an attempt imposes by bringing the count to `count`, at `now`, as one SQL `CASE`
/// (`NULL` below the free attempts).
fn wait_for(count: Expr, rule: Rule, now: DateTime<Utc>) -> Expr {
    let (steps, ceiling) = throttle::wait_steps(rule, now);
    let mut case = Expr::case(
        count.clone().lt(rule.free),
        Expr::value(Option::<DateTime<Utc>>::None),
    );
    for (n, until) in steps {
        case = case.case(count.clone().eq(n), Expr::value(until));
    }
    case.finally(Expr::value(ceiling)).into()
}

/// Counts one attempt on `key` unless the key must wait, in one statement: a new key starts a
/// window with a count of one, a key whose window has ended starts a new one, any other key
/// adds one. Returns the counted row (its count includes this attempt), or `None` when the key must
/// wait (its row is then unchanged: read it with [`find`] to say how long).
pub async fn count_attempt<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    rule: Rule,
    now: DateTime<Utc>,
) -> Result<Option<row::Model>, DbErr> {
    let window_over = col(row::Column::WindowStartedAt).lte(now - throttle::WINDOW);
    let next = col(row::Column::Failures).add(1);
    let first_wait = throttle::blocked_until(rule, 1, now, now);
    let mut on_conflict = OnConflict::column(row::Column::Key);
    on_conflict
        .value(
            row::Column::Failures,
            Expr::case(window_over.clone(), 1).finally(next.clone()),
        )
        .value(
            row::Column::WindowStartedAt,
            Expr::case(window_over.clone(), Expr::value(now))
                .finally(col(row::Column::WindowStartedAt)),
        )
        .value(
            row::Column::BlockedUntil,
            Expr::case(window_over.clone(), Expr::value(first_wait))
                .finally(wait_for(next, rule, now)),
        )
        .value(row::Column::UpdatedAt, Expr::value(now))
        // Only a key that need not wait is counted.
        .action_cond_where(
            Condition::any().add(window_over).add(
                Condition::all()
                    .add(col(row::Column::Failures).lt(rule.cap))
                    .add(
                        Condition::any()
                            .add(col(row::Column::BlockedUntil).is_null())
                            .add(col(row::Column::BlockedUntil).lte(now)),
                    ),
            ),
        );
    let insert = Query::insert()
        .into_table(row::Entity)
        .columns([
            row::Column::Key,
            row::Column::Failures,
            row::Column::WindowStartedAt,
            row::Column::BlockedUntil,
            row::Column::UpdatedAt,
        ])
        .values_panic([
            key.into(),
            1.into(),
            now.into(),
            first_wait.into(),
            now.into(),
        ])
        .on_conflict(on_conflict)
        .returning_all()
        .to_owned();
    match conn.query_one(&insert).await? {
        Some(res) => Ok(Some(row::Model::from_query_result(&res, "")?)),
        None => Ok(None),
    }
}

/// Takes back an attempt counted by [`count_attempt`] that succeeded (or was refused before
/// it was tried): one less in the same window, and the wait it imposed lifted unless a later
/// attempt has imposed another since. A row cleared meanwhile is left alone.
pub async fn uncount<C: ConnectionTrait>(
    conn: &C,
    counted: &row::Model,
    rule: Rule,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let none = || Expr::value(Option::<DateTime<Utc>>::None);
    // Below the free attempts nothing waits; otherwise only the wait this attempt imposed is
    // lifted (a later one's stays).
    let mut blocked = Expr::case(col(row::Column::Failures).sub(1).lt(rule.free), none());
    if let Some(mine) = counted.blocked_until {
        blocked = blocked.case(col(row::Column::BlockedUntil).eq(mine), none());
    }
    let blocked: Expr = blocked.finally(col(row::Column::BlockedUntil)).into();
    row::Entity::update_many()
        .col_expr(row::Column::Failures, col(row::Column::Failures).sub(1))
        .col_expr(row::Column::BlockedUntil, blocked)
        .col_expr(row::Column::UpdatedAt, Expr::value(now))
        .filter(row::Column::Key.eq(counted.key.as_str()))
        .filter(row::Column::WindowStartedAt.eq(counted.window_started_at))
        .filter(row::Column::Failures.gt(0))
        .exec(conn)
        .await?;
    Ok(())
}

/// A key's row, if any (none is a count of zero).
pub async fn find<C: ConnectionTrait>(conn: &C, key: &str) -> Result<Option<row::Model>, DbErr> {
    row::Entity::find_by_id(key.to_owned()).one(conn).await
}

/// Until when a key must wait, if it must.
pub fn waiting_until(r: &row::Model, rule: Rule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let window_end = r.window_started_at + throttle::WINDOW;
    if window_end <= now {
        return None;
    }
    if r.failures >= rule.cap {
        return Some(window_end);
    }
    r.blocked_until.filter(|until| *until > now)
}

/// Clears a key (a complete login or a password reset clears the account's).
pub async fn forget<C: ConnectionTrait>(conn: &C, key: &str) -> Result<(), DbErr> {
    row::Entity::delete_many()
        .filter(row::Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}
