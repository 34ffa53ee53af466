//! Practitioners of a practice.
