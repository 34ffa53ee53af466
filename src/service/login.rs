//! Logging in, as a small state machine. Each step either ends the login (an outcome or an
//! error) or hands over to the next:
//!
//! 1. **Password** ([`login`]): argon2id off the runtime; an unknown username is checked
//!    against a dummy hash, so both cost one hash and get the same `invalid_credentials`.
//! 2. **Practice** ([`choose`]): only after a correct password, the account's accesses are read
//!    (one query with their practices and patients) and the practice chosen: the requested
//!    one, or the only active one, or `practice_required`. A blocked or revoked practice is
//!    refused with its name and phone (seeds 000, 001, 004).
//! 3. **What remains** ([`advance`]): a staff-created account must change its password first
//!    (`password_change_required` with a single-use token bound to the account and practice);
//!    then an account with two-step verification on gives a code (`mfa_required` with a
//!    5-minute single-use `mfa_token`, finished by [`complete_mfa`]); and an account without it,
//!    at a practice whose settings require it, enrols first (`mfa_enrolment_required` with a
//!    token that allows only enrolment, finished by [`complete_enrolment`]).
//! 4. **Tokens** (`sessions::start`): session, refresh token, `last_login_at`, audit.
//!
//! A step that needs the person again (password change, later MFA) ends with a token that
//! carries the login to its next step, never with an access token.
//!
//! Steps 1 to 3 end in a [`Step`], shared by the JSON API ([`login`], which hands out tokens)
//! and Portico's own pages (`service::page_login`, which starts a web session instead).

use crate::auth::password::Verification;
use crate::auth::secrets;
use crate::domain::access::AccessStatus;
use crate::domain::login::{PracticeChoice, PracticeStanding, choose_practice};
use crate::domain::password_policy::{self, PasswordContext};
use crate::domain::username;
use crate::error::{Error, Result};
use crate::service::mfa::{self, CodeKind, Enrolment};
use crate::service::sessions::{self, IssuedTokens, ended, refusal};
use crate::service::{throttle, time_limits};
use crate::state::AppState;
use crate::store::access_rows::{self, AtPractice, by_practice};
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{account, account_tokens, accounts};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::TransactionTrait;
use serde_json::json;
use uuid::Uuid;

/// `account_tokens.purpose` of the token that continues a login after a password change.
pub const PASSWORD_CHANGE_PURPOSE: &str = "password_change";
/// How long a person has to choose a new password before logging in again.
pub const PASSWORD_CHANGE_TTL: TimeDelta = TimeDelta::minutes(10);
/// Authentication methods (RFC 8176) of a password login.
pub const AMR_PASSWORD: &[&str] = &["pwd"];
/// `account_tokens.purpose` of the token that carries a login to its two-step code.
pub const MFA_PURPOSE: &str = "mfa";
/// How long the person has to type the code (SECURITY C5: at most 5 minutes).
pub const MFA_TTL: TimeDelta = TimeDelta::minutes(5);
/// `account_tokens.purpose` of the token that allows only setting up two-step verification.
pub const MFA_ENROLMENT_PURPOSE: &str = "mfa_enrolment";
/// How long the person has to set up an authenticator app.
pub const MFA_ENROLMENT_TTL: TimeDelta = TimeDelta::minutes(15);

/// What the person typed.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    /// A practice slug; optional when the account has one active practice.
    pub practice: Option<String>,
}

/// A practice to choose from, with where the account stands there.
#[derive(Debug, Clone)]
pub struct PracticeOption {
    pub slug: String,
    pub name: String,
    /// The practice's phone, for the message next to a blocked or revoked practice.
    pub phone: String,
    pub standing: PracticeStanding,
}

impl PracticeOption {
    fn of(p: &AtPractice, standing: PracticeStanding) -> Self {
        Self {
            slug: p.slug.clone(),
            name: p.name.clone(),
            phone: p.phone.clone(),
            standing,
        }
    }
}

