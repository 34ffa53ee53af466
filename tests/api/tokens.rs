//! Access tokens as a relying party sees them: verified against the JWKS fetched over HTTP;
//! forged, tampered, expired and mistyped tokens refused (RFC 8725, RFC 9068, SECURITY F1–F6);
//! key rotation, the JWKS cache headers, encryption of keys at rest.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_login::{PASSWORD, SeededAccount, claims_of, patient};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use portico::auth::keys::{self, KeyAlg};
use portico::auth::sealed::{Purpose, Sealer};
use portico::config::Secret;
use portico::store::signing_key;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

async fn ann_at_smith(app: &TestApp) -> (String, SeededAccount) {
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &smith,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    (smith, ann)
}

async fn jwk_set(app: &TestApp) -> JwkSet {
    let r = app.jwks().await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// The current signing key's PKCS#8, read as another holder of the database could.
async fn stored_private_key(app: &TestApp, kid: &str) -> Vec<u8> {
    let row = signing_key::Entity::find_by_id(kid.to_owned())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    Sealer::new(None, Purpose::SigningKey)
        .unwrap()
        .open(&row.private_key, kid)
        .unwrap()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

#[tokio::test]
async fn access_token_verifies_against_the_jwks_fetched_over_http() {
    let app = TestApp::spawn().await;
    let (_, ann) = ann_at_smith(&app).await;
    let tokens = app.login_tokens(&ann, None).await;
    let token = tokens["access_token"].as_str().unwrap();

    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let kid = header.kid.unwrap();

    let set = jwk_set(&app).await;
    let raw: Value = app.jwks().await.json().await.unwrap();
    for k in raw["keys"].as_array().unwrap() {
        assert!(k.get("d").is_none(), "no private members: {k}");
        if k["alg"] == "RS256" {
            // The ID-token key (OpenID Connect): public modulus and exponent only.
            assert_eq!(k["kty"], "RSA");
            assert!(k.get("p").is_none() && k.get("q").is_none(), "{k}");
            assert_eq!(k["use"], "sig");
            continue;
        }
        assert_eq!(k["kty"], "OKP");
        assert_eq!(k["crv"], "Ed25519");
        assert_eq!(k["use"], "sig");
        assert_eq!(k["alg"], "EdDSA");
    }
    let jwk = set.find(&kid).expect("the token's kid is published");
    assert!(matches!(
        jwk.algorithm,
        AlgorithmParameters::OctetKeyPair(_)
    ));
    let issuer = app.issuer();
    let audience = format!("{issuer}/practices/smith-family-clinic");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[&issuer]);
    validation.set_audience(&[&audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    // The server's clock is the test's; `exp` is checked against it below.
    validation.validate_exp = false;
    let claims: Value = decode(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .unwrap()
        .claims;

    let now = app.clock_now().timestamp();
    assert_eq!(claims["iss"], issuer);
    assert_eq!(claims["aud"], audience);
    assert_eq!(claims["sub"], ann.account_id.to_string());
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["exp"], now + 300);
    assert!(claims["jti"].as_str().unwrap().len() >= 16);
    assert_eq!(claims["client_id"], "portico");
    // `portal` with every portal area spelled out (issue 11 age bands narrow the areas).
    assert_eq!(
        claims["scope"],
        "portal appointments billing messages records"
    );
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["practice"]["slug"], "smith-family-clinic");
    assert!(claims["practice"]["id"].is_string());
    assert_eq!(
        claims["patients"],
        json!([{"id": ann.patient_id.to_string(), "relation": "self"}])
    );
    assert!(claims["sid"].is_string());
    for phi in ["Ann", "Lee", "1990-04-01", "ann@example.org", "ann.lee"] {
        assert!(
            !claims.to_string().contains(phi),
            "no PHI in the token: {claims}"
        );
    }
    // A second login gets a fresh jti.
    let other = app.login_tokens(&ann, None).await;
    assert_ne!(
        claims_of(other["access_token"].as_str().unwrap())["jti"],
        claims["jti"]
    );
}

#[tokio::test]
async fn me_shows_the_account_and_its_practices_without_secrets() {
    let app = TestApp::spawn().await;
    let (smith, ann) = ann_at_smith(&app).await;
    let (_, jones) = app
        .create_practice("jones-dental", "Jones Dental", "555-0199")
        .await;
    let at_jones = app
        .seed_portal_account(
            &jones,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    app.block_access(&jones, at_jones.access_id, None).await;
    let tokens = app.login_tokens(&ann, Some("smith-family-clinic")).await;
    let at = tokens["access_token"].as_str().unwrap();

    let r = app.me(at).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["id"], ann.account_id.to_string());
    assert_eq!(me["username"], "ann.lee");
    assert_eq!(me["email"], "ann@example.org");
    assert_eq!(me["first_name"], "Ann");
    assert_eq!(me["last_name"], "Lee");
    let text = me.to_string();
    assert!(!text.contains("argon2") && !text.contains("password") && !text.contains("totp"));

    let practices: Vec<Value> = app.my_practices(at).await.json().await.unwrap();
    assert_eq!(practices.len(), 2);
    let find = |slug: &str| {
        practices
            .iter()
            .find(|p| p["slug"] == slug)
            .unwrap()
            .clone()
    };
    assert_eq!(find("smith-family-clinic")["status"], "active");
    assert_eq!(find("jones-dental")["status"], "blocked");
    assert_eq!(find("jones-dental")["phone"], "555-0199");
    assert_eq!(find("jones-dental")["patients"][0]["status"], "blocked");
    assert_eq!(
        find("smith-family-clinic")["patients"][0]["patient_id"],
        ann.patient_id.to_string()
    );

    // A staff key is not a patient token, and no token is no access.
    assert_problem(app.me(&smith).await, 401, "unauthorized").await;
    let r = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_problem(r, 401, "unauthorized").await;
    // Tokens only in the Authorization header: `access_token` is no parameter of /me, and
    // an undeclared query parameter is refused before anything else.
    let r = app
        .client
        .get(app.url(&format!("/api/v1/me?access_token={at}")))
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 400, "validation_failed").await;
    assert_eq!(p["field"], "access_token");
}

#[tokio::test]
async fn me_refuses_tampered_unsigned_hs256_expired_unknown_kid_and_id_token_typed_jwts() {
    let app = TestApp::spawn().await;
    let (_, ann) = ann_at_smith(&app).await;
    let tokens = app.login_tokens(&ann, None).await;
    let good = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.me(&good).await.status(), 200, "the genuine token works");
    let kid = kid_of(&good);
    let claims = claims_of(&good);
    let parts: Vec<&str> = good.split('.').collect();
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    let private = stored_private_key(&app, &kid).await;
    let real_key = EncodingKey::from_ed_der(&private);
    let sign_with_real_key =
        |header: Header, claims: &Value| encode(&header, claims, &real_key).unwrap();
    let mut at_header = Header::new(Algorithm::EdDSA);
    at_header.typ = Some("at+jwt".into());
    at_header.kid = Some(kid.clone());
    // The same claims re-signed with the real key and the right header are accepted, so each
    // refusal below is for the one thing changed.
    assert_eq!(
        app.me(&sign_with_real_key(at_header.clone(), &claims))
            .await
            .status(),
        200
    );

    let mut forged: Vec<(&str, String)> = Vec::new();

    // Tampered: another patient's id in the payload, the original signature.
    let mut more = claims.clone();
    more["patients"] = json!([{"id": uuid::Uuid::now_v7().to_string(), "relation": "self"}]);
    forged.push((
        "tampered payload",
        format!("{}.{}.{}", parts[0], b64(&more), parts[2]),
    ));
    // One signature byte flipped.
    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    sig[10] ^= 0x01;
    forged.push((
        "flipped signature byte",
        format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig)),
    ));
    // alg: none, no signature.
    forged.push((
        "alg none",
        format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "at+jwt", "kid": kid})),
            parts[1]
        ),
    ));
    // HS256 with the public key as the HMAC secret (raw bytes, and the JWK's x string).
    let set = jwk_set(&app).await;
    let AlgorithmParameters::OctetKeyPair(okp) = &set.find(&kid).unwrap().algorithm else {
        panic!("an OKP key")
    };
    let public_raw = URL_SAFE_NO_PAD.decode(&okp.x).unwrap();
    for (what, secret) in [
        ("HS256 with public key bytes", public_raw),
        ("HS256 with the x string", okp.x.clone().into_bytes()),
    ] {
        let mut h = Header::new(Algorithm::HS256);
        h.typ = Some("at+jwt".into());
        h.kid = Some(kid.clone());
        forged.push((
            what,
            encode(&h, &claims, &EncodingKey::from_secret(&secret)).unwrap(),
        ));
    }
    // Unknown kid, signed by a key Portico never had.
    let stranger = aws_lc_rs::signature::Ed25519KeyPair::generate().unwrap();
    let stranger_der = stranger.to_pkcs8v1().unwrap();
    let mut h = at_header.clone();
    h.kid = Some("not-a-portico-key".into());
    forged.push((
        "unknown kid",
        encode(
            &h,
            &claims,
            &EncodingKey::from_ed_der(stranger_der.as_ref()),
        )
        .unwrap(),
    ));
    // The right kid, the wrong key.
    forged.push((
        "right kid, other key",
        encode(
            &at_header,
            &claims,
            &EncodingKey::from_ed_der(stranger_der.as_ref()),
        )
        .unwrap(),
    ));
    // Real key, but typed as an ID token or untyped.
    let mut id_header = at_header.clone();
    id_header.typ = Some("JWT".into());
    forged.push((
        "typ JWT (an ID token)",
        sign_with_real_key(id_header, &claims),
    ));
    let mut untyped = at_header.clone();
    untyped.typ = None;
    forged.push(("no typ", sign_with_real_key(untyped, &claims)));
    // Real key, but a header pointing elsewhere for the key (RFC 8725 §3.10).
    let mut jku = at_header.clone();
    jku.jku = Some("http://127.0.0.1:9/keys".into());
    forged.push(("jku header", sign_with_real_key(jku, &claims)));
    // Real key, wrong issuer / audience / missing claims.
    for (what, field, value) in [
        ("other issuer", "iss", json!("https://evil.example")),
        (
            "other audience",
            "aud",
            json!("https://evil.example/practices/smith-family-clinic"),
        ),
        ("no aud", "aud", Value::Null),
        ("no sub", "sub", Value::Null),
        (
            "iat far in the future",
            "iat",
            json!(claims["iat"].as_i64().unwrap() + 3600),
        ),
        (
            "nbf in the future",
            "nbf",
            json!(claims["iat"].as_i64().unwrap() + 120),
        ),
    ] {
        let mut c = claims.clone();
        if value.is_null() {
            c.as_object_mut().unwrap().remove(field);
        } else {
            c[field] = value;
        }
        forged.push((what, sign_with_real_key(at_header.clone(), &c)));
    }
    forged.push(("not a JWT", "abc.def".into()));

    for (what, token) in &forged {
        let r = app.me(token).await;
        assert_eq!(r.status(), 401, "{what} must be refused");
        assert_problem(r, 401, "unauthorized").await;
    }

    // Expired: 30 s of leeway after `exp`, then refused.
    app.clock.advance(TimeDelta::seconds(300 + 29));
    assert_eq!(app.me(&good).await.status(), 200, "within the leeway");
    app.clock.advance(TimeDelta::seconds(2));
    assert_problem(app.me(&good).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid_until_the_old_key_retires() {
    let app = TestApp::spawn().await;
    let (_, ann) = ann_at_smith(&app).await;
    let old_token = app.login_tokens(&ann, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_kid = kid_of(&old_token);
    // A long-lived token under the old key, to show retirement itself ends it.
    let mut long_lived = claims_of(&old_token);
    long_lived["exp"] = json!(long_lived["iat"].as_i64().unwrap() + 86_400);
    let mut h = Header::new(Algorithm::EdDSA);
    h.typ = Some("at+jwt".into());
    h.kid = Some(old_kid.clone());
    let long_lived = encode(
        &h,
        &long_lived,
        &EncodingKey::from_ed_der(&stored_private_key(&app, &old_kid).await),
    )
    .unwrap();

    // Another process rotates (what `portico keys rotate` does), on the same database.
    let rotation = keys::rotate(
        &app.state.db,
        &Sealer::new(None, Purpose::SigningKey).unwrap(),
        KeyAlg::EdDsa,
        keys::retire_after(300),
        app.clock_now(),
    )
    .await
    .unwrap();
    assert_eq!(rotation.retired, std::slice::from_ref(&old_kid));
    assert_eq!(
        rotation.retires_at,
        app.clock_now() + TimeDelta::seconds(300 + 30 + 30)
    );

    // Until it reloads (every 30 s of its clock) the server signs with the key it has...
    let before_reload = app.login_tokens(&ann, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(kid_of(&before_reload), old_kid);
    // ...but a token naming a kid it does not know makes it look at once.
    let mut from_elsewhere = claims_of(&old_token);
    from_elsewhere["jti"] = json!("signed-by-another-instance");
    let mut h = Header::new(Algorithm::EdDSA);
    h.typ = Some("at+jwt".into());
    h.kid = Some(rotation.kid.clone());
    let from_elsewhere = encode(
        &h,
        &from_elsewhere,
        &EncodingKey::from_ed_der(&stored_private_key(&app, &rotation.kid).await),
    )
    .unwrap();
    assert_eq!(app.me(&from_elsewhere).await.status(), 200);
    let new_token = app.login_tokens(&ann, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(kid_of(&new_token), rotation.kid, "the new key signs");
    // The EdDSA keys (the RS256 ID-token key of OpenID Connect is published beside them).
    let kids: Vec<String> = jwk_set(&app)
        .await
        .keys
        .iter()
        .filter(|k| matches!(k.algorithm, AlgorithmParameters::OctetKeyPair(_)))
        .map(|k| k.common.key_id.clone().unwrap())
        .collect();
    assert_eq!(
        kids,
        [rotation.kid.clone(), old_kid.clone()],
        "both published, newest first"
    );
    assert_eq!(app.me(&new_token).await.status(), 200);
    assert_eq!(
        app.me(&old_token).await.status(),
        200,
        "old tokens stay valid"
    );
    assert_eq!(app.me(&long_lived).await.status(), 200);

    // Retired: the old key is gone from the JWKS and its tokens fail, even unexpired ones.
    app.clock.set(rotation.retires_at + TimeDelta::seconds(1));
    assert_problem(app.me(&long_lived).await, 401, "unauthorized").await;
    let kids: Vec<String> = jwk_set(&app)
        .await
        .keys
        .iter()
        .filter(|k| matches!(k.algorithm, AlgorithmParameters::OctetKeyPair(_)))
        .map(|k| k.common.key_id.clone().unwrap())
        .collect();
    assert_eq!(kids, std::slice::from_ref(&rotation.kid));
    let fresh = app.login_tokens(&ann, None).await;
    assert_eq!(
        app.me(fresh["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn jwks_has_a_strong_etag_cache_control_and_answers_304() {
    let app = TestApp::spawn().await;
    let r = app.jwks().await;
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"),
        "{etag}"
    );
    assert_eq!(r.headers()["cache-control"], "public, max-age=300");
    assert_eq!(r.headers()["content-type"], "application/json");
    let body = r.bytes().await.unwrap();
    assert!(!body.is_empty());

    let again = app
        .client
        .get(app.url("/oauth2/jwks"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());

    let stale = app
        .client
        .get(app.url("/oauth2/jwks"))
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);
    assert_eq!(
        stale.bytes().await.unwrap(),
        body,
        "the same bytes every time"
    );

    // A rotation changes the document and its ETag.
    keys::rotate(
        &app.state.db,
        &Sealer::new(None, Purpose::SigningKey).unwrap(),
        KeyAlg::EdDsa,
        keys::retire_after(300),
        app.clock_now(),
    )
    .await
    .unwrap();
    app.clock.advance(TimeDelta::seconds(30));
    let r = app
        .client
        .get(app.url("/oauth2/jwks"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_ne!(r.headers()["etag"].to_str().unwrap(), etag);
}

#[tokio::test]
async fn signing_keys_are_encrypted_at_rest_when_a_secret_is_set() {
    let secret = "a key-encryption secret of at least 32 chars";
    let app = TestApp::spawn_with(|s| s.key_encryption_secret = Some(Secret::new(secret))).await;
    let (_, ann) = ann_at_smith(&app).await;
    let token = app.login_tokens(&ann, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.me(&token).await.status(), 200);
    let rows = signing_key::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "one EdDSA key, one RS256 key");
    assert!(
        rows.iter().all(|r| r.private_key.starts_with("v1.")),
        "both sealed"
    );
    let row = rows.iter().find(|r| r.alg == "EdDSA").unwrap();
    assert!(row.private_key.starts_with("v1."), "sealed");
    let der = Sealer::new(Some(secret), Purpose::SigningKey)
        .unwrap()
        .open(&row.private_key, &row.kid)
        .unwrap();
    assert!(!row.private_key.contains(&URL_SAFE_NO_PAD.encode(&der)));
    assert!(!row.public_jwk.contains("\"d\""));

    // Another instance with a different secret, or none, refuses to start, naming the fix.
    for wrong in [Some("a different secret that is long enough!!"), None] {
        let mut settings = (*app.state.settings).clone();
        settings.bind = "127.0.0.1:0".parse().unwrap();
        settings.run_workers = false;
        settings.key_encryption_secret = wrong.map(Secret::new);
        let err = match portico::app::App::build(settings).await {
            Ok(_) => panic!("must not start with {wrong:?}"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains("PORTICO_KEY_ENCRYPTION_SECRET"), "{err}");
        assert!(!err.contains(&URL_SAFE_NO_PAD.encode(&der)));
    }
    // The right secret starts and keeps the same key.
    let mut settings = (*app.state.settings).clone();
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings.run_workers = false;
    let second = portico::app::App::build(settings).await.unwrap();
    let kids = second
        .state()
        .keys
        .current(app.clock_now())
        .await
        .kids()
        .join(",");
    let mut stored: Vec<&str> = rows.iter().map(|r| r.kid.as_str()).collect();
    let mut loaded: Vec<&str> = kids.split(',').collect();
    stored.sort_unstable();
    loaded.sort_unstable();
    assert_eq!(loaded, stored);
    assert!(kids.contains(&row.kid));
}

#[tokio::test]
async fn two_instances_starting_at_once_create_one_signing_key() {
    let app = TestApp::spawn().await;
    let settings = (*app.state.settings).clone();
    for _ in 0..5 {
        signing_key::Entity::delete_many()
            .exec(&app.state.db)
            .await
            .unwrap();
        let a = portico::db::connect(&settings).await.unwrap();
        let b = portico::db::connect(&settings).await.unwrap();
        let sealer_a = Sealer::new(None, Purpose::SigningKey).unwrap();
        let sealer_b = Sealer::new(None, Purpose::SigningKey).unwrap();
        let now = app.clock_now();
        let (ra, rb) = tokio::join!(
            keys::ensure_key(&a, &sealer_a, KeyAlg::EdDsa, now),
            keys::ensure_key(&b, &sealer_b, KeyAlg::EdDsa, now),
        );
        ra.unwrap();
        rb.unwrap();
        let count = signing_key::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap();
        assert_eq!(count, 1, "exactly one active key");
        a.close().await.unwrap();
        b.close().await.unwrap();
    }
}

#[test]
fn keys_rotate_command_adds_a_key_and_names_the_retiring_one() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portico"));
        cmd.current_dir(dir.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("PORTICO_") {
                cmd.env_remove(k);
            }
        }
        cmd.env(
            "PORTICO_DATABASE_URL",
            format!("sqlite://{}/keys.db?mode=rwc", dir.path().display()),
        );
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["migrate"]);
    let first = run(&["keys", "rotate"]);
    assert!(first.contains("new signing key"), "{first}");
    assert!(first.contains("stays published until"), "{first}");
    let second = run(&["keys", "rotate"]);
    let new_kid = |out: &str| out.split_whitespace().nth(3).unwrap().to_owned();
    assert_ne!(new_kid(&first), new_kid(&second));
    assert!(
        second.contains(&format!("key {} stays published", new_kid(&first))),
        "{second}"
    );
}
