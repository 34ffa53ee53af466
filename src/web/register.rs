//! `/register/{practice}`: self sign-up with `service::registration::sign_up::register`, as
//! `POST /api/v1/registrations` does, following the practice's mode: `off` explains how to get
//! access instead, `verify_email` ends on "check your email", `auto_activate` on "you can log
//! in now". The form asks for what the practice requires (seed 003).

use crate::api::context::RequestMeta;
use crate::domain::access::AccessStatus;
use crate::domain::contact::{EmailAddress, MobileNumber, PersonName, PostalCode};
use crate::domain::patient::check_date_of_birth;
use crate::domain::practice::{RequiredField, SelfRegistration};
use crate::domain::username::Username;
use crate::error::Error;
use crate::service::practice::practices::{self, Practice, PracticeSettings};
use crate::service::registration::confirmation::EMAIL_VERIFICATION_TTL_HOURS;
use crate::service::registration::sign_up::{self, Registration};
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::form::{FormData, FormErrors};
use crate::web::guards::CsrfForm;
use crate::web::messages::{FieldSpec, check_date, on_form, parsed};
use crate::web::page::Page;
use poem::handler;
use poem::http::StatusCode;
use poem::web::{Data, Path};

const ORDER: &[&str] = &[
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "mobile",
    "postal_code",
    "username",
    "password",
    "password_confirm",
];
const DATES: &[&str] = &["date_of_birth"];

fn specs() -> Vec<FieldSpec> {
    vec![
        FieldSpec::text(
            "first_name",
            "first_name",
            "First name",
            "Enter your first name.",
        ),
        FieldSpec::text(
            "last_name",
            "last_name",
            "Last name",
            "Enter your last name.",
        ),
        FieldSpec::date(
            "date_of_birth",
            "date_of_birth",
            "Date of birth",
            "Enter your date of birth.",
        ),
        FieldSpec::text(
            "email",
            "email",
            "Email address",
            "Enter your email address.",
        ),
        FieldSpec::text(
            "mobile",
            "mobile",
            "Mobile number",
            "Enter your mobile number.",
        ),
        FieldSpec::text(
            "postal_code",
            "postal_code",
            "Postal code",
            "Enter your home postal code.",
        ),
        FieldSpec::text("username", "username", "Username", "Choose a username."),
        FieldSpec::text("password", "password", "Password", "Choose a password."),
    ]
}

async fn practice_for(state: &AppState, slug: &str) -> poem::Result<Practice> {
    Ok(practices::find_by_slug(&state.db, slug)
        .await?
        .ok_or(Error::NotFound)?)
}

fn closed(practice: &Practice) -> Page {
    Page::new("register/closed.html", ()).practice(practice)
}

fn form_page(practice: &Practice, csrf: &Csrf, form: &FormData, errors: &FormErrors) -> Page {
    let settings = PracticeSettings::from(practice);
    let needs = |f: RequiredField| settings.required_fields.contains(&f);
    let verify = settings.self_registration == SelfRegistration::VerifyEmail;
    Page::new(
        "register/form.html",
        minijinja::context! {
            needs => minijinja::context! {
                email => verify || needs(RequiredField::Email),
                mobile => needs(RequiredField::Mobile) || needs(RequiredField::EmailOrMobile),
                either => !verify && needs(RequiredField::EmailOrMobile),
                postal_code => needs(RequiredField::PostalCode),
            },
            verify_email => verify,
            values => minijinja::value::Serde(form.echo()),
        },
    )
    .with(errors.context(ORDER))
    .practice(practice)
    .csrf(csrf)
    .status(if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    })
}

/// The sign-up form, or why there is none.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    Path(slug): Path<String>,
    csrf: Csrf,
) -> poem::Result<Page> {
    let practice = practice_for(&state, &slug).await?;
    if PracticeSettings::from(&practice).self_registration == SelfRegistration::Off {
        return Ok(closed(&practice));
    }
    Ok(form_page(
        &practice,
        &csrf,
        &FormData::default(),
        &FormErrors::new(DATES),
    ))
}

/// Parses the form into a sign-up, collecting every problem at once; the service then applies
/// the practice's rules (required fields, the password policy, a free username).
fn parse(
    form: &FormData,
    today: chrono::NaiveDate,
    errors: &mut FormErrors,
) -> Option<Registration> {
    let specs = specs();
    let first_name = parsed(
        PersonName::parse("first_name", form.raw("first_name")),
        &specs,
        form,
        errors,
    );
    let last_name = parsed(
        PersonName::parse("last_name", form.raw("last_name")),
        &specs,
        form,
        errors,
    );
    let dob_spec = specs.iter().find(|s| s.input == "date_of_birth")?.clone();
    let date_of_birth = check_date(form, &dob_spec, errors).and_then(|d| {
        parsed(
            check_date_of_birth("date_of_birth", d, today),
            &specs,
            form,
            errors,
        )
    });
    let email = parsed(
        form.optional("email")
            .map(|e| EmailAddress::parse("email", e))
            .transpose(),
        &specs,
        form,
        errors,
    );
    let mobile = parsed(
        form.optional("mobile")
            .map(|m| MobileNumber::parse("mobile", m))
            .transpose(),
        &specs,
        form,
        errors,
    );
    let postal_code = parsed(
        form.optional("postal_code")
            .map(|p| PostalCode::parse("postal_code", p))
            .transpose(),
        &specs,
        form,
        errors,
    );
    let username = parsed(Username::parse(form.raw("username")), &specs, form, errors);
    if form.raw("password").is_empty() {
        errors.add("password", "Choose a password.");
    } else if form.raw("password") != form.raw("password_confirm") {
        errors.add(
            "password_confirm",
            "The passwords do not match. Type the same password in both boxes.",
        );
    }
    if !errors.is_empty() {
        return None;
    }
    Some(Registration {
        practice: String::new(),
        first_name: first_name?,
        last_name: last_name?,
        date_of_birth: date_of_birth?,
        email: email?,
        mobile: mobile?,
        postal_code: postal_code?,
        username: username?,
        password: form.raw("password").to_owned(),
    })
}

/// Signs the person up.
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    Path(slug): Path<String>,
    CsrfForm { form, csrf, .. }: CsrfForm,
) -> poem::Result<Page> {
    let practice = practice_for(&state, &slug).await?;
    let now = state.now();
    let mut errors = FormErrors::new(DATES);
    let Some(reg) = parse(&form, now.date_naive(), &mut errors) else {
        return Ok(form_page(&practice, &csrf, &form, &errors));
    };
    let reg = Registration {
        practice: practice.slug.clone(),
        ..reg
    };
    let email = reg.email.as_ref().map(|e| e.as_str().to_owned());
    match sign_up::register(
        &state.db,
        &state.hasher,
        state.settings.issuer(),
        reg,
        &meta,
        now,
    )
    .await
    {
        Ok(r) => {
            state.outbox_wakeup.notify_one();
            let username = r.account.username;
            if r.status == AccessStatus::PendingVerification {
                Ok(Page::new(
                    "register/check_email.html",
                    minijinja::context! { username, email, ttl_hours => EMAIL_VERIFICATION_TTL_HOURS },
                )
                .practice(&r.practice))
            } else {
                Ok(
                    Page::new("register/done.html", minijinja::context! { username })
                        .practice(&r.practice),
                )
            }
        }
        Err(Error::PolicyDenied(_)) => Ok(closed(&practice).status(StatusCode::FORBIDDEN)),
        Err(e) => {
            on_form(e, &specs(), &form, &mut errors)?;
            Ok(form_page(&practice, &csrf, &form, &errors))
        }
    }
}
