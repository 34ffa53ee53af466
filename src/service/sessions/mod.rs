//! Staying signed in and being signed out, and the guards on every guess: refresh-token
//! sessions and how each one ends (`ending`: logout, reuse, block, revoke, password change,
//! consent lapse, coming of age), the browser sessions of Portico's own pages, who is calling
//! the patient API (re-checked live so that a block or revoke takes effect on the next request,
//! seeds 000 and 001), the refusal a blocked patient sees with the practice's phone number, and
//! the throttles that count passwords, two-step codes and consent and intake codes before they
//! are checked.

pub mod browser;
pub mod ending;
pub mod patient_auth;
pub mod standing;
pub mod throttle;
