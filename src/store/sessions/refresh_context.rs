//! What a refresh needs besides the token, read in one statement.

use super::joins::*;
use crate::domain::access::{AccessStatus, Relation};
use crate::store::access_rows::{
    AccessRow, AtPractice, to_active_practitioner, to_practitioner_links,
};
use crate::store::{account, oauth_code, patient, portal_access, practice, practitioner, session};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, SelectStatement};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QuerySelect, QueryTrait,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One row of [`refresh_context`]: the session, its account's cut-off, and one of the
/// account's accesses at the session's practice with one active practitioner of its patient.
#[derive(Debug, Clone, FromQueryResult)]
pub(crate) struct ContextRow {
    pub(crate) session_id: Uuid,
    pub(crate) account_id: Uuid,
    pub(crate) practice_id: Uuid,
    pub(crate) client_id: Option<String>,
    pub(crate) scope: String,
    pub(crate) amr: String,
    pub(crate) auth_time: DateTime<Utc>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) revoked_at: Option<DateTime<Utc>>,
    pub(crate) revoked_reason: Option<String>,
    pub(crate) sessions_valid_after: Option<DateTime<Utc>>,
    pub(crate) practice_slug: String,
    pub(crate) practice_name: String,
    pub(crate) practice_phone: String,
    pub(crate) practice_mfa_required: bool,
    pub(crate) access_id: Option<Uuid>,
    pub(crate) patient_id: Option<Uuid>,
    pub(crate) relation: Option<Relation>,
    pub(crate) status: Option<AccessStatus>,
    pub(crate) consent_expires_at: Option<DateTime<Utc>>,
    pub(crate) patient_first_name: Option<String>,
    pub(crate) date_of_birth: Option<NaiveDate>,
    pub(crate) practitioner_id: Option<Uuid>,
    pub(crate) launch_patient_id: Option<Uuid>,
}

/// What a refresh needs besides the token: read in one statement.
#[derive(Debug, Clone)]
pub struct RefreshContext {
    pub session: session::Model,
    pub sessions_valid_after: Option<DateTime<Utc>>,
    /// The account's accesses at the session's practice (none: `rows` is empty), with the
    /// active practitioners of each patient with an active access.
    pub at: AtPractice,
    /// The patient a SMART launch chose for this session (on its authorization code).
    pub launch_patient: Option<Uuid>,
}

