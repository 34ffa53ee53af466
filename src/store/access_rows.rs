//! An account's portal accesses with their practice and patient, in one query: what login,
//! refresh and `/me/practices` need.

use crate::domain::access::{AccessStatus, Relation};
use crate::domain::login::{PracticeStanding, standing};
use crate::domain::practice::MIN_AGE_OF_MAJORITY;
use crate::store::{patient, portal_access, practice};
use chrono::{DateTime, Months, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationDef,
};
use uuid::Uuid;

/// One portal access of an account, with what a login response and a blocked message need.
#[derive(Debug, Clone, FromQueryResult)]
pub struct AccessRow {
    pub access_id: Uuid,
    pub practice_id: Uuid,
    pub patient_id: Uuid,
    pub relation: String,
    pub status: String,
    pub practice_slug: String,
    pub practice_name: String,
    pub practice_phone: String,
    pub practice_mfa_required: bool,
    pub patient_first_name: String,
    pub patient_date_of_birth: Option<NaiveDate>,
    pub consent_expires_at: Option<DateTime<Utc>>,
}

impl AccessRow {
    /// Unknown stored values read as "not usable", never as active.
    pub fn status(&self) -> AccessStatus {
        AccessStatus::from_db(&self.status).unwrap_or(AccessStatus::Revoked)
    }

    pub fn relation(&self) -> Relation {
        Relation::from_db(&self.relation).unwrap_or(Relation::Other)
    }
}

/// The practice and the account's accesses there.
#[derive(Debug, Clone)]
pub struct AtPractice {
    pub practice_id: Uuid,
    pub slug: String,
    pub name: String,
    pub phone: String,
    /// The practice asks every account for two-step verification.
    pub mfa_required: bool,
    pub rows: Vec<AccessRow>,
}

impl AtPractice {
    pub fn standing(&self) -> Option<PracticeStanding> {
        standing(self.rows.iter().map(AccessRow::status))
    }

    /// The accesses the account may use now (the patients a token lists).
    pub fn active(&self) -> impl Iterator<Item = &AccessRow> {
        self.rows
            .iter()
            .filter(|r| r.status() == AccessStatus::Active)
    }

    /// Whether time may have ended one of the active accesses: a parent's or guardian's of a
    /// patient past the lowest age of majority any practice may set, or an adult
    /// representative's whose consent has run out. `service::time_limits` then decides; most
    /// logins and refreshes skip it without a query.
    pub fn time_limits_may_apply(&self, now: DateTime<Utc>) -> bool {
        let born_by = now
            .date_naive()
            .checked_sub_months(Months::new(12 * MIN_AGE_OF_MAJORITY as u32));
        self.active().any(|r| {
            let relation = r.relation();
            (relation.is_minor_representative()
                && r.patient_date_of_birth
                    .zip(born_by)
                    .is_some_and(|(born, by)| born <= by))
                || (relation.is_adult_representative()
                    && r.consent_expires_at.is_some_and(|t| t <= now))
        })
    }
}

/// Groups rows by practice, keeping the order in which practices first appear.
pub fn by_practice(rows: Vec<AccessRow>) -> Vec<AtPractice> {
    let mut out: Vec<AtPractice> = Vec::new();
    for row in rows {
        match out.iter_mut().find(|p| p.practice_id == row.practice_id) {
            Some(p) => p.rows.push(row),
            None => out.push(AtPractice {
                practice_id: row.practice_id,
                slug: row.practice_slug.clone(),
                name: row.practice_name.clone(),
                phone: row.practice_phone.clone(),
                mfa_required: row.practice_mfa_required,
                rows: vec![row],
            }),
        }
    }
    out
}

fn to_practice() -> RelationDef {
    portal_access::Entity::belongs_to(practice::Entity)
        .from(portal_access::Column::PracticeId)
        .to(practice::Column::Id)
        .into()
}

fn to_patient() -> RelationDef {
    portal_access::Entity::belongs_to(patient::Entity)
        .from(portal_access::Column::PatientId)
        .to(patient::Column::Id)
        .into()
}

/// Every access the account holds, at every practice, oldest first.
pub async fn for_account<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Option<Uuid>,
) -> Result<Vec<AccessRow>, DbErr> {
    let mut q = portal_access::Entity::find()
        .select_only()
        .column_as(portal_access::Column::Id, "access_id")
        .column(portal_access::Column::PracticeId)
        .column(portal_access::Column::PatientId)
        .column(portal_access::Column::Relation)
        .column(portal_access::Column::Status)
        .column_as(practice::Column::Slug, "practice_slug")
        .column_as(practice::Column::Name, "practice_name")
        .column_as(practice::Column::ContactPhone, "practice_phone")
        .column_as(practice::Column::MfaRequired, "practice_mfa_required")
        .column_as(patient::Column::FirstName, "patient_first_name")
        .column_as(patient::Column::DateOfBirth, "patient_date_of_birth")
        .column(portal_access::Column::ConsentExpiresAt)
        .join(JoinType::InnerJoin, to_practice())
        .join(JoinType::InnerJoin, to_patient())
        .filter(portal_access::Column::AccountId.eq(account_id));
    if let Some(p) = practice_id {
        q = q.filter(portal_access::Column::PracticeId.eq(p));
    }
    q.order_by_asc(portal_access::Column::Id)
        .into_model::<AccessRow>()
        .all(conn)
        .await
}

/// The account's accesses at one practice, grouped (`None` when it has none there).
pub async fn at_practice<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Uuid,
) -> Result<Option<AtPractice>, DbErr> {
    Ok(
        by_practice(for_account(conn, account_id, Some(practice_id)).await?)
            .into_iter()
            .next(),
    )
}

/// Notes a login on the accesses it used (`last_login_at`, shown to the practice).
pub async fn record_login<C: ConnectionTrait>(
    conn: &C,
    access_ids: impl IntoIterator<Item = Uuid>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    portal_access::Entity::update_many()
        .col_expr(
            portal_access::Column::LastLoginAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(portal_access::Column::Id.is_in(access_ids))
        .exec(conn)
        .await
        .map(drop)
}
