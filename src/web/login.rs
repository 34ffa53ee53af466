//! `/login`: the login page and the steps after it, with `service::page_login` (the same steps
//! as `POST /api/v1/login`): the practice chooser (`/login/practice`), the blocked message,
//! the forced password change (`/login/password`), the two-step steps (`web::login_mfa`),
//! then a web session and a redirect to
//! `continue` (the OpenID Connect authorize request sends people here too).

use crate::domain::login::PracticeStanding;
use crate::error::Error;
use crate::service::login::{Credentials, PracticeOption};
use crate::service::page_login::{self, PageLogin};
use crate::service::practices;
use crate::service::web_sessions;
use crate::state::AppState;
use crate::store::audit::RequestMeta;
use crate::web::csrf::{self, Csrf};
use crate::web::errors::form_expired;
use crate::web::form::{FormData, FormErrors};
use crate::web::login_mfa;
use crate::web::messages::{FieldSpec, on_form};
use crate::web::page::{Page, phone_href, redirect};
use crate::web::session::{CurrentSession, session_cookie};
use crate::web::templates::LOGIN_URL;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{IntoResponse, Response, handler};
use serde::{Deserialize, Serialize};

/// Where a login ends when `continue` is missing or not a path of ours.
pub const DEFAULT_CONTINUE: &str = "/account";
/// Longer `continue` values are not kept (a real one is an authorize request: well below).
const MAX_CONTINUE: usize = 4096;

const ORDER: &[&str] = &["username", "password"];
const PASSWORD_ORDER: &[&str] = &["password", "password_confirm"];

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

/// `?continue=…&practice=…` on the login page.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    #[serde(rename = "continue")]
    next: Option<String>,
    practice: Option<String>,
}

/// What every step's form carries along: where to go after, and the practice asked for.
#[derive(Debug, Clone, Default, Serialize)]
pub(super) struct Carry {
    #[serde(rename = "continue")]
    next: String,
    pub(super) practice: String,
}

impl Carry {
    fn new(next: Option<&str>, practice: Option<&str>) -> Self {
        Self {
            next: safe_continue(next).unwrap_or_default().to_owned(),
            practice: practice.map(str::trim).unwrap_or_default().to_owned(),
        }
    }

    pub(super) fn from_form(form: &FormData) -> Self {
        Self::new(form.optional("continue"), form.optional("practice"))
    }

    pub(super) fn target(&self) -> &str {
        safe_continue(Some(&self.next)).unwrap_or(DEFAULT_CONTINUE)
    }

    /// Where the last step's form sends the browser: [`Self::target`] itself when it is a
    /// page, and the continue page (`/login/continue`) when it is an endpoint that may send
    /// the browser on to another site (an app's sign-in request). Browsers apply the pages'
    /// `form-action 'self'` to every redirect that follows a form, so a form's chain must end
    /// on a page of ours; the continue page goes on by a plain navigation.
    pub(super) fn after_login(&self) -> String {
        continue_location(self.target())
    }

