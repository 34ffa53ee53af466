//! Patient records at a practice: create, read, change and search.

use crate::domain::contact::{EmailAddress, MobileNumber, PersonName, PostalCode};
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::service::api_keys::Staff;
use crate::service::email_change;
use crate::store::audit::{self, Event, RequestMeta};
use crate::store::pagination::{Page, PageRequest};
use crate::store::patient;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

/// A new patient record, parsed.
#[derive(Debug, Clone)]
pub struct NewPatient {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub date_of_birth: NaiveDate,
    pub email: Option<EmailAddress>,
    pub mobile: Option<MobileNumber>,
    pub postal_code: Option<PostalCode>,
    pub address: Option<String>,
    pub external_ref: Option<String>,
}

/// A change to a record: `None` leaves a field alone; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct PatientChange {
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub date_of_birth: Option<NaiveDate>,
    pub email: Option<Option<EmailAddress>>,
    pub mobile: Option<Option<MobileNumber>>,
    pub postal_code: Option<Option<PostalCode>>,
    pub address: Option<Option<String>>,
    pub external_ref: Option<Option<String>>,
}

impl PatientChange {
    /// Names of the fields this change touches (audited without their values).
    pub fn fields(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        if self.first_name.is_some() {
            f.push("first_name")
        }
        if self.last_name.is_some() {
            f.push("last_name")
        }
        if self.date_of_birth.is_some() {
            f.push("date_of_birth")
        }
        if self.email.is_some() {
            f.push("email")
        }
        if self.mobile.is_some() {
            f.push("mobile")
        }
        if self.postal_code.is_some() {
            f.push("postal_code")
        }
        if self.address.is_some() {
            f.push("address")
        }
        if self.external_ref.is_some() {
            f.push("external_ref")
        }
        f
    }

    /// Writes the change onto an active model.
    pub fn apply(self, am: &mut patient::ActiveModel) {
        if let Some(v) = self.first_name {
            am.first_name_folded = Set(v.folded());
            am.first_name = Set(v.as_str().to_owned());
        }
        if let Some(v) = self.last_name {
            am.last_name_folded = Set(v.folded());
            am.last_name = Set(v.as_str().to_owned());
        }
        if let Some(v) = self.date_of_birth {
            am.date_of_birth = Set(v);
        }
        if let Some(v) = self.email {
            am.email_folded = Set(v.as_ref().map(EmailAddress::folded));
            am.email = Set(v.map(|e| e.as_str().to_owned()));
        }
        if let Some(v) = self.mobile {
            am.mobile = Set(v.map(|m| m.as_str().to_owned()));
        }
        if let Some(v) = self.postal_code {
            am.postal_code = Set(v.map(|p| p.as_str().to_owned()));
        }
        if let Some(v) = self.address {
            am.address_line = Set(v);
        }
        if let Some(v) = self.external_ref {
            am.external_ref = Set(v);
        }
    }
}

/// Search criteria; all given criteria must match.
#[derive(Debug, Clone, Default)]
pub struct PatientFilter {
    /// Each word must start the first or the last name, case-insensitively.
    pub name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub external_ref: Option<String>,
}

fn external_ref_taken(e: &sea_orm::DbErr) -> Option<Error> {
    crate::db::is_unique_violation(e).then(|| {
        Error::Conflict("Another patient at this practice already has that external_ref.".into())
    })
}

