//! Credentials: password hashing, signing keys and tokens (the primitives they use are in
//! `crypto`).

pub mod claims;
mod key_generations;
mod key_material;
pub mod keys;
pub mod password;
pub mod system_tokens;
pub mod tokens;
pub mod verified;
