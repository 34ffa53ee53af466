//! Sessions and their refresh tokens: the statements of the refresh path (issue 18's budget
//! is three: spend the presented token, read everything the new tokens need, insert the next
//! token).
//!
//! Spending is one guarded statement (`UPDATE ... WHERE used_at IS NULL RETURNING`), so of any
//! number of concurrent refreshes with one token exactly one spends it; the caller's
//! transaction rolls the spend back when the refresh is then refused.

use crate::domain::access::{AccessStatus, Relation};
use crate::domain::representation::OverrideKind;
use crate::store::access_rows::{
    AccessRow, AtPractice, to_active_practitioner, to_practitioner_links,
};
use crate::store::{
    account, oauth_code, patient, portal_access, practice, practitioner, refresh_token,
    representation_override, session,
};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{
    Expr, ExprTrait, InsertStatement, IntoCondition, Query, SelectStatement, UpdateStatement,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QuerySelect, QueryTrait, RelationDef, Set,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// A refresh token this request spent.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Spent {
    pub id: Uuid,
    pub session_id: Uuid,
    pub idle_expires_at: DateTime<Utc>,
}

/// The guarded spend of [`spend_refresh_token`], as a statement ([`crate::store::direct`]
/// runs it too).
pub(crate) fn spend_statement(token_hash: &str, now: DateTime<Utc>) -> UpdateStatement {
    Query::update()
        .table(refresh_token::Entity)
        .value(refresh_token::Column::UsedAt, now)
        .and_where(refresh_token::Column::TokenHash.eq(token_hash))
        .and_where(refresh_token::Column::UsedAt.is_null())
        .returning(Query::returning().columns([
            refresh_token::Column::Id,
            refresh_token::Column::SessionId,
            refresh_token::Column::IdleExpiresAt,
        ]))
        .to_owned()
}

/// Marks the unspent token with this hash as used and returns it; `None` when no unspent
/// token has the hash (unknown, or spent already: the caller tells the two apart).
pub async fn spend_refresh_token<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Spent>, DbErr> {
    match conn.query_one(&spend_statement(token_hash, now)).await? {
        Some(row) => Ok(Some(Spent::from_query_result(&row, "")?)),
        None => Ok(None),
    }
}

/// The joins the refresh and principal reads share: a session's account, its practice, the
/// account's accesses at that practice (the session's own practice only), each access's patient.
fn session_account() -> RelationDef {
    session::Entity::belongs_to(account::Entity)
        .from(session::Column::AccountId)
        .to(account::Column::Id)
        .into()
}

fn session_practice() -> RelationDef {
    session::Entity::belongs_to(practice::Entity)
        .from(session::Column::PracticeId)
        .to(practice::Column::Id)
        .into()
}

fn session_accesses() -> RelationDef {
    session::Entity::belongs_to(portal_access::Entity)
        .from(session::Column::AccountId)
        .to(portal_access::Column::AccountId)
        .on_condition(|left, right| {
            Expr::col((right, portal_access::Column::PracticeId))
                .equals((left, session::Column::PracticeId))
                .into_condition()
        })
        .into()
}

fn access_patient() -> RelationDef {
    portal_access::Entity::belongs_to(patient::Entity)
        .from(portal_access::Column::PatientId)
        .to(patient::Column::Id)
        .into()
}

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

/// Whose session, by which client, at which practice: all must match for it to end.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub account_id: Uuid,
    pub client_id: &'a str,
    pub practice_id: Uuid,
}

/// Ends session `id` with `reason`, in one guarded update, only while it is live and it is
/// `owner`'s. Returns whether it ended now.
pub async fn end_if_owned<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    owner: Owner<'_>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::AccountId.eq(owner.account_id))
        .filter(session::Column::ClientId.eq(owner.client_id))
        .filter(session::Column::PracticeId.eq(owner.practice_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Inserts a session row.
pub async fn insert_session<C: ConnectionTrait>(
    conn: &C,
    session: &session::Model,
) -> Result<(), DbErr> {
    session::Entity::insert(session::ActiveModel::from(session.clone()).reset_all())
        .exec_without_returning(conn)
        .await
        .map(drop)
}

/// Inserts a session's next refresh token (its secret's hash).
pub async fn insert_refresh_token<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    token_hash: &str,
    idle_expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let stmt = insert_refresh_token_statement(session_id, token_hash, idle_expires_at, now);
    conn.execute(&stmt).await.map(drop)
}

/// The insert of [`insert_refresh_token`].
pub(crate) fn insert_refresh_token_statement(
    session_id: Uuid,
    token_hash: &str,
    idle_expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> InsertStatement {
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(token_hash.to_owned()),
        created_at: Set(now),
        idle_expires_at: Set(idle_expires_at),
        used_at: Set(None),
    })
    .into_query()
}

/// Ends the live sessions of an account, at one practice or everywhere; returns how many.
pub async fn end_all<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut q = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::AccountId.eq(account_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(p) = practice_id {
        q = q.filter(session::Column::PracticeId.eq(p));
    }
    Ok(q.exec(conn).await?.rows_affected)
}

/// Ends one session if it is live; returns whether it was.
pub async fn end_one<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The refresh token with this hash and its session, whatever their state.
pub async fn find_by_refresh_token<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
) -> Result<Option<(refresh_token::Model, session::Model)>, DbErr> {
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let session = session::Entity::find_by_id(token.session_id)
        .one(conn)
        .await?;
    Ok(session.map(|s| (token, s)))
}

/// The patient a SMART launch chose for a session (kept on its authorization code).
pub async fn launch_patient<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> Result<Option<Uuid>, DbErr> {
    Ok(oauth_code::Entity::find()
        .filter(oauth_code::Column::SessionId.eq(session_id))
        .one(conn)
        .await?
        .and_then(|c| c.patient_id))
}

/// Ends the account's live sessions except `keep` (none: all of them); returns how many.
pub async fn end_all_but<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    keep: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut q = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::AccountId.eq(account_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(id) = keep {
        q = q.filter(session::Column::Id.ne(id));
    }
    Ok(q.exec(conn).await?.rows_affected)
}

/// Ends the live sessions a client started (the client is being deleted); returns how many.
pub async fn end_for_client<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::ClientId.eq(client_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}
