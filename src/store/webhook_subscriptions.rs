//! A practice's webhook subscriptions. Every query is scoped to the practice, so another
//! practice's subscription id is simply not found.

use crate::store::{returning, webhook_attempt, webhook_delivery, webhook_subscription};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QueryTrait,
};
use uuid::Uuid;

pub const ACTIVE: &str = "active";
pub const DISABLED: &str = "disabled";

pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    row: &webhook_subscription::Model,
) -> Result<webhook_subscription::Model, DbErr> {
    webhook_subscription::ActiveModel::from(row.clone())
        .reset_all()
        .insert(conn)
        .await
}

/// Every subscription of the practice, oldest first.
pub async fn for_practice<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
) -> Result<Vec<webhook_subscription::Model>, DbErr> {
    webhook_subscription::Entity::find()
        .filter(webhook_subscription::Column::PracticeId.eq(practice_id))
        .order_by_asc(webhook_subscription::Column::Id)
        .all(conn)
        .await
}

/// The practice's active subscriptions: whom a new event goes to.
pub async fn active_for_practice<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
) -> Result<Vec<webhook_subscription::Model>, DbErr> {
    webhook_subscription::Entity::find()
        .filter(webhook_subscription::Column::PracticeId.eq(practice_id))
        .filter(webhook_subscription::Column::Status.eq(ACTIVE))
        .all(conn)
        .await
}

pub async fn find<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    id: Uuid,
) -> Result<Option<webhook_subscription::Model>, DbErr> {
    webhook_subscription::Entity::find_by_id(id)
        .filter(webhook_subscription::Column::PracticeId.eq(practice_id))
        .one(conn)
        .await
}

/// Any practice's subscription, for the delivery worker.
pub async fn find_any<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<webhook_subscription::Model>, DbErr> {
    webhook_subscription::Entity::find_by_id(id).one(conn).await
}

/// What the practice may change: the URL, the event types, and whether it is on. Turning it
/// back on forgets the failures that turned it off.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    id: Uuid,
    url: Option<&str>,
    event_types: Option<&str>,
    enable: Option<bool>,
    now: DateTime<Utc>,
) -> Result<Option<webhook_subscription::Model>, DbErr> {
    let mut stmt = webhook_subscription::Entity::update_many()
        .col_expr(webhook_subscription::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_subscription::Column::Id.eq(id))
        .filter(webhook_subscription::Column::PracticeId.eq(practice_id));
    if let Some(u) = url {
        stmt = stmt.col_expr(webhook_subscription::Column::Url, Expr::value(u));
    }
    if let Some(t) = event_types {
        stmt = stmt.col_expr(webhook_subscription::Column::EventTypes, Expr::value(t));
    }
    match enable {
        Some(true) => {
            stmt = stmt
                .col_expr(webhook_subscription::Column::Status, Expr::value(ACTIVE))
                .col_expr(
                    webhook_subscription::Column::FailingSince,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(
                    webhook_subscription::Column::DisabledAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                );
        }
        Some(false) => {
            stmt = stmt
                .col_expr(webhook_subscription::Column::Status, Expr::value(DISABLED))
                .col_expr(webhook_subscription::Column::DisabledAt, Expr::value(now));
        }
        None => {}
    }
    let mut stmt = stmt.into_query();
    returning::one(conn, stmt.returning_all()).await
}

/// A new secret; the current one becomes the previous one, valid until `previous_until`.
pub async fn rotate<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    id: Uuid,
    current: &str,
    new_sealed: &str,
    previous_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<webhook_subscription::Model>, DbErr> {
    let mut stmt = webhook_subscription::Entity::update_many()
        .col_expr(
            webhook_subscription::Column::Secret,
            Expr::value(new_sealed),
        )
        .col_expr(
            webhook_subscription::Column::PreviousSecret,
            Expr::value(Some(current.to_owned())),
        )
        .col_expr(
            webhook_subscription::Column::PreviousSecretUntil,
            Expr::value(Some(previous_until)),
        )
        .col_expr(webhook_subscription::Column::UpdatedAt, Expr::value(now))
        .filter(webhook_subscription::Column::Id.eq(id))
        .filter(webhook_subscription::Column::PracticeId.eq(practice_id))
        // Two rotations at once: the second sees another current secret and changes nothing.
        .filter(webhook_subscription::Column::Secret.eq(current))
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}

/// Deletes the subscription with its deliveries and their attempts.
pub async fn delete<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    let gone = webhook_subscription::Entity::delete_many()
        .filter(webhook_subscription::Column::Id.eq(id))
        .filter(webhook_subscription::Column::PracticeId.eq(practice_id))
        .exec(conn)
        .await?
        .rows_affected
        == 1;
    if gone {
        webhook_attempt::Entity::delete_many()
            .filter(webhook_attempt::Column::SubscriptionId.eq(id))
            .exec(conn)
            .await?;
        webhook_delivery::Entity::delete_many()
            .filter(webhook_delivery::Column::SubscriptionId.eq(id))
            .exec(conn)
            .await?;
    }
    Ok(gone)
}

/// A failed attempt: the subscription is failing since `now` unless it already was. Returns
/// the row as it now stands.
pub async fn note_failure<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<webhook_subscription::Model>, DbErr> {
    webhook_subscription::Entity::update_many()
        .col_expr(
            webhook_subscription::Column::FailingSince,
            Expr::value(Some(now)),
        )
        .filter(webhook_subscription::Column::Id.eq(id))
        .filter(webhook_subscription::Column::FailingSince.is_null())
        .exec(conn)
        .await?;
    find_any(conn, id).await
}

/// A delivery arrived: the subscription is no longer failing.
pub async fn note_success<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<(), DbErr> {
    webhook_subscription::Entity::update_many()
        .col_expr(
            webhook_subscription::Column::FailingSince,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(webhook_subscription::Column::Id.eq(id))
        .filter(webhook_subscription::Column::FailingSince.is_not_null())
        .exec(conn)
        .await
        .map(drop)
}

/// Turns off a subscription that has been failing since before `failing_before`: once only
/// (the admin is told once), `None` when it was not failing that long or is already off.
pub async fn disable_failing<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    failing_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<webhook_subscription::Model>, DbErr> {
    let mut stmt = webhook_subscription::Entity::update_many()
        .col_expr(webhook_subscription::Column::Status, Expr::value(DISABLED))
        .col_expr(
            webhook_subscription::Column::DisabledAt,
            Expr::value(Some(now)),
        )
        .filter(webhook_subscription::Column::Id.eq(id))
        .filter(webhook_subscription::Column::Status.eq(ACTIVE))
        .filter(webhook_subscription::Column::FailingSince.lte(failing_before))
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}
