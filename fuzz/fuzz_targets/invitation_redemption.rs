//! The invitation link's token and the redemption body: shape check, JSON parsing with field
//! paths, and the domain checks, on any input; failures are errors with a field, never panics.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use portico::api::invitations::RedeemBody;
use portico::api::json::parse;
use portico::auth::secrets::{hash_token, looks_like_token};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if looks_like_token(s) {
            assert_eq!(hash_token(s).len(), 64);
        }
    }
    if let Ok(body) = parse::<RedeemBody>(data) {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let _ = body.parse(today);
    }
});
