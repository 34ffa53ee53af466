//! Portal accounts: global logins, unique by username case-insensitively. Several accounts
//! may share one email (seed 003: "each one must have a unique username").

use crate::domain::contact::EmailAddress;
use crate::domain::username::Username;
use crate::error::{Error, Result};
use crate::store::account;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// What a new account is made of. The password is already hashed.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: Username,
    pub email: Option<EmailAddress>,
    pub email_verified: bool,
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
    account::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(new.username.as_str().to_owned()),
        username_folded: Set(new.username.folded()),
        email_folded: Set(new.email.as_ref().map(EmailAddress::folded)),
        email: Set(new.email.map(|e| e.as_str().to_owned())),
        email_verified_at: Set(new.email_verified.then_some(now)),
        first_name: Set(new.first_name),
        last_name: Set(new.last_name),
        date_of_birth: Set(new.date_of_birth),
        password_hash: Set(new.password_hash),
        password_changed_at: Set(now),
        must_change_password: Set(new.must_change_password),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
        sessions_valid_after: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(|e| {
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
    Ok(account::Entity::find()
        .filter(account::Column::UsernameFolded.eq(crate::domain::username::fold(raw)))
        .one(conn)
        .await?)
}
