//! Representatives (seed 004: a minor, a spouse, someone the account holder cares for): the age
//! bands and their overrides, the adult patient's consent and its lapse, teen consent codes,
//! ageing out at majority with its notices, and the patient's own say over who represents them.

pub mod ageing_out;
pub mod band_notices;
pub mod bands;
pub mod consent_lapse;
pub mod consent_periods;
pub mod consent_requests;
pub mod my_representatives;
pub mod overrides;
pub mod teen_consent;
pub mod time_limits;
