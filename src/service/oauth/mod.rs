//! Portico as an OpenID Connect provider and SMART authorization server: authorization
//! requests, the token endpoint (code exchange, refresh, ID tokens), userinfo, introspection and
//! revocation, RP-initiated logout, the practice's clients and EHR launch contexts.

pub mod authorize;
pub mod client_assertions;
pub mod client_credentials;
pub mod client_rules;
pub mod clients;
pub mod errors;
pub mod id_tokens;
pub mod launches;
pub mod logout;
pub mod resources;
pub mod tokens;
