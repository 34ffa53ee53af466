//! The practice and the systems that act for it: creating a practice and its settings (seed
//! 003's sign-up and confirmation switches, seed 004's required fields), staff API keys and
//! their roles (the one place a caller's role is decided), the practice's view of its audit
//! trail, and sealing stored keys at start. Depends on no other capability.

pub mod api_keys;
pub mod audit_events;
pub mod idempotency;
pub mod key_encryption;
pub mod practices;
