//! Request bodies of the busiest operations: any bytes give a value or an `Error` (400 or 422
//! with a field), never a panic; what parses goes through the same domain checks as a request.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use portico::api::json::parse;
use portico::api::patient::login::LoginRequest;
use portico::api::practice::invitations::NewInvitationBody;
use portico::api::practice::patients::NewPatientBody;
use portico::api::practice::settings::SettingsPatch;
use portico::api::registrations::RegistrationBody;
use portico::service::practices::SettingsChange;

fuzz_target!(|data: &[u8]| {
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let _ = parse::<LoginRequest>(data);
    let _ = parse::<NewInvitationBody>(data);
    let _ = parse::<RegistrationBody>(data);
    if let Ok(p) = parse::<NewPatientBody>(data) {
        let _ = p.parse(today);
    }
    if let Ok(p) = parse::<SettingsPatch>(data) {
        let _ = SettingsChange::try_from(p);
    }
});
