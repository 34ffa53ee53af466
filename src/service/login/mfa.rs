//! Two-step verification with TOTP (RFC 6238 through totp-rs: SHA-1, 6 digits, 30-second
//! steps, ±1 step of skew, server clock only) and single-use recovery codes.
//!
//! - The seed is 160 random bits, sealed at rest (`crypto::sealed`, bound to the account id),
//!   shown once at enrolment and never again.
//! - Enrolment turns on only after a valid code; it then returns 10 recovery codes, stored as
//!   SHA-256 (they carry about 58 bits each and are spent on use).
//! - Each TOTP step is accepted once: the last accepted step is stored and advanced with one
//!   conditional UPDATE, so a replayed code (or the same code in parallel) loses. A replay,
//!   and a spent recovery code presented again, is audited and the account emailed.

use crate::crypto::sealed::{Purpose, Sealer};
use crate::crypto::secrets;
use crate::error::{Error, Result};
use crate::mail::account_security;
use crate::service::login::mfa_codes::{
    matching_step, new_recovery_code, normalise_recovery, totp,
};
use crate::service::login::passwords::{self, Acting};
use crate::service::sessions::throttle;
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{account, accounts, outbox, recovery_codes};
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::Rng;
use sea_orm::TransactionTrait;
use serde_json::json;
use totp_rs::Totp;

/// How many recovery codes an enrolment hands out.
pub const RECOVERY_CODES: usize = 10;

/// What an enrolment shows once.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Base32, for typing into an app.
    pub secret: String,
    pub otpauth_uri: String,
    /// An SVG image of the URI as a QR code, as a `data:` URI.
    pub qr_code: String,
}

/// Which kind of code was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    Totp,
    Recovery,
}

impl CodeKind {
    /// RFC 8176 method names for the token's `amr`.
    pub fn amr(self) -> &'static [&'static str] {
        match self {
            CodeKind::Totp => &["pwd", "otp", "mfa"],
            CodeKind::Recovery => &["pwd", "mfa"],
        }
    }
}

fn sealer(state: &AppState) -> Result<Sealer> {
    Sealer::new(
        state
            .settings
            .key_encryption_secret
            .as_ref()
            .map(|s| s.expose()),
        Purpose::TotpSecret,
    )
    .map_err(Error::internal)
}

/// The account's TOTP, from its sealed seed (enrolled or pending confirmation).
fn account_totp(state: &AppState, account: &account::Model) -> Result<Option<Totp>> {
    let Some(sealed) = &account.totp_secret else {
        return Ok(None);
    };
    let seed = sealer(state)?
        .open(sealed, &account.id.to_string())
        .map_err(Error::internal)?;
    Ok(Some(totp(seed, &account.username)?))
}

