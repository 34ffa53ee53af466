//! `/invite/{token}`: the page an invitation link opens. It shows what the link is for and
//! redeems it with `service::registration::redemption`, exactly as `POST /api/v1/invitations/{token}/redeem`
//! does: as the patient or as a representative, with a new account or an existing one.

use crate::api::context::RequestMeta;
use crate::domain::access::{AccessStatus, Relation};
use crate::domain::contact::PersonName;
use crate::domain::invitation::AccountMode;
use crate::domain::patient::check_date_of_birth;
use crate::error::Error;
use crate::service::registration::redemption::{self, Preview, Redemption, Representative};
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::form::{FormData, FormErrors};
use crate::web::guards::{ComeBack, CsrfForm};
use crate::web::messages::{FieldSpec, check_date, on_form, parsed};
use crate::web::page::Page;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, handler};
use serde::Deserialize;

/// The fields of the form, top to bottom.
const ORDER: &[&str] = &[
    "rep_first_name",
    "rep_last_name",
    "rep_date_of_birth",
    "date_of_birth",
    "username",
    "password",
    "password_confirm",
];
const DATES: &[&str] = &["date_of_birth", "rep_date_of_birth"];

/// `?account=existing` shows the form for an account the person already has.
#[derive(Debug, Default, Deserialize)]
pub struct ModeQuery {
    account: Option<String>,
}

fn mode_from(raw: Option<&str>) -> AccountMode {
    match raw {
        Some("existing") => AccountMode::Existing,
        _ => AccountMode::New,
    }
}

fn mode_name(mode: AccountMode) -> &'static str {
    match mode {
        AccountMode::New => "new",
        AccountMode::Existing => "existing",
    }
}

/// How a relation reads in a sentence: "Sam's parent".
pub fn relation_label(relation: Relation) -> &'static str {
    match relation {
        Relation::Own => "self",
        Relation::Parent => "parent",
        Relation::Guardian => "guardian",
        Relation::Spouse => "spouse or partner",
        Relation::Caregiver => "caregiver",
        Relation::Other => "representative",
    }
}

/// How an instant reads on a page: "26 November 2026 at 13:42 UTC".
pub fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%-d %B %Y at %H:%M UTC").to_string()
}

fn specs(preview: &Preview, mode: AccountMode) -> Vec<FieldSpec> {
    let patient = &preview.patient_first_name;
    let representative = preview.relation.is_representative();
    let (dob_label, dob_missing) = if representative {
        (
            format!("{patient}’s date of birth"),
            format!("Enter {patient}’s date of birth."),
        )
    } else {
        (
            "Your date of birth".to_owned(),
            "Enter your date of birth.".to_owned(),
        )
    };
    let new = mode == AccountMode::New;
    vec![
        FieldSpec::text(
            "username",
            "username",
            "Username",
            if new {
                "Choose a username."
            } else {
                "Enter your username."
            },
        ),
        FieldSpec::text(
            "password",
            "password",
            "Password",
            if new {
                "Choose a password."
            } else {
                "Enter your password."
            },
        ),
        FieldSpec::text(
            "rep_first_name",
            "representative.first_name",
            "Your first name",
            "Enter your first name.",
        ),
        FieldSpec::text(
            "rep_last_name",
            "representative.last_name",
            "Your last name",
            "Enter your last name.",
        ),
        FieldSpec::date(
            "rep_date_of_birth",
            "representative.date_of_birth",
            "Your date of birth",
            "Enter your date of birth.",
        ),
        FieldSpec::date("date_of_birth", "date_of_birth", dob_label, dob_missing),
    ]
}

fn form_page(
    token: &str,
    preview: &Preview,
    mode: AccountMode,
    csrf: &Csrf,
    form: &FormData,
    errors: &FormErrors,
) -> Page {
    let switch = match mode {
        AccountMode::New => "existing",
        AccountMode::Existing => "new",
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Page::new(
        "invite/form.html",
        minijinja::context! {
            invitation => minijinja::context! {
                patient_first_name => preview.patient_first_name.clone(),
                representative => preview.relation.is_representative(),
                relation_label => relation_label(preview.relation),
                recipient_first_name => preview.recipient_first_name.clone(),
                expires => when(preview.expires_at),
            },
            mode => mode_name(mode),
            switch_url => format!("/invite/{token}?account={switch}"),
            values => minijinja::value::Serde(form.echo()),
        },
    )
    .with(errors.context(ORDER))
    .practice(&preview.practice)
    .csrf(csrf)
    .status(status)
}

/// The page for a link that no longer works, naming the practice to call when it is known.
async fn unavailable(state: &AppState, token: &str, err: Error) -> poem::Result<Page> {
    let (reason, heading) = match err {
        Error::InvitationExpired => ("expired", "This invitation link has expired"),
        Error::InvitationUsed => ("used", "This invitation link has already been used"),
        Error::InvitationInvalid => ("invalid", "This invitation link is not valid"),
        other => return Err(other.into()),
    };
    let practice = redemption::practice_of_link(&state.db, token).await?;
    let status = if reason == "invalid" {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::GONE
    };
    let page = Page::new(
        "invite/unavailable.html",
        minijinja::context! { reason, heading },
    )
    .status(status);
    Ok(match &practice {
        Some(p) => page.practice(p),
        None => page,
    })
}

fn link_error(e: &Error) -> bool {
    matches!(
        e,
        Error::InvitationInvalid | Error::InvitationExpired | Error::InvitationUsed
    )
}

/// The invitation's form again, for the kind of account the expired one was for.
pub struct InviteForm;

impl ComeBack for InviteForm {
    fn url(req: &Request, form: &FormData) -> String {
        let path = req.uri().path();
        match mode_from(form.optional("account")) {
            AccountMode::New => path.to_owned(),
            AccountMode::Existing => format!("{path}?account=existing"),
        }
    }
}

/// What the link is for, and the form.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    Path(token): Path<String>,
    Query(q): Query<ModeQuery>,
    csrf: Csrf,
) -> poem::Result<Page> {
    match redemption::preview(&state.db, &token, state.now()).await {
        Ok(preview) => Ok(form_page(
            &token,
            &preview,
            mode_from(q.account.as_deref()),
            &csrf,
            &FormData::default(),
            &FormErrors::new(DATES),
        )),
        Err(e) if link_error(&e) => unavailable(&state, &token, e).await,
        Err(e) => Err(e.into()),
    }
}