/// Inserts a patient record (used by staff, quick add and self sign-up).
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    new: NewPatient,
    self_registered: bool,
    now: DateTime<Utc>,
) -> Result<patient::Model> {
    patient::ActiveModel {
        id: Set(Uuid::now_v7()),
        practice_id: Set(practice_id),
        first_name_folded: Set(new.first_name.folded()),
        last_name_folded: Set(new.last_name.folded()),
        first_name: Set(new.first_name.as_str().to_owned()),
        last_name: Set(new.last_name.as_str().to_owned()),
        date_of_birth: Set(new.date_of_birth),
        email_folded: Set(new.email.as_ref().map(EmailAddress::folded)),
        email: Set(new.email.map(|e| e.as_str().to_owned())),
        mobile: Set(new.mobile.map(|m| m.as_str().to_owned())),
        postal_code: Set(new.postal_code.map(|p| p.as_str().to_owned())),
        address_line: Set(new.address),
        external_ref: Set(new.external_ref),
        self_registered: Set(self_registered),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(|e| external_ref_taken(&e).unwrap_or_else(|| e.into()))
}

/// Creates a patient at the caller's practice.
pub async fn create(
    db: &DatabaseConnection,
    staff: &Staff,
    new: NewPatient,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<patient::Model> {
    staff.require(Permission::WritePatients)?;
    let txn = db.begin().await?;
    let created = insert(&txn, staff.practice_id, new, false, now).await?;
    audit::record(
        &txn,
        meta,
        Event::new("patient.created", staff.actor())
            .practice(staff.practice_id)
            .patient(created.id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// A patient of the given practice. Another practice's patient is "not found", never
/// "forbidden": the answer must not reveal that the id exists elsewhere.
pub async fn find_in_practice<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    id: Uuid,
) -> Result<patient::Model> {
    patient::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|p| p.practice_id == practice_id)
        .ok_or(Error::NotFound)
}

pub async fn get(db: &DatabaseConnection, staff: &Staff, id: Uuid) -> Result<patient::Model> {
    staff.require(Permission::ReadPatients)?;
    find_in_practice(db, staff.practice_id, id).await
}

/// Applies a change made by staff. A changed email also stops links sent to the old address
/// and tells it when the record has active portal access (`service::email_change`).
pub async fn update(
    db: &DatabaseConnection,
    staff: &Staff,
    id: Uuid,
    change: PatientChange,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<patient::Model> {
    staff.require(Permission::WritePatients)?;
    let txn = db.begin().await?;
    let updated = apply_change(&txn, staff, id, change, meta, now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Applies a change to a record of the caller's practice inside the caller's transaction,
/// with the email-change safety rules and the `patient.updated` audit event. Also used when
/// staff accept a patient's demographic change request.
pub async fn apply_change<C: ConnectionTrait>(
    txn: &C,
    staff: &Staff,
    id: Uuid,
    change: PatientChange,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<patient::Model> {
    let current = find_in_practice(txn, staff.practice_id, id).await?;
    let fields = change.fields();
    let old_email = current.email.clone();
    let email_touched = change.email.is_some();
    let mut am: patient::ActiveModel = current.into();
    change.apply(&mut am);
    am.updated_at = Set(now);
    let updated = am
        .update(txn)
        .await
        .map_err(|e| external_ref_taken(&e).unwrap_or_else(|| e.into()))?;
    if email_touched {
        email_change::on_patient_email_changed(
            txn,
            staff,
            id,
            old_email.as_deref(),
            updated.email.as_deref(),
            meta,
            now,
        )
        .await?;
    }
    audit::record(
        txn,
        meta,
        Event::new("patient.updated", staff.actor())
            .practice(staff.practice_id)
            .patient(id)
            .detail(json!({ "fields": fields })),
        now,
    )
    .await?;
    Ok(updated)
}

/// Escapes LIKE wildcards so a search for `50%` means the characters, not a pattern.
fn like_prefix(term: &str) -> LikeExpr {
    let escaped: String = term
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    LikeExpr::new(format!("{escaped}%")).escape('\\')
}

/// Searches the caller's practice, a page at a time, in creation order.
pub async fn search(
    db: &DatabaseConnection,
    staff: &Staff,
    filter: PatientFilter,
    page: PageRequest,
) -> Result<Page<patient::Model>> {
    staff.require(Permission::ReadPatients)?;
    let mut q = patient::Entity::find().filter(patient::Column::PracticeId.eq(staff.practice_id));
    if let Some(name) = &filter.name {
        for term in name.split_whitespace().take(4) {
            let folded = term.to_lowercase();
            q = q.filter(
                Condition::any()
                    .add(Expr::col(patient::Column::FirstNameFolded).like(like_prefix(&folded)))
                    .add(Expr::col(patient::Column::LastNameFolded).like(like_prefix(&folded))),
            );
        }
    }
    if let Some(dob) = filter.date_of_birth {
        q = q.filter(patient::Column::DateOfBirth.eq(dob));
    }
    if let Some(r) = &filter.external_ref {
        q = q.filter(patient::Column::ExternalRef.eq(r.trim()));
    }
    if let Some(after) = page.after {
        q = q.filter(patient::Column::Id.gt(after));
    }
    let rows = q
        .order_by_asc(patient::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(rows, page.limit, |p| p.id))
}
