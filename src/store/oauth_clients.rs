//! OAuth clients (relying parties and SMART apps) registered by a practice.

use crate::store::{oauth_client, returning};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QueryTrait,
};
use uuid::Uuid;

/// Inserts a client and returns it.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    client: &oauth_client::Model,
) -> Result<oauth_client::Model, DbErr> {
    oauth_client::ActiveModel::from(client.clone())
        .reset_all()
        .insert(conn)
        .await
}

/// The practice's clients, newest first.
pub async fn for_practice<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
) -> Result<Vec<oauth_client::Model>, DbErr> {
    oauth_client::Entity::find()
        .filter(oauth_client::Column::PracticeId.eq(practice_id))
        .order_by_desc(oauth_client::Column::Id)
        .all(conn)
        .await
}

/// The client with this public `client_id`, whatever its practice.
pub async fn find_by_client_id<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
) -> Result<Option<oauth_client::Model>, DbErr> {
    oauth_client::Entity::find()
        .filter(oauth_client::Column::ClientId.eq(client_id))
        .one(conn)
        .await
}

/// What a client change sets; `None` fields stay as they are. The lists are JSON arrays.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub name: Option<String>,
    pub redirect_uris: Option<String>,
    pub post_logout_redirect_uris: Option<String>,
    pub scopes: Option<String>,
    pub id_token_alg: Option<String>,
    /// A `private_key_jwt` client's JWKS (JSON).
    pub jwks: Option<String>,
}

/// Applies `changes` to client `id` (and `updated_at`), returning it as it now is; `None` when
/// it is gone.
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    changes: Changes,
    now: DateTime<Utc>,
) -> Result<Option<oauth_client::Model>, DbErr> {
    use oauth_client::Column;
    let mut q = oauth_client::Entity::update_many().col_expr(Column::UpdatedAt, Expr::value(now));
    for (column, value) in [
        (Column::Name, changes.name),
        (Column::RedirectUris, changes.redirect_uris),
        (
            Column::PostLogoutRedirectUris,
            changes.post_logout_redirect_uris,
        ),
        (Column::Scopes, changes.scopes),
        (Column::IdTokenAlg, changes.id_token_alg),
    ] {
        if let Some(v) = value {
            q = q.col_expr(column, Expr::value(v));
        }
    }
    if let Some(jwks) = changes.jwks {
        q = q.col_expr(Column::Jwks, Expr::value(Some(jwks)));
    }
    let mut stmt = q.filter(Column::Id.eq(id)).into_query();
    returning::one(conn, stmt.returning_all()).await
}

/// Deletes client `id` (its codes go with it).
pub async fn delete<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<(), DbErr> {
    oauth_client::Entity::delete_by_id(id)
        .exec(conn)
        .await
        .map(drop)
}
