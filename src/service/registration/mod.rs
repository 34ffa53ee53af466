//! How a person gets an account and an access: redeeming an invitation as the patient or a
//! representative (seed 004), self sign-up with its confirmation and held matches (seed 003),
//! accounts the front desk creates (seed 001) and tablet intake sessions (seed 001).

pub mod confirmation;
pub mod confirmation_resend;
pub mod held;
pub mod intake;
pub mod link_checks;
pub mod redemption;
pub mod sign_up;
pub mod staff_created;
