//! Attempt counters (`throttles`), one row per key, shared by every instance on the database.
//!
//! An attempt is counted BEFORE it is checked, by one upsert that adds it to every key it
//! counts on and returns the new counts ([`count_attempts`]): of any number of concurrent
//! attempts each gets its own count, so they are judged exactly as the same attempts one after
//! another would be. The statement also
//! writes the wait that count imposes (as if the attempt fails), so the attempts behind it wait
//! at once; an attempt that then succeeds takes its count back ([`settle`]). A key that must
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

/// One counter to count an attempt on, with the rule it follows.
#[derive(Debug, Clone, Copy)]
pub struct Counter<'a> {
    pub key: &'a str,
    pub rule: Rule,
}

/// `per_rule(rule)` for the row's own key: a `CASE` on the key when the counters follow
/// different rules (one statement counts them all).
fn by_key(counters: &[Counter<'_>], per_rule: impl Fn(Rule) -> Expr) -> Expr {
    // Every caller counts at least one key (the account, the address or both).
    #[allow(clippy::expect_used, reason = "callers pass at least one counter")]
    let (last, rest) = counters.split_last().expect("at least one counter");
    if rest.is_empty() {
        return per_rule(last.rule);
    }
    let key = || col(row::Column::Key);
    let mut case = Expr::case(key().eq(rest[0].key), per_rule(rest[0].rule));
    for c in &rest[1..] {
        case = case.case(key().eq(c.key), per_rule(c.rule));
    }
    case.finally(per_rule(last.rule)).into()
}

/// Counts one attempt on each counter that need not wait, in one statement: a new key starts
/// a window with a count of one, a key whose window has ended starts a new one, any other key
/// adds one. Returns the counted rows (each count includes this attempt); a counter missing
/// from them must wait, and its row is unchanged (read it with [`find`] to say how long).
pub async fn count_attempts<C: ConnectionTrait>(
    conn: &C,
    counters: &[Counter<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<row::Model>, DbErr> {
    if counters.is_empty() {
        return Ok(Vec::new());
    }
    let window_over = || col(row::Column::WindowStartedAt).lte(now - throttle::WINDOW);
    let next = || col(row::Column::Failures).add(1);
    let mut on_conflict = OnConflict::column(row::Column::Key);
    on_conflict
        .value(
            row::Column::Failures,
            Expr::case(window_over(), 1).finally(next()),
        )
        .value(
            row::Column::WindowStartedAt,
            Expr::case(window_over(), Expr::value(now)).finally(col(row::Column::WindowStartedAt)),
        )
        .value(
            row::Column::BlockedUntil,
            by_key(counters, |rule| {
                Expr::case(
                    window_over(),
                    Expr::value(throttle::blocked_until(rule, 1, now, now)),
                )
                .finally(wait_for(next(), rule, now))
                .into()
            }),
        )
        .value(row::Column::UpdatedAt, Expr::value(now));
    // Only a key that need not wait is counted.
    let mut may_count = Condition::any().add(window_over());
    for c in counters {
        may_count = may_count.add(
            Condition::all()
                .add(col(row::Column::Key).eq(c.key))
                .add(col(row::Column::Failures).lt(c.rule.cap))
                .add(
                    Condition::any()
                        .add(col(row::Column::BlockedUntil).is_null())
                        .add(col(row::Column::BlockedUntil).lte(now)),
                ),
        );
    }
    on_conflict.action_cond_where(may_count);
    let mut insert = Query::insert();
    insert.into_table(row::Entity).columns([
        row::Column::Key,
        row::Column::Failures,
        row::Column::WindowStartedAt,
        row::Column::BlockedUntil,
        row::Column::UpdatedAt,
    ]);
    for c in counters {
        insert.values_panic([
            c.key.into(),
            1.into(),
            now.into(),
            throttle::blocked_until(c.rule, 1, now, now).into(),
            now.into(),
        ]);
    }
    insert.on_conflict(on_conflict).returning_all();
    conn.query_all(&insert)
        .await?
        .iter()
        .map(|res| row::Model::from_query_result(res, ""))
        .collect()
}

/// Settles attempts counted by [`count_attempts`] in one statement: each counted row takes
/// its attempt back (one less in the same window, and the wait it imposed lifted unless a
/// later attempt has imposed another since; a row cleared meanwhile is left alone), except
/// the row of `forget`, which is cleared (a complete login clears the account's failures).
pub async fn settle<C: ConnectionTrait>(
    conn: &C,
    counted: &[(Rule, row::Model)],
    forget: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let none = || Expr::value(Option::<DateTime<Utc>>::None);
    let key = || col(row::Column::Key);
    let failures = || col(row::Column::Failures);
    let mut which = Condition::any();
    let mut failures_arms = Vec::new();
    let mut blocked_arms = Vec::new();
    if let Some(k) = forget {
        which = which.add(key().eq(k));
        failures_arms.push((key().eq(k), Expr::value(0)));
        blocked_arms.push((key().eq(k), none()));
    }
    for (rule, r) in counted
        .iter()
        .filter(|(_, r)| Some(r.key.as_str()) != forget)
    {
        let mine = || key().eq(r.key.as_str());
        which = which.add(
            Condition::all()
                .add(mine())
                .add(col(row::Column::WindowStartedAt).eq(r.window_started_at))
                .add(failures().gt(0)),
        );
        failures_arms.push((mine(), failures().sub(1)));
        // Below the free attempts nothing waits; otherwise only the wait this attempt imposed
        // is lifted (a later one's stays).
        blocked_arms.push((mine().and(failures().sub(1).lt(rule.free)), none()));
        if let Some(imposed) = r.blocked_until {
            blocked_arms.push((
                mine().and(col(row::Column::BlockedUntil).eq(imposed)),
                none(),
            ));
        }
    }
    if which.is_empty() {
        return Ok(());
    }
    row::Entity::update_many()
        .col_expr(row::Column::Failures, case_of(failures_arms, failures()))
        .col_expr(
            row::Column::BlockedUntil,
            case_of(blocked_arms, col(row::Column::BlockedUntil)),
        )
        .col_expr(row::Column::UpdatedAt, Expr::value(now))
        .filter(which)
        .exec(conn)
        .await?;
    Ok(())
}

/// `CASE WHEN <arm> THEN <value> ... ELSE <otherwise> END` (just `otherwise` without arms).
fn case_of(arms: Vec<(Expr, Expr)>, otherwise: Expr) -> Expr {
    let mut arms = arms.into_iter();
    let Some((when, then)) = arms.next() else {
        return otherwise;
    };
    let mut case = Expr::case(when, then);
    for (when, then) in arms {
        case = case.case(when, then);
    }
    case.finally(otherwise).into()
}

/// Counts one attempt on `key` unless it must wait ([`count_attempts`] with one counter).
pub async fn count_attempt<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    rule: Rule,
    now: DateTime<Utc>,
) -> Result<Option<row::Model>, DbErr> {
    Ok(count_attempts(conn, &[Counter { key, rule }], now)
        .await?
        .into_iter()
        .next())
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