/// Starts (or restarts) an enrolment: a fresh seed, sealed, not yet on. Refused while two-step
/// verification is on (turn it off first).
pub async fn start_enrolment(
    state: &AppState,
    account: &account::Model,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Enrolment> {
    if account.totp_enabled_at.is_some() {
        return Err(already_on());
    }
    let mut seed = vec![0u8; 20];
    rand::rng().fill_bytes(&mut seed);
    let sealed = sealer(state)?
        .seal(&seed, &account.id.to_string())
        .map_err(Error::internal)?;
    let enrolment = enrolment_of(&totp(seed, &account.username)?)?;
    let txn = state.db.begin().await?;
    accounts::start_totp(&txn, account.id, &sealed, now).await?;
    audit::record(
        &txn,
        meta,
        Event::new("mfa.enrolment_started", Actor::Account(account.id)).account(account.id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(enrolment)
}

/// What the app needs of a TOTP: its key, URI and the URI as a QR code.
fn enrolment_of(t: &Totp) -> Result<Enrolment> {
    let uri = t
        .to_url()
        .map_err(|e| Error::internal(anyhow::anyhow!("otpauth URI: {e}")))?;
    let svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(Error::internal)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    let qr_code = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    );
    Ok(Enrolment {
        secret: t.secret().to_base32(),
        otpauth_uri: uri,
        qr_code,
    })
}

/// The enrolment started and not yet confirmed, shown again (after a wrong code the page keeps
/// the same key, so the person need not scan again). `None` when none is pending.
pub fn pending_enrolment(state: &AppState, account: &account::Model) -> Result<Option<Enrolment>> {
    if account.totp_enabled_at.is_some() {
        return Ok(None);
    }
    account_totp(state, account)?
        .as_ref()
        .map(enrolment_of)
        .transpose()
}

/// Confirms an enrolment with a code from the app: turns two-step verification on and
/// returns the recovery codes (shown once). A wrong code leaves it off.
pub async fn confirm_enrolment(
    state: &AppState,
    account: &account::Model,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    if account.totp_enabled_at.is_some() {
        return Err(Error::Conflict(
            "Two-step verification is already on.".into(),
        ));
    }
    let t = account_totp(state, account)?.ok_or_else(|| {
        Error::Conflict("Start the set-up first: POST /api/v1/me/mfa/totp.".into())
    })?;
    let Some(step) = matching_step(&t, code, now) else {
        audit::record(
            &state.db,
            meta,
            Event::new("mfa.enrolment_failed", Actor::Account(account.id)).account(account.id),
            now,
        )
        .await?;
        return Err(Error::InvalidMfaCode);
    };
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let txn = state.db.begin().await?;
    // Guarded on the seed the code was checked against: a set-up restarted meanwhile wins.
    let enabled =
        accounts::enable_totp(&txn, account.id, account.totp_secret.as_deref(), step, now).await?;
    if !enabled {
        return Err(Error::Conflict(
            "The set-up changed meanwhile; start it again.".into(),
        ));
    }
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| secrets::hash_token(&normalise_recovery(c)))
        .collect();
    recovery_codes::replace_all(&txn, account.id, &hashes, now).await?;
    if let Some(to) = &account.email {
        outbox::enqueue(
            &txn,
            None,
            account_security::mfa_changed(to, &account.username, true),
            now,
        )
        .await?;
    }
    audit::record(
        &txn,
        meta,
        Event::new("mfa.enabled", Actor::Account(account.id))
            .account(account.id)
            .detail(json!({"recovery_codes": RECOVERY_CODES})),
        now,
    )
    .await?;
    txn.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(codes)
}

/// The signed-in account sets up an authenticator app: its current password first (a wrong
/// one is `invalid_credentials`, throttled like a login), then [`start_enrolment`].
pub async fn start_own_enrolment(
    state: &AppState,
    who: &Acting<'_>,
    current_password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Enrolment> {
    if who.account.totp_enabled_at.is_some() {
        return Err(already_on());
    }
    passwords::verify_current_as(state, who, current_password, meta, now).await?;
    start_enrolment(state, who.account, meta, now).await
}

fn already_on() -> Error {
    Error::Conflict(
        "Two-step verification is already on. Turn it off first to set up a new device.".into(),
    )
}

/// Turns two-step verification off: needs the current password and a current code (TOTP or
/// recovery), each throttled like a login (one counter per account). Ends every other session
/// of the account and emails it.
pub async fn disable(
    state: &AppState,
    who: &Acting<'_>,
    current_password: &str,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let account = who.account;
    if account.totp_enabled_at.is_none() {
        return Err(Error::Conflict("Two-step verification is not on.".into()));
    }
    passwords::verify_current_as(state, who, current_password, meta, now).await?;
    let attempt = throttle::attempt(state, &account.username, meta, now).await?;
    match verify(state, account, code, meta, now).await {
        Err(Error::InvalidMfaCode) => {
            attempt.failed(state, meta, now).await?;
            return Err(Error::InvalidMfaCode);
        }
        other => other?,
    };
    attempt.succeeded(state, now).await?;
    let txn = state.db.begin().await?;
    accounts::clear_totp(&txn, account.id, now).await?;
    recovery_codes::delete_all(&txn, account.id).await?;
    // Whoever else was logged in logged in with two steps; they log in again without.
    let ended =
        crate::service::sessions::ending::end_others(&txn, account.id, who.keep, now).await?;
    if let Some(to) = &account.email {
        outbox::enqueue(
            &txn,
            None,
            account_security::mfa_changed(to, &account.username, false),
            now,
        )
        .await?;
    }
    audit::record(
        &txn,
        meta,
        Event::new("mfa.disabled", Actor::Account(account.id))
            .account(account.id)
            .detail(json!({"sessions_ended": ended})),
        now,
    )
    .await?;
    txn.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}

/// Checks a TOTP or recovery code of an account with two-step verification on, spending it.
/// Wrong codes are `invalid_mfa_code`; a replayed one too, audited (`mfa.replay`) and the
/// account emailed.
pub async fn verify(
    state: &AppState,
    account: &account::Model,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<CodeKind> {
    let t = account_totp(state, account)?.ok_or(Error::InvalidMfaCode)?;
    if let Some(step) = matching_step(&t, code, now) {
        if accounts::spend_totp_step(&state.db, account.id, step).await? {
            return Ok(CodeKind::Totp);
        }
        replayed(state, account, "totp", meta, now).await?;
        return Err(Error::InvalidMfaCode);
    }
    let hash = secrets::hash_token(&normalise_recovery(code));
    if recovery_codes::spend(&state.db, account.id, &hash, now)
        .await?
        .is_some()
    {
        let remaining = recovery_codes::count_unused(&state.db, account.id).await?;
        audit::record(
            &state.db,
            meta,
            Event::new("mfa.recovery_code_used", Actor::Account(account.id))
                .account(account.id)
                .detail(json!({ "remaining": remaining })),
            now,
        )
        .await?;
        return Ok(CodeKind::Recovery);
    }
    if recovery_codes::exists(&state.db, account.id, &hash).await? {
        replayed(state, account, "recovery_code", meta, now).await?;
    } else {
        audit::record(
            &state.db,
            meta,
            Event::new("mfa.failed", Actor::Anonymous).account(account.id),
            now,
        )
        .await?;
    }
    Err(Error::InvalidMfaCode)
}

/// A code that worked once came back: audited, and the account's address told.
async fn replayed(
    state: &AppState,
    account: &account::Model,
    kind: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let txn = state.db.begin().await?;
    audit::record(
        &txn,
        meta,
        Event::new("mfa.replay", Actor::Anonymous)
            .account(account.id)
            .detail(json!({"code": kind})),
        now,
    )
    .await?;
    if let Some(to) = &account.email {
        outbox::enqueue(
            &txn,
            None,
            account_security::mfa_code_replayed(to, &account.username),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}
