//! Sign-ups held for a practice's decision.
