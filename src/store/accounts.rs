//! Accounts: usernames, password hashes, contact addresses, two-step secrets and their TOTP steps.
