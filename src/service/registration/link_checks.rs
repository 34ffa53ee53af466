//! The guards on an invitation link: finding it (a malformed token costs no query), whether it
//! may still be redeemed, consuming it with one conditional UPDATE, and counting wrong dates
//! of birth and passwords against it with one guarded UPDATE, so that of any number of
//! attempts, concurrent or not, at most `MAX_FAILED_ATTEMPTS` wrong ones are answered as wrong.

use crate::crypto::secrets;
use crate::domain::access::AccessStatus;
use crate::domain::invitation::MAX_FAILED_ATTEMPTS;
use crate::error::{Error, Result};
use crate::service::access::invitations::lifecycle;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::invitations as store;
use crate::store::{access as accesses, invitation, patient, patients, portal_access};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;

/// The invitation behind a token. A malformed token is refused without a query.
pub(super) async fn find<C: ConnectionTrait>(conn: &C, token: &str) -> Result<invitation::Model> {
    if !secrets::looks_like_token(token) {
        return Err(Error::InvitationInvalid);
    }
    let hash = secrets::hash_token(token);
    let found = store::find_by_token_hash(conn, &hash)
        .await?
        .ok_or(Error::InvitationInvalid)?;
    if !secrets::constant_time_eq(found.token_hash.as_bytes(), hash.as_bytes()) {
        return Err(Error::InvitationInvalid);
    }
    Ok(found)
}

/// The invitation, if it may still be redeemed: within its lifetime, not used, superseded or
/// revoked, and its access still waiting for it (a revoke in between also stops the link).
pub(super) async fn find_redeemable<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(invitation::Model, portal_access::Model)> {
    let inv = find(conn, token).await?;
    lifecycle(&inv).check_redeemable(now)?;
    let access = accesses::find(conn, inv.access_id)
        .await?
        .ok_or(Error::InvitationInvalid)?;
    if access.status != AccessStatus::Invited {
        return Err(Error::InvitationUsed);
    }
    Ok((inv, access))
}

pub(super) async fn patient_of<C: ConnectionTrait>(
    conn: &C,
    inv: &invitation::Model,
) -> Result<patient::Model> {
    patients::find(conn, inv.patient_id)
        .await?
        .ok_or(Error::InvitationInvalid)
}

/// Consumes the link with one conditional UPDATE. When another redemption got there first (or
/// the link lapsed meanwhile), says which.
pub(super) async fn consume<C: ConnectionTrait>(
    conn: &C,
    inv: &invitation::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    if store::consume(conn, inv.id, now).await? {
        return Ok(());
    }
    let fresh = store::find(conn, inv.id)
        .await?
        .ok_or(Error::InvitationInvalid)?;
    lifecycle(&fresh).check_redeemable(now)?;
    Err(Error::InvitationUsed)
}

/// What is checked against a link.
#[derive(Debug, Clone, Copy)]
pub(super) enum Check {
    /// The date of birth, already compared: counted when wrong, and the wrong one that uses
    /// the last try revokes the link in the same statement.
    DateOfBirth { wrong: bool },
    /// An existing account's password, about to be checked: counted now (taken back with
    /// [`uncount_check`] when right), revoking in [`record_failure`] when wrong.
    Password,
}

/// Judges a check against the link with one guarded UPDATE … RETURNING: only while the link
/// has tries left (and is not used, revoked or replaced) is the check counted and allowed, so
/// of any number of attempts, concurrent or not, at most [`MAX_FAILED_ATTEMPTS`] wrong ones
/// are ever answered as wrong, and none is accepted after them. Returns this check's count;
/// a link with no tries left answers as a stopped link does (or `rate_limited` while checks
/// in flight decide).
pub(super) async fn count_check(
    db: &DatabaseConnection,
    inv: &invitation::Model,
    check: Check,
    now: DateTime<Utc>,
) -> Result<i32> {
    let (adds, revoke_at_max) = match check {
        Check::DateOfBirth { wrong } => (i32::from(wrong), wrong),
        Check::Password => (1, false),
    };
    if let Some(count) =
        store::count_check(db, inv.id, adds, revoke_at_max, MAX_FAILED_ATTEMPTS, now).await?
    {
        return Ok(count);
    }
    let fresh = store::find(db, inv.id)
        .await?
        .ok_or(Error::InvitationInvalid)?;
    lifecycle(&fresh).check_redeemable(now)?;
    Err(Error::RateLimited {
        retry_after_secs: 1,
    })
}

/// Takes back a check counted by [`count_check`] that was right.
pub(super) async fn uncount_check(db: &DatabaseConnection, inv: &invitation::Model) -> Result<()> {
    Ok(store::uncount_check(db, inv.id).await?)
}

/// A wrong date of birth or password, already counted by [`count_check`]: audited in its own
/// transaction (the request itself fails); the check that reached the limit revokes the link
/// (a date of birth has already) and the practice must resend it.
pub(super) async fn record_failure(
    db: &DatabaseConnection,
    inv: &invitation::Model,
    check: i32,
    reason: &'static str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let txn = db.begin().await?;
    let revoked = check >= MAX_FAILED_ATTEMPTS;
    if revoked {
        store::revoke_unused(&txn, inv.id, now).await?;
    }
    audit::record(
        &txn,
        meta,
        Event::new("invitation.redeem_failed", Actor::Anonymous)
            .practice(inv.practice_id)
            .patient(inv.patient_id)
            .access(inv.access_id)
            .detail(json!({
                "invitation_id": inv.id,
                "reason": reason,
                "link_revoked": revoked,
            })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
