//! Who is acting, and for whom, in a token: the `patient`, `act` and `fhirUser` claims.
//!
//! Choice (issue 11, item 4): `sub` stays the account that logged in — every relying party
//! already keys sessions and audit on it, and for a representative the account IS the person
//! at the keyboard. The patient in context goes in a `patient` claim (the SMART App Launch
//! name), and when the account acts for someone else an `act` claim names the actor in the
//! shape of RFC 8693 §4.1: `"act": {"sub": "<account id>", "relation": "parent"}`. This departs
//! from a strict reading of RFC 8693, where `sub` would be the patient and `act.sub` the
//! representative: Portico's subject never changes with the patient, so a token exchange
//! reader that looks at `act` still finds the actor, and one that ignores it still sees the
//! representative as the subject (never the patient). `relation` is a private member of `act`
//! (RFC 8693 allows other claims there).
//!
//! The patient in context is the one a SMART launch chose (`launch/patient`), or otherwise the
//! only patient the token lists; a parent logged in for three children has none (the
//! `patients` claim lists each with its relation).
//!
//! `fhirUser` (SMART App Launch 2.x §"fhirUser"): the FHIR resource of the person logged in.
//! The patient themself is `Patient/<patient id>`; a representative is
//! `RelatedPerson/<portal access id>`, because in FHIR a RelatedPerson is one person's
//! relation to one patient, which is exactly what a portal access is. With no patient in
//! context, an account that is itself a patient at the practice is `Patient/<its id>`;
//! otherwise there is none.

use crate::domain::access::Relation;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The `act` claim: the account acting for the patient in context, and how it is related.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActClaim {
    /// The acting account's id (the token's `sub`).
    pub sub: String,
    pub relation: Relation,
}

/// One active portal access a token lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub access_id: Uuid,
    pub patient_id: Uuid,
    pub relation: Relation,
}

/// The acting claims of one token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acting {
    pub patient: Option<Uuid>,
    pub act: Option<ActClaim>,
    pub fhir_user: Option<String>,
}

/// The access for the patient in context: the one chosen (if the account still holds it), or
/// the only one.
pub fn in_context(held: &[Held], chosen: Option<Uuid>) -> Option<Held> {
    match (chosen, held) {
        (Some(id), _) => held.iter().find(|h| h.patient_id == id).copied(),
        (None, [only]) => Some(*only),
        (None, _) => None,
    }
}

/// The FHIR resource of the person acting through this access.
pub fn fhir_user(h: &Held) -> String {
    if h.relation.is_representative() {
        format!("RelatedPerson/{}", h.access_id)
    } else {
        format!("Patient/{}", h.patient_id)
    }
}

/// The `patient`, `act` and `fhirUser` claims for an account holding `held` at a practice.
pub fn acting(account_id: Uuid, held: &[Held], chosen: Option<Uuid>) -> Acting {
    let Some(ctx) = in_context(held, chosen) else {
        return Acting {
            fhir_user: held
                .iter()
                .find(|h| !h.relation.is_representative())
                .map(fhir_user),
            ..Acting::default()
        };
    };
    Acting {
        patient: Some(ctx.patient_id),
        act: ctx.relation.is_representative().then(|| ActClaim {
            sub: account_id.to_string(),
            relation: ctx.relation,
        }),
        fhir_user: Some(fhir_user(&ctx)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(relation: Relation) -> Held {
        Held {
            access_id: Uuid::now_v7(),
            patient_id: Uuid::now_v7(),
            relation,
        }
    }

    #[test]
    fn a_patient_for_themself_has_no_act_and_is_a_fhir_patient() {
        let account = Uuid::now_v7();
        let own = held(Relation::Own);
        let a = acting(account, &[own], None);
        assert_eq!(a.patient, Some(own.patient_id));
        assert_eq!(a.act, None);
        assert_eq!(a.fhir_user, Some(format!("Patient/{}", own.patient_id)));
    }

    #[test]
    fn a_parent_of_one_child_acts_for_that_child_as_a_related_person() {
        let account = Uuid::now_v7();
        let child = held(Relation::Parent);
        let a = acting(account, &[child], None);
        assert_eq!(a.patient, Some(child.patient_id));
        assert_eq!(
            a.act,
            Some(ActClaim {
                sub: account.to_string(),
                relation: Relation::Parent
            })
        );
        assert_eq!(
            a.fhir_user,
            Some(format!("RelatedPerson/{}", child.access_id))
        );
        let json = serde_json::to_value(a.act).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"sub": account.to_string(), "relation": "parent"})
        );
    }

    #[test]
    fn several_patients_and_no_choice_means_no_patient_in_context() {
        let account = Uuid::now_v7();
        let (a1, a2) = (held(Relation::Parent), held(Relation::Parent));
        assert_eq!(acting(account, &[a1, a2], None), Acting::default());
        // A parent who is also a patient there is still a FHIR Patient.
        let own = held(Relation::Own);
        let a = acting(account, &[a1, own], None);
        assert_eq!((a.patient, a.act), (None, None));
        assert_eq!(a.fhir_user, Some(format!("Patient/{}", own.patient_id)));
    }

    #[test]
    fn a_launch_chooses_the_patient_in_context() {
        let account = Uuid::now_v7();
        let (own, child) = (held(Relation::Own), held(Relation::Guardian));
        let a = acting(account, &[own, child], Some(child.patient_id));
        assert_eq!(a.patient, Some(child.patient_id));
        assert_eq!(a.act.map(|x| x.relation), Some(Relation::Guardian));
        let a = acting(account, &[own, child], Some(own.patient_id));
        assert_eq!((a.patient, a.act), (Some(own.patient_id), None));
        // A chosen patient no longer held is no context at all, never another patient.
        assert_eq!(in_context(&[own, child], Some(Uuid::now_v7())), None);
    }
}
