//! Helpers for the OpenID Connect tests: a stock relying party (the `openidconnect` crate)
//! whose HTTP goes through reqwest to the test server, clients registered over the API, and a
//! browser session for the authorize step.

use crate::helpers::TestApp;
use crate::helpers_login::{SeededAccount, patient};
use openidconnect::core::CoreClient;
use openidconnect::{
    ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpRequest,
    HttpResponse, IntrospectionUrl, IssuerUrl, RedirectUrl, RevocationUrl,
};
use portico::service::sessions::browser;
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

pub const REDIRECT_URI: &str = "https://portal.smith.example/callback";
pub const LOGOUT_URI: &str = "https://portal.smith.example/bye";

/// The client type after discovery, with introspection and revocation endpoints set.
pub type Rp = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointSet,
    EndpointSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

type HttpFuture = Pin<Box<dyn Future<Output = Result<HttpResponse, std::io::Error>> + Send>>;

/// The relying party's HTTP client: reqwest without redirects. The issuer is the configured
/// public URL, not the test server's random port, so requests to it are sent to the server.
pub fn rp_http(app: &TestApp) -> impl Fn(HttpRequest) -> HttpFuture + use<> {
    let client = app.client.clone();
    let issuer = app.issuer();
    let base = app.base.clone();
    move |req: HttpRequest| {
        let client = client.clone();
        let issuer = issuer.clone();
        let base = base.clone();
        Box::pin(async move {
            let io = |e: &dyn std::fmt::Display| std::io::Error::other(e.to_string());
            let url = req.uri().to_string();
            let url = match url.strip_prefix(&issuer) {
                Some(rest) => format!("{base}{rest}"),
                None => url,
            };
            let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
                .map_err(|e| io(&e))?;
            let mut r = client.request(method, url);
            for (k, v) in req.headers() {
                r = r.header(k.as_str(), v.as_bytes());
            }
            let resp = r
                .body(req.body().clone())
                .send()
                .await
                .map_err(|e| io(&e))?;
            let mut b = openidconnect::http::Response::builder().status(resp.status().as_u16());
            for (k, v) in resp.headers() {
                b = b.header(k.as_str(), v.as_bytes());
            }
            let body = resp.bytes().await.map_err(|e| io(&e))?.to_vec();
            b.body(body).map_err(|e| io(&e))
        }) as HttpFuture
    }
}

/// A practice, a patient with portal access there, and a confidential client.
pub struct OidcWorld {
    pub admin: String,
    pub practice_id: Uuid,
    pub ann: SeededAccount,
    pub client_id: String,
    pub client_secret: Option<String>,
}

/// The public URL of the OIDC tests: https, as relying-party libraries insist on for some
/// endpoints (revocation). Requests to it go to the test server (see [`rp_http`]).
pub const ISSUER: &str = "https://portal.test";

impl TestApp {
    /// A server whose issuer is [`ISSUER`].
    pub async fn spawn_oidc() -> Self {
        Self::spawn_with(|s| s.public_url = ISSUER.to_owned()).await
    }

    /// Registers a client for the practice of `admin` with `body` overriding the defaults.
    pub async fn register_client(&self, admin: &str, overrides: Value) -> Value {
        let mut body = json!({
            "name": "Smith portal",
            "redirect_uris": [REDIRECT_URI],
            "scopes": ["openid", "profile", "email", "offline_access"],
            "post_logout_redirect_uris": [LOGOUT_URI],
        });
        for (k, v) in overrides.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = self.post("/api/v1/practice/clients", admin, body).await;
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    }

    /// Smith Family Clinic, Ann with portal access there, and a confidential client.
    pub async fn oidc_world(&self, client: Value) -> OidcWorld {
        let (practice_id, admin) = self
            .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
            .await;
        let ann = self
            .seed_portal_account(
                &admin,
                patient("Ann", "Smith", "ann@example.com"),
                "ann",
                crate::helpers_login::PASSWORD,
                "self",
            )
            .await;
        let created = self.register_client(&admin, client).await;
        OidcWorld {
            admin,
            practice_id,
            ann,
            client_id: created["client_id"].as_str().unwrap().to_owned(),
            client_secret: created["client_secret"].as_str().map(str::to_owned),
        }
    }

