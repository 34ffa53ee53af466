//! Getting in: the password step, the practice choice (a blocked practice answers with its
//! name and phone number, seed 000), two-step verification, login throttling, the page variant
//! of the same steps, and getting back in (password reset and change, username reminders).

pub mod choice;
pub mod contact;
pub mod continuation;
pub mod flow;
pub mod mfa;
mod mfa_codes;
pub mod page;
pub mod passwords;
pub mod refresh;
pub mod reset_requests;
pub mod steps;
pub mod tokens;
pub mod username_reminders;
