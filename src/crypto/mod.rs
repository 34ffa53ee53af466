//! Cryptographic primitives with no I/O: opaque secrets (random tokens, their SHA-256 hashes,
//! constant-time comparison) and sealing values at rest. Below `store` and `auth`, which both
//! use them.

pub mod client_keys;
pub mod sealed;
pub mod secrets;
pub mod webhook_signatures;
