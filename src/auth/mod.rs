//! Credentials: password hashing, signing keys and tokens (the primitives they use are in
//! `crypto`).

pub mod claims;
pub mod keys;
pub mod password;
pub mod system_tokens;
pub mod tokens;
pub mod verified;
