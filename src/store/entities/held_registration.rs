//! The `held_registrations` table: self sign-ups waiting for the practice (issue 11, item 6).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "held_registrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    /// The existing patient the sign-up probably is.
    pub patient_id: Uuid,
    /// The account made at sign-up (its username is taken; it has no access until linked).
    pub account_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Date,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub postal_code: Option<String>,
    /// `held`, `linked` or `rejected`.
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    /// The access granted when linked.
    pub access_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
