//! Persistence: SeaORM entities and the queries services share.

pub mod access_rows;
pub mod account_tokens;
pub mod audit;
pub mod cache;
pub mod entities;
pub mod grant;
pub mod oauth_codes;
pub mod outbox;
pub mod pagination;
pub mod sealed_values;
pub mod sessions;
pub mod throttles;

pub use entities::*;
