//! Whether a session can go on at a practice: the refusal a patient sees when the practice is
//! not active (seed 000: "your access to <practice> is blocked, please contact the practice",
//! with its phone number).

use crate::domain::login::PracticeStanding;
use crate::error::Error;
use crate::store::access_rows::AtPractice;

/// The refusal for a practice that is not active: its name and phone for the patient.
pub fn refusal(at: &AtPractice, standing: Option<PracticeStanding>) -> Error {
    match standing {
        Some(PracticeStanding::Blocked) => Error::AccessBlocked {
            practice: at.name.clone(),
            slug: at.slug.clone(),
            phone: at.phone.clone(),
        },
        Some(PracticeStanding::Revoked) => Error::AccessRevoked {
            practice: at.name.clone(),
            slug: at.slug.clone(),
            phone: at.phone.clone(),
        },
        Some(PracticeStanding::ConsentPending) => Error::ConsentPending {
            practice: at.name.clone(),
            slug: at.slug.clone(),
            phone: at.phone.clone(),
        },
        Some(PracticeStanding::ConsentExpired) => Error::ConsentExpired {
            practice: at.name.clone(),
            slug: at.slug.clone(),
            phone: at.phone.clone(),
        },
        Some(PracticeStanding::EmailUnconfirmed) => Error::EmailUnconfirmed {
            practice: at.name.clone(),
            slug: at.slug.clone(),
            phone: at.phone.clone(),
        },
        Some(PracticeStanding::Active) | None => Error::NoAccess,
    }
}
