//! Token signing keys: sealed private keys, rotation and retirement.
