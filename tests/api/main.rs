//! Integration tests: the real server on a random port, over HTTP, on a fresh database per
//! test (SQLite in a temp dir, or PostgreSQL when PORTICO_TEST_DATABASE_URL is set).
//! One binary for all of them, so they link once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;
mod helpers_ageing;
mod helpers_assertions;
mod helpers_consent;
mod helpers_invitations;
mod helpers_login;
mod helpers_oidc;
mod helpers_pages;
mod helpers_security;
mod mailbox;
mod smtp_sink;

mod access_changes;
mod access_reports;
mod accounts;
mod acting;
mod age_bands;
mod ageing_out;
mod api_keys;
mod architecture;
mod architecture_graph;
mod audit_events;
mod breached_passwords;
mod caching;
mod cli;
mod demographic_changes;
mod email_change;
mod errors;
mod held_registrations;
mod idempotency;
mod intake;
mod invitation_rules;
mod invitations;
mod key_encryption;
mod login;
mod mfa;
mod oidc;
mod oidc_backend;
mod oidc_clients;
mod oidc_ehr_launch;
mod oidc_features;
mod oidc_logout;
mod oidc_private_key_jwt;
mod oidc_refusals;
mod oidc_smart;
mod openapi;
mod openapi_nullable;
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
mod phone_first;
mod practitioners;
mod quick_add;
mod refresh;
mod registrations;
mod reliability;
mod representative_consent;
mod representatives;
mod roles;
mod settings;
mod staff_accounts;
mod statement_budgets;
mod throttling;
mod tokens;
mod username_reminders;