/// The session, its account's `sessions_valid_after`, the practice, the account's accesses
/// there with their patients, those patients' active practitioners, and the SMART launch
/// patient: one query joining what login's tables hold, so a refresh re-checks the block,
/// revoke, consent and age state live without a statement per table.
pub async fn refresh_context<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> Result<Option<RefreshContext>, DbErr> {
    let rows = conn
        .query_all(&refresh_context_statement(session_id))
        .await?
        .iter()
        .map(|row| ContextRow::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(context_from_rows(rows))
}

/// The one query of [`refresh_context`].
pub(crate) fn refresh_context_statement(session_id: Uuid) -> SelectStatement {
    let pa = portal_access::Entity;
    session::Entity::find()
        .select_only()
        .column_as(session::Column::Id, "session_id")
        .column(session::Column::AccountId)
        .column(session::Column::PracticeId)
        .column(session::Column::ClientId)
        .column(session::Column::Scope)
        .column(session::Column::Amr)
        .column(session::Column::AuthTime)
        .column_as(
            Expr::col((session::Entity, session::Column::CreatedAt)),
            "created_at",
        )
        .column(session::Column::ExpiresAt)
        .column_as(
            Expr::col((session::Entity, session::Column::RevokedAt)),
            "revoked_at",
        )
        .column(session::Column::RevokedReason)
        .column(account::Column::SessionsValidAfter)
        .column_as(practice::Column::Slug, "practice_slug")
        .column_as(practice::Column::Name, "practice_name")
        .column_as(practice::Column::ContactPhone, "practice_phone")
        .column_as(practice::Column::MfaRequired, "practice_mfa_required")
        .column_as(Expr::col((pa, portal_access::Column::Id)), "access_id")
        .column_as(
            Expr::col((pa, portal_access::Column::PatientId)),
            "patient_id",
        )
        .column_as(portal_access::Column::Relation, "relation")
        .column_as(portal_access::Column::Status, "status")
        .column_as(
            portal_access::Column::ConsentExpiresAt,
            "consent_expires_at",
        )
        .column_as(patient::Column::FirstName, "patient_first_name")
        .column_as(patient::Column::DateOfBirth, "date_of_birth")
        .column_as(
            Expr::col((practitioner::Entity, practitioner::Column::Id)),
            "practitioner_id",
        )
        .column_as(
            Expr::col((oauth_code::Entity, oauth_code::Column::PatientId)),
            "launch_patient_id",
        )
        .join(JoinType::InnerJoin, session_account())
        .join(JoinType::InnerJoin, session_practice())
        .join(JoinType::LeftJoin, session_accesses())
        .join(JoinType::LeftJoin, access_patient())
        .join(JoinType::LeftJoin, to_practitioner_links())
        .join(JoinType::LeftJoin, to_active_practitioner())
        .join(
            JoinType::LeftJoin,
            session::Entity::belongs_to(oauth_code::Entity)
                .from(session::Column::Id)
                .to(oauth_code::Column::SessionId)
                .into(),
        )
        .filter(session::Column::Id.eq(session_id))
        .into_query()
}

/// [`RefreshContext`] from the rows of [`refresh_context_statement`]; `None`: no rows.
pub(crate) fn context_from_rows(rows: Vec<ContextRow>) -> Option<RefreshContext> {
    let first = rows.first()?;
    let session = session::Model {
        id: first.session_id,
        account_id: first.account_id,
        practice_id: first.practice_id,
        client_id: first.client_id.clone(),
        scope: first.scope.clone(),
        amr: first.amr.clone(),
        auth_time: first.auth_time,
        created_at: first.created_at,
        expires_at: first.expires_at,
        revoked_at: first.revoked_at,
        revoked_reason: first.revoked_reason.clone(),
    };
    let mut context = RefreshContext {
        sessions_valid_after: first.sessions_valid_after,
        at: AtPractice {
            practice_id: first.practice_id,
            slug: first.practice_slug.clone(),
            name: first.practice_name.clone(),
            phone: first.practice_phone.clone(),
            mfa_required: first.practice_mfa_required,
            rows: Vec::new(),
            practitioners: Some(BTreeMap::new()),
        },
        launch_patient: first.launch_patient_id,
        session,
    };
    for row in rows {
        let (Some(access_id), Some(patient_id), Some(relation), Some(status)) =
            (row.access_id, row.patient_id, row.relation, row.status)
        else {
            continue;
        };
        if let (Some(p), Some(map)) = (row.practitioner_id, context.at.practitioners.as_mut()) {
            let list = map.entry(patient_id).or_default();
            if !list.contains(&p) {
                list.push(p);
            }
        }
        if context.at.rows.iter().any(|r| r.access_id == access_id) {
            continue;
        }
        context.at.rows.push(AccessRow {
            access_id,
            practice_id: row.practice_id,
            patient_id,
            relation,
            status,
            practice_slug: row.practice_slug,
            practice_name: row.practice_name,
            practice_phone: row.practice_phone,
            practice_mfa_required: row.practice_mfa_required,
            patient_first_name: row.patient_first_name.unwrap_or_default(),
            patient_date_of_birth: row.date_of_birth,
            consent_expires_at: row.consent_expires_at,
        });
    }
    // As `access_rows::for_account` orders them: oldest access first.
    context.at.rows.sort_by_key(|r| r.access_id);
    for list in context
        .at
        .practitioners
        .iter_mut()
        .flat_map(|m| m.values_mut())
    {
        list.sort();
    }
    Some(context)
}
