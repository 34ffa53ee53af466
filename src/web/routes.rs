//! Where the pages are mounted, and which requests get HTML errors.

use crate::api::edge::labelled;
use crate::web::{account, assets, invite, login, register, verify_email};
use poem::{Route, get, post};

/// The pages and their methods (for the `Allow` header of a 405).
pub const PAGE_ROUTES: &[(&str, &[&str])] = &[
    ("/invite/{token}", &["GET", "POST"]),
    ("/register/{practice}", &["GET", "POST"]),
    ("/verify-email/{token}", &["GET", "POST"]),
    ("/static/{file}", &["GET"]),
    ("/login", &["GET", "POST"]),
    ("/login/practice", &["POST"]),
    ("/login/password", &["POST"]),
    ("/logout", &["POST"]),
    ("/account", &["GET"]),
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
            "/login/practice",
            labelled("page_login_practice", post(login::choose)),
        )
        .at(
            "/login/password",
            labelled("page_login_password", post(login::change_password)),
        )
        .at("/logout", labelled("page_logout", post(account::logout)))
        .at("/account", labelled("page_account", get(account::show)))
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
