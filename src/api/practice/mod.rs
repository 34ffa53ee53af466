//! The practice API (`/api/v1/practice/…`), for a practice's own systems, authenticated by
//! staff API keys.

pub mod access;
pub mod access_reports;
pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod clients;
pub mod consent_requests;
pub mod demographic_changes;
pub mod events;
pub mod held_registrations;
pub mod invitations;
pub mod launches;
pub mod patients;
pub mod practitioners;
pub mod quick_add;
pub mod registrations;
pub mod settings;
pub mod webhooks;

pub use access::{AccessApi, AccessView};
pub use access_reports::AccessReportsApi;
pub use accounts::PatientAccountsApi;
pub use api_keys::ApiKeysApi;
pub use audit::AuditApi;
pub use clients::ClientsApi;
pub use consent_requests::ConsentRequestsApi;
pub use demographic_changes::{DemographicChangeView, DemographicChangesApi, DemographicFields};
pub use events::EventsApi;
pub use held_registrations::HeldRegistrationsApi;
pub use invitations::InvitationsApi;
pub use launches::LaunchesApi;
pub use patients::PatientsApi;
pub use practitioners::PractitionersApi;
pub use quick_add::QuickAddApi;
pub use registrations::RegistrationReviewApi;
pub use settings::SettingsApi;
pub use webhooks::WebhooksApi;
