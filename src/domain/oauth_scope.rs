//! Scopes parsed once at the edge (RFC 6749 §3.3; SMART App Launch 2 "Scopes and Launch
//! Context"): a fixed scope such as `openid`, or a SMART resource scope
//! `patient/<Resource|*>.<permissions>` (a user's app, in a patient's compartment) or
//! `system/<Resource|*>.<permissions>` (SMART Backend Services: a practice's system, no user). Past parsing, code asks a [`Scope`] what it is and
//! whether a client's registered scope covers a requested one, instead of comparing strings.

use std::fmt;

pub const SCOPE_OPENID: &str = "openid";
pub const SCOPE_PROFILE: &str = "profile";
pub const SCOPE_EMAIL: &str = "email";
pub const SCOPE_OFFLINE_ACCESS: &str = "offline_access";
/// SMART App Launch: the app wants a patient in context (`patient` in the token response).
pub const SCOPE_LAUNCH_PATIENT: &str = "launch/patient";
/// SMART EHR launch: the app was opened by the EHR with a `launch` context to bind.
pub const SCOPE_LAUNCH: &str = "launch";
/// SMART App Launch: the app wants `fhirUser` (the user's FHIR resource) in the ID token.
pub const SCOPE_FHIR_USER: &str = "fhirUser";

/// The fixed scopes, matched exactly.
pub const BASE_SCOPES: &[&str] = &[
    SCOPE_OPENID,
    SCOPE_PROFILE,
    SCOPE_EMAIL,
    SCOPE_OFFLINE_ACCESS,
    SCOPE_LAUNCH_PATIENT,
    SCOPE_LAUNCH,
    SCOPE_FHIR_USER,
];

/// One scope, as sent (`as_str` gives it back unchanged: a grant is returned exactly as asked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    raw: String,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Fixed,
    Resource(ResourceScope),
}

/// Whose data a resource scope reaches: one patient's compartment, or the practice's system
/// access (backend services only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Patient,
    System,
}

/// `<context>/<Resource>.<permissions>`: a FHIR resource type (or `*`, every type) and what may
/// be done to it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ResourceScope {
    context: Context,
    /// `None` for `*`.
    resource: Option<String>,
    perms: Perms,
}

/// SMART v2 permissions as bits of `cruds` (create, read, update, delete, search).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Perms(u8);

impl Perms {
    const ORDER: &'static str = "cruds";

    /// v2 `cruds` subsets (in that order, each letter once), and the v1 forms: `read` is
    /// `rs`, `write` is `cud`, `*` is `cruds`.
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "read" => return Self::parse("rs"),
            "write" => return Self::parse("cud"),
            "*" => return Self::parse("cruds"),
            "" => return None,
            _ => {}
        }
        let mut bits = 0u8;
        let mut order = Self::ORDER.char_indices();
        for c in raw.chars() {
            // Each letter must come after the previous one in `cruds`.
            let (i, _) = order.by_ref().find(|(_, o)| *o == c)?;
            bits |= 1 << i;
        }
        Some(Self(bits))
    }

    fn contains(self, other: Perms) -> bool {
        self.0 & other.0 == other.0
    }
}

/// A scope Portico does not know (the error names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScope(pub String);

impl fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a scope Portico knows", self.0)
    }
}

