//! Clients are held in memory (issue 18, item 4): a change through one instance holds at once
//! there and within a second in every other instance on the same database.

use crate::helpers::TestApp;
use std::time::{Duration, Instant};

/// How long another instance may take to see a change (the poll interval is half of it).
const WITHIN: Duration = Duration::from_secs(1);

#[tokio::test]
async fn a_client_deleted_through_one_instance_is_refused_by_the_other_within_a_second() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(serde_json::json!({})).await;
    let peer = app.spawn_peer().await;
    let secret = world.client_secret.clone().unwrap();
    let creds = Some((world.client_id.as_str(), secret.as_str()));

    // Both instances have read (and now hold) the client.
    for instance in [&app, &peer] {
        let r = instance
            .oauth_post("introspect", creds, &[("token", "not-a-token")])
            .await;
        assert_eq!(r.status(), 200);
    }

    let r = app
        .delete(
            &format!("/api/v1/practice/clients/{}", world.client_id),
            &world.admin,
        )
        .await;
    assert_eq!(r.status(), 204);
    // At once in the instance that deleted it.
    let r = app
        .oauth_post("introspect", creds, &[("token", "not-a-token")])
        .await;
    assert_eq!(r.status(), 401);

    let deleted = Instant::now();
    loop {
        let r = peer
            .oauth_post("introspect", creds, &[("token", "not-a-token")])
            .await;
        if r.status() == 401 {
            break;
        }
        assert_eq!(r.status(), 200);
        assert!(
            deleted.elapsed() < WITHIN + Duration::from_millis(500),
            "the other instance still accepts the deleted client after {:?}",
            deleted.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_redirect_uri_removed_through_one_instance_is_refused_by_the_other_within_a_second() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(serde_json::json!({})).await;
    let peer = app.spawn_peer().await;
    let cookie = peer
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    // The peer authorizes (and holds the client).
    let _ = peer.code_for(&world.client_id, &cookie).await;

    let r = app
        .patch(
            &format!("/api/v1/practice/clients/{}", world.client_id),
            &world.admin,
            serde_json::json!({"redirect_uris": ["https://portal.smith.example/elsewhere"]}),
        )
        .await;
    assert_eq!(r.status(), 200);

    let (_, challenge) = crate::helpers_oidc::pkce();
    let path = crate::helpers_oidc::authorize_path(&world.client_id, &challenge, &[]);
    let changed = Instant::now();
    loop {
        let r = peer.browse(&path, Some(&cookie)).await;
        // The old redirect URI is no longer registered: an error page, no redirect.
        if r.status() == 400 {
            break;
        }
        assert!(r.status().is_redirection(), "{}", r.status());
        assert!(
            changed.elapsed() < WITHIN + Duration::from_millis(500),
            "the other instance still redirects to the removed URI after {:?}",
            changed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
