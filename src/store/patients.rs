//! Patient records and their practitioner links.