    /// Discovery with the stock relying party, then its client for our registration.
    pub async fn relying_party(&self, client_id: &str, secret: Option<&str>) -> Rp {
        let http = rp_http(self);
        let metadata = openidconnect::core::CoreProviderMetadata::discover_async(
            IssuerUrl::new(self.issuer()).unwrap(),
            &http,
        )
        .await
        .expect("discovery");
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(client_id.to_owned()),
            secret.map(|s| ClientSecret::new(s.to_owned())),
        )
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).unwrap())
        .set_introspection_url(
            IntrospectionUrl::new(format!("{}/oauth2/introspect", self.issuer())).unwrap(),
        )
        .set_revocation_url(RevocationUrl::new(format!("{}/oauth2/revoke", self.issuer())).unwrap())
    }

    /// A browser session at the practice, as the login page starts one; the cookie to send.
    pub async fn web_session_cookie(&self, account_id: Uuid, practice_id: Uuid) -> String {
        let started = browser::start(
            &self.state.db,
            account_id,
            Some(practice_id),
            browser::Limits::of(&self.state.settings),
            self.clock_now(),
        )
        .await
        .unwrap();
        format!("{}={}", self.cookie_name("portico_session"), started.token)
    }

    /// A cookie's name as the server sends it: `__Host-` first under an https issuer.
    pub fn cookie_name(&self, base: &str) -> String {
        portico::web::cookies::name(&self.state.settings, base)
    }

    /// GET a URL on the server (an absolute one under the issuer, or a path), with a cookie.
    pub async fn browse(&self, url: &str, cookie: Option<&str>) -> reqwest::Response {
        let url = match url.strip_prefix(&self.issuer()) {
            Some(rest) => self.url(rest),
            None if url.starts_with('/') => self.url(url),
            None => url.to_owned(),
        };
        let mut r = self.client.get(url);
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.send().await.unwrap()
    }
}

/// The `Location` of a redirect.
pub fn location(resp: &reqwest::Response) -> String {
    assert!(
        resp.status().is_redirection(),
        "expected a redirect, got {}",
        resp.status()
    );
    resp.headers()["location"].to_str().unwrap().to_owned()
}

/// A query parameter of a URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap()
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    // 65 unreserved characters (RFC 7636 allows 43 to 128).
    let verifier = format!("{}-{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let challenge = portico::domain::oauth::s256_challenge(&verifier);
    (verifier, challenge)
}

/// `/oauth2/authorize?…` for a client, with PKCE S256 and the given extra parameters.
pub fn authorize_path(client_id: &str, challenge: &str, extra: &[(&str, &str)]) -> String {
    let mut params: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid profile email offline_access"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        params.retain(|(name, _)| name != k);
        if !v.is_empty() {
            params.push((k, v));
        }
    }
    format!(
        "/oauth2/authorize?{}",
        serde_urlencoded::to_string(&params).unwrap()
    )
}

impl TestApp {
    /// Authorizes as the signed-in person (`cookie`) and returns the code and its verifier.
    pub async fn code_for(&self, client_id: &str, cookie: &str) -> (String, String) {
        let (verifier, challenge) = pkce();
        let back = location(
            &self
                .browse(&authorize_path(client_id, &challenge, &[]), Some(cookie))
                .await,
        );
        assert!(back.starts_with(REDIRECT_URI), "{back}");
        (query_param(&back, "code").unwrap(), verifier)
    }

