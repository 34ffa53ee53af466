//! Who a "forgot password" or "forgot username" request names, and where their messages go:
//! every account on an email address, every account on a mobile number (issue 22: patients
//! who registered from a text message have no email), or the one account with a username.
//! An account is reached at its email when it has one, else by text at its mobile number.

use crate::domain::contact::MobileNumber;
use crate::error::Result;
use crate::state::AppState;
use crate::store::access_rows::{self, by_practice};
use crate::store::{account, accounts};
use sea_orm::ConnectionTrait;

/// Where one message to the accounts found goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Email(String),
    /// E.164.
    Mobile(String),
}

/// What a request may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// An email address or a mobile number only (username reminders).
    Contact,
    /// A username too (password resets).
    ContactOrUsername,
}

/// The accounts `identifier` names, and where the one message to them goes (`None` when
/// nothing matched, or the account has no email and no mobile).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    identifier: &str,
    names: Names,
) -> Result<(Vec<account::Model>, Option<Reach>)> {
    let trimmed = identifier.trim();
    let folded = trimmed.to_lowercase();
    if folded.contains('@') {
        let found = accounts::with_email_folded(conn, &folded).await?;
        let reach = found.iter().find_map(|a| a.email.clone()).map(Reach::Email);
        return Ok((found, reach));
    }
    if let Ok(mobile) = MobileNumber::parse("mobile", trimmed) {
        let found = accounts::with_mobile(conn, mobile.as_str()).await?;
        let reach = (!found.is_empty()).then(|| Reach::Mobile(mobile.as_str().to_owned()));
        return Ok((found, reach));
    }
    if names == Names::Contact {
        return Ok((Vec::new(), None));
    }
    let found = accounts::find_by_username_folded(conn, &folded).await?;
    let reach = found.as_ref().and_then(reach_of);
    Ok((found.into_iter().collect(), reach))
}

/// An account's own contact: its email, else its mobile number.
pub fn reach_of(a: &account::Model) -> Option<Reach> {
    a.email
        .clone()
        .map(Reach::Email)
        .or_else(|| a.mobile.clone().map(Reach::Mobile))
}

/// The name a text message to the account starts with: its first practice's, so the patient
/// knows who wrote (`compose::sms`).
pub async fn sender_name<C: ConnectionTrait>(conn: &C, a: &account::Model) -> Result<String> {
    Ok(
        by_practice(access_rows::for_account(conn, a.id, None).await?)
            .into_iter()
            .next()
            .map_or_else(|| "Patient portal".to_owned(), |p| p.name),
    )
}

/// Runs a "forgot password" or "forgot username" request after its 202 has gone, so the answer
/// neither waits on nor reveals whether an account exists. `work` says whether it queued a
/// message; the outbox is woken when it did.
pub fn answer_later<F>(state: &AppState, what: &'static str, work: F)
where
    F: Future<Output = Result<bool>> + Send + 'static,
{
    let state = state.clone();
    tokio::spawn(async move {
        match work.await {
            Ok(true) => state.outbox_wakeup.notify_one(),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "{what} failed"),
        }
    });
}
