//! Integration tests: the real server on a random port, over HTTP, on a fresh database per
//! test (SQLite in a temp dir, or PostgreSQL when PORTICO_TEST_DATABASE_URL is set).
//! One binary for all of them, so they link once.

mod helpers;
mod helpers_ageing;
mod helpers_consent;
mod helpers_invitations;
mod helpers_login;
mod helpers_oidc;
mod helpers_pages;
mod helpers_security;
mod mailbox;
mod smtp_sink;

mod access_changes;
mod accounts;
mod ageing_out;
mod api_keys;
mod audit_events;
mod breached_passwords;
mod cli;
mod demographic_changes;
mod email_change;
mod errors;
mod intake;
mod invitation_rules;
mod invitations;
mod login;
mod mfa;
mod oidc;
mod oidc_clients;
mod oidc_features;
mod oidc_refusals;
mod openapi;
mod ops;
mod outbox;
mod own_email;
mod pages;
mod pages_account;
mod pages_login;
mod pages_mfa;
mod pages_reset;
mod password_resets;
mod patients;
mod practitioners;
mod refresh;
mod registrations;
mod reliability;
mod representative_consent;
mod representatives;
mod roles;
mod settings;
mod staff_accounts;
mod throttling;
mod tokens;
