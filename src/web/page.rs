//! A rendered page: a template, its context, a status and cookies, sent with the headers every
//! HTML response gets (a strict Content-Security-Policy, `Cache-Control: no-store`). The edge
//! adds `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY` and `nosniff` to everything.

use crate::service::practice::practices::Practice;
use crate::web::csrf::Csrf;
use crate::web::templates;
use minijinja::Value;
use minijinja::value::{Serde, merge_maps};
use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use serde::Serialize;

/// No script at all, styles only from our own stylesheet, forms only to ourselves, never in a
/// frame. `img-src data:` leaves room for an inline QR code on the MFA page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A practice as its pages show it: name and contact details (seed 000: "contact the practice").
#[derive(Debug, Clone, Serialize)]
pub struct PracticeView {
    pub slug: String,
    pub name: String,
    pub phone: String,
    /// The phone number for a `tel:` link: digits and a leading `+`.
    pub phone_href: String,
    pub email: Option<String>,
    pub contact_name: Option<String>,
}

/// A phone number for a `tel:` link: digits and a leading `+`.
pub fn phone_href(phone: &str) -> String {
    phone
        .chars()
        .enumerate()
        .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
        .map(|(_, c)| c)
        .collect()
}

impl From<&Practice> for PracticeView {
    fn from(p: &Practice) -> Self {
        let phone_href = phone_href(&p.contact_phone);
        Self {
            slug: p.slug.clone(),
            name: p.name.clone(),
            phone: p.contact_phone.clone(),
            phone_href,
            email: p.contact_email.clone(),
            contact_name: p.contact_name.clone(),
        }
    }
}

/// A page to send: build it with [`Page::new`], add to its context, then return it.
#[derive(Debug)]
pub struct Page {
    status: StatusCode,
    template: &'static str,
    context: Vec<Value>,
    cookies: Vec<String>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Page {
    /// A page from a template and a context (anything `Serialize`, or `minijinja::context!`).
    pub fn new(template: &'static str, context: impl Serialize) -> Self {
        Self {
            status: StatusCode::OK,
            template,
            context: vec![Value::from(Serde(context))],
            cookies: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Adds to the context; later values win.
    pub fn with(mut self, context: impl Serialize) -> Self {
        self.context.push(Value::from(Serde(context)));
        self
    }

    /// The practice whose name and contact details the page shows.
    pub fn practice(self, practice: &Practice) -> Self {
        self.with(minijinja::context! { practice => Serde(PracticeView::from(practice)) })
    }

    /// A CSRF token for the page's form (`csrf_token`), and the pre-session cookie if the
    /// browser has none yet.
    pub fn csrf(mut self, csrf: &Csrf) -> Self {
        let issued = csrf.issue();
        if let Some(c) = issued.set_cookie {
            self.cookies.push(c);
        }
        self.with(minijinja::context! { csrf_token => issued.token })
    }

    /// A `Set-Cookie` header value to send.
    pub fn cookie(mut self, set_cookie: String) -> Self {
        self.cookies.push(set_cookie);
        self
    }

    /// Any other header (`Retry-After`, `Allow`).
    pub fn header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let ctx = merge_maps(self.context.into_iter().rev());
        let (status, body) = match templates::render(self.template, ctx) {
            Ok(html) => (self.status, html),
            Err(e) => {
                tracing::error!(template = self.template, error = %e, "template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, FALLBACK.to_owned())
            }
        };
        let mut resp = html_response(status, body);
        for c in self.cookies {
            if let Ok(v) = HeaderValue::from_str(&c) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        for (k, v) in self.headers {
            resp.headers_mut().insert(k, v);
        }
        resp
    }
}

/// What a person sees if a template itself fails: plain, with no detail.
const FALLBACK: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Something went wrong</title><h1>Sorry, something went wrong</h1>\
<p>Please try again later. If it keeps happening, contact your practice.</p></html>";

/// A `303 See Other` to `location` (a path of ours), with cookies to set: after a form that
/// worked, so that reloading the next page does not send the form again.
pub fn redirect(location: &str, cookies: Vec<String>) -> Response {
    let mut resp = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::CACHE_CONTROL, "no-store")
        .finish();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// An HTML response with the page headers.
pub fn html_response(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_links_keep_digits_and_a_leading_plus() {
        let p = Practice {
            id: uuid::Uuid::nil(),
            slug: "s".into(),
            name: "S".into(),
            contact_name: None,
            contact_phone: "+1 (555) 010-0100".into(),
            contact_email: None,
            invitation_ttl_hours: 72,
            self_registration: crate::domain::practice::SelfRegistration::Off,
            required_fields: "email".into(),
            age_of_majority: 18,
            mfa_required: false,
            adult_representative_consent_months: 18,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            limited_access_from_age: 12,
            limited_scopes: "[]".into(),
            teen_consent_required: false,
            min_self_service_age: 13,
            fhir_base_urls: "[]".into(),
        };
        assert_eq!(PracticeView::from(&p).phone_href, "+15550100100");
    }
}
