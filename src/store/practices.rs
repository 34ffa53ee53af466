//! Practices and their settings.
