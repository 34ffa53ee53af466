//! The patient pages over HTTP: headers, cookies, CSRF, error pages, and the same rules as the
//! JSON API behind every form. (The browser suite in tests/browser drives them in Chromium.)

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::{PASSWORD, ann, fast};
use crate::helpers_pages::{assert_page_headers, date_fields, form_body};
use chrono::TimeDelta;
use portico::service::sessions::browser;
use serde_json::json;

/// A practice with Ann invited by email; returns the admin key, Ann's id and the link path.
async fn ann_invited(app: &TestApp) -> (String, String, String) {
    let (_, key) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let patient = app.create_patient(&key, ann()).await;
    let id = patient["id"].as_str().unwrap().to_owned();
    app.invite_self(&key, &id, "email").await;
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    let path = link.replace(app.state.settings.issuer(), "");
    (key, id, path)
}

fn redeem_fields<'a>(dob: &'a [(String, String)], password: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("account", "new"),
        ("username", "ann.lee"),
        ("password", password),
        ("password_confirm", password),
    ];
    f.extend(dob.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    f
}

#[tokio::test]
async fn invitation_page_shows_the_practice_with_strict_headers_and_a_csrf_cookie() {
    let app = TestApp::spawn_with(fast).await;
    let (_, _, path) = ann_invited(&app).await;
    let page = app.browser().open(&path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_page_headers(&page);
    assert_eq!(page.h1(), "Set up your patient portal");
    assert!(page.contains("Smith Family Clinic") && page.contains("tel:5550100"));
    assert!(
        page.contains("26 November 2026 at 09:00 UTC"),
        "expiry shown"
    );
    let cookies = page.set_cookies();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let c = &cookies[0];
    assert!(c.starts_with("portico_csrf="), "{c}");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(c.contains(flag), "{flag} in {c}");
    }
    assert!(
        !c.contains("Secure"),
        "no Secure flag on a plain-http deployment: {c}"
    );
    let secret = c["portico_csrf=".len()..].split(';').next().unwrap();
    assert!(
        !page.contains(secret),
        "the page carries a token derived from the cookie, never the cookie itself"
    );
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_url_is_https() {
    let app = TestApp::spawn_with(|s| s.public_url = "https://portal.example".into()).await;
    app.create_practice("open", "Open Clinic", "555-0100").await;
    let (_, key) = app
        .create_practice("signup", "Signup Clinic", "555-0101")
        .await;
    app.set_settings(&key, json!({"self_registration": "auto_activate"}))
        .await;
    let page = app.browser().open("/register/signup").await;
    let cookie = page.set_cookies().pop().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let session = portico::web::session::session_cookie(&app.state.settings, "t");
    for flag in [
        "portico_session=t",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Secure",
    ] {
        assert!(session.contains(flag), "{flag} in {session}");
    }
}

#[tokio::test]
async fn a_form_without_its_csrf_token_gets_a_friendly_403_and_changes_nothing() {
    let app = TestApp::spawn_with(fast).await;
    let (key, id, path) = ann_invited(&app).await;
    let dob = date_fields("date_of_birth", "1990-04-01");
    let browser = app.browser();
    browser.open(&path).await;

    // No token, a made-up token, and a token from another browser's form.
    let other = app.browser().open(&path).await.csrf_token();
    for token in [None, Some("forged"), Some(other.as_str())] {
        let mut fields = redeem_fields(&dob, PASSWORD);
        if let Some(t) = token {
            fields.push(("csrf_token", t));
        }
        let page = browser.submit(&path, &fields).await;
        assert_eq!(page.status, 403, "{token:?}");
        assert_page_headers(&page);
        assert_eq!(page.h1(), "Your form expired, please try again");
        assert!(page.contains(&format!("href=\"{}\"", path.replace('/', "&#x2f;"))));
        assert!(!page.contains("csrf"), "no raw words on the page");
    }
    // A browser that has no cookie at all.
    let fresh = app.browser();
    let page = fresh
        .submit(&path, &[("csrf_token", other.as_str()), ("account", "new")])
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(app.account_count().await, 0);
    assert_eq!(app.access_of(&key, &id).await[0]["status"], "invited");
}

#[tokio::test]
async fn every_form_on_the_pages_refuses_a_forged_token_before_anything_else() {
    let app = TestApp::spawn_with(fast).await;
    app.create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    // The routes as mounted: a page added tomorrow is checked too.
    let (_, pages) = portico::web::mount(poem::Route::new());
    let forms: Vec<String> = pages
        .iter()
        .filter(|m| m.methods.contains(&"POST"))
        .map(|m| {
            let segments = m.template.split('/');
            let path: Vec<&str> = segments
                .map(|s| if s.starts_with('{') { "x" } else { s })
                .collect();
            path.join("/")
        })
        .collect();
    assert!(forms.len() >= 18, "{forms:?}");
    let browser = app.browser();
    browser.open("/login").await;
    for path in forms
        .iter()
        .map(|f| f.replace("/register/x", "/register/smith-family-clinic"))
    {
        let page = browser.submit(&path, &[("csrf_token", "forged")]).await;
        assert_eq!(page.status, 403, "{path}: {}", page.body);
        assert_eq!(page.h1(), "Your form expired, please try again", "{path}");
        assert!(page.cookie("portico_session").is_none(), "{path}");
    }
}

#[tokio::test]
async fn redeeming_on_the_page_runs_the_same_rules_as_the_api() {
    let app = TestApp::spawn_with(fast).await;
    let (key, id, path) = ann_invited(&app).await;
    let dob = date_fields("date_of_birth", "1990-04-01");
    let browser = app.browser();

    // The shared password policy refuses a short password; what was typed comes back, except it.
    let page = browser
        .fill_and_submit(&path, &redeem_fields(&dob, "too short"))
        .await;
    assert_eq!(page.status, 422);
    assert_page_headers(&page);
    assert!(page.contains("The password must be at least 15 characters long."));
    assert!(page.contains("aria-invalid=\"true\""));
    assert!(page.contains("aria-describedby=\"f-password-hint f-password-error\""));
    assert_eq!(page.input_value("username").as_deref(), Some("ann.lee"));
    assert_eq!(
        page.input_value("date_of_birth_year").as_deref(),
        Some("1990")
    );
    assert!(
        !page.contains("too short"),
        "the password is never sent back"
    );
    assert!(page.contains("role=\"alert\""));

    // What was typed is escaped, never markup.
    let mut hostile = redeem_fields(&dob, PASSWORD);
    hostile[1] = ("username", "\"><script>alert(1)</script>");
    let page = browser.fill_and_submit(&path, &hostile).await;
    assert_eq!(page.status, 422);
    assert!(!page.contains("<script>"), "{}", page.body);
    assert!(page.contains("&lt;script&gt;"));

    // A wrong date of birth counts against the link exactly as through the API.
    let wrong = date_fields("date_of_birth", "1990-04-02");
    let page = browser
        .fill_and_submit(&path, &redeem_fields(&wrong, PASSWORD))
        .await;
    assert_eq!(page.status, 422);
    assert!(page.contains("do not match our records"));
    assert!(
        app.audit_kinds()
            .await
            .contains(&"invitation.redeem_failed".to_owned())
    );

    let page = browser
        .fill_and_submit(&path, &redeem_fields(&dob, PASSWORD))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.h1(), "You can now log in");
    assert!(page.contains("href=\"&#x2f;login\""));
    let access = &app.access_of(&key, &id).await[0];
    assert_eq!(access["status"], "active");
    assert_eq!(access["username"], "ann.lee");
    assert!(
        app.audit_kinds()
            .await
            .contains(&"invitation.redeemed".to_owned())
    );
    let login = app
        .account_named("ann.lee")
        .await
        .password_hash
        .starts_with("$argon2id$");
    assert!(login);

    // The link is spent: the page says so and gives the practice's number.
    let page = browser.open(&path).await;
    assert_eq!(page.status, 410);
    assert_eq!(page.h1(), "This invitation link has already been used");
    assert!(page.contains("555-0100"));
}

