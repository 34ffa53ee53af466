//! Invitations: issue, resend, redeem (one guarded statement), expire.
