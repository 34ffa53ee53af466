//! `/account`: what the logged-in account is, and the practices and patients it acts for, with
//! their status; `/logout` ends the page session.

use crate::api::context::RequestMeta;
use crate::domain::access::AccessStatus;
use crate::domain::login::PracticeStanding;
use crate::error::Error;
use crate::service::{accounts::me, representation::my_representatives, sessions::browser};
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::guards::{AccountPage, CsrfForm, LoggedIn};
use crate::web::invite::{relation_label, when};
use crate::web::login_carry::{DEFAULT_CONTINUE, login_url};
use crate::web::page::{Page, phone_href, redirect};
use crate::web::session::{CurrentSession, LiveSession, clear_session_cookie};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Serialize)]
struct PatientView {
    first_name: String,
    /// "yourself", or "as their parent".
    relation: String,
    own: bool,
    status: &'static str,
    status_label: &'static str,
}

/// Someone with (or waiting for) access to one of the account holder's own records.
#[derive(Debug, Serialize)]
struct RepresentativeView {
    access_id: String,
    name: String,
    /// "spouse or partner", "caregiver", …
    relation: &'static str,
    patient_first_name: String,
    practice: String,
    status: &'static str,
    status_label: &'static str,
    consent_until: Option<String>,
    /// An adult representative whose consent the patient can renew.
    renewable: bool,
}

#[derive(Debug, Serialize)]
struct PracticeView {
    slug: String,
    name: String,
    phone: String,
    phone_href: String,
    current: bool,
    /// Log in to this practice instead (an active practice that is not the current one).
    switch_url: Option<String>,
    patients: Vec<PatientView>,
}

fn status_words(s: AccessStatus) -> (&'static str, &'static str) {
    match s {
        AccessStatus::Active => ("active", "Active"),
        AccessStatus::Blocked => ("blocked", "Blocked"),
        AccessStatus::Revoked => ("revoked", "Deactivated"),
        AccessStatus::Invited => ("invited", "Invited"),
        AccessStatus::PendingVerification => ("pending", "Waiting for email confirmation"),
        AccessStatus::Expired => ("expired", "Invitation expired"),
        AccessStatus::PendingConsent => ("pending", "Waiting for the patient's consent"),
        AccessStatus::ConsentExpired => ("expired", "The patient's consent has run out"),
    }
}

/// The account page; without a live session, the login page first.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    LoggedIn { live, .. }: LoggedIn,
    csrf: Csrf,
    notice: Query<NoticeQuery>,
) -> poem::Result<Response> {
    let s = &live.session;
    let (account, practices) = me::account_overview(&state.db, s.account_id)
        .await?
        .ok_or(Error::Unauthorized)?;
    let views: Vec<PracticeView> = practices
        .iter()
        .map(|p| PracticeView {
            slug: p.slug.clone(),
            name: p.name.clone(),
            phone: p.phone.clone(),
            phone_href: phone_href(&p.phone),
            current: s.practice_id == Some(p.practice_id),
            switch_url: (s.practice_id != Some(p.practice_id)
                && p.standing() == Some(PracticeStanding::Active))
            .then(|| login_url(DEFAULT_CONTINUE, Some(&p.slug))),
            patients: p
                .rows
                .iter()
                .map(|r| {
                    let (status, status_label) = status_words(r.status);
                    let relation = r.relation;
                    let own = !relation.is_representative();
                    PatientView {
                        first_name: r.patient_first_name.clone(),
                        relation: if own {
                            "you".to_owned()
                        } else {
                            format!("as their {}", relation_label(relation))
                        },
                        own,
                        status,
                        status_label,
                    }
                })
                .collect(),
        })
        .collect();
    let representatives: Vec<RepresentativeView> =
        my_representatives::list(&state.db, s.account_id)
            .await?
            .into_iter()
            .map(|r| {
                // Seen from the patient's side: it is their consent.
                let (status, status_label) = match r.status {
                    AccessStatus::PendingConsent => ("pending", "Waiting for your consent"),
                    AccessStatus::ConsentExpired => ("expired", "Your consent has run out"),
                    other => status_words(other),
                };
                RepresentativeView {
                    access_id: r.access.id.to_string(),
                    name: r.representative_name,
                    relation: relation_label(r.relation),
                    patient_first_name: r.patient_first_name,
                    practice: r.practice.name,
                    status,
                    status_label,
                    consent_until: r.access.consent_expires_at.map(when),
                    renewable: r.relation.is_adult_representative()
                        && r.status != AccessStatus::Blocked
                        && r.status != AccessStatus::Invited,
                }
            })
            .collect();
    let current = s
        .practice_id
        .and_then(|id| practices.iter().find(|p| p.practice_id == id));
    let mut page = Page::new(
        "account/index.html",
        minijinja::context! {
            name => match (&account.first_name, &account.last_name) {
                (Some(f), Some(l)) => Some(format!("{f} {l}")),
                (Some(f), None) => Some(f.clone()),
                _ => None,
            },
            email_confirmed => account.email_verified_at.is_some(),
            two_step => account.totp_enabled_at.map(when),
            password_changed => when(account.password_changed_at),
            username => account.username,
            email => account.email,
            current_practice => current.map(|p| p.name.clone()),
            practices => minijinja::value::Serde(views),
            representatives => minijinja::value::Serde(representatives),
            notice => notice.0.notice,
        },
    )
    .csrf(&csrf);
    if let Some(p) = current
        && let Some(m) =
            crate::service::practice::practices::find_by_slug(&state.db, &p.slug).await?
    {
        page = page.practice(&m);
    }
    Ok(page.into_response())
}

/// Ends the page session.
#[handler]
pub async fn logout(
    state: Data<&AppState>,
    _form: CsrfForm<AccountPage>,
    session: CurrentSession,
) -> poem::Result<Response> {
    if let Some(live) = session.0 {
        browser::end(&state.db, &live.token, state.now()).await?;
    }
    Ok(Page::new("account/logged_out.html", ())
        .cookie(clear_session_cookie(&state.settings))
        .into_response())
}

/// `?notice=` after a change on the page.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// What the patient did to a representative's access, from the account page.
#[derive(Clone, Copy)]
enum RepresentativeChange {
    End,
    Renew,
}

async fn change_representative(
    state: &AppState,
    live: LiveSession,
    meta: RequestMeta,
    access_id: &str,
    change: RepresentativeChange,
) -> poem::Result<Response> {
    let access_id: Uuid = access_id.parse().map_err(|_| Error::NotFound)?;
    let account_id = live.session.account_id;
    let notice = match change {
        RepresentativeChange::End => {
            my_representatives::end(state, account_id, access_id, &meta, state.now()).await?;
            "ended"
        }
        RepresentativeChange::Renew => {
            my_representatives::renew(state, account_id, access_id, &meta, state.now()).await?;
            "renewed"
        }
    };
    Ok(redirect(&format!("/account?notice={notice}"), vec![]))
}

/// Ends a representative's access to one of the account holder's own records.
#[handler]
pub async fn end_representative(
    state: Data<&AppState>,
    _form: CsrfForm<AccountPage>,
    LoggedIn { live, .. }: LoggedIn<AccountPage>,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> poem::Result<Response> {
    change_representative(&state, live, meta, &id, RepresentativeChange::End).await
}

/// Renews the account holder's consent to an adult representative.
#[handler]
pub async fn renew_representative(
    state: Data<&AppState>,
    _form: CsrfForm<AccountPage>,
    LoggedIn { live, .. }: LoggedIn<AccountPage>,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> poem::Result<Response> {
    change_representative(&state, live, meta, &id, RepresentativeChange::Renew).await
}
