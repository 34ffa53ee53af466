//! Invitations: the rules for sending one (what must be on file, where it goes) and for
//! redeeming one (seeds 001, 003, 004). No I/O here.

use crate::domain::access::Relation;
use crate::domain::contact::{EmailAddress, MobileNumber, PersonName};
use crate::domain::practice::RequiredField;
use crate::error::Error;
use chrono::{DateTime, Utc};
use sea_orm::{DeriveActiveEnum, EnumIter, prelude::StringLen};
use std::collections::BTreeSet;

/// After this many wrong dates of birth or passwords, a link stops working and the practice
/// must send a new one: a leaked link must not become a way to guess a date of birth.
pub const MAX_FAILED_ATTEMPTS: i32 = 10;

/// How an invitation travels (seed 004: "by Email or Text Message").
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

/// Where the message carrying a link stands in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Queued, or waiting to be retried (a mail server that is down delays, never loses).
    Pending,
    /// Handed to the mail server or SMS gateway (or written to the folder).
    Sent,
    /// Refused for good (e.g. SMTP 550); send the invitation again once the address is fixed.
    Failed,
}

impl Delivery {
    /// `outbox.status` stays a plain string: the outbox also holds messages that are not
    /// invitations, and operators filter it by the stored word.
    pub fn from_db(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Delivery::Pending),
            "sent" => Some(Delivery::Sent),
            "failed" => Some(Delivery::Failed),
            _ => None,
        }
    }
}

/// Where one invitation link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Can be redeemed until `expires_at`.
    Pending,
    /// Redeemed.
    Used,
    /// Past its lifetime (seed 004: 72 hours).
    Expired,
    /// A newer invitation for the same patient and relation replaced it.
    Superseded,
    /// Stopped by the practice: access revoked, the address changed, or too many wrong attempts.
    Revoked,
}

/// The timestamps that decide an invitation's status.
#[derive(Debug, Clone, Copy)]
pub struct Lifecycle {
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub superseded_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Lifecycle {
    /// Used, superseded and revoked win over expired: a link that was used is "used" forever.
    pub fn status(&self, now: DateTime<Utc>) -> InvitationStatus {
        if self.used_at.is_some() {
            InvitationStatus::Used
        } else if self.revoked_at.is_some() {
            InvitationStatus::Revoked
        } else if self.superseded_at.is_some() {
            InvitationStatus::Superseded
        } else if self.expires_at <= now {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        }
    }

    /// Ok while the link may be redeemed; otherwise the error the patient sees.
    pub fn check_redeemable(&self, now: DateTime<Utc>) -> Result<(), Error> {
        match self.status(now) {
            InvitationStatus::Pending => Ok(()),
            InvitationStatus::Expired => Err(Error::InvitationExpired),
            InvitationStatus::Used | InvitationStatus::Superseded | InvitationStatus::Revoked => {
                Err(Error::InvitationUsed)
            }
        }
    }
}

/// Whether redeeming creates a new login or links one the person already has (seed 004:
/// "the same login credentials they initially had").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountMode {
    New,
    Existing,
}

/// The person a representative invitation is for (a parent, spouse, carer…).
#[derive(Debug, Clone)]
pub struct Recipient {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Option<EmailAddress>,
    pub mobile: Option<MobileNumber>,
}

/// A parsed request to invite someone to a patient's record.
#[derive(Debug, Clone)]
pub struct InvitationRequest {
    pub channel: Channel,
    pub relation: Relation,
    /// Required for a representative, refused for the patient themself.
    pub recipient: Option<Recipient>,
}

impl InvitationRequest {
    pub fn new(
        channel: Channel,
        relation: Relation,
        recipient: Option<Recipient>,
    ) -> Result<Self, Error> {
        match (relation.is_representative(), &recipient) {
            (true, None) => Err(Error::invalid(
                "recipient",
                "is required for a representative: their name, and their email or mobile",
            )),
            (false, Some(_)) => Err(Error::invalid(
                "recipient",
                "is only for representatives; the patient's own invitation goes to the details on file",
            )),
            _ => Ok(Self {
                channel,
                relation,
                recipient,
            }),
        }
    }
}

/// What the patient's record holds, for the required-fields rule.
#[derive(Debug, Clone, Copy, Default)]
pub struct OnFile<'a> {
    pub email: Option<&'a str>,
    pub mobile: Option<&'a str>,
    pub postal_code: Option<&'a str>,
}

