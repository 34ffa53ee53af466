//! What a login is made of, step by step: what the person typed, the practices to choose
//! from, where a login stands between steps (`Step`), how the JSON API answers it, and the
//! single-use tokens that carry a login from one step to the next.

use crate::domain::login::PracticeStanding;
use crate::error::Error;
use crate::service::login::tokens::IssuedTokens;
use crate::store::access_rows::AtPractice;
use crate::store::account;
use chrono::TimeDelta;

/// `account_tokens.purpose` of the token that continues a login after a password change.
pub const PASSWORD_CHANGE_PURPOSE: &str = "password_change";
/// How long a person has to choose a new password before logging in again.
pub const PASSWORD_CHANGE_TTL: TimeDelta = TimeDelta::minutes(10);
pub use crate::domain::login::AMR_PASSWORD;
/// `account_tokens.purpose` of the token that carries a login to its two-step code.
pub const MFA_PURPOSE: &str = "mfa";
/// How long the person has to type the code (SECURITY C5: at most 5 minutes).
pub const MFA_TTL: TimeDelta = TimeDelta::minutes(5);
/// `account_tokens.purpose` of the token that allows only setting up two-step verification.
pub const MFA_ENROLMENT_PURPOSE: &str = "mfa_enrolment";
/// How long the person has to set up an authenticator app.
pub const MFA_ENROLMENT_TTL: TimeDelta = TimeDelta::minutes(15);

/// What the person typed.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    /// A practice slug; optional when the account has one active practice.
    pub practice: Option<String>,
}

/// A practice to choose from, with where the account stands there.
#[derive(Debug, Clone)]
pub struct PracticeOption {
    pub slug: String,
    pub name: String,
    /// The practice's phone, for the message next to a blocked or revoked practice.
    pub phone: String,
    pub standing: PracticeStanding,
}

impl PracticeOption {
    pub(super) fn of(p: &AtPractice, standing: PracticeStanding) -> Self {
        Self {
            slug: p.slug.clone(),
            name: p.name.clone(),
            phone: p.phone.clone(),
            standing,
        }
    }
}

/// How a login (or a step of one) ended.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// Logged in.
    Tokens(IssuedTokens),
    /// Several practices: log in again naming one.
    PracticeRequired(Vec<PracticeOption>),
    /// A staff-created account: choose a password with this token first.
    PasswordChangeRequired { token: String, expires_in: i64 },
    /// Two-step verification is on: send a code with this token.
    MfaRequired { token: String, expires_in: i64 },
    /// The practice requires two-step verification: set it up with this token first.
    MfaEnrolmentRequired { token: String, expires_in: i64 },
}

/// Where a login stands after the steps every channel shares (password, practice, what
/// remains): the API turns it into a [`LoginOutcome`], the pages into a web session or a page.
/// A new step between the password and the session (MFA) is a new variant here.
#[derive(Debug)]
pub enum Step {
    /// Every step done: log the account in at this practice, having authenticated with
    /// `amr` (RFC 8176: `pwd`; the MFA step adds `otp`).
    Ready {
        account: account::Model,
        at: AtPractice,
        amr: &'static [&'static str],
    },
    /// Several practices and none requested.
    Choose {
        account: account::Model,
        options: Vec<PracticeOption>,
    },
    /// The requested practice refuses (`AccessBlocked` or `AccessRevoked` in `refusal`);
    /// `others` are the account's other practices, which may still work.
    Refused {
        account: account::Model,
        refusal: Error,
        others: Vec<PracticeOption>,
    },
    /// A staff-created account: choose a password with this token first (at `practice`, a
    /// slug, whose name and contact the page shows).
    PasswordChange {
        token: String,
        expires_in: i64,
        practice: String,
    },
    /// Two-step verification is on: a code with this token (`complete_mfa`).
    Mfa { token: String, expires_in: i64 },
    /// The practice requires two-step verification: enrol with this token first.
    MfaEnrolment { token: String, expires_in: i64 },
}

/// A step between a correct password and tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pending {
    PasswordChange,
    Mfa,
    MfaEnrolment,
}

/// The first step still to do for this account at this practice, if any.
pub(super) fn pending(account: &account::Model, at: &AtPractice) -> Option<Pending> {
    if account.must_change_password {
        return Some(Pending::PasswordChange);
    }
    if account.totp_enabled_at.is_some() {
        return Some(Pending::Mfa);
    }
    at.mfa_required.then_some(Pending::MfaEnrolment)
}
