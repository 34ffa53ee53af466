//! Portico as an OpenID Connect provider and SMART authorization server: authorization
//! requests, the token endpoint (code exchange, refresh, ID tokens), userinfo, introspection and
//! revocation, RP-initiated logout, the practice's clients and EHR launch contexts.

pub mod authorize;
pub mod clients;
pub mod launches;
pub mod logout;
pub mod resources;
pub mod tokens;
