//! The steps of a login on the pages, shared by the login page (`web::login`) and its
//! two-step steps (`web::login_mfa`): the page (or redirect) for where a login stands
//! ([`next_step`]), each step's form, and where a refused step goes back to ([`LoginAgain`]).
//! The handlers of both pages use this module; it uses neither.

use crate::domain::login::PracticeStanding;
use crate::error::Error;
use crate::service::login::flow::PracticeOption;
use crate::service::login::mfa::Enrolment;
use crate::service::login::page::PageLogin;
use crate::service::practice::practices;
use crate::service::sessions::browser;
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::form::{FormData, FormErrors};
use crate::web::guards::ComeBack;
use crate::web::login_carry::Carry;
use crate::web::page::{Page, phone_href, redirect};
use crate::web::session::{CurrentSession, session_cookie};
use poem::http::StatusCode;
use poem::{IntoResponse, Request, Response};
use serde::Serialize;

const PASSWORD_ORDER: &[&str] = &["password", "password_confirm"];
const CODE_ORDER: &[&str] = &["code"];

/// A login step's form that expired: the login page again, with what it was opened with.
pub struct LoginAgain;

impl ComeBack for LoginAgain {
    fn url(_req: &Request, form: &FormData) -> String {
        Carry::from_form(form).login_url()
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

/// The page, with the name and contact details of the practice `slug` when there is one.
pub async fn with_practice(state: &AppState, page: Page, slug: &str) -> poem::Result<Page> {
    if slug.is_empty() {
        return Ok(page);
    }
    Ok(match practices::find_by_slug(&state.db, slug).await? {
        Some(p) => page.practice(&p),
        None => page,
    })
}

/// The page (or redirect) for where the login now stands.
pub async fn next_step(
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
                browser::end(&state.db, &old.token, state.now()).await?;
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
            let carry = carry.for_practice(practice);
            let page = password_page(csrf, &carry, &token, &FormErrors::default(), StatusCode::OK);
            with_practice(state, page, &carry.practice)
                .await?
                .into_response()
        }
        PageLogin::Mfa { token } => {
            code_page(csrf, carry, &token, &FormErrors::default(), StatusCode::OK).into_response()
        }
        PageLogin::MfaEnrolment { token, enrolment } => {
            let page = setup_page(
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
                browser::end(&state.db, &old.token, state.now()).await?;
            }
            recovery_codes_page(&codes, carry.target())
                .cookie(session_cookie(&state.settings, &started.token))
                .into_response()
        }
    })
}

/// "Your portal access to … is blocked. Please contact the practice on …", with the other
/// practices still to choose from.
pub async fn blocked_page(
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
        Error::EmailUnconfirmed {
            practice,
            slug,
            phone,
        } => ("email_unconfirmed", practice, slug, phone),
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
                "email_unconfirmed" => "waiting for you to confirm your email address",
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

/// A step whose token has run out (or was used): log in again.
pub fn start_again(carry: &Carry) -> Page {
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

pub fn password_page(
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

/// The code form of a login.
pub fn code_page(
    csrf: &Csrf,
    carry: &Carry,
    token: &str,
    errors: &FormErrors,
    status: StatusCode,
) -> Page {
    Page::new(
        "login/mfa.html",
        minijinja::context! {
            mfa_token => token,
            carry => minijinja::value::Serde(carry),
        },
    )
    .with(errors.context(CODE_ORDER))
    .csrf(csrf)
    .status(status)
}

/// The set-up form of a login: the QR code and the key for the app, then its first code.
pub fn setup_page(
    csrf: &Csrf,
    carry: &Carry,
    token: &str,
    enrolment: &Enrolment,
    errors: &FormErrors,
    status: StatusCode,
) -> Page {
    Page::new(
        "login/mfa_setup.html",
        minijinja::context! {
            action => "/login/mfa-setup",
            enrolment_token => token,
            qr_code => &enrolment.qr_code,
            secret => &enrolment.secret,
            practice_requires => true,
            carry => minijinja::value::Serde(carry),
        },
    )
    .with(errors.context(CODE_ORDER))
    .csrf(csrf)
    .status(status)
}

/// The recovery codes, shown once, and where to go on.
pub fn recovery_codes_page(codes: &[String], next: &str) -> Page {
    Page::new(
        "login/recovery_codes.html",
        minijinja::context! { codes => codes.to_vec(), next },
    )
}
