//! The outbox: every email and SMS is a row written in the same transaction as the change that
//! caused it, then delivered by a worker with retries. A mail server that is down delays a
//! message; it never loses one and never fails the request that queued it.
//!
//! Several Portico instances may share one database: a worker claims a row with a conditional
//! UPDATE (a lease on `next_attempt_at`), so only one instance sends it at a time.

use crate::store::entities::outbox;
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

/// How a message travels: the same two ways as an invitation, stored the same way.
pub use crate::domain::invitation::Channel;

/// A rendered message, ready to queue.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    pub channel: Channel,
    /// An email address or an E.164 mobile number.
    pub to: String,
    /// Which template made it (`invitation`, `access_revoked`, …), for operators.
    pub template: &'static str,
    /// Email only.
    pub subject: Option<String>,
    pub text: String,
    /// Email only.
    pub html: Option<String>,
}

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// After this many attempts (about a day and a half of backoff) a message is marked failed.
pub const MAX_ATTEMPTS: i32 = 14;
/// How long a claimed message is reserved for the worker that claimed it.
pub const LEASE: TimeDelta = TimeDelta::minutes(2);

/// Messages of one channel in one status (`pending` or `failed`), and when the oldest of them
/// was queued: the outbox's backlog, for `/metrics`.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Backlog {
    pub channel: Channel,
    pub status: String,
    pub messages: i64,
    pub oldest: Option<DateTime<Utc>>,
}

/// The backlog by channel and status, in one grouped query (sent rows are not counted).
pub async fn backlog<C: ConnectionTrait>(conn: &C) -> Result<Vec<Backlog>, DbErr> {
    outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Channel)
        .column(outbox::Column::Status)
        .column_as(Expr::col(outbox::Column::Id).count(), "messages")
        .column_as(Expr::col(outbox::Column::CreatedAt).min(), "oldest")
        .filter(outbox::Column::Status.is_in([PENDING, FAILED]))
        .group_by(outbox::Column::Channel)
        .group_by(outbox::Column::Status)
        .into_model::<Backlog>()
        .all(conn)
        .await
}

/// Queues a message. Call with the transaction that makes the change it reports.
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    practice_id: Option<Uuid>,
    msg: OutgoingMessage,
    now: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    outbox::ActiveModel {
        id: Set(id),
        practice_id: Set(practice_id),
        channel: Set(msg.channel),
        recipient: Set(msg.to),
        template: Set(msg.template.to_owned()),
        subject: Set(msg.subject),
        body_text: Set(msg.text),
        body_html: Set(msg.html),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Claims up to `limit` due messages for this worker: each is leased, and its attempt counted,
/// before it is sent. A message another instance claimed first is skipped.
pub async fn claim_due<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    let candidates = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(PENDING))
        .filter(outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbox::Column::NextAttemptAt)
        .limit(limit)
        .all(conn)
        .await?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for row in candidates {
        let res = outbox::Entity::update_many()
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(now + LEASE))
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .filter(outbox::Column::Id.eq(row.id))
            .filter(outbox::Column::Status.eq(PENDING))
            .filter(outbox::Column::NextAttemptAt.eq(row.next_attempt_at))
            .exec(conn)
            .await?;
        if res.rows_affected == 1 {
            claimed.push(outbox::Model {
                attempts: row.attempts + 1,
                next_attempt_at: now + LEASE,
                ..row
            });
        }
    }
    Ok(claimed)
}

/// Delivered. The bodies are wiped: they may hold single-use links, and once sent the row is
/// only a record that a message went out.
pub async fn mark_sent<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(SENT))
        .col_expr(outbox::Column::SentAt, Expr::value(now))
        .col_expr(outbox::Column::BodyText, Expr::value(""))
        .col_expr(
            outbox::Column::BodyHtml,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            outbox::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(outbox::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Exponential backoff with jitter: 15 s, 30 s, 1 min … capped at 4 h.
pub fn backoff(attempts: i32) -> TimeDelta {
    let base = Ord::min(
        15i64.saturating_mul(1i64 << (attempts.clamp(1, 20) - 1)),
        4 * 3600,
    );
    let jitter = rand::rng().random_range(0..=base / 5);
    TimeDelta::seconds(base + jitter)
}

/// A failed attempt: retried later, or given up on when the error is permanent (a 5xx from
/// the mail server) or attempts are exhausted. Failed rows stay visible to operators.
pub async fn mark_attempt_failed<C: ConnectionTrait>(
    conn: &C,
    row: &outbox::Model,
    error: &str,
    permanent: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let give_up = permanent || row.attempts >= MAX_ATTEMPTS;
    let error: String = error.chars().take(500).collect();
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::LastError, Expr::value(error))
        .filter(outbox::Column::Id.eq(row.id));
    update = if give_up {
        update.col_expr(outbox::Column::Status, Expr::value(FAILED))
    } else {
        update.col_expr(
            outbox::Column::NextAttemptAt,
            Expr::value(now + backoff(row.attempts)),
        )
    };
    update.exec(conn).await?;
    Ok(())
}

/// Messages for operators to inspect, newest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    status: Option<&str>,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    let mut q = outbox::Entity::find();
    if let Some(s) = status {
        q = q.filter(outbox::Column::Status.eq(s));
    }
    q.order_by_desc(outbox::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Sends a failed message again from the start (an operator's "retry now").
pub async fn retry<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value(PENDING))
        .col_expr(outbox::Column::Attempts, Expr::value(0))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(FAILED))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The messages with these ids (those that still exist), in no particular order.
pub async fn find_many<C: ConnectionTrait>(
    conn: &C,
    ids: Vec<Uuid>,
) -> Result<Vec<outbox::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    outbox::Entity::find()
        .filter(outbox::Column::Id.is_in(ids))
        .all(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) >= TimeDelta::seconds(15) && backoff(1) <= TimeDelta::seconds(18));
        assert!(backoff(3) >= TimeDelta::seconds(60));
        assert!(backoff(40) <= TimeDelta::hours(5));
    }
}
