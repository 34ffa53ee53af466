//! Helpers for the ageing-out tests: a minor with a parent who has portal access.

use crate::helpers::TestApp;
use crate::helpers_login::{PASSWORD, SeededAccount};
use portico::store::account;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

/// The email of the parent in [`TestApp::seed_parent_of_minor`].
pub const PARENT_EMAIL: &str = "bea@example.org";
/// The minor's own email, on their record.
pub const MINOR_EMAIL: &str = "sam@example.org";

impl TestApp {
    /// Sam, who turns 18 the day after the test epoch (2026-11-24), and Bea, Sam's parent,
    /// with active portal access and an email on her account. Returns Bea's fixture.
    pub async fn seed_parent_of_minor(&self, key: &str, sam_email: Option<&str>) -> SeededAccount {
        let mut sam =
            json!({"first_name": "Sam", "last_name": "Lee", "date_of_birth": "2008-11-24"});
        if let Some(e) = sam_email {
            sam["email"] = json!(e);
        }
        let bea = self
            .seed_portal_account(key, sam, "bea.lee", PASSWORD, "parent")
            .await;
        account::Entity::update_many()
            .col_expr(account::Column::Email, Expr::value(PARENT_EMAIL))
            .col_expr(account::Column::EmailFolded, Expr::value(PARENT_EMAIL))
            .filter(account::Column::Id.eq(bea.account_id))
            .exec(&self.state.db)
            .await
            .unwrap();
        bea
    }

    /// Outbox templates queued for one recipient.
    pub async fn templates_to(&self, to: &str) -> Vec<String> {
        self.outbox_rows()
            .await
            .into_iter()
            .filter(|r| r.recipient == to)
            .map(|r| r.template)
            .collect()
    }
}
