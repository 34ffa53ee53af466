//! Portal access: the link between an account and a patient record at one practice, and the
//! rules for moving it between states (seeds 000, 001, 003, 004).

use crate::error::Error;
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
    fn relation_self_is_spelled_self_on_the_wire() {
        assert_eq!(Relation::Own.as_str(), "self");
        assert_eq!(Relation::from_db("self"), Some(Relation::Own));
        assert!(Relation::Parent.is_minor_representative());
        assert!(!Relation::Spouse.is_minor_representative());
    }
}
