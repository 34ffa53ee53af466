//! The patient API (`/api/v1/…`), for Portico's own pages and the practice's first-party
//! portal app: logging in, tokens, and the signed-in account.

pub mod demographic_changes;
pub mod login;
pub mod me;
pub mod mfa;
pub mod representatives;

pub use demographic_changes::MyDemographicChangesApi;
pub use login::{LoginApi, TokenResponse};
pub use me::MeApi;
pub use mfa::MfaApi;
pub use representatives::MyRepresentativesApi;
