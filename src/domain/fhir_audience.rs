//! SMART App Launch `aud`: the FHIR server an app says it will call, checked on the
//! authorization request so that a token is never issued for a server the practice does not
//! know (SMART's defence against a malicious resource server collecting tokens).
//!
//! Which URLs are allowed, in order: the FHIR base URLs the app's practice set in its settings;
//! if it set none, the operator's `PORTICO_FHIR_BASE_URL`; if that is unset too, the issuer.

use crate::error::Error;

/// At most this many FHIR base URLs per practice (a practice runs one FHIR server, perhaps a
/// second during a migration; ten leaves room without making the list a free-for-all).
pub const MAX_FHIR_BASE_URLS: usize = 10;

/// URLs longer than this are refused.
pub const MAX_FHIR_BASE_URL_LEN: usize = 2000;

/// The canonical form of a FHIR base URL: scheme and host in lower case, no trailing `/`.
/// Refused, with why: anything but an absolute `https` URL (plain `http` only for the loopback
/// address, as for redirect URIs: RFC 8252 §7.3), user information, a query or a fragment.
pub fn canonical(raw: &str) -> Result<String, &'static str> {
    if raw.is_empty() || raw.len() > MAX_FHIR_BASE_URL_LEN {
        return Err("must be between 1 and 2000 characters");
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters");
    }
    if raw.contains('#') || raw.contains('?') {
        return Err("must not have a query or a fragment");
    }
    let Ok(parsed) = raw.parse::<http::Uri>() else {
        return Err("must be an absolute URL");
    };
    let (Some(scheme), Some(authority)) = (parsed.scheme_str(), parsed.authority()) else {
        return Err("must be an absolute URL");
    };
    if authority.as_str().contains('@') {
        return Err("must not contain user information");
    }
    let scheme = scheme.to_ascii_lowercase();
    let authority = authority.as_str().to_ascii_lowercase();
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(authority.as_str(), |(host, _)| host);
    if host.is_empty() {
        return Err("must be an absolute URL");
    }
    match scheme.as_str() {
        "https" => {}
        "http" if matches!(host, "127.0.0.1" | "[::1]" | "localhost") => {}
        "http" => return Err("must use https (http is allowed for the loopback address only)"),
        _ => return Err("must be an https URL"),
    }
    let path = parsed.path().trim_end_matches('/');
    Ok(format!("{scheme}://{authority}{path}"))
}

