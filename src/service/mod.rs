//! One file per use case. A request goes handler → service → store; rules live here and in
//! `domain`, never in handlers.

pub mod access;
pub mod access_changes;
pub mod accounts;
pub mod ageing_out;
pub mod api_keys;
pub mod audit_events;
pub mod consent_lapse;
pub mod consent_requests;
pub mod demographic_changes;
pub mod email_change;
pub mod intake;
pub mod invitations;
pub mod login;
pub mod me;
pub mod mfa;
pub mod my_representatives;
pub mod oauth_authorize;
pub mod oauth_clients;
pub mod oauth_logout;
pub mod oauth_resources;
pub mod oauth_tokens;
pub mod own_email;
pub mod page_login;
pub mod passwords;
pub mod patient_auth;
pub mod patients;
pub mod practices;
pub mod practitioners;
pub mod redemption;
pub mod registrations;
pub mod sessions;
pub mod staff_accounts;
pub mod throttle;
pub mod web_sessions;
