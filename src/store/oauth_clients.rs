//! OAuth clients (relying parties and SMART apps) registered by a practice.
