use crate::helpers::TestApp;
use portico::domain::username::Username;
use portico::error::Error;
use portico::service::accounts::logins::{self, NewAccount};

fn new_account(username: &str) -> NewAccount {
    NewAccount {
        username: Username::parse(username).unwrap(),
        email: None,
        email_verified: false,
        mobile: None,
        password_hash: "$argon2id$placeholder".into(),
        must_change_password: false,
        first_name: None,
        last_name: None,
        date_of_birth: None,
    }
}

#[tokio::test]
async fn usernames_are_unique_whatever_their_case() {
    let app = TestApp::spawn().await;
    let now = app.clock_now();
    let a = logins::insert(&app.state.db, new_account("Ann.Lee"), now)
        .await
        .unwrap();
    let err = logins::insert(&app.state.db, new_account("ann.LEE"), now)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UsernameTaken), "{err:?}");
    let found = logins::find_by_username(&app.state.db, "ANN.lee")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, a.id);
    assert_eq!(found.username, "Ann.Lee", "shown as typed");
}
