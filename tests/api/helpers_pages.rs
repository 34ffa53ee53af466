//! A browser-like client for the patient pages: it keeps cookies, reads the CSRF token from
//! each form, and submits forms as `application/x-www-form-urlencoded`.

use crate::helpers::TestApp;
use reqwest::header::HeaderMap;

/// A page as the browser received it.
#[derive(Debug)]
pub struct Html {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Html {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The text of the page's `<h1>`.
    pub fn h1(&self) -> String {
        let start = self.body.find("<h1>").expect("the page has an h1") + 4;
        let end = self.body[start..].find("</h1>").unwrap() + start;
        self.body[start..end].trim().to_owned()
    }

    /// The value of the form's `csrf_token` field.
    pub fn csrf_token(&self) -> String {
        self.input_value("csrf_token")
            .expect("the page has a form with a CSRF token")
    }

    /// The `value` attribute of the input named `name`, if the page has one.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let at = self.body.find(&format!("name=\"{name}\""))?;
        let tag_start = self.body[..at].rfind('<')?;
        let tag_end = at + self.body[at..].find('>')?;
        let tag = &self.body[tag_start..tag_end];
        let v = tag.find("value=\"")? + 7;
        Some(tag[v..v + tag[v..].find('"')?].to_owned())
    }

    pub fn contains(&self, text: &str) -> bool {
        self.body.contains(text)
    }

    /// Where a redirect points.
    pub fn location(&self) -> &str {
        self.header("location")
    }

    /// The value of the cookie `name` this response sets, if it sets one.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().into_iter().find_map(|c| {
            let first = c.split(';').next()?.trim().to_owned();
            first.strip_prefix(&format!("{name}=")).map(str::to_owned)
        })
    }

    /// How many times `text` appears on the page.
    pub fn count(&self, text: &str) -> usize {
        self.body.matches(text).count()
    }
}

/// A browser with its own cookie jar.
pub struct Browser<'a> {
    app: &'a TestApp,
    pub client: reqwest::Client,
}

impl TestApp {
    /// A fresh browser (no cookies yet).
    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }
}

async fn read(resp: reqwest::Response) -> Html {
    Html {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.text().await.unwrap(),
    }
}

impl Browser<'_> {
    /// Opens a page (a path, or a full link from a message).
    pub async fn open(&self, path_or_url: &str) -> Html {
        let url = if path_or_url.starts_with("http") {
            path_or_url.replace(self.app.state.settings.issuer(), &self.app.base)
        } else {
            self.app.url(path_or_url)
        };
        read(
            self.client
                .get(url)
                .header("accept", "text/html,application/xhtml+xml")
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Submits a form to `path` with these fields (add `csrf_token` yourself).
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Html {
        read(
            self.client
                .post(self.app.url(path))
                .header("accept", "text/html")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form_body(fields))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Opens the form at `path`, then submits it with its CSRF token and these fields.
    pub async fn fill_and_submit(&self, path: &str, fields: &[(&str, &str)]) -> Html {
        let form = self.open(path).await;
        assert_eq!(form.status, 200, "{}", form.body);
        let token = form.csrf_token();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.submit(path, &all).await
    }
}

impl Browser<'_> {
    /// Posts to `action` with the CSRF token of `page` (already open) and these fields.
    pub async fn submit_on(&self, page: &Html, action: &str, fields: &[(&str, &str)]) -> Html {
        let token = page.csrf_token();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.submit(action, &all).await
    }

    /// Logs in on `/login` (with `query`, like `?practice=a-clinic`).
    pub async fn log_in(&self, query: &str, username: &str, password: &str) -> Html {
        let form = self.open(&format!("/login{query}")).await;
        assert_eq!(form.status, 200, "{}", form.body);
        let mut fields = vec![("username", username), ("password", password)];
        let next = form.input_value("continue").map(|v| unescape(&v));
        let practice = form.input_value("practice").map(|v| unescape(&v));
        if let Some(n) = next.as_deref() {
            fields.push(("continue", n));
        }
        if let Some(p) = practice.as_deref() {
            fields.push(("practice", p));
        }
        self.submit_on(&form, "/login", &fields).await
    }
}

/// A date of birth as the three boxes of a form.
pub fn date_fields(prefix: &str, iso: &str) -> Vec<(String, String)> {
    let mut parts = iso.split('-');
    let (y, m, d) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    vec![
        (
            format!("{prefix}_day"),
            d.trim_start_matches('0').to_owned(),
        ),
        (
            format!("{prefix}_month"),
            m.trim_start_matches('0').to_owned(),
        ),
        (format!("{prefix}_year"), y.to_owned()),
    ]
}

/// The page headers every HTML response must carry.
pub fn assert_page_headers(page: &Html) {
    assert!(
        page.header("content-type").starts_with("text/html"),
        "{}",
        page.header("content-type")
    );
    assert_eq!(
        page.header("content-security-policy"),
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    assert_eq!(page.header("cache-control"), "no-store");
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    assert_eq!(page.header("x-frame-options"), "DENY");
}

/// A form body, urlencoded.
pub fn form_body(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).unwrap()
}

/// An attribute value as the browser reads it (minijinja escapes `/`, `&`, quotes, `<`, `>`).
pub fn unescape(v: &str) -> String {
    v.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
