//! Where the pages are mounted, and which requests get HTML errors.

use crate::api::edge::labelled;
use crate::web::{
    account, account_email, account_mfa, account_password, assets, forgot_username, invite, login,
    login_mfa, register, representative_consent, reset, verify_email,
};
use poem::{Route, get, post};

/// The pages and their methods (for the `Allow` header of a 405).
pub const PAGE_ROUTES: &[(&str, &[&str])] = &[
    ("/invite/{token}", &["GET", "POST"]),
    ("/register/{practice}", &["GET", "POST"]),
    ("/verify-email/{token}", &["GET", "POST"]),
    ("/static/{file}", &["GET"]),
    ("/login", &["GET", "POST"]),
    ("/login/continue", &["GET"]),
    ("/login/practice", &["POST"]),
    ("/login/password", &["POST"]),
    ("/login/mfa", &["POST"]),
    ("/login/mfa-setup", &["POST"]),
    ("/reset-password", &["GET", "POST"]),
    ("/reset-password/{token}", &["GET", "POST"]),
    ("/forgot-username", &["GET", "POST"]),
    ("/logout", &["POST"]),
    ("/account", &["GET"]),
    ("/account/two-step", &["GET", "POST"]),
    ("/account/password", &["GET", "POST"]),
    ("/account/email", &["GET", "POST"]),
    ("/confirm-email/{token}", &["GET", "POST"]),
    ("/representative-consent", &["GET"]),
    ("/representative-consent/{token}", &["GET", "POST"]),
    ("/account/representatives/{id}/end", &["POST"]),
    ("/account/representatives/{id}/renew", &["POST"]),
];

/// Adds the pages to the application's routes.
pub fn mount(route: Route) -> Route {
    route
        .at(
            "/invite/:token",
            labelled("page_invite", get(invite::show).post(invite::submit)),
        )
        .at(
            "/register/:practice",
            labelled("page_register", get(register::show).post(register::submit)),
        )
        .at(
            "/verify-email/:token",
            labelled(
                "page_verify_email",
                get(verify_email::show).post(verify_email::submit),
            ),
        )
        .at("/static/:file", labelled("static", get(assets::stylesheet)))
        .at(
            "/login",
            labelled("page_login", get(login::show).post(login::submit)),
        )
        .at(
            "/login/continue",
            labelled("page_login_continue", get(login::continue_page)),
        )
        .at(
            "/login/practice",
            labelled("page_login_practice", post(login::choose)),
        )
        .at(
            "/login/password",
            labelled("page_login_password", post(login::change_password)),
        )
        .at(
            "/login/mfa",
            labelled("page_login_mfa", post(login_mfa::submit_code)),
        )
        .at(
            "/login/mfa-setup",
            labelled("page_login_mfa_setup", post(login_mfa::submit_setup)),
        )
        .at(
            "/reset-password",
            labelled("page_reset", get(reset::request_form).post(reset::request)),
        )
        .at(
            "/reset-password/:token",
            labelled("page_reset_token", get(reset::show).post(reset::submit)),
        )
        .at(
            "/forgot-username",
            labelled(
                "page_forgot_username",
                get(forgot_username::show).post(forgot_username::submit),
            ),
        )
        .at("/logout", labelled("page_logout", post(account::logout)))
        .at("/account", labelled("page_account", get(account::show)))
        .at(
            "/account/two-step",
            labelled(
                "page_account_two_step",
                get(account_mfa::show).post(account_mfa::submit),
            ),
        )
        .at(
            "/account/password",
            labelled(
                "page_account_password",
                get(account_password::show).post(account_password::submit),
            ),
        )
        .at(
            "/account/email",
            labelled(
                "page_account_email",
                get(account_email::show).post(account_email::submit),
            ),
        )
        .at(
            "/confirm-email/:token",
            labelled(
                "page_confirm_email",
                get(account_email::confirm_show).post(account_email::confirm_submit),
            ),
        )
        .at(
            "/representative-consent",
            labelled(
                "page_representative_consent_code",
                get(representative_consent::code_form),
            ),
        )
        .at(
            "/representative-consent/:token",
            labelled(
                "page_representative_consent",
                get(representative_consent::show).post(representative_consent::submit),
            ),
        )
        .at(
            "/account/representatives/:id/end",
            labelled(
                "page_account_representative_end",
                post(account::end_representative),
            ),
        )
        .at(
            "/account/representatives/:id/renew",
            labelled(
                "page_account_representative_renew",
                post(account::renew_representative),
            ),
        )
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

/// Whether an error on this request is shown as a page: on a page's own path always, and on
/// any other non-API path when the client asks for HTML (a browser following a bad link).
pub fn wants_html(path: &str, accept: Option<&str>) -> bool {
    let page = PAGE_ROUTES.iter().any(|(tpl, _)| {
        let prefix = tpl.split('{').next().unwrap_or(tpl);
        path.starts_with(prefix)
    });
    if page {
        return true;
    }
    !MACHINE_PREFIXES.iter().any(|p| path.starts_with(p))
        && accept.is_some_and(|a| a.contains("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_get_pages_and_apis_keep_problems() {
        assert!(wants_html(
            "/nowhere",
            Some("text/html,application/xhtml+xml")
        ));
        assert!(!wants_html("/nowhere", Some("application/json")));
        assert!(!wants_html("/api/v1/nowhere", Some("text/html")));
        assert!(wants_html("/invite/abc", None));
    }
}
