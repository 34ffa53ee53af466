//! The `portico_session` cookie and the extractor that finds the live web session behind it.
//! Sessions themselves (start, end, revoke) are `service::web_sessions`.

use crate::api::context::state_of;
use crate::service::web_sessions;
use crate::store::web_session;
use crate::web::cookies;
use poem::{FromRequest, Request, RequestBody};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "portico_session";

/// The `Set-Cookie` value that gives the browser a session (after login).
pub fn session_cookie(settings: &crate::config::Settings, token: &str) -> String {
    cookies::set(SESSION_COOKIE, token, cookies::secure(settings))
}

/// The `Set-Cookie` value that removes the session cookie (logout, revoked session).
pub fn clear_session_cookie(settings: &crate::config::Settings) -> String {
    cookies::clear(SESSION_COOKIE, cookies::secure(settings))
}

/// A live session and the token from its cookie.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: web_session::Model,
    pub token: String,
}

/// The request's live web session, if it has one: `CurrentSession(None)` when there is no
/// cookie, or its session is unknown, revoked or timed out.
#[derive(Debug, Clone)]
pub struct CurrentSession(pub Option<LiveSession>);

impl<'a> FromRequest<'a> for CurrentSession {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let Some(token) = cookies::read(req, SESSION_COOKIE) else {
            return Ok(Self(None));
        };
        let state = state_of(req)?;
        let found = web_sessions::find_live(&state.db, &token, state.now()).await?;
        Ok(Self(found.map(|session| LiveSession { session, token })))
    }
}
