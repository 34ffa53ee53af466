//! Credentials: password hashing, opaque secrets, signing keys and tokens.

pub mod client_keys;
pub mod keys;
pub mod password;
pub mod sealed;
pub mod secrets;
pub mod system_tokens;
pub mod tokens;
pub mod verified;