/// Seed 003: "To enable Patient Portal access, you will need to have a home zip code and email
/// address on file." The practice chooses which fields; each missing one is named.
pub fn check_required_fields(
    required: &BTreeSet<RequiredField>,
    on_file: &OnFile<'_>,
) -> Result<(), Error> {
    for field in required {
        let present = match field {
            RequiredField::Email => on_file.email.is_some(),
            RequiredField::PostalCode => on_file.postal_code.is_some(),
            RequiredField::Mobile => on_file.mobile.is_some(),
            RequiredField::EmailOrMobile => on_file.email.is_some() || on_file.mobile.is_some(),
        };
        if !present {
            return Err(Error::invalid(
                match field {
                    // Named by the field a form shows first.
                    RequiredField::EmailOrMobile => "email",
                    f => f.as_str(),
                },
                format!(
                    "must be on the patient's record before portal access can be granted \
                     (the practice requires {})",
                    required
                        .iter()
                        .map(|f| f.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The address or number the link goes to: the patient's own details for `self` (seed 004:
/// "sent to the patient's email address or cell phone number on file"), the recipient's for a
/// representative. A missing one is named.
pub fn destination(request: &InvitationRequest, on_file: &OnFile<'_>) -> Result<String, Error> {
    match (&request.recipient, request.channel) {
        (None, Channel::Email) => on_file.email.map(str::to_owned).ok_or_else(|| {
            Error::invalid(
                "email",
                "must be on the patient's record to send the invitation by email",
            )
        }),
        (None, Channel::Sms) => on_file.mobile.map(str::to_owned).ok_or_else(|| {
            Error::invalid(
                "mobile",
                "must be on the patient's record to send the invitation by text message",
            )
        }),
        (Some(r), Channel::Email) => {
            r.email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .ok_or_else(|| {
                    Error::invalid(
                        "recipient.email",
                        "is required to send the invitation by email",
                    )
                })
        }
        (Some(r), Channel::Sms) => {
            r.mobile
                .as_ref()
                .map(|m| m.as_str().to_owned())
                .ok_or_else(|| {
                    Error::invalid(
                        "recipient.mobile",
                        "is required to send the invitation by text message",
                    )
                })
        }
    }
}

/// Parents and guardians act for minors: once the patient has come of age, such an
/// invitation is refused (the patient, or a `caregiver` or `other` representative, remains).
pub fn check_relation_for_age(
    relation: Relation,
    patient_age: i32,
    age_of_majority: i32,
) -> Result<(), Error> {
    if relation.is_minor_representative() && patient_age >= age_of_majority {
        return Err(Error::invalid(
            "relation",
            format!(
                "the patient is {age_of_majority} or older, so a {} cannot be invited to act for them",
                relation.as_str()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn field(e: Error) -> String {
        match e {
            Error::Validation { field, .. } => field,
            other => panic!("not a validation error: {other:?}"),
        }
    }

    fn life(now: DateTime<Utc>) -> Lifecycle {
        Lifecycle {
            expires_at: now + TimeDelta::hours(72),
            used_at: None,
            superseded_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn an_invitation_works_until_its_last_second() {
        let t = Utc::now();
        let l = life(t);
        assert!(
            l.check_redeemable(t + TimeDelta::hours(72) - TimeDelta::seconds(1))
                .is_ok()
        );
        assert!(matches!(
            l.check_redeemable(t + TimeDelta::hours(72)),
            Err(Error::InvitationExpired)
        ));
    }

    #[test]
    fn used_superseded_and_revoked_links_are_all_used() {
        let t = Utc::now();
        for l in [
            Lifecycle {
                used_at: Some(t),
                ..life(t)
            },
            Lifecycle {
                superseded_at: Some(t),
                ..life(t)
            },
            Lifecycle {
                revoked_at: Some(t),
                ..life(t)
            },
        ] {
            assert!(matches!(l.check_redeemable(t), Err(Error::InvitationUsed)));
            // Even after expiry, a used link says "used", not "expired".
            assert!(matches!(
                l.check_redeemable(t + TimeDelta::days(10)),
                Err(Error::InvitationUsed)
            ));
        }
    }

    #[test]
    fn missing_required_fields_are_named() {
        let required: BTreeSet<_> = [RequiredField::Email, RequiredField::PostalCode].into();
        let on_file = OnFile {
            email: Some("ann@example.org"),
            ..Default::default()
        };
        assert_eq!(
            field(check_required_fields(&required, &on_file).unwrap_err()),
            "postal_code"
        );
        let complete = OnFile {
            postal_code: Some("97201"),
            ..on_file
        };
        assert!(check_required_fields(&required, &complete).is_ok());
    }

    #[test]
    fn sms_needs_a_mobile_and_representatives_their_own_details() {
        let on_file = OnFile {
            email: Some("ann@example.org"),
            ..Default::default()
        };
        let own_sms = InvitationRequest::new(Channel::Sms, Relation::Own, None).unwrap();
        assert_eq!(
            field(destination(&own_sms, &on_file).unwrap_err()),
            "mobile"
        );
        let own_email = InvitationRequest::new(Channel::Email, Relation::Own, None).unwrap();
        assert_eq!(
            destination(&own_email, &on_file).unwrap(),
            "ann@example.org"
        );

        let parent = Recipient {
            first_name: PersonName::parse("f", "Bea").unwrap(),
            last_name: PersonName::parse("l", "Lee").unwrap(),
            email: Some(EmailAddress::parse("e", "bea@example.org").unwrap()),
            mobile: None,
        };
        let by_sms =
            InvitationRequest::new(Channel::Sms, Relation::Parent, Some(parent.clone())).unwrap();
        assert_eq!(
            field(destination(&by_sms, &on_file).unwrap_err()),
            "recipient.mobile"
        );
        let by_email =
            InvitationRequest::new(Channel::Email, Relation::Parent, Some(parent)).unwrap();
        assert_eq!(destination(&by_email, &on_file).unwrap(), "bea@example.org");
        assert_eq!(
            field(InvitationRequest::new(Channel::Email, Relation::Parent, None).unwrap_err()),
            "recipient"
        );
    }

    #[test]
    fn parents_cannot_be_invited_for_adults() {
        assert!(check_relation_for_age(Relation::Parent, 17, 18).is_ok());
        assert_eq!(
            field(check_relation_for_age(Relation::Guardian, 18, 18).unwrap_err()),
            "relation"
        );
        assert!(check_relation_for_age(Relation::Spouse, 40, 18).is_ok());
        assert!(check_relation_for_age(Relation::Own, 40, 18).is_ok());
    }
}
