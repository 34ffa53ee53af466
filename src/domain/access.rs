//! Portal access: the link between an account and a patient record at one practice, and the
//! rules for moving it between states (seeds 000, 001, 003, 004).

use crate::domain::patient::age_on;
use crate::error::Error;
use chrono::NaiveDate;
use poem_openapi::Enum;

/// Who the account holder is to the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, serde::Serialize, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The patient themself.
    #[oai(rename = "self")]
    #[serde(rename = "self")]
    Own,
    Parent,
    Guardian,
    Spouse,
    Caregiver,
    Other,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Own => "self",
            Relation::Parent => "parent",
            Relation::Guardian => "guardian",
            Relation::Spouse => "spouse",
            Relation::Caregiver => "caregiver",
            Relation::Other => "other",
        }
    }

    pub fn from_db(raw: &str) -> Option<Self> {
        Some(match raw {
            "self" => Relation::Own,
            "parent" => Relation::Parent,
            "guardian" => Relation::Guardian,
            "spouse" => Relation::Spouse,
            "caregiver" => Relation::Caregiver,
            "other" => Relation::Other,
            _ => return None,
        })
    }

    pub fn is_representative(self) -> bool {
        self != Relation::Own
    }

    /// Parents and guardians act for minors; their access ends at the age of majority.
    pub fn is_minor_representative(self) -> bool {
        matches!(self, Relation::Parent | Relation::Guardian)
    }
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

/// Where a portal access stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Serialize, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AccessStatus {
    /// An invitation was sent; nobody has redeemed it yet.
    Invited,
    /// Signed up, waiting for the emailed link to be followed (seed 003).
    PendingVerification,
    /// The account may log in to this practice for this patient.
    Active,
    /// Login refused with the practice's contact details; the link stays (seeds 000, 001).
    Blocked,
    /// Deactivated: links and sessions killed; a new invitation re-grants (seed 004).
    Revoked,
    /// A parent's or guardian's access ended when the patient came of age.
    Expired,
}

impl AccessStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessStatus::Invited => "invited",
            AccessStatus::PendingVerification => "pending_verification",
            AccessStatus::Active => "active",
            AccessStatus::Blocked => "blocked",
            AccessStatus::Revoked => "revoked",
            AccessStatus::Expired => "expired",
        }
    }

    pub fn from_db(raw: &str) -> Option<Self> {
        Some(match raw {
            "invited" => AccessStatus::Invited,
            "pending_verification" => AccessStatus::PendingVerification,
            "active" => AccessStatus::Active,
            "blocked" => AccessStatus::Blocked,
            "revoked" => AccessStatus::Revoked,
            "expired" => AccessStatus::Expired,
            _ => return None,
        })
    }
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
        (Invited | PendingVerification | Active | Blocked, Revoke) => Ok(Revoked),
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
    fn relation_self_is_spelled_self_on_the_wire() {
        assert_eq!(Relation::Own.as_str(), "self");
        assert_eq!(Relation::from_db("self"), Some(Relation::Own));
        assert!(Relation::Parent.is_minor_representative());
        assert!(!Relation::Spouse.is_minor_representative());
    }
}