/// How a login (or a step of one) ended.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// Logged in.
    Tokens(IssuedTokens),
    /// Several practices: log in again naming one.
    PracticeRequired(Vec<PracticeOption>),
    /// A staff-created account: choose a password with this token first.
    PasswordChangeRequired { token: String, expires_in: i64 },
    /// Two-step verification is on: send a code with this token.
    MfaRequired { token: String, expires_in: i64 },
    /// The practice requires two-step verification: set it up with this token first.
    MfaEnrolmentRequired { token: String, expires_in: i64 },
}

/// Where a login stands after the steps every channel shares (password, practice, what
/// remains): the API turns it into a [`LoginOutcome`], the pages into a web session or a page.
/// A new step between the password and the session (MFA) is a new variant here.
#[derive(Debug)]
pub enum Step {
    /// Every step done: log the account in at this practice, having authenticated with
    /// `amr` (RFC 8176: `pwd`; the MFA step adds `otp`).
    Ready {
        account: account::Model,
        at: AtPractice,
        amr: &'static [&'static str],
    },
    /// Several practices and none requested.
    Choose {
        account: account::Model,
        options: Vec<PracticeOption>,
    },
    /// The requested practice refuses (`AccessBlocked` or `AccessRevoked` in `refusal`);
    /// `others` are the account's other practices, which may still work.
    Refused {
        account: account::Model,
        refusal: Error,
        others: Vec<PracticeOption>,
    },
    /// A staff-created account: choose a password with this token first (at `practice`, a
    /// slug, whose name and contact the page shows).
    PasswordChange {
        token: String,
        expires_in: i64,
        practice: String,
    },
    /// Two-step verification is on: a code with this token (`complete_mfa`).
    Mfa { token: String, expires_in: i64 },
    /// The practice requires two-step verification: enrol with this token first.
    MfaEnrolment { token: String, expires_in: i64 },
}

/// A step between a correct password and tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    PasswordChange,
    Mfa,
    MfaEnrolment,
}

/// The first step still to do for this account at this practice, if any.
fn pending(account: &account::Model, at: &AtPractice) -> Option<Pending> {
    if account.must_change_password {
        return Some(Pending::PasswordChange);
    }
    if account.totp_enabled_at.is_some() {
        return Some(Pending::Mfa);
    }
    at.mfa_required.then_some(Pending::MfaEnrolment)
}

