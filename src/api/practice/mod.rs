//! The practice API (`/api/v1/practice/…`), for a practice's own systems, authenticated by
//! staff API keys.

mod access;
mod accounts;
mod api_keys;
mod audit;
mod clients;
mod demographic_changes;
mod invitations;
mod patients;
mod practitioners;
mod registrations;
mod settings;

pub use access::{AccessApi, AccessView};
pub use accounts::PatientAccountsApi;
pub use api_keys::ApiKeysApi;
pub use audit::AuditApi;
pub use clients::ClientsApi;
pub use demographic_changes::{DemographicChangeView, DemographicChangesApi, DemographicFields};
pub use invitations::InvitationsApi;
pub use patients::PatientsApi;
pub use practitioners::PractitionersApi;
pub use registrations::RegistrationReviewApi;
pub use settings::SettingsApi;
