//! Self sign-up at a practice that allows it, the emailed confirmation, and staff turning on
//! an access whose confirmation never came (seed 003).
//!
//! "A patient who signs up with your practice via our electronic registration form will
//! automatically have Patient Portal access enabled when the patient verifies his or her email
//! address … If that verification step is not completed, Patient Portal access will remain
//! toggled off and you will need to manually enable the patient's Portal account."

use crate::auth::password::Hasher;
use crate::domain::access::AccessStatus;
use crate::domain::contact::{EmailAddress, MobileNumber, PostalCode};
use crate::domain::invitation::{OnFile, check_required_fields};
use crate::domain::password_policy::{self, PasswordContext};
use crate::domain::patient_match::Identity;
use crate::domain::practice::SelfRegistration;
use crate::domain::representation::check_self_service_age;
use crate::error::{Error, Result};
use crate::service::accounts::logins::{self, NewAccount};
use crate::service::patients::records::{self, NewPatient};
use crate::service::practice::practices::{self, PracticeSettings};
use crate::service::registration::held;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{account, portal_access, practice};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;
use std::sync::Arc;

pub use crate::domain::registration::Registration;
use crate::service::registration::confirmation::{grant_own, send_verification};
/// A new sign-up: the account and its access, `pending_verification` or `active`. A sign-up
/// held for the practice (`service::registration::held`) has no access yet and reads as
/// `pending_verification`.
#[derive(Debug, Clone)]
pub struct Registered {
    pub practice: practice::Model,
    pub account: account::Model,
    pub access: Option<portal_access::Model>,
    pub status: AccessStatus,
}

/// Signs a person up at a practice: a new patient record (marked self-registered for the
/// practice to review), an account, and access to the record, off until the emailed link is
/// followed (`verify_email`) or on at once (`auto_activate`). `off`: 403 `not_allowed`.
pub async fn register(
    db: &DatabaseConnection,
    hasher: &Arc<Hasher>,
    issuer: &str,
    reg: Registration,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Registered> {
    let practice = practices::find_by_slug(db, &reg.practice)
        .await?
        .ok_or_else(|| Error::invalid("practice", "is not a practice on this portal"))?;
    let settings = PracticeSettings::from(&practice);
    if settings.self_registration == SelfRegistration::Off {
        return Err(Error::PolicyDenied(format!(
            "{} does not offer online sign-up. Please call the practice on {} to get portal access.",
            practice.name, practice.contact_phone
        )));
    }
    // Before anything that touches accounts, so the answer reveals nothing about them.
    check_self_service_age(
        reg.date_of_birth,
        now.date_naive(),
        settings.min_self_service_age,
    )?;
    check_required_fields(
        &settings.required_fields,
        &OnFile {
            email: reg.email.as_ref().map(EmailAddress::as_str),
            mobile: reg.mobile.as_ref().map(MobileNumber::as_str),
            postal_code: reg.postal_code.as_ref().map(PostalCode::as_str),
        },
    )?;
    let verify = settings.self_registration == SelfRegistration::VerifyEmail;
    if verify && reg.email.is_none() {
        return Err(Error::invalid(
            "email",
            "is required: the link that turns on your access is sent there",
        ));
    }
    password_policy::check(
        &reg.password,
        &PasswordContext {
            username: Some(reg.username.as_str()),
            email: reg.email.as_ref().map(EmailAddress::as_str),
            practice_name: Some(&practice.name),
            mfa: false,
        },
    )?;
    if logins::find_by_username(db, reg.username.as_str())
        .await?
        .is_some()
    {
        return Err(Error::UsernameTaken);
    }
    let password_hash = hasher.hash(&reg.password).await?;

    let txn = db.begin().await?;
    let existing = held::probable_match(
        &txn,
        practice.id,
        &Identity {
            first_name: reg.first_name.as_str(),
            last_name: reg.last_name.as_str(),
            date_of_birth: reg.date_of_birth,
        },
    )
    .await?;
    if let Some(existing) = existing {
        // Never a second record for one person: the sign-up waits for the practice.
        let account = held::hold(
            &txn,
            &practice,
            &existing,
            new_account(&reg, password_hash),
            &reg,
            meta,
            now,
        )
        .await?;
        txn.commit().await?;
        return Ok(Registered {
            practice,
            account,
            access: None,
            status: held::HELD_STATUS,
        });
    }
    let patient = records::insert(
        &txn,
        practice.id,
        NewPatient {
            first_name: reg.first_name.clone(),
            last_name: reg.last_name.clone(),
            date_of_birth: reg.date_of_birth,
            email: reg.email.clone(),
            mobile: reg.mobile.clone(),
            postal_code: reg.postal_code.clone(),
            address: None,
            external_ref: None,
        },
        true,
        now,
    )
    .await?;
    let account = logins::insert(&txn, new_account(&reg, password_hash), now).await?;
    let (access, status) =
        grant_own(&txn, practice.id, patient.id, account.id, verify, now).await?;
    if let (true, Some(email)) = (verify, &reg.email) {
        send_verification(
            &txn,
            &practice,
            account.id,
            access.id,
            reg.first_name.as_str(),
            email.as_str(),
            issuer,
            now,
        )
        .await?;
    }
    audit::record(
        &txn,
        meta,
        Event::new("registration.created", Actor::Account(account.id))
            .practice(practice.id)
            .patient(patient.id)
            .account(account.id)
            .access(access.id)
            .detail(
                json!({ "mode": settings.self_registration.as_str(), "status": status.as_str() }),
            ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Registered {
        practice,
        account,
        access: Some(access),
        status,
    })
}

/// The account a sign-up makes.
fn new_account(reg: &Registration, password_hash: String) -> NewAccount {
    NewAccount {
        username: reg.username.clone(),
        email: reg.email.clone(),
        email_verified: false,
        // The person's own number, as their email is: where resets go when there is no email.
        mobile: reg.mobile.clone(),
        password_hash,
        must_change_password: false,
        first_name: Some(reg.first_name.as_str().to_owned()),
        last_name: Some(reg.last_name.as_str().to_owned()),
        date_of_birth: Some(reg.date_of_birth),
    }
}
