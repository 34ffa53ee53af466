//! Cross-site request forgery protection for every form: a synchronizer token bound to the
//! browser's session, or, before login, to a pre-session cookie.
//!
//! The binding secret lives in an HttpOnly cookie (`portico_session`, or `portico_csrf`
//! before login) that another site can neither read nor send a matching form field for. The
//! form carries `csrf_token` = SHA-256 of a domain-separated form of that secret, so the page
//! never shows the secret itself, and no server-side key is needed: any instance behind a load
//! balancer checks any form. The comparison is constant-time. Logging in moves the binding to
//! the new session, so forms from before a login stop working (ASVS 3.5.3, OWASP CSRF CS).

use crate::api::context::state_of;
use crate::crypto::secrets;
use crate::web::cookies;
use crate::web::session::session_cookie_name;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use poem::{FromRequest, Request, RequestBody};
use sha2::{Digest, Sha256};

/// The pre-session cookie's name (`__Host-portico_csrf` over https: [`cookies::name`]).
pub const CSRF_COOKIE: &str = "portico_csrf";
/// The form field that carries the token.
pub const FIELD: &str = "csrf_token";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Binding {
    Session(String),
    PreSession(String),
}

fn token_for(binding: &Binding) -> String {
    let (kind, secret) = match binding {
        Binding::Session(s) => ("session", s),
        Binding::PreSession(s) => ("pre-session", s),
    };
    let mut h = Sha256::new();
    h.update(b"portico-csrf-v1\0");
    h.update(kind.as_bytes());
    h.update(b"\0");
    h.update(secret.as_bytes());
    URL_SAFE_NO_PAD.encode(h.finalize())
}

/// What the request's cookies bind forms to.
#[derive(Debug, Clone)]
pub struct Csrf {
    binding: Option<Binding>,
    secure: bool,
    /// The pre-session cookie's name as sent (`__Host-` over https).
    cookie_name: String,
}

/// A token to put in a form, and the cookie to set when the browser had no binding yet.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub set_cookie: Option<String>,
}

impl Csrf {
    /// The token for a form on the page being rendered.
    pub fn issue(&self) -> Issued {
        match &self.binding {
            Some(b) => Issued {
                token: token_for(b),
                set_cookie: None,
            },
            None => {
                let secret = secrets::new_token();
                Issued {
                    token: token_for(&Binding::PreSession(secret.clone())),
                    set_cookie: Some(cookies::set(&self.cookie_name, &secret, self.secure)),
                }
            }
        }
    }

    /// Whether a submitted form's token matches this browser's binding.
    pub fn verify(&self, presented: &str) -> bool {
        match &self.binding {
            Some(b) => secrets::constant_time_eq(token_for(b).as_bytes(), presented.as_bytes()),
            None => false,
        }
    }
}

impl<'a> FromRequest<'a> for Csrf {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let state = state_of(req)?;
        let well_formed = |v: &String| secrets::looks_like_token(v);
        let cookie_name = cookies::name(&state.settings, CSRF_COOKIE);
        let binding = cookies::read(req, &session_cookie_name(&state.settings))
            .filter(well_formed)
            .map(Binding::Session)
            .or_else(|| {
                cookies::read(req, &cookie_name)
                    .filter(well_formed)
                    .map(Binding::PreSession)
            });
        Ok(Self {
            binding,
            secure: cookies::secure(&state.settings),
            cookie_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(binding: Option<Binding>) -> Csrf {
        Csrf {
            binding,
            secure: false,
            cookie_name: CSRF_COOKIE.to_owned(),
        }
    }

    #[test]
    fn a_token_only_verifies_for_its_own_binding() {
        let a = with(Some(Binding::PreSession(secrets::new_token())));
        let b = with(Some(Binding::PreSession(secrets::new_token())));
        let issued = a.issue();
        assert!(issued.set_cookie.is_none());
        assert!(a.verify(&issued.token));
        assert!(!b.verify(&issued.token));
        assert!(!a.verify(""));
        assert!(!with(None).verify(&issued.token));
    }

    #[test]
    fn session_and_pre_session_tokens_differ_for_the_same_secret() {
        let s = secrets::new_token();
        assert_ne!(
            token_for(&Binding::Session(s.clone())),
            token_for(&Binding::PreSession(s))
        );
    }

    #[test]
    fn a_browser_without_a_binding_gets_a_cookie_and_a_matching_token() {
        let issued = with(None).issue();
        let cookie = issued.set_cookie.unwrap();
        let secret = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("portico_csrf=")
            .to_owned();
        assert!(with(Some(Binding::PreSession(secret))).verify(&issued.token));
        assert!(!issued.token.contains(&cookie));
    }
}
