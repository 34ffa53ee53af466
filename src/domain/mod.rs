//! Domain types and rules, with no I/O. Wire types are parsed into these at the edge; past it,
//! code takes a `Username`, not a `&str`.

pub mod access;
pub mod access_status;
pub mod acting;
pub mod breached_passwords;
pub mod contact;
pub mod demographics;
pub mod fhir_audience;
pub mod invitation;
pub mod login;
pub mod oauth;
pub mod oauth_client;
pub mod oauth_scope;
pub mod password_policy;
pub mod patient;
pub mod patient_match;
pub mod practice;
pub mod registration;
pub mod representation;
pub mod request;
pub mod role;
pub mod throttle;
pub mod username;
