//! The `portal_access` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "portal_access")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub patient_id: Uuid,
    pub account_id: Option<Uuid>,
    pub relation: crate::domain::access::Relation,
    pub status: crate::domain::access::AccessStatus,
    pub invited_at: Option<DateTimeUtc>,
    pub registered_at: Option<DateTimeUtc>,
    pub last_login_at: Option<DateTimeUtc>,
    pub blocked_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub block_reason: Option<String>,
    pub unblocked_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub revoke_reason: Option<String>,
    pub expired_at: Option<DateTimeUtc>,
    /// When the patient last consented to this (adult) representative's access.
    pub consented_at: Option<DateTimeUtc>,
    /// When that consent runs out; `None` when the access needs none.
    pub consent_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

/// The access's consent has not run out at `now`: no expiry (not an adult representative, or
/// granted before consents expired), or an expiry still ahead.
pub fn consent_current(now: DateTimeUtc) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(Column::ConsentExpiresAt.is_null())
        .add(Column::ConsentExpiresAt.gt(now))
}
