//! The claims an access token carries (RFC 9068): only ids, scopes and times, no names or
//! other PHI. Their own module so that the cache of verified tokens (`auth::verified`) can hold
//! them without depending on the signing and verifying code.

use crate::domain::access::Relation;
use crate::domain::acting::ActClaim;
use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The practice a token is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeClaim {
    pub id: Uuid,
    pub slug: String,
}

/// A patient the token's subject may act for at that practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientClaim {
    pub id: Uuid,
    pub relation: Relation,
    /// Only for a representative whose access the age bands limit: the record scopes left for
    /// this patient (an empty list: none yet, pending the teenager's consent). Absent: no
    /// restriction beyond the token's `scope`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

/// The claims of an access token. Only ids, scopes and times: no names or other PHI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The account id.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    /// The session (refresh-token family) the token belongs to; ending the session ends the
    /// token at once, not at `exp`.
    pub sid: Uuid,
    pub practice: PracticeClaim,
    pub patients: Vec<PatientClaim>,
    /// For each patient listed, the ids of the practitioners they may book with in the portal
    /// (seed 001: none selected means none).
    #[serde(default)]
    pub practitioners: BTreeMap<Uuid, Vec<Uuid>>,
    pub amr: Vec<String>,
    /// The patient in context (SMART App Launch), when there is one: see `domain::acting`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<Uuid>,
    /// RFC 8693 §4.1-style actor: present when `sub` acts for someone else (a representative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<ActClaim>,
    /// SMART `fhirUser`, with the `fhirUser` scope: `Patient/<id>` or `RelatedPerson/<access id>`.
    #[serde(default, rename = "fhirUser", skip_serializing_if = "Option::is_none")]
    pub fhir_user: Option<String>,
}

impl AccessClaims {
    pub fn account_id(&self) -> Result<Uuid, Error> {
        self.sub.parse().map_err(|_| Error::Unauthorized)
    }
}
