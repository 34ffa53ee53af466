//! OAuth 2.0 / OpenID Connect rules with no I/O: which scopes exist, which redirect URIs may be
//! registered, how PKCE is checked, how `at_hash` is computed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256, Sha512};

pub const SCOPE_OPENID: &str = "openid";
pub const SCOPE_PROFILE: &str = "profile";
pub const SCOPE_EMAIL: &str = "email";
pub const SCOPE_OFFLINE_ACCESS: &str = "offline_access";
/// SMART App Launch: the app wants a patient in context (`patient` in the token response).
pub const SCOPE_LAUNCH_PATIENT: &str = "launch/patient";
/// SMART App Launch: the app wants `fhirUser` (the user's FHIR resource) in the ID token.
pub const SCOPE_FHIR_USER: &str = "fhirUser";

/// The fixed scopes; SMART `patient/…` resource scopes are checked by [`is_known_scope`].
pub const BASE_SCOPES: &[&str] = &[
    SCOPE_OPENID,
    SCOPE_PROFILE,
    SCOPE_EMAIL,
    SCOPE_OFFLINE_ACCESS,
    SCOPE_LAUNCH_PATIENT,
    SCOPE_FHIR_USER,
];

/// Redirect URIs longer than this are refused at registration.
pub const MAX_URI_LEN: usize = 2000;

/// Whether Portico knows this scope: a base scope, or a SMART patient resource scope such as
/// `patient/*.rs`, `patient/Observation.read` (v1) or `patient/Patient.cruds` (v2).
pub fn is_known_scope(scope: &str) -> bool {
    if BASE_SCOPES.contains(&scope) {
        return true;
    }
    let Some(rest) = scope.strip_prefix("patient/") else {
        return false;
    };
    let Some((resource, perms)) = rest.split_once('.') else {
        return false;
    };
    let resource_ok = resource == "*"
        || (!resource.is_empty()
            && resource.len() <= 64
            && resource.starts_with(|c: char| c.is_ascii_uppercase())
            && resource.chars().all(|c| c.is_ascii_alphanumeric()));
    let perms_ok = matches!(perms, "read" | "write" | "*") || is_smart_v2_perms(perms);
    resource_ok && perms_ok
}

/// SMART v2 permissions: a non-empty subsequence of `cruds`, in that order.
fn is_smart_v2_perms(perms: &str) -> bool {
    if perms.is_empty() {
        return false;
    }
    let mut order = "cruds".chars();
    perms.chars().all(|c| order.any(|o| o == c))
}

/// Whether the scopes ask for a patient in context: `launch/patient` or any `patient/…` scope.
pub fn wants_patient_context<'a>(scopes: impl IntoIterator<Item = &'a str>) -> bool {
    scopes
        .into_iter()
        .any(|s| s == SCOPE_LAUNCH_PATIENT || s.starts_with("patient/"))
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

/// Why a redirect URI cannot be registered, if it cannot.
pub fn redirect_uri_problem(uri: &str) -> Option<&'static str> {
    if uri.is_empty() || uri.len() > MAX_URI_LEN {
        return Some("must be between 1 and 2000 characters");
    }
    if uri.contains('#') {
        return Some("must not contain a fragment");
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("must not contain spaces or control characters");
    }
    let Ok(parsed) = uri.parse::<http::Uri>() else {
        return Some("must be an absolute URL");
    };
    let (Some(scheme), Some(authority)) = (parsed.scheme_str(), parsed.authority()) else {
        return Some("must be an absolute URL");
    };
    if authority.as_str().contains('@') {
        return Some("must not contain user information");
    }
    match scheme {
        "https" => None,
        // RFC 8252 §7.3 / RFC 9700 §2.6: plain http only for the loopback interface.
        "http" if matches!(authority.host(), "127.0.0.1" | "[::1]" | "localhost") => None,
        "http" => Some("must use https (http is allowed for the loopback address only)"),
        _ => Some("must be an https URL"),
    }
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether a string is a well-formed PKCE verifier or challenge: 43–128 unreserved characters
/// (RFC 7636 §4.1).
pub fn is_pkce_string(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether a verifier matches a stored S256 challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    is_pkce_string(verifier)
        && crate::auth::secrets::constant_time_eq(
            s256_challenge(verifier).as_bytes(),
            challenge.as_bytes(),
        )
}

/// `at_hash` (OpenID Connect Core §3.1.3.6): the left half of the hash of the access token,
/// with the hash of the ID token's algorithm (SHA-256 for RS256; SHA-512 for EdDSA over
/// Ed25519, as relying-party libraries compute it).
pub fn at_hash(access_token: &str, eddsa: bool) -> String {
    if eddsa {
        let d = Sha512::digest(access_token.as_bytes());
        URL_SAFE_NO_PAD.encode(&d[..d.len() / 2])
    } else {
        let d = Sha256::digest(access_token.as_bytes());
        URL_SAFE_NO_PAD.encode(&d[..d.len() / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_and_base_scopes_are_known_others_are_not() {
        for s in [
            "openid",
            "offline_access",
            "launch/patient",
            "patient/*.rs",
            "patient/*.read",
            "patient/Observation.rs",
            "patient/Patient.cruds",
        ] {
            assert!(is_known_scope(s), "{s}");
        }
        for s in [
            "admin",
            "patient/*.sr",
            "patient/*.",
            "patient/observation.rs",
            "user/*.rs",
            "patient/*.rsx",
        ] {
            assert!(!is_known_scope(s), "{s}");
        }
    }

    #[test]
    fn redirect_uris_must_be_https_or_loopback_http() {
        assert_eq!(redirect_uri_problem("https://app.example/cb"), None);
        assert_eq!(redirect_uri_problem("http://127.0.0.1:8123/cb"), None);
        assert!(redirect_uri_problem("http://evil.example/cb").is_some());
        assert!(redirect_uri_problem("https://app.example/cb#x").is_some());
        assert!(redirect_uri_problem("/relative").is_some());
        assert!(redirect_uri_problem("javascript:alert(1)").is_some());
        assert!(redirect_uri_problem("https://user@app.example/cb").is_some());
    }

    #[test]
    fn pkce_s256_matches_the_rfc_7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(
            s256_challenge(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(pkce_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            "short",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn scope_parameter_is_split_and_deduplicated() {
        assert_eq!(parse_scope("openid  email openid"), vec!["openid", "email"]);
    }
}