    /// `POST /oauth2/{endpoint}` with a form, optionally with Basic client credentials.
    pub async fn oauth_post(
        &self,
        endpoint: &str,
        basic: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut r = self
            .client
            .post(self.url(&format!("/oauth2/{endpoint}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap());
        if let Some((id, secret)) = basic {
            r = r.basic_auth(id, Some(secret));
        }
        r.send().await.unwrap()
    }

    /// Exchanges a code with client_secret_basic.
    pub async fn exchange(
        &self,
        world: &OidcWorld,
        code: &str,
        verifier: &str,
    ) -> reqwest::Response {
        self.oauth_post(
            "token",
            Some((&world.client_id, world.client_secret.as_deref().unwrap())),
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier),
            ],
        )
        .await
    }

    /// Introspects a token as a client.
    pub async fn introspect_as(&self, client_id: &str, secret: &str, token: &str) -> Value {
        let r = self
            .oauth_post("introspect", Some((client_id, secret)), &[("token", token)])
            .await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

/// Asserts an RFC 6749 error response.
pub async fn assert_oauth_error(resp: reqwest::Response, status: u16, error: &str) {
    let got = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
}

/// The `name=value` of a cookie a response sets.
pub fn set_cookie(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

impl TestApp {
    /// Logs in on the real `/login` page that `/oauth2/authorize` sent the browser to
    /// (`login_path`), as a browser would: the form, its CSRF cookie, the submit. Returns where
    /// the page sends the browser next and the session cookie it set. (Cookies are handled by
    /// hand: they are `Secure` under the https issuer, and the test server speaks http.)
    pub async fn log_in_on_page(
        &self,
        login_path: &str,
        username: &str,
        password: &str,
    ) -> (String, String) {
        let resp = self.submit_login_page(login_path, username, password).await;
        let session =
            set_cookie(&resp, &self.cookie_name("portico_session")).expect("a session cookie");
        let to = location(&resp);
        // A login for an app ends on the continue page (the form's chain must not leave
        // Portico), which goes on by a plain navigation: follow it as a browser would.
        let next = match to.strip_prefix("/login/continue?") {
            Some(_) => self.continue_page_target(&to, &session).await,
            None => to,
        };
        (next, session)
    }

    /// Sends the login form at `login_path` (its CSRF cookie and token, `continue` and
    /// `practice` as the page carries them) and returns the answer to the submit.
    pub async fn submit_login_page(
        &self,
        login_path: &str,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let form = self.browse(login_path, None).await;
        assert_eq!(form.status(), 200);
        let csrf_cookie =
            set_cookie(&form, &self.cookie_name("portico_csrf")).expect("a CSRF cookie");
        let html = form.text().await.unwrap();
        let field = |name: &str| {
            let marker = format!("name=\"{name}\" value=\"");
            let start = html.find(&marker).map(|i| i + marker.len())?;
            let end = html[start..].find('"')? + start;
            Some(
                html[start..end]
                    .replace("&amp;", "&")
                    .replace("&#x2f;", "/"),
            )
        };
        let csrf = field("csrf_token").expect("a CSRF field");
        let next = field("continue").expect("the continue field");
        let practice = field("practice").unwrap_or_default();
        let body = serde_urlencoded::to_string([
            ("csrf_token", csrf.as_str()),
            ("continue", next.as_str()),
            ("practice", practice.as_str()),
            ("username", username),
            ("password", password),
        ])
        .unwrap();
        self.client
            .post(self.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &csrf_cookie)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Opens the continue page at `path` and returns where it sends the browser, after
    /// checking that it is a page (no `Location`) that goes on by a refresh and a link.
    pub async fn continue_page_target(&self, path: &str, cookie: &str) -> String {
        let page = self.browse(path, Some(cookie)).await;
        assert_eq!(page.status(), 200);
        assert!(page.headers().get("location").is_none());
        let csp = page.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("form-action 'self'"), "{csp}");
        let html = page.text().await.unwrap();
        let unescape = |s: &str| s.replace("&amp;", "&").replace("&#x2f;", "/");
        let marker = "<meta http-equiv=\"refresh\" content=\"0; url=";
        let start = html.find(marker).expect("a refresh") + marker.len();
        let end = html[start..].find('"').unwrap() + start;
        let refresh = unescape(&html[start..end]);
        assert!(
            unescape(&html).contains(&format!("href=\"{refresh}\"")),
            "a link to the same place for a browser that does not refresh: {html}"
        );
        refresh
    }
}
