//! Credentials: password hashing, opaque secrets, signing keys and tokens.

pub mod password;
pub mod secrets;
