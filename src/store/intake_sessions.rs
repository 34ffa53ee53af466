//! Tablet intake sessions and their codes.