    /// The login page again, with what it was opened with.
    pub(super) fn login_url(&self) -> String {
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

/// A practice on the chooser and the blocked page.
#[derive(Debug, Serialize)]
struct OptionView {
    slug: String,
    name: String,
    phone: String,
    phone_href: String,
    status: PracticeStanding,
}

/// Active practices first (what the person can choose), then the ones that refuse.
fn views(options: &[PracticeOption]) -> Vec<OptionView> {
    let mut sorted: Vec<&PracticeOption> = options.iter().collect();
    sorted.sort_by_key(|o| o.standing != PracticeStanding::Active);
    sorted
        .into_iter()
        .map(|o| OptionView {
            slug: o.slug.clone(),
            name: o.name.clone(),
            phone: o.phone.clone(),
            phone_href: phone_href(&o.phone),
            status: o.standing,
        })
        .collect()
}

pub(super) async fn with_practice(state: &AppState, page: Page, slug: &str) -> poem::Result<Page> {
    if slug.is_empty() {
        return Ok(page);
    }
    Ok(match practices::find_by_slug(&state.db, slug).await? {
        Some(p) => page.practice(&p),
        None => page,
    })
}

async fn form_page(
    state: &AppState,
    csrf: &Csrf,
    carry: &Carry,
    form: &FormData,
    errors: &FormErrors,
    status: StatusCode,
) -> poem::Result<Page> {
    let page = Page::new(
        "login/form.html",
        minijinja::context! {
            carry => minijinja::value::Serde(carry),
            values => minijinja::value::Serde(form.echo()),
        },
    )
    .with(errors.context(ORDER))
    .csrf(csrf)
    .status(status);
    with_practice(state, page, &carry.practice).await
}

/// The login form.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    Query(q): Query<LoginQuery>,
    csrf: Csrf,
) -> poem::Result<Page> {
    let mut carry = Carry::new(q.next.as_deref(), q.practice.as_deref());
    if !carry.practice.is_empty()
        && practices::find_by_slug(&state.db, &carry.practice)
            .await?
            .is_none()
    {
        // An unknown practice in a link: log in without it (the chooser follows if needed).
        carry.practice.clear();
    }
    form_page(
        &state,
        &csrf,
        &carry,
        &FormData::default(),
        &FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// The continue page: a login is done and its next stop (`continue`, a path of ours) is not a
/// page; it goes on by a plain navigation (a refresh, and a link for anyone whose browser
/// does not follow it).
#[handler]
pub async fn continue_page(Query(q): Query<LoginQuery>) -> Page {
    let next = safe_continue(q.next.as_deref()).unwrap_or(DEFAULT_CONTINUE);
    Page::new("login/continue.html", minijinja::context! { next })
}

/// Username and password.
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    current: CurrentSession,
    csrf: Csrf,
    form: FormData,
) -> poem::Result<Response> {
    let carry = Carry::from_form(&form);
    if !csrf.verify(form.raw(csrf::FIELD)) {
        return Ok(form_expired(&carry.login_url()).into_response());
    }
    let mut errors = FormErrors::default();
    if form.is_blank("username") {
        errors.add("username", "Enter your username.");
    }
    if form.raw("password").is_empty() {
        errors.add("password", "Enter your password.");
    }
    if !errors.is_empty() {
        let page = form_page(
            &state,
            &csrf,
            &carry,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return Ok(page.await?.into_response());
    }
    let creds = Credentials {
        username: form.raw("username").trim().to_owned(),
        password: form.raw("password").to_owned(),
        practice: Some(carry.practice.clone()).filter(|p| !p.is_empty()),
    };
    match page_login::login(&state, creds, &meta, state.now()).await {
        Ok(outcome) => next_step(&state, &csrf, &carry, &current, outcome).await,
        Err(e) => {
            let status = e.status();
            match e {
                Error::InvalidCredentials => {
                    errors.alert = Some(
                        "The username or password is not right. Please check them and try again."
                            .into(),
                    );
                }
                Error::NoAccess => {
                    errors.alert = Some(no_access_message(&state, &carry).await?);
                }
                other => on_form(other, &[], &form, &mut errors)?,
            }
            let page = form_page(&state, &csrf, &carry, &form, &errors, status);
            Ok(page.await?.into_response())
        }
    }
}

async fn no_access_message(state: &AppState, carry: &Carry) -> poem::Result<String> {
    let practice = match carry.practice.as_str() {
        "" => None,
        slug => practices::find_by_slug(&state.db, slug).await?,
    };
    Ok(match practice {
        Some(p) => format!(
            "This account has no portal access at {}. If you think it should, please contact \
             the practice on {}.",
            p.name, p.contact_phone
        ),
        None => "This account has no portal access at the moment. If you think it should, \
                 please contact your practice."
            .to_owned(),
    })
}

/// The page (or redirect) for where the login now stands.
pub(super) async fn next_step(
    state: &AppState,
    csrf: &Csrf,
    carry: &Carry,
    current: &CurrentSession,
    outcome: PageLogin,
) -> poem::Result<Response> {
    Ok(match outcome {
        PageLogin::LoggedIn(started) => {
            // Logging in again in the same browser (another practice, another account): the
            // session it had ends, so no live session is left behind without its cookie.
            if let Some(old) = &current.0 {
                web_sessions::end(&state.db, &old.token, state.now()).await?;
            }
            redirect(
                &carry.after_login(),
                vec![session_cookie(&state.settings, &started.token)],
            )
        }
        PageLogin::Choose { token, options } => Page::new(
            "login/choose.html",
            minijinja::context! {
                choice_token => token,
                options => minijinja::value::Serde(views(&options)),
                carry => minijinja::value::Serde(carry),
            },
        )
        .csrf(csrf)
        .into_response(),
        PageLogin::Refused {
            refusal,
            token,
            others,
        } => blocked_page(state, csrf, carry, refusal, token, &others)
            .await?
            .into_response(),
        PageLogin::PasswordChange { token, practice } => {
            // The practice the login is for stays on the page (its name and contact).
            let carry = Carry {
                practice,
                ..carry.clone()
            };
            let page = password_page(csrf, &carry, &token, &FormErrors::default(), StatusCode::OK);
            with_practice(state, page, &carry.practice)
                .await?
                .into_response()
        }
        PageLogin::Mfa { token } => {
            login_mfa::code_page(csrf, carry, &token, &FormErrors::default(), StatusCode::OK)
                .into_response()
        }
        PageLogin::MfaEnrolment { token, enrolment } => {
            let page = login_mfa::setup_page(
                csrf,
                carry,
                &token,
                &enrolment,
                &FormErrors::default(),
                StatusCode::OK,
            );
            with_practice(state, page, &carry.practice)
                .await?
                .into_response()
        }
        PageLogin::Enrolled { started, codes } => {
            if let Some(old) = &current.0 {
                web_sessions::end(&state.db, &old.token, state.now()).await?;
            }
            login_mfa::recovery_codes_page(&codes, carry.target())
                .cookie(session_cookie(&state.settings, &started.token))
                .into_response()
        }
    })
}

/// "Your portal access to … is blocked. Please contact the practice on …", with the other
/// practices still to choose from.
pub(super) async fn blocked_page(
    state: &AppState,
    csrf: &Csrf,
    carry: &Carry,
    refusal: Error,
    token: Option<String>,
    others: &[PracticeOption],
) -> poem::Result<Page> {
    let (kind, name, slug, phone) = match &refusal {
        Error::AccessBlocked {
            practice,
            slug,
            phone,
        } => ("blocked", practice, slug, phone),
        Error::AccessRevoked {
            practice,
            slug,
            phone,
        } => ("revoked", practice, slug, phone),
        Error::ConsentPending {
            practice,
            slug,
            phone,
        } => ("consent_pending", practice, slug, phone),
        Error::ConsentExpired {
            practice,
            slug,
            phone,
        } => ("consent_expired", practice, slug, phone),
        _ => return Err(refusal.into()),
    };
    let page = Page::new(
        "login/blocked.html",
        minijinja::context! {
            kind,
            what => match kind {
                "blocked" => "blocked",
                "revoked" => "deactivated",
                "consent_pending" => "waiting for the patient's consent",
                _ => "paused: the patient's consent has run out",
            },
            refused => minijinja::context! {
                name => name,
                phone => phone,
                phone_href => phone_href(phone),
            },
            choice_token => token,
            others => minijinja::value::Serde(views(others)),
            carry => minijinja::value::Serde(carry),
        },
    )
    .csrf(csrf)
    .status(StatusCode::FORBIDDEN);
    with_practice(state, page, slug).await
}

/// A practice picked on the chooser or the blocked page.
#[handler]
pub async fn choose(
    state: Data<&AppState>,
    meta: RequestMeta,
    current: CurrentSession,
    csrf: Csrf,
    form: FormData,
) -> poem::Result<Response> {
    let carry = Carry::from_form(&form);
    if !csrf.verify(form.raw(csrf::FIELD)) {
        return Ok(form_expired(&carry.login_url()).into_response());
    }
    let practice = form.raw("practice").trim();
    let outcome = page_login::choose(
        &state,
        form.raw("choice_token"),
        practice,
        &meta,
        state.now(),
    )
    .await;
    match outcome {
        Ok(outcome) => next_step(&state, &csrf, &carry, &current, outcome).await,
        Err(Error::InvalidGrant | Error::NoAccess) => Ok(start_again(&carry).into_response()),
        Err(e) => Err(e.into()),
    }
}

/// A step whose token has run out (or was used): log in again.
pub(super) fn start_again(carry: &Carry) -> Page {
    Page::new(
        "error.html",
        minijinja::context! {
            heading => "Please log in again",
            paragraphs => vec![
                "For your safety, this step of logging in only works for 10 minutes, and only once.",
                "Please log in again with your username and password.",
            ],
            action => minijinja::context! { href => carry.login_url(), label => "Log in" },
        },
    )
    .status(StatusCode::BAD_REQUEST)
}

fn password_page(
    csrf: &Csrf,
    carry: &Carry,
    token: &str,
    errors: &FormErrors,
    status: StatusCode,
) -> Page {
    Page::new(
        "login/password.html",
        minijinja::context! {
            password_token => token,
            carry => minijinja::value::Serde(carry),
        },
    )
    .with(errors.context(PASSWORD_ORDER))
    .csrf(csrf)
    .status(status)
}

/// The new password of a staff-created account, then the rest of the login.
#[handler]
pub async fn change_password(
    state: Data<&AppState>,
    meta: RequestMeta,
    current: CurrentSession,
    csrf: Csrf,
    form: FormData,
) -> poem::Result<Response> {
    let carry = Carry::from_form(&form);
    if !csrf.verify(form.raw(csrf::FIELD)) {
        return Ok(form_expired(&carry.login_url()).into_response());
    }
    let token = form.raw("password_token");
    let mut errors = FormErrors::default();
    if form.raw("password").is_empty() {
        errors.add("password", "Choose a new password.");
    } else if form.raw("password") != form.raw("password_confirm") {
        errors.add(
            "password_confirm",
            "The passwords do not match. Type the same password in both boxes.",
        );
    }
    if !errors.is_empty() {
        let page = password_page(
            &csrf,
            &carry,
            token,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return Ok(with_practice(&state, page, &carry.practice)
            .await?
            .into_response());
    }
    let specs = [FieldSpec::text(
        "password",
        "new_password",
        "Your new password",
        "Choose a new password.",
    )];
    let outcome =
        page_login::change_password(&state, token, form.raw("password"), &meta, state.now()).await;
    match outcome {
        Ok(outcome) => next_step(&state, &csrf, &carry, &current, outcome).await,
        Err(Error::InvalidGrant) => Ok(start_again(&carry).into_response()),
        Err(e) if e.is_practice_refusal() => Ok(blocked_page(&state, &csrf, &carry, e, None, &[])
            .await?
            .into_response()),
        Err(e) => {
            let status = e.status();
            on_form(e, &specs, &form, &mut errors)?;
            let page = password_page(&csrf, &carry, token, &errors, status);
            Ok(with_practice(&state, page, &carry.practice)
                .await?
                .into_response())
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
