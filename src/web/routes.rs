//! Where the pages are mounted, and which requests get HTML errors.

use crate::api::route_table::{Mounted, RouteTable, get, post};
use crate::web::{
    account, account_email, account_mfa, account_password, assets, forgot_username, invite, login,
    login_mfa, register, representative_consent, reset, verify_email,
};
use poem::Route;

/// Adds the pages to the application's routes; the table of what was mounted tells the edge
/// which paths are pages and which methods each answers.
pub fn mount(route: Route) -> (Route, Vec<Mounted>) {
    RouteTable::new(route)
        .at(
            "/invite/:token",
            "page_invite",
            get(invite::show).post(invite::submit),
        )
        .at(
            "/register/:practice",
            "page_register",
            get(register::show).post(register::submit),
        )
        .at(
            "/verify-email",
            "page_verify_email_resend",
            get(verify_email::resend_form).post(verify_email::resend),
        )
        .at(
            "/verify-email/:token",
            "page_verify_email",
            get(verify_email::show).post(verify_email::submit),
        )
        .at("/static/:file", "static", get(assets::stylesheet))
        .at("/login", "page_login", get(login::show).post(login::submit))
        .at(
            "/login/continue",
            "page_login_continue",
            get(login::continue_page),
        )
        .at(
            "/login/practice",
            "page_login_practice",
            post(login::choose),
        )
        .at(
            "/login/password",
            "page_login_password",
            post(login::change_password),
        )
        .at("/login/mfa", "page_login_mfa", post(login_mfa::submit_code))
        .at(
            "/login/mfa-setup",
            "page_login_mfa_setup",
            post(login_mfa::submit_setup),
        )
        .at(
            "/reset-password",
            "page_reset",
            get(reset::request_form).post(reset::request),
        )
        .at(
            "/reset-password/:token",
            "page_reset_token",
            get(reset::show).post(reset::submit),
        )
        .at(
            "/forgot-username",
            "page_forgot_username",
            get(forgot_username::show).post(forgot_username::submit),
        )
        .at("/logout", "page_logout", post(account::logout))
        .at("/account", "page_account", get(account::show))
        .at(
            "/account/two-step",
            "page_account_two_step",
            get(account_mfa::show).post(account_mfa::submit),
        )
        .at(
            "/account/password",
            "page_account_password",
            get(account_password::show).post(account_password::submit),
        )
        .at(
            "/account/email",
            "page_account_email",
            get(account_email::show).post(account_email::submit),
        )
        .at(
            "/confirm-email/:token",
            "page_confirm_email",
            get(account_email::confirm_show).post(account_email::confirm_submit),
        )
        .at(
            "/representative-consent",
            "page_representative_consent_code",
            get(representative_consent::code_form),
        )
        .at(
            "/representative-consent/:token",
            "page_representative_consent",
            get(representative_consent::show).post(representative_consent::submit),
        )
        .at(
            "/account/representatives/:id/end",
            "page_account_representative_end",
            post(account::end_representative),
        )
        .at(
            "/account/representatives/:id/renew",
            "page_account_representative_renew",
            post(account::renew_representative),
        )
        .into_parts()
}

/// Paths that belong to machines (JSON APIs, OAuth, operations): their errors stay problem
/// details whatever the `Accept` header says.
const MACHINE_PREFIXES: &[&str] = &[
    "/api/",
    "/oauth2/",
    "/.well-known/",
    "/openapi.json",
    "/docs",
    "/healthz",
    "/readyz",
    "/metrics",
];

/// The pages' paths, from the table [`mount`] returns: what decides whether an error is shown
/// as a page.
#[derive(Debug, Clone, Default)]
pub struct PagePaths(Vec<String>);

impl PagePaths {
    pub fn new(pages: &[Mounted]) -> Self {
        // `/invite/{token}` covers every path under `/invite/`.
        let prefix = |m: &Mounted| m.template.split('{').next().unwrap_or_default().to_owned();
        Self(pages.iter().map(prefix).collect())
    }

    /// Whether an error on this request is shown as a page: on a page's own path always, and
    /// on any other non-API path when the client asks for HTML (a browser following a bad
    /// link).
    pub fn wants_html(&self, path: &str, accept: Option<&str>) -> bool {
        if self
            .0
            .iter()
            .any(|prefix| path.starts_with(prefix.as_str()))
        {
            return true;
        }
        !MACHINE_PREFIXES.iter().any(|p| path.starts_with(p))
            && accept.is_some_and(|a| a.contains("text/html"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_get_pages_and_apis_keep_problems() {
        let (_, mounted) = mount(Route::new());
        let pages = PagePaths::new(&mounted);
        let wants_html = |path, accept| pages.wants_html(path, accept);
        assert!(wants_html(
            "/nowhere",
            Some("text/html,application/xhtml+xml")
        ));
        assert!(!wants_html("/nowhere", Some("application/json")));
        assert!(!wants_html("/api/v1/nowhere", Some("text/html")));
        assert!(wants_html("/invite/abc", None));
        assert!(wants_html("/account/representatives/x/end", None));
    }
}
