//! The events a practice's systems can subscribe to (issue 21), and which audit events publish
//! them. An event carries ids and a few codes, never a name, date of birth or address: the
//! receiver reads what it needs through the practice API with its own key (minimum necessary).

use serde_json::{Map, Value};

/// Every event type, as subscriptions and payloads name it.
pub const ALL: &[&str] = &[
    "invitation.sent",
    "invitation.delivered",
    "invitation.failed",
    "invitation.redeemed",
    "invitation.expired",
    "access.activated",
    "access.blocked",
    "access.unblocked",
    "access.revoked",
    "access.expired",
    "account.registered",
    "demographic_change.requested",
    "demographic_change.decided",
    "registration.held",
    "consent.given",
    "consent.ended",
];

/// An event type named in `ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventType(&'static str);

impl EventType {
    pub fn parse(raw: &str) -> Option<Self> {
        ALL.iter().find(|t| **t == raw).map(|t| EventType(t))
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// Audit detail keys an event may repeat: ids, channels and codes only.
const KEPT_DETAIL: &[&str] = &[
    "invitation_id",
    "channel",
    "relation",
    "request_id",
    "fields",
    "held_registration_id",
    "consent_request_id",
    "consent_expires_at",
    "status",
];

/// The event an audit event publishes, if any, with what its `data` adds to the ids.
pub fn from_audit(kind: &str, detail: &Value) -> Option<(EventType, Map<String, Value>)> {
    let mut extra = Map::new();
    let mut note = |k: &str, v: &str| {
        extra.insert(k.to_owned(), Value::String(v.to_owned()));
    };
    let name = match kind {
        "invitation.sent"
        | "invitation.redeemed"
        | "invitation.delivered"
        | "invitation.failed"
        | "invitation.expired" => kind,
        "access.activated" | "access.blocked" | "access.unblocked" | "access.revoked" => kind,
        "access.expired" => {
            // A code here (`age_of_majority`, `emancipation`), not free text.
            if let Some(reason) = detail.get("reason").and_then(Value::as_str) {
                note("reason", reason);
            }
            kind
        }
        // A confirmed sign-up that opens the access at once (the practice's `verify_email`
        // mode); in review modes the practice's own activation publishes it.
        "registration.verified" if detail.get("status") == Some(&Value::from("active")) => {
            "access.activated"
        }
        "registration.created" | "account.created_by_staff" => "account.registered",
        "demographic_change.requested" => kind,
        "demographic_change.accepted" => {
            note("decision", "accepted");
            "demographic_change.decided"
        }
        "demographic_change.declined" => {
            note("decision", "declined");
            "demographic_change.decided"
        }
        "registration.held" => kind,
        "teen_consent.given" => {
            note("consent", "teen");
            "consent.given"
        }
        "access.consent_approved" | "access.consent_renewed" => {
            note("consent", "adult_representative");
            "consent.given"
        }
        "access.consent_declined" | "access.consent_expired" | "access.ended_by_patient" => {
            note("consent", "adult_representative");
            note("reason", kind.trim_start_matches("access."));
            "consent.ended"
        }
        _ => return None,
    };
    let event = EventType::parse(name)?;
    if let Some(d) = detail.as_object() {
        for key in KEPT_DETAIL {
            if let Some(v) = d.get(*key) {
                extra.entry((*key).to_owned()).or_insert_with(|| v.clone());
            }
        }
    }
    Some((event, extra))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn audit_events_publish_the_listed_types_with_ids_and_codes_only() {
        let (t, extra) = from_audit(
            "demographic_change.declined",
            &json!({"request_id": "r", "reason": "free text", "fields": ["address"]}),
        )
        .unwrap();
        assert_eq!(t.as_str(), "demographic_change.decided");
        assert_eq!(extra["decision"], "declined");
        assert_eq!(extra["fields"], json!(["address"]));
        assert!(
            !extra.contains_key("reason"),
            "free text stays in the audit trail"
        );
        assert!(from_audit("login.succeeded", &json!({})).is_none());
        assert!(
            from_audit(
                "registration.verified",
                &json!({"status": "pending_review"})
            )
            .is_none()
        );
        assert_eq!(
            from_audit("registration.verified", &json!({"status": "active"}))
                .unwrap()
                .0
                .as_str(),
            "access.activated"
        );
    }

    #[test]
    fn every_type_parses() {
        for t in ALL {
            assert_eq!(EventType::parse(t).unwrap().as_str(), *t);
        }
        assert!(EventType::parse("access.*").is_none());
    }
}
