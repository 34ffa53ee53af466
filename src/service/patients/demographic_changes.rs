//! Demographic change requests (seed 004): a patient or representative asks for changes to a
//! patient's name, contact details, address or date of birth; the practice reviews each and
//! accepts (the record changes in the same transaction) or declines it with a reason. Either
//! way the requester is told through the outbox, and every step is audited (field names only,
//! never the values).

use crate::domain::contact::{EmailAddress, MobileNumber, PersonName, PostalCode};
use crate::domain::demographics::{ChangeStatus, RequestedChanges};
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::mail::notices;
use crate::mail::onboarding::Sender;
use crate::service::patients::records::{self, PatientChange};
use crate::service::practice::api_keys::Staff;
use crate::service::practice::practices;
use crate::service::sessions::patient_auth::PatientPrincipal;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::demographic_changes as store;
use crate::store::pagination::{Page, PageRequest};
use crate::store::{access, accounts, demographic_change, outbox};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// More pending requests than this from one account for one patient is refused: the practice
/// reviews each by hand.
pub const MAX_PENDING_PER_REQUESTER: u64 = 10;
/// The longest decline reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// A request, with its changes parsed.
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    pub row: demographic_change::Model,
    pub status: ChangeStatus,
    pub changes: RequestedChanges,
}

impl TryFrom<demographic_change::Model> for ChangeRequest {
    type Error = Error;
    fn try_from(row: demographic_change::Model) -> Result<Self> {
        let status = row.status;
        let changes = serde_json::from_str(&row.changes).map_err(Error::internal)?;
        Ok(Self {
            row,
            status,
            changes,
        })
    }
}

/// Submits a request for one patient the caller acts for: the token must list the patient and
/// the caller's link to it must still be active; otherwise the patient is "not found".
pub async fn submit(
    db: &DatabaseConnection,
    principal: &PatientPrincipal,
    patient_id: Uuid,
    changes: RequestedChanges,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<ChangeRequest> {
    let changes = changes.validate(now.date_naive())?;
    if !principal.claims.patients.iter().any(|p| p.id == patient_id) {
        return Err(Error::NotFound);
    }
    let account_id = principal.account.id;
    let txn = db.begin().await?;
    let access = access::find_active(&txn, account_id, principal.practice_id, patient_id)
        .await?
        .ok_or(Error::NotFound)?;
    let pending =
        store::count_for_requester(&txn, patient_id, account_id, ChangeStatus::Pending).await?;
    if pending >= MAX_PENDING_PER_REQUESTER {
        return Err(Error::Conflict(
            "Too many change requests are waiting for the practice's review.".into(),
        ));
    }
    let row = store::insert(
        &txn,
        principal.practice_id,
        patient_id,
        account_id,
        serde_json::to_string(&changes).map_err(Error::internal)?,
        ChangeStatus::Pending,
        now,
    )
    .await?;
    audit::record(
        &txn,
        meta,
        Event::new("demographic_change.requested", Actor::Account(account_id))
            .practice(principal.practice_id)
            .patient(patient_id)
            .account(account_id)
            .access(access.id)
            .detail(json!({"request_id": row.id, "fields": changes.fields()})),
        now,
    )
    .await?;
    txn.commit().await?;
    ChangeRequest::try_from(row)
}

/// The practice's requests, optionally of one status, a page at a time, oldest first.
pub async fn list(
    db: &DatabaseConnection,
    staff: &Staff,
    status: Option<ChangeStatus>,
    page: PageRequest,
) -> Result<Page<ChangeRequest>> {
    staff.require(Permission::ReviewDemographicChanges)?;
    let rows = store::for_practice(db, staff.practice_id, status, page).await?;
    let page = Page::from_overfetch(rows, page.limit, |r| r.id);
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(ChangeRequest::try_from)
            .collect::<Result<_>>()?,
        next_cursor: page.next_cursor,
    })
}

/// A request of the caller's practice; another practice's is "not found".
async fn find<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    id: Uuid,
) -> Result<demographic_change::Model> {
    store::find(conn, id)
        .await?
        .filter(|r| r.practice_id == practice_id)
        .ok_or(Error::NotFound)
}

