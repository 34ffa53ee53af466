//! Portal access: the link between an account and a patient record at one practice, and the
//! rules for moving it between states (seeds 000, 001, 003, 004).

pub use crate::domain::access_status::AccessStatus;
use crate::domain::patient::age_on;
use crate::error::Error;
use chrono::NaiveDate;
use sea_orm::{DeriveValueType, EnumIter};

/// Who the account holder is to the patient.
// `DeriveValueType` rather than `DeriveActiveEnum`: the active-enum derive turns each stored
// word into a Rust identifier, and `self` cannot be one.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    EnumIter,
    DeriveValueType,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(
    value_type = "String",
    from_str = "Relation::from_stored",
    to_str = "Relation::as_str"
)]
pub enum Relation {
    /// The patient themself.
    #[serde(rename = "self")]
    Own,
    Parent,
    Guardian,
    Spouse,
    Caregiver,
    Other,
}

impl Relation {
    pub fn as_str(&self) -> &'static str {
        match self {
            Relation::Own => "self",
            Relation::Parent => "parent",
            Relation::Guardian => "guardian",
            Relation::Spouse => "spouse",
            Relation::Caregiver => "caregiver",
            Relation::Other => "other",
        }
    }

    /// A stored relation, read by its JSON spelling (the same words).
    fn from_stored(raw: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::Value::String(raw.to_owned()))
    }

    pub fn is_representative(self) -> bool {
        self != Relation::Own
    }

    /// Parents and guardians act for minors; their access ends at the age of majority.
    pub fn is_minor_representative(self) -> bool {
        matches!(self, Relation::Parent | Relation::Guardian)
    }

    /// Spouses, caregivers and others act for adults only with the adult's own consent.
    pub fn is_adult_representative(self) -> bool {
        matches!(
            self,
            Relation::Spouse | Relation::Caregiver | Relation::Other
        )
    }

    /// The relations whose access to an adult's record waits for the patient's consent.
    pub fn adult_representatives() -> [Relation; 3] {
        [Relation::Spouse, Relation::Caregiver, Relation::Other]
    }
}

/// Whether a representative's access waits for the patient's consent: a spouse, caregiver or
/// other representative of a patient who has reached the practice's age of majority. An adult
/// decides who sees their record; for a minor, the practice's age-band rules apply instead.
pub fn needs_patient_consent(
    relation: Relation,
    date_of_birth: NaiveDate,
    today: NaiveDate,
    age_of_majority: i32,
) -> bool {
    relation.is_adult_representative() && age_on(date_of_birth, today) >= age_of_majority
}

/// Whether a representative's access ends because the patient has come of age: only parents
/// and guardians, from the day the patient reaches the practice's age of majority.
pub fn ages_out(
    relation: Relation,
    date_of_birth: NaiveDate,
    today: NaiveDate,
    age_of_majority: i32,
) -> bool {
    relation.is_minor_representative() && age_on(date_of_birth, today) >= age_of_majority
}

/// What staff can do to an access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessAction {
    Block,
    Unblock,
    Revoke,
}

/// The state an action leads to, or why it cannot be taken from here.
pub fn transition(from: AccessStatus, action: AccessAction) -> Result<AccessStatus, Error> {
    use AccessAction::*;
    use AccessStatus::*;
    match (from, action) {
        (Active, Block) => Ok(Blocked),
        (Blocked, Block) => Ok(Blocked),
        (Blocked, Unblock) => Ok(Active),
        (Active, Unblock) => Ok(Active),
        (
            Invited | PendingVerification | Active | Blocked | PendingConsent | ConsentExpired,
            Revoke,
        ) => Ok(Revoked),
        (Revoked, Revoke) => Ok(Revoked),
        (Invited | PendingVerification, Block | Unblock) => Err(Error::Conflict(
            "This access has not been registered yet; revoke it to cancel the invitation.".into(),
        )),
        (Revoked, Block | Unblock) => Err(Error::Conflict(
            "This access was revoked; send a new invitation to grant it again.".into(),
        )),
        (Expired, _) => Err(Error::Conflict(
            "This access expired when the patient came of age.".into(),
        )),
        (PendingConsent | ConsentExpired, Block | Unblock) => Err(Error::Conflict(
            "This access is waiting for the patient's consent; only the patient can turn it on. Revoke it to cancel it.".into(),
        )),
    }
}

/// What the patient decides about an adult representative's access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentDecision {
    /// Approve a pending request (from the emailed link or code).
    Approve,
    /// Decline a pending request.
    Decline,
    /// Give consent again, for another period (from the patient's account).
    Renew,
    /// End the representative's access now (from the patient's account).
    End,
}

