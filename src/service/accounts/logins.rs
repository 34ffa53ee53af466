//! Portal accounts: global logins, unique by username case-insensitively. Several accounts
//! may share one email (seed 003: "each one must have a unique username").

use crate::domain::contact::{EmailAddress, MobileNumber};
use crate::domain::username::Username;
use crate::error::{Error, Result};
use crate::store::{account, accounts};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// A login (its record, never its password).
pub use crate::store::account::Model as Account;

/// What a new account is made of. The password is already hashed.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: Username,
    pub email: Option<EmailAddress>,
    pub email_verified: bool,
    /// The number a texted link went to (it proved the person has it).
    pub mobile: Option<MobileNumber>,
    pub password_hash: String,
    pub must_change_password: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
}

/// Inserts an account; a username taken in any letter case is `username_taken`.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    new: NewAccount,
    now: DateTime<Utc>,
) -> Result<account::Model> {
    let model = account::Model {
        id: Uuid::now_v7(),
        username: new.username.as_str().to_owned(),
        username_folded: new.username.folded(),
        email_folded: new.email.as_ref().map(EmailAddress::folded),
        email: new.email.map(|e| e.as_str().to_owned()),
        email_verified_at: new.email_verified.then_some(now),
        mobile: new.mobile.map(|m| m.as_str().to_owned()),
        first_name: new.first_name,
        last_name: new.last_name,
        date_of_birth: new.date_of_birth,
        password_hash: new.password_hash,
        password_changed_at: now,
        must_change_password: new.must_change_password,
        totp_secret: None,
        totp_enabled_at: None,
        totp_last_step: None,
        sessions_valid_after: None,
        created_at: now,
        updated_at: now,
    };
    accounts::insert(conn, &model).await.map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            Error::UsernameTaken
        } else {
            e.into()
        }
    })
}

/// Finds an account by username in any letter case.
pub async fn find_by_username<C: ConnectionTrait>(
    conn: &C,
    raw: &str,
) -> Result<Option<account::Model>> {
    Ok(accounts::find_by_username_folded(conn, &crate::domain::username::fold(raw)).await?)
}

/// The account a live page session belongs to; `unauthorized` when it is gone.
pub async fn of_page_session<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
) -> Result<account::Model> {
    accounts::find(conn, account_id)
        .await?
        .ok_or(Error::Unauthorized)
}
