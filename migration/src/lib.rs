//! Portico's schema, one migration per change. `portico serve` runs pending ones at start;
//! `portico migrate` runs them alone.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_core;
mod m20261123_000400_invitation_delivery;
mod m20261123_000500_signing_key_generations;
mod m20261123_000600_throttles;
mod m20261123_000700_oidc;
mod m20261123_000800_web_sessions;
mod m20261123_000810_web_session_amr;
mod m20261123_000900_intake_sessions;
mod m20261206_001100_age_bands;
mod m20261206_001110_representative_consent;
mod m20261206_001120_held_registrations;
mod m20261207_001200_cache_versions;
mod m20261207_001300_smart_launches;
mod m20261207_001400_client_assertions;
mod m20261207_001500_idempotency_keys;
mod m20261207_002100_issue_21_webhooks;
mod m20261207_issue_20_aud_practice_fhir_base_urls;
mod m20261207_issue_22_phone_000001_account_mobile;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_core::Migration),
            Box::new(m20261123_000400_invitation_delivery::Migration),
            Box::new(m20261123_000500_signing_key_generations::Migration),
            Box::new(m20261123_000600_throttles::Migration),
            Box::new(m20261123_000700_oidc::Migration),
            Box::new(m20261123_000800_web_sessions::Migration),
            Box::new(m20261123_000810_web_session_amr::Migration),
            Box::new(m20261123_000900_intake_sessions::Migration),
            Box::new(m20261206_001100_age_bands::Migration),
            Box::new(m20261206_001120_held_registrations::Migration),
            Box::new(m20261206_001110_representative_consent::Migration),
            Box::new(m20261207_001200_cache_versions::Migration),
            Box::new(m20261207_001300_smart_launches::Migration),
            Box::new(m20261207_001400_client_assertions::Migration),
            Box::new(m20261207_001500_idempotency_keys::Migration),
            Box::new(m20261207_issue_20_aud_practice_fhir_base_urls::Migration),
            Box::new(m20261207_issue_22_phone_000001_account_mobile::Migration),
            Box::new(m20261207_002100_issue_21_webhooks::Migration),
        ]
    }
}
