//! Reading and writing cookies. Every cookie Portico sets is HttpOnly, SameSite=Lax and
//! Path=/, and Secure when the public URL is https (the browser then never sends it in clear).
//! Over https the names also carry the `__Host-` prefix: browsers then accept the cookie only
//! when it is Secure, from an https page, for the whole host and without a `Domain`, so
//! neither a sibling subdomain nor a page over http can plant or overwrite one.

use crate::config::Settings;
use poem::Request;
use poem::http::header;
use poem::web::cookie::{Cookie, SameSite};

/// Whether cookies get the `Secure` flag: when patients reach Portico over https.
pub fn secure(settings: &Settings) -> bool {
    settings.is_https()
}

/// A cookie's name as sent: `base`, or `__Host-{base}` over https.
pub fn name(settings: &Settings, base: &str) -> String {
    if secure(settings) {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// The value of a cookie the browser sent, if any.
pub fn read(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
}

/// A `Set-Cookie` value for a cookie that lasts until the browser closes.
pub fn set(name: &str, value: &str, secure: bool) -> String {
    let mut c = Cookie::new_with_str(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(secure);
    c.to_string()
}

/// A `Set-Cookie` value that removes a cookie.
pub fn clear(name: &str, secure: bool) -> String {
    let mut c = Cookie::new_with_str(name, "");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(secure);
    c.make_removal();
    c.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_lax_and_secure_on_https() {
        let c = set("portico_session", "abc", true);
        for flag in [
            "portico_session=abc",
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
            "Secure",
        ] {
            assert!(c.contains(flag), "{flag} missing in {c}");
        }
        assert!(!set("x", "y", false).contains("Secure"));
        assert!(clear("x", false).contains("Max-Age=0"));
    }

    #[test]
    fn cookie_names_carry_the_host_prefix_over_https() {
        let mut s = Settings::default();
        assert_eq!(name(&s, "portico_session"), "portico_session");
        s.public_url = "https://portal.example".into();
        assert_eq!(name(&s, "portico_session"), "__Host-portico_session");
    }
}