#[tokio::test]
async fn expired_and_unknown_links_get_plain_pages_with_whom_to_call() {
    let app = TestApp::spawn_with(fast).await;
    let (_, _, path) = ann_invited(&app).await;
    app.clock.advance(TimeDelta::hours(72));
    let page = app.browser().open(&path).await;
    assert_eq!(page.status, 410);
    assert_page_headers(&page);
    assert_eq!(page.h1(), "This invitation link has expired");
    assert!(
        page.contains("Please contact Smith Family Clinic on <a href=\"tel:5550100\">555-0100</a>")
    );

    let unknown = app
        .browser()
        .open(&format!("/invite/{}", "A".repeat(43)))
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.h1(), "This invitation link is not valid");
    assert!(unknown.contains("contact your practice"));
}

#[tokio::test]
async fn unknown_pages_are_html_for_browsers_and_problems_for_api_clients() {
    let app = TestApp::spawn().await;
    let page = app.browser().open("/no/such/page").await;
    assert_eq!(page.status, 404);
    assert_page_headers(&page);
    assert_eq!(page.h1(), "Page not found");
    assert!(!page.contains("not_found"), "no raw codes on pages");

    let r = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "not_found").await;
    let r = app
        .client
        .get(app.url("/api/v1/nowhere"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "not_found").await;

    // A page asked for with a method it does not take: a page, with the Allow header.
    let r = app
        .client
        .put(app.url("/register/anything"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD, POST");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = r.text().await.unwrap();
    assert!(!body.contains("method_not_allowed") && !body.contains("panicked"));

    let page = app.browser().open("/register/no-such-practice").await;
    assert_eq!(page.status, 404);
    assert_eq!(page.h1(), "Page not found");
}

#[tokio::test]
async fn the_stylesheet_has_a_content_hash_in_its_url_and_a_long_cache() {
    let app = TestApp::spawn().await;
    let page = app.browser().open("/no/such/page").await;
    let marker = "rel=\"stylesheet\" href=\"";
    let at = page.body.find(marker).unwrap() + marker.len();
    let href = page.body[at..at + page.body[at..].find('"').unwrap()].replace("&#x2f;", "/");
    assert!(
        href.starts_with("/static/portico.") && href.ends_with(".css"),
        "{href}"
    );
    let r = app.client.get(app.url(&href)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.text().await.unwrap(), portico::web::assets::STYLESHEET);
    let stale = app
        .client
        .get(app.url("/static/portico.0000000000000000.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 404);
}

#[tokio::test]
async fn sign_up_pages_follow_the_practice_mode_and_the_emailed_link_confirms() {
    let app = TestApp::spawn_with(fast).await;
    let (_, key) = app
        .create_practice("riverside", "Riverside Clinic", "555-0144")
        .await;

    let closed = app.browser().open("/register/riverside").await;
    assert_eq!(closed.status, 200);
    assert_eq!(closed.h1(), "Online sign-up is not available");
    assert!(closed.contains("555-0144"));

    app.set_settings(
        &key,
        json!({"self_registration": "verify_email", "required_fields": ["email", "postal_code"]}),
    )
    .await;
    let browser = app.browser();
    let dob = date_fields("date_of_birth", "1995-06-15");
    let mut fields = vec![
        ("first_name", "Zoe"),
        ("last_name", "Park"),
        ("email", "zoe@example.org"),
        ("username", "zoe.park"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    fields.extend(dob.iter().map(|(k, v)| (k.as_str(), v.as_str())));

    // The practice requires a postal code: the empty box is asked for by name.
    let page = browser
        .fill_and_submit("/register/riverside", &fields)
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.contains("Enter your home postal code."),
        "{}",
        page.body
    );
    assert_eq!(
        page.input_value("email").as_deref(),
        Some("zoe@example.org")
    );

    fields.push(("postal_code", "97201"));
    let page = browser
        .fill_and_submit("/register/riverside", &fields)
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.h1(), "Check your email");

    let mails = crate::mailbox::wait_for_mail(&app.mail_dir(), "zoe@example.org", 1).await;
    let link = mails[0]
        .link(&format!("{}/verify-email/", app.state.settings.issuer()))
        .unwrap();
    // Opening the link changes nothing (mail scanners open links too); the button confirms.
    let confirm = browser.open(&link).await;
    assert_eq!(confirm.h1(), "Confirm your email address");
    let again = browser.open(&link).await;
    assert_eq!(again.status, 200, "opening twice still works");
    let path = link.replace(app.state.settings.issuer(), "");
    let done = browser
        .submit(&path, &[("csrf_token", &again.csrf_token())])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.h1(), "Email address confirmed");
    assert!(done.contains("is now on"));
    let reused = browser.open(&link).await;
    assert_eq!(reused.status, 410);
    assert_eq!(reused.h1(), "This link is not valid");
}

async fn live(app: &TestApp, token: &str) -> bool {
    browser::find_live(
        &app.state.db,
        token,
        browser::Limits::of(&app.state.settings),
        app.clock_now(),
    )
    .await
    .unwrap()
    .is_some()
}

#[tokio::test]
async fn web_sessions_are_revoked_per_practice_or_all_at_once_and_time_out() {
    let app = TestApp::spawn_with(fast).await;
    let (a, key_a) = app
        .create_practice("a-clinic", "A Clinic", "555-0100")
        .await;
    let (b, _) = app
        .create_practice("b-clinic", "B Clinic", "555-0101")
        .await;
    let (_, _, path) = {
        let patient = app.create_patient(&key_a, ann()).await;
        let id = patient["id"].as_str().unwrap().to_owned();
        app.invite_self(&key_a, &id, "email").await;
        let (_, link) = app.invitation_mail("ann@example.org", 1).await;
        (
            key_a.clone(),
            id,
            link.replace(app.state.settings.issuer(), ""),
        )
    };
    let dob = date_fields("date_of_birth", "1990-04-01");
    let page = app
        .browser()
        .fill_and_submit(&path, &redeem_fields(&dob, PASSWORD))
        .await;
    assert_eq!(page.status, 200);
    let account = app.account_named("ann.lee").await.id;
    let db = &app.state.db;
    let now = app.clock_now();

    let at_a = browser::start(
        db,
        account,
        Some(a),
        browser::Limits::of(&app.state.settings),
        now,
    )
    .await
    .unwrap();
    let at_b = browser::start(
        db,
        account,
        Some(b),
        browser::Limits::of(&app.state.settings),
        now,
    )
    .await
    .unwrap();
    let choosing = browser::start(
        db,
        account,
        None,
        browser::Limits::of(&app.state.settings),
        now,
    )
    .await
    .unwrap();
    assert_ne!(at_a.token, at_b.token);
    assert!(!at_a.session.token_hash.contains(&at_a.token));

    // Blocked or revoked at A: only A's session ends.
    let n = browser::revoke_web_sessions(db, account, Some(a), now)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert!(!live(&app, &at_a.token).await);
    assert!(live(&app, &at_b.token).await);
    assert!(live(&app, &choosing.token).await);

    // A password change ends every session.
    assert_eq!(
        browser::revoke_web_sessions(db, account, None, now)
            .await
            .unwrap(),
        2
    );
    assert!(!live(&app, &at_b.token).await);
    assert!(!live(&app, &choosing.token).await);

    // Idle for 30 minutes: over.
    let idle = browser::start(
        db,
        account,
        Some(b),
        browser::Limits::of(&app.state.settings),
        app.clock_now(),
    )
    .await
    .unwrap();
    app.clock.advance(TimeDelta::minutes(29));
    assert!(live(&app, &idle.token).await);
    app.clock.advance(TimeDelta::minutes(29));
    assert!(
        live(&app, &idle.token).await,
        "activity moved the idle limit"
    );
    app.clock.advance(TimeDelta::minutes(31));
    assert!(!live(&app, &idle.token).await);

    // Logout ends one session.
    let s = browser::start(
        db,
        account,
        Some(b),
        browser::Limits::of(&app.state.settings),
        app.clock_now(),
    )
    .await
    .unwrap();
    assert!(browser::end(db, &s.token, app.clock_now()).await.unwrap());
    assert!(!live(&app, &s.token).await);
}

#[tokio::test]
async fn forms_are_bound_to_the_session_once_there_is_one() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("open", "Open Clinic", "555-0100").await;
    app.set_settings(&key, json!({"self_registration": "auto_activate"}))
        .await;
    // A pre-session form, then the browser gets a session cookie (as after login).
    let browser = app.browser();
    let before = browser.open("/register/open").await;
    let pre_session_token = before.csrf_token();
    let session = format!("portico_session={}", portico::crypto::secrets::new_token());
    let with_session = |req: reqwest::RequestBuilder| req.header("cookie", session.clone());

    let page = with_session(app.client.get(app.url("/register/open")))
        .send()
        .await
        .unwrap();
    assert!(
        page.headers().get("set-cookie").is_none(),
        "a session needs no pre-session cookie"
    );
    let body = page.text().await.unwrap();
    let session_token = crate::helpers_pages::Html {
        status: 200,
        headers: Default::default(),
        body,
    }
    .csrf_token();
    assert_ne!(session_token, pre_session_token);

    let refused = with_session(app.client.post(app.url("/register/open")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[("csrf_token", pre_session_token.as_str())]))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403, "a form from before login is refused");
    let accepted = with_session(app.client.post(app.url("/register/open")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[("csrf_token", session_token.as_str())]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        accepted.status(),
        422,
        "the token passes; the empty form does not"
    );
}

#[tokio::test]
async fn blocking_at_one_practice_ends_web_sessions_there_and_a_password_change_ends_all() {
    let app = TestApp::spawn().await;
    let (a, key_a) = app
        .create_practice("a-clinic", "A Clinic", "555-0100")
        .await;
    let (b, key_b) = app
        .create_practice("b-clinic", "B Clinic", "555-0101")
        .await;
    let pw = crate::helpers_login::PASSWORD;
    let at_a = app
        .seed_portal_account(&key_a, ann(), "ann.lee", pw, "self")
        .await;
    let at_b = app
        .seed_portal_account(&key_b, ann(), "ann.lee", pw, "self")
        .await;
    let db = &app.state.db;
    let now = app.clock_now();
    let web_a = browser::start(
        db,
        at_a.account_id,
        Some(a),
        browser::Limits::of(&app.state.settings),
        now,
    )
    .await
    .unwrap();
    let web_b = browser::start(
        db,
        at_b.account_id,
        Some(b),
        browser::Limits::of(&app.state.settings),
        now,
    )
    .await
    .unwrap();

    let r = app.block_access(&key_a, at_a.access_id, None).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert!(
        !live(&app, &web_a.token).await,
        "blocked at A: A's page session ends"
    );
    assert!(live(&app, &web_b.token).await, "B keeps working (seed 000)");

    let r = app.revoke_access(&key_b, at_b.access_id, None).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert!(
        !live(&app, &web_b.token).await,
        "revoked at B: B's page session ends"
    );

    // A staff-created account changes its temporary password at first login: every page
    // session of the account ends.
    let bo = app
        .seed_staff_created_account(
            &key_a,
            crate::helpers_login::patient("Bo", "Park", "bo@example.org"),
            "bo.park",
        )
        .await;
    let web_bo = browser::start(
        db,
        bo.account_id,
        None,
        browser::Limits::of(&app.state.settings),
        app.clock_now(),
    )
    .await
    .unwrap();
    let r = app.login(&bo.username, &bo.password, None).await;
    let body: serde_json::Value = r.json().await.unwrap();
    let token = body["password_change_token"].as_str().unwrap().to_owned();
    let r = app
        .change_password_at_login(&token, "a brand new passphrase for bo")
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert!(!live(&app, &web_bo.token).await);
}

/// Issue 17, item 11: over https every response carries `Strict-Transport-Security`, and the
/// cookies are named `__Host-…` (Secure, Path=/, no Domain), so that neither a sibling
/// subdomain nor a page over http can set them; the unprefixed names are not read there.
#[tokio::test]
async fn https_sends_hsts_and_host_prefixed_cookie_names() {
    let app = TestApp::spawn_with(|s| s.public_url = "https://portal.example".into()).await;
    let (_, key) = app
        .create_practice("smith", "Smith Clinic", "555-0100")
        .await;
    app.seed_portal_account(
        &key,
        crate::helpers_login::patient("Ann", "Lee", "ann@example.org"),
        "ann.lee",
        crate::helpers_login::PASSWORD,
        "self",
    )
    .await;
    let get = |path: &str, cookie: Option<String>| {
        let mut r = app.client.get(app.url(path));
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.send()
    };
    for path in [
        "/login",
        "/healthz",
        "/api/v1/me",
        "/.well-known/openid-configuration",
    ] {
        let r = get(path, None).await.unwrap();
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=31536000; includeSubDomains",
            "{path}"
        );
    }

    let form = get("/login", None).await.unwrap();
    let set: Vec<String> = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let csrf_cookie = set
        .iter()
        .find(|c| c.starts_with("__Host-portico_csrf="))
        .unwrap_or_else(|| panic!("{set:?}"));
    for flag in ["Secure", "Path=/", "HttpOnly"] {
        assert!(csrf_cookie.contains(flag), "{flag} in {csrf_cookie}");
    }
    assert!(
        !csrf_cookie.to_lowercase().contains("domain="),
        "{csrf_cookie}"
    );
    let csrf_pair = csrf_cookie.split(';').next().unwrap().to_owned();
    let html = form.text().await.unwrap();
    let marker = "name=\"csrf_token\" value=\"";
    let at = html.find(marker).unwrap() + marker.len();
    let token = &html[at..at + html[at..].find('"').unwrap()];

    let done = app
        .client
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &csrf_pair)
        .body(form_body(&[
            ("csrf_token", token),
            ("username", "ann.lee"),
            ("password", crate::helpers_login::PASSWORD),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    let session = done
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-portico_session="))
        .expect("a __Host- session cookie");
    assert!(
        session.contains("Secure") && session.contains("Path=/"),
        "{session}"
    );
    let value = session
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("__Host-portico_session=")
        .to_owned();

    let account = |name: &'static str| get("/account", Some(format!("{name}={value}")));
    assert_eq!(
        account("__Host-portico_session").await.unwrap().status(),
        200
    );
    assert_eq!(
        account("portico_session").await.unwrap().status(),
        303,
        "the unprefixed name is not read over https"
    );

    // Plain http (development): no HSTS, plain names.
    let dev = TestApp::spawn().await;
    let r = dev.client.get(dev.url("/login")).send().await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    let c = r.headers()["set-cookie"].to_str().unwrap();
    assert!(c.starts_with("portico_csrf="), "{c}");
}
