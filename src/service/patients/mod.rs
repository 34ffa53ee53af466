//! Patient records at a practice: create, read, change and search; available practitioners
//! (seed 001); demographic change requests and their review (seed 004); and the caution seed
//! 003 asks for when staff change the email of a patient with portal access.

pub mod demographic_changes;
pub mod email_change;
pub mod practitioners;
pub mod records;