/// Moves a pending request to its decision with one guarded UPDATE, so two reviewers
/// deciding at once cannot both win.
async fn decide<C: ConnectionTrait>(
    conn: &C,
    staff: &Staff,
    id: Uuid,
    to: ChangeStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<demographic_change::Model> {
    let current = find(conn, staff.practice_id, id).await?;
    let decided = store::decide(
        conn,
        current.id,
        ChangeStatus::Pending,
        to,
        reason.map(str::to_owned),
        format!("api_key:{}", staff.key_id),
        now,
    )
    .await?;
    if !decided {
        return Err(Error::Conflict(
            "This request was already accepted or declined.".into(),
        ));
    }
    Ok(demographic_change::Model {
        status: to,
        reason: reason.map(str::to_owned),
        decided_by: Some(format!("api_key:{}", staff.key_id)),
        decided_at: Some(now),
        ..current
    })
}

/// The patient-record change a stored request asks for. Values were validated when the
/// request was made; they are parsed again so the record only ever gets checked values.
fn to_patient_change(c: &RequestedChanges, now: DateTime<Utc>) -> Result<PatientChange> {
    let c = c.clone().validate(now.date_naive())?;
    Ok(PatientChange {
        first_name: c
            .first_name
            .map(|v| PersonName::parse("first_name", &v))
            .transpose()?,
        last_name: c
            .last_name
            .map(|v| PersonName::parse("last_name", &v))
            .transpose()?,
        date_of_birth: c.date_of_birth,
        email: c
            .email
            .map(|v| EmailAddress::parse("email", &v).map(Some))
            .transpose()?,
        mobile: c
            .mobile
            .map(|v| MobileNumber::parse("mobile", &v).map(Some))
            .transpose()?,
        postal_code: c
            .postal_code
            .map(|v| PostalCode::parse("postal_code", &v).map(Some))
            .transpose()?,
        address: c.address.map(Some),
        external_ref: None,
    })
}

/// Tells the requester the outcome, when their account has an email. Returns whether a
/// message was queued.
async fn notify<C: ConnectionTrait>(
    conn: &C,
    row: &demographic_change::Model,
    patient_first_name: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(to) = accounts::email_of(conn, Some(row.account_id)).await? else {
        return Ok(false);
    };
    let practice = practices::get(conn, row.practice_id).await?;
    let sender = Sender {
        name: &practice.name,
        phone: &practice.contact_phone,
    };
    let message = match reason {
        None => notices::demographic_change_accepted(&to, sender, patient_first_name),
        Some(r) => notices::demographic_change_declined(&to, sender, patient_first_name, r),
    };
    outbox::enqueue(conn, Some(practice.id), message, now).await?;
    Ok(true)
}

/// Accepts a pending request: the patient's record changes in the same transaction (a new
/// email follows the same safety rules as a staff edit: `service::patients::email_change`), and the
/// requester is told.
pub async fn accept(
    db: &DatabaseConnection,
    staff: &Staff,
    id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<ChangeRequest> {
    staff.require(Permission::ReviewDemographicChanges)?;
    let txn = db.begin().await?;
    let row = decide(&txn, staff, id, ChangeStatus::Accepted, None, now).await?;
    let request = ChangeRequest::try_from(row)?;
    let change = to_patient_change(&request.changes, now)?;
    let patient =
        records::apply_change(&txn, staff, request.row.patient_id, change, meta, now).await?;
    let notified = notify(&txn, &request.row, &patient.first_name, None, now).await?;
    audit::record(
        &txn,
        meta,
        Event::new("demographic_change.accepted", staff.actor())
            .practice(staff.practice_id)
            .patient(patient.id)
            .account(request.row.account_id)
            .detail(json!({
                "request_id": request.row.id,
                "fields": request.changes.fields(),
                "requester_notified": notified,
            })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(request)
}

/// Declines a pending request with a reason the requester is shown.
pub async fn decline(
    db: &DatabaseConnection,
    staff: &Staff,
    id: Uuid,
    reason: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<ChangeRequest> {
    staff.require(Permission::ReviewDemographicChanges)?;
    let reason = reason.trim();
    if reason.is_empty()
        || reason.chars().count() > MAX_REASON_CHARS
        || reason.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(Error::invalid(
            "reason",
            format!("must be between 1 and {MAX_REASON_CHARS} printable characters"),
        ));
    }
    let txn = db.begin().await?;
    let row = decide(&txn, staff, id, ChangeStatus::Declined, Some(reason), now).await?;
    let patient = records::find_in_practice(&txn, staff.practice_id, row.patient_id).await?;
    let notified = notify(&txn, &row, &patient.first_name, Some(reason), now).await?;
    let request = ChangeRequest::try_from(row)?;
    audit::record(
        &txn,
        meta,
        Event::new("demographic_change.declined", staff.actor())
            .practice(staff.practice_id)
            .patient(patient.id)
            .account(request.row.account_id)
            .detail(json!({
                "request_id": request.row.id,
                "fields": request.changes.fields(),
                "requester_notified": notified,
            })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(request)
}
