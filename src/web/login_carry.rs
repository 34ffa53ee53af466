//! What every step of a login carries from page to page: where to go after (`continue`, a
//! path of ours) and the practice asked for. The login page (`web::login`), its two-step steps
//! (`web::login_mfa`) and the pages that need a login first all read it from here.

use crate::web::form::FormData;
use crate::web::templates::LOGIN_URL;
use serde::Serialize;

/// Where a login ends when `continue` is missing or not a path of ours.
pub const DEFAULT_CONTINUE: &str = "/account";
/// Longer `continue` values are not kept (a real one is an authorize request: well below).
const MAX_CONTINUE: usize = 4096;

/// `continue` when it is a path on this server: it starts with one `/` (not `//` or `/\`,
/// which browsers read as another host) and holds no backslash, control character or space
/// (browsers drop tabs and newlines, so `/\t/evil` would become `//evil`).
pub fn safe_continue(raw: Option<&str>) -> Option<&str> {
    let c = raw?;
    let ok = c.starts_with('/')
        && !c.starts_with("//")
        && c.len() <= MAX_CONTINUE
        && !c
            .chars()
            .any(|ch| ch == '\\' || ch.is_control() || ch.is_whitespace());
    ok.then_some(c)
}

/// The login page's address for a login that goes on to `next` (a path here, like an
/// authorize request) at `practice`: what a page that needs a login redirects to.
pub fn login_url(next: &str, practice: Option<&str>) -> String {
    Carry::new(Some(next), practice).login_url()
}

/// Where a finished login form sends the browser for `target` (a path of ours): see
/// [`Carry::after_login`].
pub fn continue_location(target: &str) -> String {
    if target.starts_with("/oauth2/") {
        let query = serde_urlencoded::to_string([("continue", target)]).unwrap_or_default();
        format!("{CONTINUE_URL}?{query}")
    } else {
        target.to_owned()
    }
}

/// The continue page: see [`Carry::after_login`].
pub const CONTINUE_URL: &str = "/login/continue";

/// What every step's form carries along: where to go after, and the practice asked for.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Carry {
    #[serde(rename = "continue")]
    next: String,
    pub practice: String,
}

impl Carry {
    pub fn new(next: Option<&str>, practice: Option<&str>) -> Self {
        Self {
            next: safe_continue(next).unwrap_or_default().to_owned(),
            practice: practice.map(str::trim).unwrap_or_default().to_owned(),
        }
    }

    /// The same, for `practice` (the one the login turned out to be for).
    pub fn for_practice(&self, practice: String) -> Self {
        Self {
            practice,
            ..self.clone()
        }
    }

    pub fn from_form(form: &FormData) -> Self {
        Self::new(form.optional("continue"), form.optional("practice"))
    }

    pub fn target(&self) -> &str {
        safe_continue(Some(&self.next)).unwrap_or(DEFAULT_CONTINUE)
    }

    /// Where the last step's form sends the browser: [`Self::target`] itself when it is a
    /// page, and the continue page (`/login/continue`) when it is an endpoint that may send
    /// the browser on to another site (an app's sign-in request). Browsers apply the pages'
    /// `form-action 'self'` to every redirect that follows a form, so a form's chain must end
    /// on a page of ours; the continue page goes on by a plain navigation.
    pub fn after_login(&self) -> String {
        continue_location(self.target())
    }

    /// The login page again, with what it was opened with.
    pub fn login_url(&self) -> String {
        let mut pairs = Vec::new();
        if !self.next.is_empty() {
            pairs.push(("continue", self.next.as_str()));
        }
        if !self.practice.is_empty() {
            pairs.push(("practice", self.practice.as_str()));
        }
        match serde_urlencoded::to_string(&pairs) {
            Ok(q) if !q.is_empty() => format!("{LOGIN_URL}?{q}"),
            _ => LOGIN_URL.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_server_are_followed() {
        for ok in [
            "/account",
            "/oauth2/authorize?client_id=a&redirect_uri=https%3A%2F%2Fx",
            "/",
        ] {
            assert_eq!(safe_continue(Some(ok)), Some(ok), "{ok}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/\t/evil.example",
            "/\n/evil.example",
            "/a b",
            "",
        ] {
            assert_eq!(safe_continue(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(safe_continue(None), None);
        assert_eq!(Carry::new(Some("//x"), None).target(), DEFAULT_CONTINUE);
    }

    #[test]
    fn the_login_url_keeps_what_it_was_opened_with() {
        let c = Carry::new(Some("/oauth2/authorize?a=1&b=2"), Some("smith"));
        assert_eq!(
            c.login_url(),
            "/login?continue=%2Foauth2%2Fauthorize%3Fa%3D1%26b%3D2&practice=smith"
        );
        assert_eq!(Carry::default().login_url(), "/login");
        assert_eq!(
            login_url("/oauth2/authorize?a=1", None),
            "/login?continue=%2Foauth2%2Fauthorize%3Fa%3D1"
        );
        assert_eq!(login_url("//evil", None), "/login");
    }
}
