//! The `portico_session` cookie and the extractor that finds the live web session behind it.
//! Sessions themselves (start, end, revoke) are `service::sessions::browser`.

use crate::api::context::state_of;
use crate::service::sessions::browser::{self, PageSession};
use crate::web::cookies;
use poem::{FromRequest, Request, RequestBody};

/// The session cookie's name (`__Host-portico_session` over https: [`session_cookie_name`]).
pub const SESSION_COOKIE: &str = "portico_session";

/// The session cookie's name as sent under these settings.
pub fn session_cookie_name(settings: &crate::config::Settings) -> String {
    cookies::name(settings, SESSION_COOKIE)
}

/// The `Set-Cookie` value that gives the browser a session (after login).
pub fn session_cookie(settings: &crate::config::Settings, token: &str) -> String {
    cookies::set(
        &session_cookie_name(settings),
        token,
        cookies::secure(settings),
    )
}

/// The `Set-Cookie` value that removes the session cookie (logout, revoked session).
pub fn clear_session_cookie(settings: &crate::config::Settings) -> String {
    cookies::clear(&session_cookie_name(settings), cookies::secure(settings))
}

/// A live session and the token from its cookie.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: PageSession,
    pub token: String,
}

/// The request's live web session, if it has one: `CurrentSession(None)` when there is no
/// cookie, or its session is unknown, revoked or timed out.
#[derive(Debug, Clone)]
pub struct CurrentSession(pub Option<LiveSession>);

impl<'a> FromRequest<'a> for CurrentSession {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let state = state_of(req)?;
        let Some(token) = cookies::read(req, &session_cookie_name(&state.settings)) else {
            return Ok(Self(None));
        };
        let limits = browser::Limits::of(&state.settings);
        let found = browser::find_live(&state.db, &token, limits, state.now()).await?;
        Ok(Self(found.map(|session| LiveSession { session, token })))
    }
}
