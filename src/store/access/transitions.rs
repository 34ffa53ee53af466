//! The status changes of a portal access, each one UPDATE guarded on the status the caller
//! expects, returning the row as it now stands (`None`: another change won).

use super::active;
use crate::domain::access::AccessStatus;
use crate::store::portal_access;
use crate::store::returning;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryTrait};
use uuid::Uuid;

/// One UPDATE of the access `id` guarded on `from`, setting `to` and `updated_at` plus
/// `stamps`; the row as it now stands, or `None` when it was not in `from`.
async fn change_status<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    from: AccessStatus,
    to: AccessStatus,
    stamps: Vec<(portal_access::Column, Expr)>,
    now: DateTime<Utc>,
) -> Result<Option<portal_access::Model>, DbErr> {
    let mut update = portal_access::Entity::update_many()
        .col_expr(portal_access::Column::Status, Expr::value(to))
        .col_expr(portal_access::Column::UpdatedAt, Expr::value(now));
    for (column, value) in stamps {
        update = update.col_expr(column, value);
    }
    let mut stmt = update
        .filter(portal_access::Column::Id.eq(id))
        .filter(portal_access::Column::Status.eq(from))
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}

/// Redeems the `invited` access `id` for an account: `to` is `active` or `pending_consent`.
/// `None` when the access is no longer `invited`.
pub async fn redeem_invited<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    account_id: Uuid,
    to: AccessStatus,
    now: DateTime<Utc>,
) -> Result<Option<portal_access::Model>, DbErr> {
    change_status(
        conn,
        id,
        AccessStatus::Invited,
        to,
        vec![
            (
                portal_access::Column::AccountId,
                Expr::value(Some(account_id)),
            ),
            (portal_access::Column::RegisteredAt, Expr::value(Some(now))),
        ],
        now,
    )
    .await
}

/// Turns on the access `id` that is still in `from` (`pending_verification`: its email was
/// confirmed, or staff enabled it). `None` when it is no longer in `from`.
pub async fn activate<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    from: AccessStatus,
    now: DateTime<Utc>,
) -> Result<Option<portal_access::Model>, DbErr> {
    change_status(conn, id, from, AccessStatus::Active, Vec::new(), now).await
}

/// Blocks the access `id` that is in `from`, stamping when and why. `None` when it is no
/// longer in `from`.
pub async fn block<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    from: AccessStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<portal_access::Model>, DbErr> {
    let stamps = vec![
        (portal_access::Column::BlockedAt, Expr::value(now)),
        (portal_access::Column::BlockReason, Expr::value(reason)),
    ];
    change_status(conn, id, from, AccessStatus::Blocked, stamps, now).await
}

/// Lifts the block on the `blocked` access `id`: it is `active` again. `None` when it is no
/// longer blocked.
pub async fn unblock<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<portal_access::Model>, DbErr> {
    let stamps = vec![(portal_access::Column::UnblockedAt, Expr::value(now))];
    change_status(
        conn,
        id,
        AccessStatus::Blocked,
        AccessStatus::Active,
        stamps,
        now,
    )
    .await
}

/// Revokes the access `id` that is in `from`, stamping when and why. `None` when it is no
/// longer in `from`.
pub async fn revoke<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    from: AccessStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<portal_access::Model>, DbErr> {
    let stamps = vec![
        (portal_access::Column::RevokedAt, Expr::value(now)),
        (portal_access::Column::RevokeReason, Expr::value(reason)),
    ];
    change_status(conn, id, from, AccessStatus::Revoked, stamps, now).await
}

/// Makes the access active with consent given now and running out at `until`, if it is still
/// in the `expected` status (pending consent or lapsed); `None` when it moved on meanwhile.
pub async fn activate_with_consent<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
    expected: AccessStatus,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<portal_access::Model>, DbErr> {
    let stamps = vec![
        (portal_access::Column::ConsentedAt, Expr::value(now)),
        (portal_access::Column::ConsentExpiresAt, Expr::value(until)),
    ];
    change_status(conn, access_id, expected, AccessStatus::Active, stamps, now).await
}

/// Marks the access `consent_expired` if it is still active and its consent has run out at
/// `now`; false when it is not (another instance or a login lapsed it first).
pub async fn lapse_consent<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(portal_access::Entity::update_many()
        .col_expr(
            portal_access::Column::Status,
            Expr::value(AccessStatus::ConsentExpired),
        )
        .col_expr(portal_access::Column::UpdatedAt, Expr::value(now))
        .filter(portal_access::Column::Id.eq(access_id))
        .filter(active())
        .filter(portal_access::Column::ConsentExpiresAt.lte(now))
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

/// Marks the access `expired` if it is still active; false when it is not (another instance
/// or a concurrent login ended it first).
pub async fn expire_if_active<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let stamps = vec![(portal_access::Column::ExpiredAt, Expr::value(now))];
    let expired = change_status(
        conn,
        access_id,
        AccessStatus::Active,
        AccessStatus::Expired,
        stamps,
        now,
    )
    .await?;
    Ok(expired.is_some())
}