/// A FHIR resource type name: a capital letter, then letters and digits (at most 64).
fn is_resource_type(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

impl Scope {
    pub fn parse(raw: &str) -> Result<Self, UnknownScope> {
        let unknown = || UnknownScope(raw.to_owned());
        if BASE_SCOPES.contains(&raw) {
            return Ok(Self {
                raw: raw.to_owned(),
                kind: Kind::Fixed,
            });
        }
        let (context, rest) = if let Some(rest) = raw.strip_prefix("patient/") {
            (Context::Patient, rest)
        } else if let Some(rest) = raw.strip_prefix("system/") {
            (Context::System, rest)
        } else {
            return Err(unknown());
        };
        let (resource, perms) = rest.split_once('.').ok_or_else(unknown)?;
        let resource = match resource {
            "*" => None,
            r if is_resource_type(r) => Some(r.to_owned()),
            _ => return Err(unknown()),
        };
        let perms = Perms::parse(perms).ok_or_else(unknown)?;
        Ok(Self {
            raw: raw.to_owned(),
            kind: Kind::Resource(ResourceScope {
                context,
                resource,
                perms,
            }),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// A SMART `patient/…` resource scope.
    pub fn is_patient_resource(&self) -> bool {
        matches!(&self.kind, Kind::Resource(r) if r.context == Context::Patient)
    }

    /// A SMART Backend Services `system/…` scope: granted by `client_credentials` only.
    pub fn is_system(&self) -> bool {
        matches!(&self.kind, Kind::Resource(r) if r.context == Context::System)
    }

    /// Whether a client registered with this scope may be granted `asked`: the same fixed
    /// scope, or a resource scope for the same or a narrower resource (`*` covers every type)
    /// with a subset of the permissions in the same context (`patient/*.rs` covers
    /// `patient/Observation.r`; `patient/*.read` and `patient/*.rs` cover each other;
    /// `system/*.rs` covers `system/Observation.r` and no `patient/` scope).
    pub fn covers(&self, asked: &Scope) -> bool {
        match (&self.kind, &asked.kind) {
            (Kind::Fixed, Kind::Fixed) => self.raw == asked.raw,
            (Kind::Resource(mine), Kind::Resource(theirs)) => {
                mine.context == theirs.context
                    && (mine.resource.is_none() || mine.resource == theirs.resource)
                    && mine.perms.contains(theirs.perms)
            }
            _ => false,
        }
    }
}

/// Splits a `scope` parameter (space-separated, RFC 6749 §3.3) into distinct scopes, keeping
/// their order.
pub fn parse_scope(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in raw.split(' ').filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// Parses a `scope` parameter into scopes (distinct, in order), or names the first unknown one.
pub fn parse_scopes(raw: &str) -> Result<Vec<Scope>, UnknownScope> {
    parse_scope(raw).iter().map(|s| Scope::parse(s)).collect()
}

/// Whether Portico knows this scope (see [`Scope::parse`]).
pub fn is_known_scope(scope: &str) -> bool {
    Scope::parse(scope).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(raw: &str) -> Scope {
        Scope::parse(raw).unwrap()
    }

    #[test]
    fn fixed_and_patient_resource_scopes_parse_others_do_not() {
        for ok in [
            "openid",
            "offline_access",
            "launch/patient",
            "fhirUser",
            "patient/*.rs",
            "patient/*.read",
            "patient/*.write",
            "patient/*.*",
            "patient/Observation.r",
            "patient/Patient.cruds",
            "system/*.rs",
            "system/Observation.read",
            "system/Patient.cruds",
        ] {
            assert_eq!(s(ok).as_str(), ok);
        }
        for bad in [
            "admin",
            "patient/*.sr",
            "patient/*.rr",
            "patient/*.",
            "patient/*",
            "patient/.rs",
            "patient/observation.rs",
            "patient/*.rsx",
            "patient/Observation.rs?category=laboratory",
            "user/*.rs",
            "system/*.sr",
            "system/",
            "System/*.rs",
            "Patient/*.rs",
        ] {
            assert_eq!(
                Scope::parse(bad),
                Err(UnknownScope(bad.to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_wildcard_covers_every_resource_with_a_subset_of_its_permissions() {
        let registered = s("patient/*.rs");
        for asked in [
            "patient/*.rs",
            "patient/*.r",
            "patient/*.s",
            "patient/Observation.rs",
            "patient/Observation.r",
            "patient/*.read",
        ] {
            assert!(registered.covers(&s(asked)), "{asked}");
        }
        for asked in [
            "patient/*.cruds",
            "patient/Observation.rus",
            "patient/*.write",
            "patient/Observation.d",
            "openid",
        ] {
            assert!(!registered.covers(&s(asked)), "{asked}");
        }
    }

    #[test]
    fn a_named_resource_covers_only_itself() {
        let registered = s("patient/Observation.cruds");
        assert!(registered.covers(&s("patient/Observation.cud")));
        assert!(registered.covers(&s("patient/Observation.read")));
        assert!(!registered.covers(&s("patient/Condition.r")));
        assert!(!registered.covers(&s("patient/*.r")));
    }

    #[test]
    fn v1_read_is_rs_write_is_cud_and_star_is_cruds() {
        assert!(s("patient/*.read").covers(&s("patient/*.rs")));
        assert!(s("patient/*.rs").covers(&s("patient/*.read")));
        assert!(!s("patient/*.read").covers(&s("patient/*.c")));
        assert!(s("patient/*.write").covers(&s("patient/*.cud")));
        assert!(!s("patient/*.write").covers(&s("patient/*.r")));
        assert!(s("patient/*.*").covers(&s("patient/Encounter.cruds")));
    }

    #[test]
    fn system_scopes_cover_narrower_system_scopes_only() {
        let registered = s("system/*.rs");
        for asked in [
            "system/Observation.rs",
            "system/Observation.r",
            "system/*.read",
        ] {
            assert!(registered.covers(&s(asked)), "{asked}");
        }
        for asked in ["system/*.cruds", "patient/Observation.r", "patient/*.rs"] {
            assert!(!registered.covers(&s(asked)), "{asked}");
        }
        assert!(!s("patient/*.rs").covers(&s("system/Observation.r")));
        assert!(s("system/*.rs").is_system() && !s("system/*.rs").is_patient_resource());
        assert!(s("patient/*.rs").is_patient_resource() && !s("patient/*.rs").is_system());
    }

    #[test]
    fn fixed_scopes_cover_only_themselves() {
        assert!(s("openid").covers(&s("openid")));
        assert!(!s("openid").covers(&s("profile")));
        assert!(!s("launch/patient").covers(&s("patient/*.rs")));
    }

    #[test]
    fn scope_parameter_is_split_and_deduplicated() {
        assert_eq!(parse_scope("openid  email openid"), vec!["openid", "email"]);
        assert_eq!(
            parse_scopes("openid patient/*.rs openid").unwrap(),
            vec![s("openid"), s("patient/*.rs")]
        );
        assert_eq!(
            parse_scopes("openid nope"),
            Err(UnknownScope("nope".to_owned()))
        );
    }
}
