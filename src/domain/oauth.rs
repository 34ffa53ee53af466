//! OAuth 2.0 / OpenID Connect rules with no I/O: which redirect URIs may be registered (scopes
//! are `oauth_scope`, re-exported here), how PKCE is checked, how `at_hash` is computed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256, Sha512};

pub use crate::domain::oauth_scope::{
    BASE_SCOPES, SCOPE_EMAIL, SCOPE_FHIR_USER, SCOPE_LAUNCH, SCOPE_LAUNCH_PATIENT,
    SCOPE_OFFLINE_ACCESS, SCOPE_OPENID, SCOPE_PROFILE, Scope, is_known_scope, parse_scope,
    parse_scopes,
};

/// Redirect URIs longer than this are refused at registration.
/// `scope` of tablet intake tokens (seed 001). The patient API refuses tokens with this scope.
pub const INTAKE_SCOPE: &str = "intake";

/// Whether a token's scope makes it an intake token.
pub fn is_intake_scope(scope: &str) -> bool {
    scope.split_whitespace().any(|s| s == INTAKE_SCOPE)
}

pub const MAX_URI_LEN: usize = 2000;

/// Whether a request asks for SMART access: `launch`, `launch/patient` or a `patient/…` scope.
pub fn is_smart_request(scopes: &[Scope]) -> bool {
    scopes.iter().any(|s| s.as_str() == SCOPE_LAUNCH)
        || wants_patient_context(scopes.iter().map(Scope::as_str))
}

/// Whether the scopes ask for a patient in context: `launch/patient` or any `patient/…` scope.
pub fn wants_patient_context<'a>(scopes: impl IntoIterator<Item = &'a str>) -> bool {
    scopes
        .into_iter()
        .any(|s| s == SCOPE_LAUNCH_PATIENT || s.starts_with("patient/"))
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
        && crate::crypto::secrets::constant_time_eq(
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
}
