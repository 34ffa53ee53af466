//! The practice API (`/api/v1/practice/…`), for a practice's own systems, authenticated by
//! staff API keys.

mod access;
mod api_keys;
mod audit;
mod patients;
mod settings;

pub use access::{AccessApi, AccessView};
pub use api_keys::ApiKeysApi;
pub use audit::AuditApi;
pub use patients::PatientsApi;
pub use settings::SettingsApi;
