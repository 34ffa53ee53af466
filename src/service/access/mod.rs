//! Portal access, the link between an account and a patient record at one practice: sending
//! and resending invitations (seeds 001, 003, 004), quick add (seed 004), reading who has access
//! and where each link stands, and block, unblock and revoke (seeds 000, 001, 003, 004).

pub mod changes;
pub mod invitations;
pub mod listing;
pub mod quick_add;
pub mod reports;
