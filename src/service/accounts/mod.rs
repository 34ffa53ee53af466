//! Portal accounts, global across practices (seed 003: unique usernames, several accounts may
//! share an email): creating and finding them, the account's own view of itself, and the
//! patient's own email change.

pub mod logins;
pub mod me;
pub mod own_email;
