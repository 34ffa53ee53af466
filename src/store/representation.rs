//! Representation: practice overrides, adult representatives' consents and the notices sent about them.

use crate::store::representative_consent;
use crate::store::returning;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryTrait,
};
use uuid::Uuid;

/// The secret of a consent request a patient presented, by its SHA-256 hash.
#[derive(Debug, Clone)]
pub enum ConsentSecret {
    /// The link's token.
    Link(String),
    /// The code typed on the consent page.
    Code(String),
}

impl ConsentSecret {
    fn condition(&self) -> Expr {
        match self {
            Self::Link(hash) => representative_consent::Column::TokenHash.eq(hash.as_str()),
            Self::Code(hash) => representative_consent::Column::CodeHash.eq(hash.as_str()),
        }
    }
}

/// Open consent requests for an access (neither used nor superseded) stop working. Returns
/// how many.
pub async fn supersede_open_consents<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(representative_consent::Entity::update_many()
        .col_expr(
            representative_consent::Column::SupersededAt,
            Expr::value(now),
        )
        .filter(representative_consent::Column::AccessId.eq(access_id))
        .filter(representative_consent::Column::UsedAt.is_null())
        .filter(representative_consent::Column::SupersededAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// Stores a new consent request as given.
pub async fn insert_consent_request<C: ConnectionTrait>(
    conn: &C,
    request: representative_consent::Model,
) -> Result<representative_consent::Model, DbErr> {
    request.into_active_model().reset_all().insert(conn).await
}

/// The consent request with this link or code, whatever its state.
pub async fn find_consent_request<C: ConnectionTrait>(
    conn: &C,
    secret: &ConsentSecret,
) -> Result<Option<representative_consent::Model>, DbErr> {
    representative_consent::Entity::find()
        .filter(secret.condition())
        .one(conn)
        .await
}

/// Uses up the consent request with this link or code, recording `decision`, in one guarded
/// UPDATE: only a request neither used, superseded nor expired at `now` is spent, so of
/// concurrent decisions exactly one gets the request back; the others get `None`.
pub async fn spend_consent_request<C: ConnectionTrait>(
    conn: &C,
    secret: &ConsentSecret,
    decision: &str,
    now: DateTime<Utc>,
) -> Result<Option<representative_consent::Model>, DbErr> {
    let mut stmt = representative_consent::Entity::update_many()
        .col_expr(representative_consent::Column::UsedAt, Expr::value(now))
        .col_expr(
            representative_consent::Column::Decision,
            Expr::value(decision),
        )
        .filter(secret.condition())
        .filter(representative_consent::Column::UsedAt.is_null())
        .filter(representative_consent::Column::SupersededAt.is_null())
        .filter(representative_consent::Column::ExpiresAt.gt(now))
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}