/// Redeems the link.
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    Path(token): Path<String>,
    CsrfForm { form, csrf, .. }: CsrfForm<InviteForm>,
) -> poem::Result<Page> {
    let mode = mode_from(form.optional("account"));
    let now = state.now();
    let preview = match redemption::preview(&state.db, &token, now).await {
        Ok(p) => p,
        Err(e) if link_error(&e) => return unavailable(&state, &token, e).await,
        Err(e) => return Err(e.into()),
    };
    let specs = specs(&preview, mode);
    let spec = |input: &str| specs.iter().find(|s| s.input == input).cloned();
    let mut errors = FormErrors::new(DATES);

    for input in ["username", "password"] {
        if let Some(s) = spec(input).filter(|_| form.is_blank(input)) {
            errors.add(input, s.missing);
        }
    }
    if mode == AccountMode::New
        && !errors.has("password")
        && form.raw("password") != form.raw("password_confirm")
    {
        errors.add(
            "password_confirm",
            "The passwords do not match. Type the same password in both boxes.",
        );
    }
    let representative = if preview.relation.is_representative() {
        let first_name = parsed(
            PersonName::parse("representative.first_name", form.raw("rep_first_name")),
            &specs,
            &form,
            &mut errors,
        );
        let last_name = parsed(
            PersonName::parse("representative.last_name", form.raw("rep_last_name")),
            &specs,
            &form,
            &mut errors,
        );
        let date_of_birth = spec("rep_date_of_birth")
            .and_then(|s| check_date(&form, &s, &mut errors))
            .and_then(|d| {
                parsed(
                    check_date_of_birth("representative.date_of_birth", d, now.date_naive()),
                    &specs,
                    &form,
                    &mut errors,
                )
            });
        match (first_name, last_name, date_of_birth) {
            (Some(first_name), Some(last_name), Some(date_of_birth)) => Some(Representative {
                first_name,
                last_name,
                date_of_birth,
            }),
            _ => None,
        }
    } else {
        None
    };
    let date_of_birth = spec("date_of_birth").and_then(|s| check_date(&form, &s, &mut errors));

    let (Some(date_of_birth), true) = (date_of_birth, errors.is_empty()) else {
        return Ok(form_page(&token, &preview, mode, &csrf, &form, &errors));
    };
    let redemption = Redemption {
        account: mode,
        username: form.raw("username").trim().to_owned(),
        password: form.raw("password").to_owned(),
        date_of_birth,
        representative,
        code: form.optional("code").map(str::to_owned),
    };
    let redeemed = redemption::redeem(&state, &token, redemption, &meta, now).await;
    state.outbox_wakeup.notify_one();
    match redeemed {
        Ok(r) => Ok(Page::new(
            "invite/done.html",
            minijinja::context! {
                username => r.account.username,
                patient_first_name => r.patient_first_name,
                representative => preview.relation.is_representative(),
                created => r.created,
                pending_consent => r.access.status == AccessStatus::PendingConsent,
            },
        )
        .practice(&r.practice)),
        Err(e) if link_error(&e) => unavailable(&state, &token, e).await,
        Err(Error::MfaRequired) => {
            errors.add(
                "code",
                "Your account uses two-step verification. Type the code your app shows now (or a recovery code), and your password again.",
            );
            Ok(form_page(&token, &preview, mode, &csrf, &form, &errors))
        }
        Err(Error::InvalidMfaCode) => {
            errors.add(
                "code",
                "That code is not right. Type the code your app shows now, and your password again.",
            );
            Ok(form_page(&token, &preview, mode, &csrf, &form, &errors))
        }
        Err(e) => {
            on_form(e, &specs, &form, &mut errors)?;
            Ok(form_page(&token, &preview, mode, &csrf, &form, &errors))
        }
    }
}
