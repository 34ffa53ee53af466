//! Persistence: SeaORM entities and every query, one module per aggregate. Store functions take
//! any connection or transaction (`&impl ConnectionTrait`), so a use case composes them in one
//! short transaction; services and handlers never touch an `Entity` themselves.

pub mod access;
pub mod access_reports;
pub mod access_rows;
pub mod account_tokens;
pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod cache;
pub mod client_assertions;
pub mod demographic_changes;
pub mod direct;
pub mod entities;
pub mod grant;
pub mod held_registrations;
pub mod idempotency;
pub mod intake_sessions;
pub mod invitations;
pub mod oauth_client_record;
pub mod oauth_clients;
pub mod oauth_codes;
pub mod oauth_launches;
pub mod outbox;
pub mod pagination;
pub mod patients;
pub mod practice_events;
pub mod practices;
pub mod practitioners;
pub mod recovery_codes;
pub mod representation;
pub mod returning;
pub mod sealed_values;
pub mod sessions;
pub mod signing_keys;
#[cfg(test)]
mod stored_values;
pub mod teen_consent_codes;
pub mod throttles;
pub mod web_sessions;
pub mod webhook_deliveries;
pub mod webhook_subscriptions;

pub use entities::*;
