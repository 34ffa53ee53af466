//! Practice API keys (stored as hashes) and their roles.
