//! Who an access token speaks for, read live in one statement.

use super::joins::*;
use crate::domain::access::{AccessStatus, Relation};
use crate::domain::representation::OverrideKind;
use crate::store::access_rows::{AccessRow, AtPractice};
use crate::store::{account, patient, portal_access, practice, representation_override, session};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QuerySelect, QueryTrait,
};
use uuid::Uuid;

/// The columns [`principal`] reads besides the account's own.
#[derive(Debug, Clone, FromQueryResult)]
pub(crate) struct PrincipalRow {
    pub(crate) x_session_live: bool,
    pub(crate) x_practice_slug: String,
    pub(crate) x_practice_name: String,
    pub(crate) x_practice_phone: String,
    pub(crate) x_practice_mfa_required: bool,
    pub(crate) x_access_id: Option<Uuid>,
    pub(crate) x_patient_id: Option<Uuid>,
    pub(crate) x_relation: Option<Relation>,
    pub(crate) x_status: Option<AccessStatus>,
    pub(crate) x_consent_expires_at: Option<DateTime<Utc>>,
    pub(crate) x_patient_first_name: Option<String>,
    pub(crate) x_date_of_birth: Option<NaiveDate>,
    pub(crate) x_age_of_majority: i32,
    pub(crate) x_override_kind: Option<OverrideKind>,
}

/// Who an access token speaks for, read live in one statement: the account, whether the
/// token's session is live (not revoked, not expired, not before the account's
/// `sessions_valid_after`), and the account's accesses at the practice with their patients,
/// where an access that time has ended already reads as ended, before the jobs mark it: an
/// adult representative's whose consent has run out (`consent_expired`), a parent's or
/// guardian's whose patient has reached the practice's age of majority without a
/// guardianship override (`expired`). `None`: no such account, session or practice.
pub async fn principal<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    session_id: Uuid,
    practice_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, DbErr> {
    let stmt = principal_statement(account_id, session_id, practice_id, now);
    let rows = conn.query_all(&stmt).await?;
    let account = match rows.first() {
        Some(first) => Some(account::Model::from_query_result(first, "")?),
        None => None,
    };
    let rows = rows
        .iter()
        .map(|row| PrincipalRow::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(principal_from_rows(account, rows, practice_id, now))
}

/// The account, whether the session is live, and the accesses at the practice.
pub type Principal = (account::Model, bool, AtPractice);

/// The one query of [`principal`].
pub(crate) fn principal_statement(
    account_id: Uuid,
    session_id: Uuid,
    practice_id: Uuid,
    now: DateTime<Utc>,
) -> SelectStatement {
    use sea_orm::sea_query::{Cond, SimpleExpr};

    let s = session::Entity;
    let live: SimpleExpr = Cond::all()
        .add(Expr::col((s, session::Column::RevokedAt)).is_null())
        .add(Expr::col((s, session::Column::ExpiresAt)).gt(now))
        .add(
            Cond::any()
                .add(Expr::col((account::Entity, account::Column::SessionsValidAfter)).is_null())
                .add(Expr::col((s, session::Column::CreatedAt)).gte(Expr::col((
                    account::Entity,
                    account::Column::SessionsValidAfter,
                )))),
        )
        .into();
    let pa = portal_access::Entity;
    account::Entity::find()
        .column_as(live, "x_session_live")
        .column_as(practice::Column::Slug, "x_practice_slug")
        .column_as(practice::Column::Name, "x_practice_name")
        .column_as(practice::Column::ContactPhone, "x_practice_phone")
        .column_as(practice::Column::MfaRequired, "x_practice_mfa_required")
        .column_as(Expr::col((pa, portal_access::Column::Id)), "x_access_id")
        .column_as(
            Expr::col((pa, portal_access::Column::PatientId)),
            "x_patient_id",
        )
        .column_as(portal_access::Column::Relation, "x_relation")
        .column_as(portal_access::Column::Status, "x_status")
        .column_as(
            portal_access::Column::ConsentExpiresAt,
            "x_consent_expires_at",
        )
        .column_as(patient::Column::FirstName, "x_patient_first_name")
        .column_as(patient::Column::DateOfBirth, "x_date_of_birth")
        .column_as(practice::Column::AgeOfMajority, "x_age_of_majority")
        .column_as(representation_override::Column::Kind, "x_override_kind")
        .join(
            JoinType::InnerJoin,
            account::Entity::belongs_to(session::Entity)
                .from(account::Column::Id)
                .to(session::Column::AccountId)
                .into(),
        )
        .join(JoinType::InnerJoin, session_practice())
        .join(JoinType::LeftJoin, session_accesses())
        .join(JoinType::LeftJoin, access_patient())
        .join(
            JoinType::LeftJoin,
            portal_access::Entity::belongs_to(representation_override::Entity)
                .from(portal_access::Column::PatientId)
                .to(representation_override::Column::PatientId)
                .into(),
        )
        .filter(account::Column::Id.eq(account_id))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::PracticeId.eq(practice_id))
        .into_query()
}

/// [`Principal`] from the rows of [`principal_statement`] (the account read from the first);
/// `None`: no rows.
pub(crate) fn principal_from_rows(
    account: Option<account::Model>,
    rows: Vec<PrincipalRow>,
    practice_id: Uuid,
    now: DateTime<Utc>,
) -> Option<Principal> {
    use crate::domain::access::ages_out;

    let (account, head) = (account?, rows.first()?);
    let live = head.x_session_live;
    let mut at = AtPractice {
        practice_id,
        slug: head.x_practice_slug.clone(),
        name: head.x_practice_name.clone(),
        phone: head.x_practice_phone.clone(),
        mfa_required: head.x_practice_mfa_required,
        rows: Vec::new(),
        practitioners: None,
    };
    for r in rows {
        let (Some(access_id), Some(patient_id), Some(relation), Some(mut status)) =
            (r.x_access_id, r.x_patient_id, r.x_relation, r.x_status)
        else {
            continue;
        };
        // A consent that has run out ends the access at once, before the lapse job marks it.
        if status == AccessStatus::Active && r.x_consent_expires_at.is_some_and(|t| t <= now) {
            status = AccessStatus::ConsentExpired;
        }
        // A patient who has come of age is no longer a parent's or guardian's to see, from
        // the birthday on, before the ageing job marks the access.
        if status == AccessStatus::Active
            && r.x_override_kind != Some(OverrideKind::Guardianship)
            && r.x_date_of_birth
                .is_some_and(|born| ages_out(relation, born, now.date_naive(), r.x_age_of_majority))
        {
            status = AccessStatus::Expired;
        }
        at.rows.push(AccessRow {
            access_id,
            practice_id,
            patient_id,
            relation,
            status,
            practice_slug: r.x_practice_slug,
            practice_name: r.x_practice_name,
            practice_phone: r.x_practice_phone,
            practice_mfa_required: r.x_practice_mfa_required,
            patient_first_name: r.x_patient_first_name.unwrap_or_default(),
            patient_date_of_birth: None,
            consent_expires_at: r.x_consent_expires_at,
        });
    }
    at.rows.sort_by_key(|r| r.access_id);
    Some((account, live, at))
}
