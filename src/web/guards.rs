//! What a page handler can count on before it runs. A handler that takes [`CsrfForm`] only
//! ever sees a form whose CSRF token matches this browser; one that takes [`LoggedIn`] only
//! runs for a live page session. Everyone else gets their answer from here: the "form expired"
//! page (403), or the login page first, then back. Checks written in each handler get
//! forgotten in the next one; an argument's type cannot be.

use crate::web::csrf::{self, Csrf};
use crate::web::errors::form_expired;
use crate::web::form::FormData;
use crate::web::login_carry::login_url;
use crate::web::page::redirect;
use crate::web::session::{CurrentSession, LiveSession};
use poem::{FromRequest, IntoResponse, Request, RequestBody};
use std::marker::PhantomData;

/// Where a person who has to start again comes back to: the fresh form after "form expired",
/// the page to go on to after logging in.
pub trait ComeBack: Send + Sync + 'static {
    fn url(req: &Request, form: &FormData) -> String;
}

/// The page itself (the path of the request, without its query).
pub struct ThisPage;

impl ComeBack for ThisPage {
    fn url(req: &Request, _form: &FormData) -> String {
        req.uri().path().to_owned()
    }
}

/// The account page (for its buttons, whose own paths are not pages).
pub struct AccountPage;

impl ComeBack for AccountPage {
    fn url(_req: &Request, _form: &FormData) -> String {
        crate::web::login_carry::DEFAULT_CONTINUE.to_owned()
    }
}

/// A submitted form whose CSRF token matches this browser's binding, and that binding (for a
/// token on the page that answers it). Any other form stops here with the "form expired" page
/// and a way back to `B`.
pub struct CsrfForm<B: ComeBack = ThisPage> {
    pub form: FormData,
    pub csrf: Csrf,
    back: PhantomData<B>,
}

impl<'a, B: ComeBack> FromRequest<'a> for CsrfForm<B> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let csrf = Csrf::from_request(req, body).await?;
        let form = FormData::from_request(req, body).await?;
        if !csrf.verify(form.raw(csrf::FIELD)) {
            let page = form_expired(&B::url(req, &form));
            return Err(poem::Error::from_response(page.into_response()));
        }
        Ok(Self {
            form,
            csrf,
            back: PhantomData,
        })
    }
}

/// The request's live page session. Without one, the login page, which comes back to `B`.
pub struct LoggedIn<B: ComeBack = ThisPage> {
    pub live: LiveSession,
    back: PhantomData<B>,
}

impl<'a, B: ComeBack> FromRequest<'a> for LoggedIn<B> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        match CurrentSession::from_request(req, body).await?.0 {
            Some(live) => Ok(Self {
                live,
                back: PhantomData,
            }),
            None => {
                let login = login_url(&B::url(req, &FormData::default()), None);
                Err(poem::Error::from_response(redirect(&login, vec![])))
            }
        }
    }
}
