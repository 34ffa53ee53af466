//! Patient-facing web pages: server-rendered HTML from the templates in `web/templates/`, one
//! stylesheet, no JavaScript. Handlers here are thin like the API's: they parse the form,
//! call the same service function as the JSON API, and pick a template. They are not part of
//! the OpenAPI document.

pub mod account;
pub mod account_email;
pub mod account_mfa;
pub mod account_password;
pub mod assets;
pub mod cookies;
pub mod csrf;
pub mod errors;
pub mod forgot_username;
pub mod form;
pub mod guards;
pub mod invite;
pub mod login;
pub mod login_carry;
pub mod login_mfa;
pub mod login_steps;
pub mod messages;
pub mod page;
pub mod register;
pub mod representative_consent;
pub mod reset;
pub mod routes;
pub mod session;
pub mod templates;
pub mod verify_email;

pub use routes::{PagePaths, mount};
