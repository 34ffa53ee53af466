//! An account's portal accesses with their practice and patient, in one query: what login,
//! refresh and `/me/practices` need.

use crate::domain::access::{AccessStatus, Relation};
use crate::domain::login::{PracticeStanding, standing};
use crate::domain::practice::MIN_AGE_OF_MAJORITY;
use crate::store::{account, patient, patient_practitioner, portal_access, practice, practitioner};
use chrono::{DateTime, Months, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, RelationDef,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One portal access of an account, with what a login response and a blocked message need.
#[derive(Debug, Clone, FromQueryResult)]
pub struct AccessRow {
    pub access_id: Uuid,
    pub practice_id: Uuid,
    pub patient_id: Uuid,
    pub relation: Relation,
    pub status: AccessStatus,
    pub practice_slug: String,
    pub practice_name: String,
    pub practice_phone: String,
    pub practice_mfa_required: bool,
    pub patient_first_name: String,
    pub patient_date_of_birth: Option<NaiveDate>,
    pub consent_expires_at: Option<DateTime<Utc>>,
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
    /// The active practitioners of each patient with an active access, when the read that
    /// built this loaded them (login and refresh do, in the same statement); `None`: a session
    /// start reads them itself.
    pub practitioners: Option<BTreeMap<Uuid, Vec<Uuid>>>,
}

impl AtPractice {
    pub fn standing(&self) -> Option<PracticeStanding> {
        standing(self.rows.iter().map(|r| r.status))
    }

    /// The accesses the account may use now (the patients a token lists).
    pub fn active(&self) -> impl Iterator<Item = &AccessRow> {
        self.rows
            .iter()
            .filter(|r| r.status == AccessStatus::Active)
    }

    /// Whether time may have ended one of the active accesses: a parent's or guardian's of a
    /// patient past the lowest age of majority any practice may set, or an adult
    /// representative's whose consent has run out. `service::representation::time_limits` then decides; most
    /// logins and refreshes skip it without a query.
    pub fn time_limits_may_apply(&self, now: DateTime<Utc>) -> bool {
        let born_by = now
            .date_naive()
            .checked_sub_months(Months::new(12 * MIN_AGE_OF_MAJORITY as u32));
        self.active().any(|r| {
            let relation = r.relation;
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
                practitioners: None,
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

/// An active access's patient to the patient's practitioner links (none for other accesses):
/// with [`to_active_practitioner`], how login and refresh read practitioners in their join.
pub(crate) fn to_practitioner_links() -> RelationDef {
    portal_access::Entity::belongs_to(patient_practitioner::Entity)
        .from(portal_access::Column::PatientId)
        .to(patient_practitioner::Column::PatientId)
        .on_condition(|left, _| {
            Expr::col((left, portal_access::Column::Status))
                .eq(AccessStatus::Active)
                .into_condition()
        })
        .into()
}

/// A practitioner link to its practitioner, only while the practitioner is active.
pub(crate) fn to_active_practitioner() -> RelationDef {
    patient_practitioner::Entity::belongs_to(practitioner::Entity)
        .from(patient_practitioner::Column::PractitionerId)
        .to(practitioner::Column::Id)
        .on_condition(|_, right| {
            Expr::col((right, practitioner::Column::Active))
                .eq(true)
                .into_condition()
        })
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

/// What a password login reads, in one statement: the account with this folded username,
/// every portal access it holds (oldest first) with its practice and patient, and the active
/// practitioners of the patients whose access is active.
#[derive(Debug, Clone)]
pub struct LoginRead {
    pub account: account::Model,
    pub rows: Vec<AccessRow>,
    pub practitioners: BTreeMap<Uuid, Vec<Uuid>>,
}

impl LoginRead {
    /// The accesses grouped by practice, each carrying the practitioners of its patients.
    pub fn practices(&self) -> Vec<AtPractice> {
        let mut out = by_practice(self.rows.clone());
        for at in &mut out {
            let mine = at
                .rows
                .iter()
                .filter_map(|r| {
                    self.practitioners
                        .get(&r.patient_id)
                        .map(|ids| (r.patient_id, ids.clone()))
                })
                .collect();
            at.practitioners = Some(mine);
        }
        out
    }
}

/// The columns [`for_login`] reads besides the account's own.
#[derive(Debug, Clone, FromQueryResult)]
struct LoginRow {
    x_access_id: Option<Uuid>,
    x_practice_id: Option<Uuid>,
    x_patient_id: Option<Uuid>,
    x_relation: Option<Relation>,
    x_status: Option<AccessStatus>,
    x_practice_slug: Option<String>,
    x_practice_name: Option<String>,
    x_practice_phone: Option<String>,
    x_practice_mfa_required: Option<bool>,
    x_patient_first_name: Option<String>,
    x_patient_date_of_birth: Option<NaiveDate>,
    x_consent_expires_at: Option<DateTime<Utc>>,
    x_practitioner_id: Option<Uuid>,
}

/// The account whose folded username is `username_folded`, with its accesses and their
/// patients' active practitioners ([`LoginRead`]); `None` when no account has that name.
pub async fn for_login<C: ConnectionTrait>(
    conn: &C,
    username_folded: &str,
) -> Result<Option<LoginRead>, DbErr> {
    let pa = portal_access::Entity;
    let stmt = account::Entity::find()
        .column_as(Expr::col((pa, portal_access::Column::Id)), "x_access_id")
        .column_as(
            Expr::col((pa, portal_access::Column::PracticeId)),
            "x_practice_id",
        )
        .column_as(
            Expr::col((pa, portal_access::Column::PatientId)),
            "x_patient_id",
        )
        .column_as(portal_access::Column::Relation, "x_relation")
        .column_as(portal_access::Column::Status, "x_status")
        .column_as(practice::Column::Slug, "x_practice_slug")
        .column_as(practice::Column::Name, "x_practice_name")
        .column_as(practice::Column::ContactPhone, "x_practice_phone")
        .column_as(practice::Column::MfaRequired, "x_practice_mfa_required")
        .column_as(patient::Column::FirstName, "x_patient_first_name")
        .column_as(patient::Column::DateOfBirth, "x_patient_date_of_birth")
        .column_as(
            portal_access::Column::ConsentExpiresAt,
            "x_consent_expires_at",
        )
        .column_as(
            Expr::col((practitioner::Entity, practitioner::Column::Id)),
            "x_practitioner_id",
        )
        .join(
            JoinType::LeftJoin,
            account::Entity::belongs_to(portal_access::Entity)
                .from(account::Column::Id)
                .to(portal_access::Column::AccountId)
                .into(),
        )
        .join(JoinType::LeftJoin, to_practice())
        .join(JoinType::LeftJoin, to_patient())
        .join(JoinType::LeftJoin, to_practitioner_links())
        .join(JoinType::LeftJoin, to_active_practitioner())
        .filter(account::Column::UsernameFolded.eq(username_folded))
        .into_query();
    let rows = conn.query_all(&stmt).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut read = LoginRead {
        account: account::Model::from_query_result(first, "")?,
        rows: Vec::new(),
        practitioners: BTreeMap::new(),
    };
    for row in &rows {
        let r = LoginRow::from_query_result(row, "")?;
        let (Some(access_id), Some(practice_id), Some(patient_id), Some(relation), Some(status)) = (
            r.x_access_id,
            r.x_practice_id,
            r.x_patient_id,
            r.x_relation,
            r.x_status,
        ) else {
            continue;
        };
        if let Some(p) = r.x_practitioner_id {
            let list = read.practitioners.entry(patient_id).or_default();
            if !list.contains(&p) {
                list.push(p);
            }
        }
        if read.rows.iter().any(|a| a.access_id == access_id) {
            continue;
        }
        read.rows.push(AccessRow {
            access_id,
            practice_id,
            patient_id,
            relation,
            status,
            practice_slug: r.x_practice_slug.unwrap_or_default(),
            practice_name: r.x_practice_name.unwrap_or_default(),
            practice_phone: r.x_practice_phone.unwrap_or_default(),
            practice_mfa_required: r.x_practice_mfa_required.unwrap_or_default(),
            patient_first_name: r.x_patient_first_name.unwrap_or_default(),
            patient_date_of_birth: r.x_patient_date_of_birth,
            consent_expires_at: r.x_consent_expires_at,
        });
    }
    // As [`for_account`] orders them: oldest access first.
    read.rows.sort_by_key(|r| r.access_id);
    for list in read.practitioners.values_mut() {
        list.sort();
    }
    Ok(Some(read))
}
