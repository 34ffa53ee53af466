//! Patient records and their practitioner links.

use crate::domain::contact::{EmailAddress, MobileNumber, PersonName, PostalCode};
use crate::store::access_reports::AccessFilter;
use crate::store::pagination::PageRequest;
use crate::store::{patient, patient_practitioner};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;
use uuid::Uuid;

/// The patient record with this id, if any (in any practice: callers check the practice).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    patient_id: Uuid,
) -> Result<Option<patient::Model>, DbErr> {
    patient::Entity::find_by_id(patient_id).one(conn).await
}

/// The patient records with these ids that exist, by id.
pub async fn find_many<C: ConnectionTrait>(
    conn: &C,
    patient_ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, patient::Model>, DbErr> {
    Ok(patient::Entity::find()
        .filter(patient::Column::Id.is_in(patient_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// Of the patient records with these ids, those born on or before `born_by`, by id.
pub async fn find_many_born_by<C: ConnectionTrait>(
    conn: &C,
    patient_ids: impl IntoIterator<Item = Uuid>,
    born_by: chrono::NaiveDate,
) -> Result<HashMap<Uuid, patient::Model>, DbErr> {
    Ok(patient::Entity::find()
        .filter(patient::Column::Id.is_in(patient_ids))
        .filter(patient::Column::DateOfBirth.lte(born_by))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

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

    /// Writes the change onto an active model (the folded search columns follow the names
    /// and email).
    fn apply(self, am: &mut patient::ActiveModel) {
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
    /// The patient has at least one access matching all of these (`store::access_reports`).
    pub access: AccessFilter,
}

/// Inserts a patient record. A taken `external_ref` is a unique violation.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    new: NewPatient,
    self_registered: bool,
    now: DateTime<Utc>,
) -> Result<patient::Model, DbErr> {
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
}

/// Writes a change onto the record `current` (as read by the caller) and returns it as it
/// now stands. A taken `external_ref` is a unique violation.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    current: patient::Model,
    change: PatientChange,
    now: DateTime<Utc>,
) -> Result<patient::Model, DbErr> {
    let mut am: patient::ActiveModel = current.into();
    change.apply(&mut am);
    am.updated_at = Set(now);
    am.update(conn).await
}

/// The practice's patients born on `date_of_birth`, oldest record first.
pub async fn born_on<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    date_of_birth: NaiveDate,
) -> Result<Vec<patient::Model>, DbErr> {
    patient::Entity::find()
        .filter(patient::Column::PracticeId.eq(practice_id))
        .filter(patient::Column::DateOfBirth.eq(date_of_birth))
        .order_by_asc(patient::Column::CreatedAt)
        .all(conn)
        .await
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

/// One page of the practice's patients matching `filter`, in creation order, with one row
/// more than the page when there is a next page (for `Page::from_overfetch`).
pub async fn search<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    filter: &PatientFilter,
    page: PageRequest,
) -> Result<Vec<patient::Model>, DbErr> {
    let mut q = patient::Entity::find().filter(patient::Column::PracticeId.eq(practice_id));
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
    if !filter.access.is_empty() {
        q = q.filter(patient::Column::Id.in_subquery(filter.access.patient_ids(practice_id)));
    }
    if let Some(after) = page.after {
        q = q.filter(patient::Column::Id.gt(after));
    }
    q.order_by_asc(patient::Column::Id)
        .limit(page.limit + 1)
        .all(conn)
        .await
}

/// The practitioner links of these patients.
pub async fn practitioner_links<C: ConnectionTrait>(
    conn: &C,
    patient_ids: &[Uuid],
) -> Result<Vec<patient_practitioner::Model>, DbErr> {
    if patient_ids.is_empty() {
        return Ok(Vec::new());
    }
    patient_practitioner::Entity::find()
        .filter(patient_practitioner::Column::PatientId.is_in(patient_ids.iter().copied()))
        .all(conn)
        .await
}

/// Replaces a patient's practitioner links with these practitioners.
pub async fn set_practitioners<C: ConnectionTrait>(
    conn: &C,
    patient_id: Uuid,
    practitioner_ids: &[Uuid],
) -> Result<(), DbErr> {
    patient_practitioner::Entity::delete_many()
        .filter(patient_practitioner::Column::PatientId.eq(patient_id))
        .exec(conn)
        .await?;
    if !practitioner_ids.is_empty() {
        patient_practitioner::Entity::insert_many(practitioner_ids.iter().map(|id| {
            patient_practitioner::ActiveModel {
                patient_id: Set(patient_id),
                practitioner_id: Set(*id),
            }
        }))
        .exec(conn)
        .await?;
    }
    Ok(())
}

/// Takes a practitioner off every record; returns how many records named them.
pub async fn unlink_practitioner<C: ConnectionTrait>(
    conn: &C,
    practitioner_id: Uuid,
) -> Result<u64, DbErr> {
    Ok(patient_practitioner::Entity::delete_many()
        .filter(patient_practitioner::Column::PractitionerId.eq(practitioner_id))
        .exec(conn)
        .await?
        .rows_affected)
}
