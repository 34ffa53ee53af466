//! SeaORM entities, one file per table.

pub mod account;
pub mod account_token;
pub mod api_key;
pub mod audit_event;
pub mod demographic_change;
pub mod held_registration;
pub mod intake_session;
pub mod invitation;
pub mod oauth_client;
pub mod oauth_code;
pub mod outbox;
pub mod patient;
pub mod patient_practitioner;
pub mod portal_access;
pub mod practice;
pub mod practitioner;
pub mod recovery_code;
pub mod refresh_token;
pub mod representation_notice;
pub mod representation_override;
pub mod representative_consent;
pub mod session;
pub mod signing_key;
pub mod teen_consent_code;
pub mod throttle;
pub mod web_session;
