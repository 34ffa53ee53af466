//! Demographic changes a patient asks for and the practice decides.