/// A login through the JSON API: steps 1 to 3, then tokens.
pub async fn login(
    state: &AppState,
    creds: Credentials,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<LoginOutcome> {
    let step = authenticate(state, creds, meta, now).await?;
    outcome(state, step, meta, now).await
}

/// A [`Step`] as the API answers it: tokens when ready.
async fn outcome(
    state: &AppState,
    step: Step,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<LoginOutcome> {
    match step {
        Step::Ready { account, at, amr } => {
            let keyset = state.keys.current(now).await;
            let tokens = sessions::start(state, &keyset, account.id, &at, amr, meta, now).await?;
            Ok(LoginOutcome::Tokens(tokens))
        }
        Step::Mfa { token, expires_in } => Ok(LoginOutcome::MfaRequired { token, expires_in }),
        Step::MfaEnrolment { token, expires_in } => {
            Ok(LoginOutcome::MfaEnrolmentRequired { token, expires_in })
        }
        Step::Choose { options, .. } => Ok(LoginOutcome::PracticeRequired(options)),
        Step::Refused { refusal, .. } => Err(refusal),
        Step::PasswordChange {
            token, expires_in, ..
        } => Ok(LoginOutcome::PasswordChangeRequired { token, expires_in }),
    }
}

/// Step 1, the password, then the practice and what remains.
pub async fn authenticate(
    state: &AppState,
    creds: Credentials,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Step> {
    // Before any hash: the attempt is counted, and a throttled account or client waits
    // (429), known or not.
    let attempt = throttle::attempt(state, &creds.username, meta, now).await?;
    let found = access_rows::for_login(&state.db, &username::fold(&creds.username)).await?;
    let verdict = state
        .hasher
        .verify(
            &creds.password,
            found.as_ref().map(|f| f.account.password_hash.as_str()),
        )
        .await?;
    let (read, needs_rehash) = match (found, verdict) {
        (Some(f), Verification::Valid { needs_rehash }) => (f, needs_rehash),
        (found, _) => {
            let account = found.map(|f| f.account);
            record_failure(state, account.as_ref(), &creds.username, meta, now).await?;
            attempt.failed(state, meta, now).await?;
            return Err(Error::InvalidCredentials);
        }
    };
    if needs_rehash {
        rehash(state, &read.account, &creds.password, now).await?;
    }
    let practices = read.practices();
    let account = require_longer_password(state, read.account, &creds.password, now).await;
    let step = match account {
        Ok(account) => {
            at_practices(
                state,
                account,
                practices,
                creds.practice.as_deref(),
                meta,
                now,
            )
            .await
        }
        Err(e) => Err(e),
    };
    // The right password is not a failure: a login that is now complete clears the account's
    // failures, one that still needs a step (or was refused) only takes its count back.
    match &step {
        Ok(Step::Ready { .. }) => attempt.completed_login(state, &creds.username, now).await?,
        _ => attempt.succeeded(state, now).await?,
    }
    step
}

/// Steps 2 and 3 for an account that has proved who it is: read its practices, choose one
/// (`requested`, or the only active one), and see what remains. The pages' practice chooser
/// comes back here with the practice the person picked.
pub async fn at_practice(
    state: &AppState,
    account: account::Model,
    requested: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Step> {
    let practices = by_practice(access_rows::for_account(&state.db, account.id, None).await?);
    at_practices(state, account, practices, requested, meta, now).await
}

/// [`at_practice`] with the account's accesses read already (a password login reads them
/// with the account).
async fn at_practices(
    state: &AppState,
    account: account::Model,
    mut practices: Vec<AtPractice>,
    requested: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Step> {
    // Accesses that time has ended are ended before the login reads them (only when one may
    // have: most logins skip this).
    if practices.iter().any(|at| at.time_limits_may_apply(now)) {
        time_limits::apply_for_account(&state.db, state.settings.issuer(), account.id, now).await?;
        practices = by_practice(access_rows::for_account(&state.db, account.id, None).await?);
    }
    match choose(state, &account, practices, requested, meta, now).await? {
        Chosen::One(at) => advance(state, account, at, meta, now).await,
        Chosen::Several(options) => Ok(Step::Choose { account, options }),
        Chosen::Refused(refusal, others) => Ok(Step::Refused {
            account,
            refusal,
            others,
        }),
    }
}

/// A failed password: recorded without the password. Unknown usernames are recorded by the
/// SHA-256 of their folded form, so the trail can show an attack on one name without the
/// practice API revealing whether it exists; neither kind is tied to a practice (the attempt
/// proved nothing about one).
async fn record_failure(
    state: &AppState,
    account: Option<&account::Model>,
    username: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let event = match account {
        Some(a) => Event::new("login.failed", Actor::Anonymous)
            .account(a.id)
            .detail(json!({"reason": "wrong_password"})),
        None => Event::new("login.failed", Actor::Anonymous).detail(json!({
            "reason": "unknown_username",
            "username_sha256": secrets::hash_token(&crate::domain::username::fold(username)),
        })),
    };
    audit::record(&state.db, meta, event, now).await?;
    Ok(())
}

/// A password shorter than the password-only minimum is allowed only while every login also
/// needs a code (`password_policy`); an account that has turned two-step verification off
/// since must choose a longer one at this login (the same step as a staff-created account's
/// first login, kept until it is done).
async fn require_longer_password(
    state: &AppState,
    account: account::Model,
    password: &str,
    now: DateTime<Utc>,
) -> Result<account::Model> {
    if account.totp_enabled_at.is_some()
        || account.must_change_password
        || password.chars().count() >= password_policy::MIN_LENGTH
    {
        return Ok(account);
    }
    accounts::require_password_change_unless_mfa(&state.db, account.id, now).await?;
    Ok(account::Model {
        must_change_password: true,
        ..account
    })
}

/// Stored with older argon2 parameters: store it again with the configured ones (ASVS 5.0
/// 11.4.2). Only replaces the hash that was verified.
async fn rehash(
    state: &AppState,
    account: &account::Model,
    password: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let fresh = state.hasher.hash(password).await?;
    accounts::replace_password_hash(&state.db, account.id, &account.password_hash, &fresh, now)
        .await?;
    Ok(())
}

enum Chosen {
    One(AtPractice),
    Several(Vec<PracticeOption>),
    Refused(Error, Vec<PracticeOption>),
}

/// Step 2: which practice. Refusals are audited for the practice (one event per patient, so
/// the practice sees them in each patient's trail).
async fn choose(
    state: &AppState,
    account: &account::Model,
    mut practices: Vec<AtPractice>,
    requested: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Chosen> {
    let keyed: Vec<(usize, &str, Option<PracticeStanding>)> = practices
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.slug.as_str(), p.standing()))
        .collect();
    let choice = choose_practice(requested, &keyed);
    match choice {
        PracticeChoice::Use(i) => Ok(Chosen::One(practices.swap_remove(i))),
        PracticeChoice::Choose(indexes) => {
            audit::record(
                &state.db,
                meta,
                Event::new("login.practice_required", Actor::Account(account.id))
                    .account(account.id),
                now,
            )
            .await?;
            Ok(Chosen::Several(
                indexes
                    .into_iter()
                    .filter_map(|i| {
                        let p = &practices[i];
                        p.standing().map(|standing| PracticeOption::of(p, standing))
                    })
                    .collect(),
            ))
        }
        PracticeChoice::Refuse(i, standing) => {
            let at = &practices[i];
            let reason = match standing {
                PracticeStanding::Blocked => "access_blocked",
                PracticeStanding::Revoked => "access_revoked",
                PracticeStanding::ConsentPending => "consent_pending",
                PracticeStanding::ConsentExpired => "consent_expired",
                PracticeStanding::Active => "no_access",
            };
            let txn = state.db.begin().await?;
            let refused = at.rows.iter().filter(|r| {
                matches!(
                    r.status,
                    AccessStatus::Blocked
                        | AccessStatus::Revoked
                        | AccessStatus::PendingConsent
                        | AccessStatus::ConsentExpired
                )
            });
            for row in refused {
                audit::record(
                    &txn,
                    meta,
                    Event::new("login.refused", Actor::Account(account.id))
                        .practice(at.practice_id)
                        .patient(row.patient_id)
                        .account(account.id)
                        .access(row.access_id)
                        .detail(json!({"reason": reason, "access_status": row.status})),
                    now,
                )
                .await?;
            }
            txn.commit().await?;
            let others = practices
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .filter_map(|(_, p)| p.standing().map(|s| PracticeOption::of(p, s)))
                .collect();
            Ok(Chosen::Refused(refusal(at, Some(standing)), others))
        }
        PracticeChoice::NoAccess => {
            audit::record(
                &state.db,
                meta,
                Event::new("login.refused", Actor::Account(account.id))
                    .account(account.id)
                    .detail(json!({"reason": "no_access", "practice": requested})),
                now,
            )
            .await?;
            Err(Error::NoAccess)
        }
    }
}

/// Step 3: what remains between this account and a session at the chosen practice.
async fn advance(
    state: &AppState,
    account: account::Model,
    at: AtPractice,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Step> {
    match pending(&account, &at) {
        Some(step @ (Pending::Mfa | Pending::MfaEnrolment)) => {
            let (purpose, ttl, kind) = if step == Pending::Mfa {
                (MFA_PURPOSE, MFA_TTL, "login.mfa_required")
            } else {
                (
                    MFA_ENROLMENT_PURPOSE,
                    MFA_ENROLMENT_TTL,
                    "login.mfa_enrolment_required",
                )
            };
            let txn = state.db.begin().await?;
            let token = account_tokens::issue(
                &txn,
                account.id,
                purpose,
                Some(json!({"practice_id": at.practice_id})),
                ttl,
                now,
            )
            .await?;
            audit::record(
                &txn,
                meta,
                Event::new(kind, Actor::Account(account.id))
                    .practice(at.practice_id)
                    .account(account.id),
                now,
            )
            .await?;
            txn.commit().await?;
            let expires_in = ttl.num_seconds();
            Ok(if step == Pending::Mfa {
                Step::Mfa { token, expires_in }
            } else {
                Step::MfaEnrolment { token, expires_in }
            })
        }
        Some(Pending::PasswordChange) => {
            let txn = state.db.begin().await?;
            let token = account_tokens::issue(
                &txn,
                account.id,
                PASSWORD_CHANGE_PURPOSE,
                Some(json!({"practice_id": at.practice_id})),
                PASSWORD_CHANGE_TTL,
                now,
            )
            .await?;
            audit::record(
                &txn,
                meta,
                Event::new("login.password_change_required", Actor::Account(account.id))
                    .practice(at.practice_id)
                    .account(account.id),
                now,
            )
            .await?;
            txn.commit().await?;
            Ok(Step::PasswordChange {
                token,
                expires_in: PASSWORD_CHANGE_TTL.num_seconds(),
                practice: at.slug.clone(),
            })
        }
        None => Ok(Step::Ready {
            account,
            at,
            amr: AMR_PASSWORD,
        }),
    }
}

/// The forced password change through the API, then tokens.
pub async fn change_password_and_continue(
    state: &AppState,
    raw_token: &str,
    new_password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<LoginOutcome> {
    let step = change_password(state, raw_token, new_password, meta, now).await?;
    outcome(state, step, meta, now).await
}

/// The forced password change of a staff-created account, then the rest of the login: the
/// new password must pass the policy (a weak one does not spend the token); the change ends
/// every other session of the account.
pub async fn change_password(
    state: &AppState,
    raw_token: &str,
    new_password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Step> {
    let token = account_tokens::find_usable(&state.db, raw_token, PASSWORD_CHANGE_PURPOSE, now)
        .await?
        .ok_or(Error::InvalidGrant)?;
    let practice_id = practice_of(&token)?;
    let account = accounts::find(&state.db, token.account_id)
        .await?
        .ok_or(Error::InvalidGrant)?;
    let at = access_rows::at_practice(&state.db, account.id, practice_id)
        .await?
        .ok_or(Error::NoAccess)?;
    password_policy::check(
        new_password,
        &PasswordContext {
            username: Some(&account.username),
            email: account.email.as_deref(),
            practice_name: Some(&at.name),
            mfa: account.totp_enabled_at.is_some(),
        },
    )?;
    let hash = state.hasher.hash(new_password).await?;

    let txn = state.db.begin().await?;
    if !account_tokens::consume(&txn, token.id, now).await? {
        return Err(Error::InvalidGrant);
    }
    accounts::reset_password(&txn, account.id, &hash, false, now).await?;
    let ended = sessions::end_all(&txn, account.id, None, ended::PASSWORD_CHANGED, now).await?;
    audit::record(
        &txn,
        meta,
        Event::new("password.changed", Actor::Account(account.id))
            .practice(practice_id)
            .account(account.id)
            .detail(json!({"reason": "required_at_login", "sessions_ended": ended})),
        now,
    )
    .await?;
    txn.commit().await?;

    let account = account::Model {
        must_change_password: false,
        ..account
    };
    if at.standing() != Some(PracticeStanding::Active) {
        return Err(refusal(&at, at.standing()));
    }
    let username = account.username.clone();
    let step = advance(state, account, at, meta, now).await?;
    // A login this change completes clears the account's failures, as a right password does.
    if matches!(step, Step::Ready { .. }) {
        throttle::forget_account(&state.db, &username).await?;
    }
    Ok(step)
}

/// The practice a login-step token was issued for.
fn practice_of(token: &crate::store::account_token::Model) -> Result<Uuid> {
    token
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .and_then(|v| v["practice_id"].as_str().and_then(|s| s.parse().ok()))
        .ok_or(Error::InvalidGrant)
}

/// A usable login-step token, its account and the practice it is for.
async fn step_token(
    state: &AppState,
    raw: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<(
    crate::store::account_token::Model,
    account::Model,
    AtPractice,
)> {
    let token = account_tokens::find_usable(&state.db, raw, purpose, now)
        .await?
        .ok_or(Error::InvalidGrant)?;
    let practice_id = practice_of(&token)?;
    let account = accounts::find(&state.db, token.account_id)
        .await?
        .ok_or(Error::InvalidGrant)?;
    let at = access_rows::at_practice(&state.db, account.id, practice_id)
        .await?
        .ok_or(Error::NoAccess)?;
    Ok((token, account, at))
}

/// Spends a login-step token: the login is ready if the practice still lets the account in
/// (the throttle forgets the account's failures, as after a right password).
async fn ready(
    state: &AppState,
    token_id: Uuid,
    account: account::Model,
    at: AtPractice,
    amr: &'static [&'static str],
    now: DateTime<Utc>,
) -> Result<Step> {
    if !account_tokens::consume(&state.db, token_id, now).await? {
        return Err(Error::InvalidGrant);
    }
    match at.standing() {
        Some(PracticeStanding::Active) => {
            throttle::forget_account(&state.db, &account.username).await?;
            Ok(Step::Ready { account, at, amr })
        }
        other => Err(refusal(&at, other)),
    }
}

/// Tokens for a login step that ended ready (the API's end of [`mfa_step`] and
/// [`enrolment_step`]).
async fn tokens(
    state: &AppState,
    step: Step,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<IssuedTokens> {
    match outcome(state, step, meta, now).await? {
        LoginOutcome::Tokens(tokens) => Ok(tokens),
        _ => Err(Error::internal(anyhow::anyhow!(
            "a finished login step did not end ready"
        ))),
    }
}

/// The two-step code of a login: a TOTP or recovery code with the `mfa_token`. A wrong code
/// leaves the token usable until it expires (throttled like passwords); a right one spends
/// the token and the code.
pub async fn complete_mfa(
    state: &AppState,
    raw_token: &str,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<IssuedTokens> {
    let step = mfa_step(state, raw_token, code, meta, now).await?;
    tokens(state, step, meta, now).await
}

/// The two-step code checked and its token spent: `Step::Ready` with the methods used (the
/// pages start a web session with it, the API tokens).
pub async fn mfa_step(
    state: &AppState,
    raw_token: &str,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Step> {
    let (token, account, at) = step_token(state, raw_token, MFA_PURPOSE, now).await?;
    // Wrong codes count against the account like wrong passwords (one counter, both factors).
    let attempt = throttle::attempt(state, &account.username, meta, now).await?;
    let kind = match mfa::verify(state, &account, code, meta, now).await {
        Err(Error::InvalidMfaCode) => {
            attempt.failed(state, meta, now).await?;
            return Err(Error::InvalidMfaCode);
        }
        other => other?,
    };
    attempt.succeeded(state, now).await?;
    ready(state, token.id, account, at, kind.amr(), now).await
}

/// The enrolment a practice requires, during login: the secret and QR code for the app.
pub async fn start_enrolment(
    state: &AppState,
    raw_token: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Enrolment> {
    let (_, account, _) = step_token(state, raw_token, MFA_ENROLMENT_PURPOSE, now).await?;
    mfa::start_enrolment(state, &account, meta, now).await
}

/// The enrolment started with [`start_enrolment`], shown again after a wrong code.
pub async fn pending_enrolment(
    state: &AppState,
    raw_token: &str,
    now: DateTime<Utc>,
) -> Result<Enrolment> {
    let (_, account, _) = step_token(state, raw_token, MFA_ENROLMENT_PURPOSE, now).await?;
    mfa::pending_enrolment(state, &account)?.ok_or(Error::InvalidGrant)
}

/// Confirms the enrolment with a code and finishes the login: tokens and the recovery codes.
pub async fn complete_enrolment(
    state: &AppState,
    raw_token: &str,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(Vec<String>, IssuedTokens)> {
    let (codes, step) = enrolment_step(state, raw_token, code, meta, now).await?;
    Ok((codes, tokens(state, step, meta, now).await?))
}

/// The enrolment confirmed with a code and its token spent: the recovery codes (shown once)
/// and `Step::Ready`.
pub async fn enrolment_step(
    state: &AppState,
    raw_token: &str,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(Vec<String>, Step)> {
    let (token, account, at) = step_token(state, raw_token, MFA_ENROLMENT_PURPOSE, now).await?;
    let codes = mfa::confirm_enrolment(state, &account, code, meta, now).await?;
    let step = ready(state, token.id, account, at, CodeKind::Totp.amr(), now).await?;
    Ok((codes, step))
}
