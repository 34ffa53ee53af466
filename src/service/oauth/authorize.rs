//! `/oauth2/authorize` decisions: validate the request (client and redirect URI first, so that
//! errors about them never redirect anywhere: RFC 6749 §4.1.2.1, RFC 9700 §4.11.2), then
//! decide between a code, the login page, the "contact your practice" page, the SMART patient
//! chooser, and an error sent back to the client.

use crate::domain::fhir_audience::{self, Audiences, aud_problem};
use crate::domain::login::PracticeStanding;
use crate::domain::oauth::{self, SCOPE_LAUNCH, Scope, is_pkce_string, is_smart_request};
use crate::error::Error;
use crate::service::oauth::clients::{self, Client};
use crate::service::oauth::launches;
use crate::service::oauth::tokens::{self, CodeGrant};
use crate::service::sessions::standing::refusal;
use crate::state::AppState;
use crate::store::audit::RequestMeta;
use crate::store::{access_rows, practice, practices, web_session};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

/// What the person sees instead of being sent back to the client: the request cannot be
/// trusted to name a safe place to go.
#[derive(Debug)]
pub struct NotRedirectable(pub &'static str);

/// An authorization request whose client and redirect URI are valid.
#[derive(Debug)]
pub struct Request {
    pub client: Arc<Client>,
    pub practice: practice::Model,
    pub redirect_uri: String,
    pub state: Option<String>,
    /// Every parameter as received (to rebuild the request for the login page's `continue`).
    pub params: BTreeMap<String, String>,
}

/// What to do.
#[derive(Debug)]
pub enum Decision {
    /// Redirect to the client with these parameters (`code` or `error`), plus `state` and
    /// `iss` (RFC 9207).
    Redirect(Vec<(&'static str, String)>),
    /// Send the browser to the login page; `end_session`: the current session must not be
    /// reused (prompt=login, max_age exceeded).
    Login { end_session: bool },
    /// Blocked or revoked: the practice's message, never a code.
    Refused(Error),
    /// A representative of several patients chooses one (SMART launch/patient).
    ChoosePatient(Vec<(Uuid, String)>),
}

/// Finds the client and checks the redirect URI. Nothing else is looked at before these are
/// known to be good.
pub async fn validate_client(
    state: &AppState,
    params: BTreeMap<String, String>,
) -> Result<Request, NotRedirectable> {
    let client_id = params.get("client_id").ok_or(NotRedirectable(
        "The request does not name an app (client_id).",
    ))?;
    let client = clients::by_client_id(state, client_id)
        .await
        .map_err(|_| NotRedirectable("Please try again later."))?
        .ok_or(NotRedirectable(
            "The app that sent you here is not registered with the portal.",
        ))?;
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or(NotRedirectable(
            "The request does not say where to return (redirect_uri).",
        ))?
        .clone();
    if !client.has_redirect_uri(&redirect_uri) {
        return Err(NotRedirectable(
            "The app asked to return to an address it has not registered.",
        ));
    }
    let practice = practices::find(&state.db, client.model.practice_id)
        .await
        .map_err(|_| NotRedirectable("Please try again later."))?
        .ok_or(NotRedirectable("The app's practice is not available."))?;
    Ok(Request {
        client,
        practice,
        redirect_uri,
        state: params.get("state").cloned(),
        params,
    })
}

fn error(code: &str, description: &str) -> Decision {
    Decision::Redirect(vec![
        ("error", code.to_owned()),
        ("error_description", description.to_owned()),
    ])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompt {
    Default,
    None,
    Login,
}

/// Decides what happens to a request with a valid client, given the browser's live session.
pub async fn decide(
    state: &AppState,
    req: &Request,
    session: Option<&web_session::Model>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Decision, Error> {
    let p = |k: &str| req.params.get(k).map(String::as_str);
    // RFC 9700 §2.1.2: the authorization code flow only.
    if p("response_type") != Some("code") {
        return Ok(error(
            "unsupported_response_type",
            "Only response_type=code is supported.",
        ));
    }
    if p("request").is_some() || p("request_uri").is_some() {
        return Ok(error(
            "request_not_supported",
            "Request objects are not supported.",
        ));
    }
    let Some(challenge) = p("code_challenge") else {
        return Ok(error(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256.",
        ));
    };
    if p("code_challenge_method") != Some("S256") {
        return Ok(error(
            "invalid_request",
            "code_challenge_method must be S256; plain is not allowed.",
        ));
    }
    if !is_pkce_string(challenge) {
        return Ok(error("invalid_request", "code_challenge is malformed."));
    }
    let scopes = match check_scopes(&req.client, p("scope").unwrap_or("")) {
        Ok(scopes) if scopes.is_empty() => {
            return Ok(error("invalid_scope", "scope is required."));
        }
        Ok(scopes) => scopes,
        Err(msg) => return Ok(error("invalid_scope", &msg)),
    };
    let smart = is_smart_request(&scopes);
    let launch = match (
        scopes.iter().any(|s| s.as_str() == SCOPE_LAUNCH),
        p("launch"),
    ) {
        (true, Some(l)) => Some(l),
        (false, None) => None,
        (true, None) => {
            return Ok(error(
                "invalid_request",
                "The launch scope needs the launch parameter the EHR gave the app.",
            ));
        }
        (false, Some(_)) => {
            return Ok(error(
                "invalid_request",
                "The launch parameter needs the launch scope.",
            ));
        }
    };
    // The practice is the app's: the one that registered the client (an EHR launch must be
    // that practice's too, below), so its FHIR base URLs decide.
    let practice_urls = fhir_audience::from_db(&req.practice.fhir_base_urls)
        .ok_or_else(|| Error::internal(anyhow::anyhow!("unreadable practices.fhir_base_urls")))?;
    let allowed = Audiences::of(
        &practice_urls,
        state.settings.fhir_base_url.as_deref(),
        state.settings.issuer(),
    );
    if let Some(msg) = aud_problem(p("aud"), smart, allowed) {
        return Ok(error("invalid_request", &msg));
    }
    let mut prompt = Prompt::Default;
    for value in p("prompt")
        .unwrap_or("")
        .split(' ')
        .filter(|v| !v.is_empty())
    {
        prompt = match (value, prompt) {
            ("none", Prompt::Default) => Prompt::None,
            ("login", Prompt::Default) => Prompt::Login,
            // No consent screen: the practice registered the app. Nothing to do.
            ("consent" | "select_account", kept) => kept,
            _ => {
                return Ok(error(
                    "invalid_request",
                    "prompt must be none or login (not both).",
                ));
            }
        };
    }
    let max_age = match p("max_age").map(str::parse::<i64>) {
        None => None,
        Some(Ok(n)) if n >= 0 => Some(n),
        Some(_) => {
            return Ok(error(
                "invalid_request",
                "max_age must be a non-negative integer.",
            ));
        }
    };

    let session = session.filter(|s| s.practice_id == Some(req.client.model.practice_id));
    let stale =
        |s: &web_session::Model| max_age.is_some_and(|m| (now - s.created_at).num_seconds() > m);
    let session = match (session, prompt) {
        (Some(s), Prompt::None) if stale(s) => {
            return Ok(error("login_required", "The person must log in again."));
        }
        (None, Prompt::None) => {
            return Ok(error("login_required", "The person is not logged in."));
        }
        (Some(s), Prompt::Default | Prompt::None) if !stale(s) => s,
        (Some(_), _) => return Ok(Decision::Login { end_session: true }),
        (None, _) => return Ok(Decision::Login { end_session: false }),
    };

    let at = access_rows::at_practice(&state.db, session.account_id, req.practice.id).await?;
    let Some(at) = at else {
        return Ok(Decision::Refused(Error::NoAccess));
    };
    let standing = at.standing();
    if standing != Some(PracticeStanding::Active) {
        return Ok(Decision::Refused(refusal(&at, standing)));
    }
    let mut patient_id = None;
    let mut encounter = None;
    if let Some(raw) = launch {
        // Spent now, when a code is about to be issued (not before the login it may wait for).
        let Some(context) = launches::spend(&state.db, req.practice.id, raw, now).await? else {
            return Ok(error(
                "invalid_request",
                "The launch is unknown, expired or already used.",
            ));
        };
        if !at.active().any(|r| r.patient_id == context.patient_id) {
            return Ok(error(
                "access_denied",
                "The signed-in person does not act for the launch's patient.",
            ));
        }
        patient_id = Some(context.patient_id);
        encounter = context.encounter;
    } else if smart {
        let active: Vec<(Uuid, String)> = at
            .active()
            .map(|r| (r.patient_id, r.patient_first_name.clone()))
            .collect();
        let chosen = p("patient").and_then(|v| v.parse::<Uuid>().ok());
        patient_id = match (active.as_slice(), chosen) {
            ([only], _) => Some(only.0),
            (_, Some(c)) if active.iter().any(|(id, _)| *id == c) => Some(c),
            _ if matches!(prompt, Prompt::None) => {
                return Ok(error(
                    "interaction_required",
                    "The person must choose a patient.",
                ));
            }
            _ => return Ok(Decision::ChoosePatient(active)),
        };
    }
    let code = tokens::issue_code(
        state,
        &req.client,
        CodeGrant {
            redirect_uri: req.redirect_uri.clone(),
            code_challenge: challenge.to_owned(),
            nonce: p("nonce").map(str::to_owned),
            account_id: session.account_id,
            practice_id: req.practice.id,
            patient_id,
            encounter,
            // Granted exactly as asked (SMART: a narrower scope than the registered one).
            scope: scopes
                .iter()
                .map(Scope::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            // The web session starts at login, and records how the person logged in there
            // (`pwd`, then `otp` and `mfa` after a two-step code).
            auth_time: session.created_at,
            amr: session_amr(session),
        },
        meta,
        now,
    )
    .await?;
    Ok(Decision::Redirect(vec![("code", code)]))
}

/// The web session's `amr` (RFC 8176), as recorded at login.
fn session_amr(session: &web_session::Model) -> Vec<String> {
    let amr: Vec<String> = session.amr.split_whitespace().map(str::to_owned).collect();
    if amr.is_empty() {
        vec!["pwd".to_owned()]
    } else {
        amr
    }
}

/// The client's redirect URI with the response parameters, `state` and `iss` added.
pub fn redirect_url(
    req: &Request,
    issuer: &str,
    mut params: Vec<(&'static str, String)>,
) -> String {
    if let Some(s) = &req.state {
        params.push(("state", s.clone()));
    }
    params.push(("iss", issuer.to_owned()));
    let query = serde_urlencoded::to_string(&params).unwrap_or_default();
    let sep = if req.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{}{sep}{query}", req.redirect_uri)
}

/// The request again as a relative URL, for the login page's `continue`; without `prompt`
/// when the login it asks for is about to happen.
pub fn continue_url(req: &Request) -> String {
    let kept: Vec<(&str, &str)> = req
        .params
        .iter()
        .filter(|(k, _)| k.as_str() != "prompt")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    format!(
        "/oauth2/authorize?{}",
        serde_urlencoded::to_string(&kept).unwrap_or_default()
    )
}

/// The scopes of a `scope` parameter, each known and covered by one the client registered
/// (a narrower SMART scope than the registered one is granted as asked); else why not.
pub fn check_scopes(client: &Client, raw: &str) -> Result<Vec<Scope>, String> {
    let scopes = oauth::parse_scopes(raw).map_err(|e| format!("The scope {e}."))?;
    // No user grants system access: `system/` scopes come from client_credentials only.
    if let Some(system) = scopes.iter().find(|s| s.is_system()) {
        return Err(format!(
            "The scope {:?} is for backend services (client_credentials) only.",
            system.as_str()
        ));
    }
    match scopes.iter().find(|s| !client.covers(s)) {
        Some(bad) => Err(format!(
            "The scope {:?} is not allowed for this client.",
            bad.as_str()
        )),
        None => Ok(scopes),
    }
}
