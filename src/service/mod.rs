//! The rules of the seeds, one capability per folder. A request goes handler → service →
//! store; rules live here and in `domain`, never in handlers, and every service function takes
//! `now` rather than reading the clock.
//!
//! The capabilities depend on each other in one direction only (the architecture test in
//! `tests/api/architecture.rs` fails on a cycle), lowest first:
//!
//! `practice` → `sessions` → `patients` → `access` → `representation` → `login` → `accounts`
//! → `registration`, with `oauth` beside `accounts` (it uses `login` and `sessions`), and
//! `operations` (what `/metrics` shows) apart, using none of them.

pub mod access;
pub mod accounts;
pub mod login;
pub mod oauth;
pub mod operations;
pub mod patients;
pub mod practice;
pub mod registration;
pub mod representation;
pub mod sessions;

/// A page of a list: every list a service hands out is paged the same way.
pub use crate::store::pagination::PageRequest;
