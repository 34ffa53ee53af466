//! Any string presented as a bearer token is refused without a panic, and only a token this
//! server signed could ever pass (the fuzzer cannot forge an EdDSA signature).
#![no_main]

use libfuzzer_sys::fuzz_target;
use portico::app::build_state;
use portico::auth::tokens::verify_access_token;
use portico::clock::{Clock, SystemClock};
use portico::config::{Secret, Settings};
use portico::state::AppState;
use std::sync::{Arc, LazyLock};

static STATE: LazyLock<(tokio::runtime::Runtime, AppState)> = LazyLock::new(|| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let settings = Settings {
        database_url: Secret::new("sqlite::memory:"),
        ..Settings::default()
    };
    let state = rt
        .block_on(build_state(settings, Arc::new(SystemClock)))
        .unwrap();
    (rt, state)
});

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let (rt, state) = &*STATE;
    let issuer = state.settings.issuer();
    let verdict = rt.block_on(verify_access_token(
        &state.keys,
        token,
        issuer,
        SystemClock.now(),
    ));
    assert!(
        verdict.is_err(),
        "an unsigned token was accepted: {token:?}"
    );
});
