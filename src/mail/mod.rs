//! Delivering queued messages: email through lettre (SMTP, or .eml files in a folder by
//! default) and SMS through an HTTP gateway (or JSON files in a folder by default).

pub mod account_security;
pub mod account_texts;
pub mod age_bands;
pub mod compose;
pub mod consent;
pub mod held_registrations;
pub mod notices;
pub mod onboarding;
pub mod transport;
pub mod username_reminder;
pub mod webhooks;
pub mod worker;