/// A practice's `fhir_base_urls` as it sets them: each canonical, each once (duplicates after
/// normalisation are kept once, in the order given), at most [`MAX_FHIR_BASE_URLS`]. An empty
/// list clears them.
pub fn check_fhir_base_urls(urls: &[String]) -> Result<Vec<String>, Error> {
    if urls.len() > MAX_FHIR_BASE_URLS {
        return Err(Error::invalid(
            "fhir_base_urls",
            format!("at most {MAX_FHIR_BASE_URLS} URLs"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, raw) in urls.iter().enumerate() {
        let url = canonical(raw.trim())
            .map_err(|why| Error::invalid(format!("fhir_base_urls[{i}]"), why))?;
        if !out.contains(&url) {
            out.push(url);
        }
    }
    Ok(out)
}

/// The stored form: a JSON array.
pub fn to_db(urls: &[String]) -> String {
    serde_json::Value::from(urls.to_vec()).to_string()
}

/// The stored form read back; `None` if it is not a JSON array of strings.
pub fn from_db(raw: &str) -> Option<Vec<String>> {
    serde_json::from_str(raw).ok()
}

/// The FHIR servers an authorization request may name as `aud`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audiences<'a> {
    /// The app's practice set these (canonical).
    Practice(&'a [String]),
    /// The practice set none; the operator's `PORTICO_FHIR_BASE_URL`.
    Configured(&'a str),
    /// Neither is set: `aud` may only be the issuer, and may be left out.
    Issuer(&'a str),
}

impl<'a> Audiences<'a> {
    /// The rule for a practice's request: its own URLs first, then the server-wide setting.
    pub fn of(practice: &'a [String], configured: Option<&'a str>, issuer: &'a str) -> Self {
        match (practice, configured) {
            ([_, ..], _) => Audiences::Practice(practice),
            ([], Some(url)) => Audiences::Configured(url),
            ([], None) => Audiences::Issuer(issuer),
        }
    }
}

/// Why an authorization request's `aud` is refused, if it is. With FHIR base URLs (the
/// practice's or the operator's), a request with a SMART scope must name one; with neither,
/// `aud` may be left out or be the issuer. Any `aud` that is sent must match, SMART scopes or
/// not.
pub fn aud_problem(aud: Option<&str>, smart: bool, allowed: Audiences<'_>) -> Option<String> {
    match allowed {
        Audiences::Practice(urls) => {
            let list = urls.join(", ");
            match aud {
                None if smart => Some(format!(
                    "aud is required with SMART scopes: the FHIR base URL the app will call, \
                     one of this practice's: {list}."
                )),
                None => None,
                Some(a) if canonical(a.trim()).is_ok_and(|c| urls.contains(&c)) => None,
                Some(_) => Some(format!(
                    "aud is not one of this practice's FHIR base URLs; use one of: {list}."
                )),
            }
        }
        Audiences::Configured(url) | Audiences::Issuer(url) => {
            let expected = url.trim_end_matches('/');
            match aud {
                None if smart && matches!(allowed, Audiences::Configured(_)) => Some(format!(
                    "aud is required with SMART scopes: the FHIR base URL {expected}."
                )),
                None => None,
                Some(a) if a.trim_end_matches('/') == expected => None,
                Some(_) => Some(format!(
                    "aud is not a FHIR server of this authorization server; use {expected}."
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_canonical_https_without_a_trailing_slash() {
        assert_eq!(
            canonical("HTTPS://FHIR.Example/R4/").unwrap(),
            "https://fhir.example/R4"
        );
        assert_eq!(
            canonical("https://fhir.example:8443/").unwrap(),
            "https://fhir.example:8443"
        );
        assert_eq!(
            canonical("http://127.0.0.1:9000/fhir").unwrap(),
            "http://127.0.0.1:9000/fhir"
        );
        assert_eq!(
            canonical("http://localhost/fhir").unwrap(),
            "http://localhost/fhir"
        );
        for bad in [
            "",
            "fhir.example/r4",
            "/r4",
            "http://fhir.example/r4",
            "ftp://fhir.example",
            "https://user@fhir.example",
            "https://fhir.example/r4?x=1",
            "https://fhir.example/r4#top",
            "https://fhir.example/r 4",
            "https://",
        ] {
            assert!(canonical(bad).is_err(), "{bad:?}");
        }
        assert!(canonical(&format!("https://f.example/{}", "a".repeat(2000))).is_err());
    }

    #[test]
    fn a_practice_list_is_deduplicated_and_bounded() {
        let urls = vec![
            "https://fhir.example/r4/".to_owned(),
            "https://fhir.example/r4".to_owned(),
            "https://other.example".to_owned(),
        ];
        assert_eq!(
            check_fhir_base_urls(&urls).unwrap(),
            vec!["https://fhir.example/r4", "https://other.example"]
        );
        let many: Vec<String> = (0..=MAX_FHIR_BASE_URLS)
            .map(|i| format!("https://f{i}.example"))
            .collect();
        assert!(check_fhir_base_urls(&many).is_err());
        assert!(check_fhir_base_urls(&many[..MAX_FHIR_BASE_URLS]).is_ok());
        assert!(check_fhir_base_urls(&[]).unwrap().is_empty());
        let stored = to_db(&urls[1..]);
        assert_eq!(from_db(&stored).unwrap(), urls[1..].to_vec());
        assert!(from_db("not json").is_none());
    }

    #[test]
    fn the_practice_urls_come_first_then_the_setting_then_the_issuer() {
        let mine = vec!["https://fhir.example/r4".to_owned()];
        let a = Audiences::of(&mine, Some("https://global.example"), "https://portal");
        assert_eq!(a, Audiences::Practice(&mine));
        assert_eq!(
            Audiences::of(&[], Some("https://global.example"), "https://portal"),
            Audiences::Configured("https://global.example")
        );
        assert_eq!(
            Audiences::of(&[], None, "https://portal"),
            Audiences::Issuer("https://portal")
        );
        // The practice's URLs: required with SMART scopes, matched canonically.
        assert!(aud_problem(Some("https://FHIR.example/r4/"), true, a).is_none());
        assert!(aud_problem(None, true, a).unwrap().contains(&mine[0]));
        assert!(aud_problem(None, false, a).is_none());
        assert!(aud_problem(Some("https://global.example"), true, a).is_some());
        assert!(aud_problem(Some("https://portal"), false, a).is_some());
        // The issuer rule: optional, and only the issuer.
        let issuer = Audiences::Issuer("https://portal");
        assert!(aud_problem(None, true, issuer).is_none());
        assert!(aud_problem(Some("https://portal/"), true, issuer).is_none());
        assert!(aud_problem(Some("https://fhir.example/r4"), true, issuer).is_some());
    }

    #[test]
    fn the_configured_url_is_required_for_smart_scopes_and_any_aud_must_match_it() {
        let fhir = Audiences::Configured("https://fhir.example/r4");
        let issuer = "https://portal.example";
        assert_eq!(
            aud_problem(Some("https://fhir.example/r4/"), true, fhir),
            None
        );
        assert!(aud_problem(None, true, fhir).is_some());
        assert_eq!(aud_problem(None, false, fhir), None);
        assert!(aud_problem(Some(issuer), true, fhir).is_some());
        assert!(aud_problem(Some("https://evil.example/fhir"), false, fhir).is_some());
    }
}