/// The status a patient's decision leads to, or why it cannot be taken from here.
pub fn consent_transition(
    from: AccessStatus,
    decision: ConsentDecision,
) -> Result<AccessStatus, Error> {
    use AccessStatus::*;
    use ConsentDecision::*;
    match (from, decision) {
        (PendingConsent, Approve) => Ok(Active),
        (PendingConsent, Decline) => Ok(Revoked),
        (Active | ConsentExpired | PendingConsent, Renew) => Ok(Active),
        (Active | Blocked | PendingConsent | ConsentExpired | Invited, End) => Ok(Revoked),
        (Revoked | Expired, End) => Err(Error::Conflict("This access has already ended.".into())),
        (Blocked, Renew) => Err(Error::Conflict(
            "The practice has blocked this access; please contact the practice.".into(),
        )),
        (_, Approve | Decline) => Err(Error::TokenInvalid),
        (_, Renew) => Err(Error::Conflict(
            "This access has ended; ask the practice to invite your representative again.".into(),
        )),
        (PendingVerification, End) => {
            Err(Error::Conflict("This access has not started yet.".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_then_unblock_restores_access() {
        let blocked = transition(AccessStatus::Active, AccessAction::Block).unwrap();
        assert_eq!(blocked, AccessStatus::Blocked);
        assert_eq!(
            transition(blocked, AccessAction::Unblock).unwrap(),
            AccessStatus::Active
        );
    }

    #[test]
    fn revoked_access_needs_a_new_invitation() {
        assert!(transition(AccessStatus::Revoked, AccessAction::Unblock).is_err());
        assert_eq!(
            transition(AccessStatus::Invited, AccessAction::Revoke).unwrap(),
            AccessStatus::Revoked
        );
    }

    #[test]
    fn parents_and_guardians_age_out_on_the_birthday_others_never() {
        let dob = NaiveDate::from_ymd_opt(2008, 11, 24).unwrap();
        let eve = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert!(!ages_out(Relation::Parent, dob, eve, 18));
        assert!(ages_out(Relation::Parent, dob, day, 18));
        assert!(ages_out(Relation::Guardian, dob, day, 18));
        assert!(!ages_out(Relation::Guardian, dob, day, 19));
        for r in [
            Relation::Spouse,
            Relation::Caregiver,
            Relation::Other,
            Relation::Own,
        ] {
            assert!(!ages_out(r, dob, day, 18));
        }
        // Born on 29 February: of age on 1 March in other years.
        let leap = NaiveDate::from_ymd_opt(2008, 2, 29).unwrap();
        let feb28 = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        let mar1 = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert!(!ages_out(Relation::Parent, leap, feb28, 18));
        assert!(ages_out(Relation::Parent, leap, mar1, 18));
    }

    #[test]
    fn adult_representatives_of_adults_need_consent_parents_and_minors_do_not() {
        let adult = NaiveDate::from_ymd_opt(1990, 4, 1).unwrap();
        let minor = NaiveDate::from_ymd_opt(2016, 5, 20).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        for r in Relation::adult_representatives() {
            assert!(needs_patient_consent(r, adult, today, 18));
            assert!(!needs_patient_consent(r, minor, today, 18));
        }
        for r in [Relation::Parent, Relation::Guardian, Relation::Own] {
            assert!(!needs_patient_consent(r, adult, today, 18));
        }
    }

    #[test]
    fn only_a_pending_request_can_be_approved_and_ended_access_stays_ended() {
        use ConsentDecision::*;
        assert_eq!(
            consent_transition(AccessStatus::PendingConsent, Approve).unwrap(),
            AccessStatus::Active
        );
        assert!(consent_transition(AccessStatus::Active, Approve).is_err());
        assert_eq!(
            consent_transition(AccessStatus::ConsentExpired, Renew).unwrap(),
            AccessStatus::Active
        );
        assert_eq!(
            consent_transition(AccessStatus::Active, End).unwrap(),
            AccessStatus::Revoked
        );
        assert!(consent_transition(AccessStatus::Revoked, Renew).is_err());
        assert!(consent_transition(AccessStatus::Blocked, Renew).is_err());
    }

    #[test]
    fn relation_self_is_spelled_self_on_the_wire() {
        assert_eq!(Relation::Own.as_str(), "self");
        assert!(Relation::Parent.is_minor_representative());
        assert!(!Relation::Spouse.is_minor_representative());
    }
}
