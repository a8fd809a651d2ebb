//! Users, their sessions and their API tokens.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::{Id, TokenInfo, User};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::engine::{Engine, Store};
use super::{Result, StorageError};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    created_at: DateTime<Utc>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            username: r.username,
            created_at: r.created_at,
        }
    }
}

/// Who a bearer token acts as, and which token it is.
#[derive(Debug, Clone)]
pub struct TokenUser {
    pub user: User,
    pub token_id: Id,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Users, sessions and API tokens.
#[async_trait]
pub trait Accounts: Send + Sync {
    async fn count_users(&self) -> Result<i64>;
    async fn create_user(&self, username: &str, password_hash: &str) -> Result<User>;
    async fn user_with_hash(&self, username: &str) -> Result<Option<(User, String)>>;
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: Id,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// The session's user and CSRF token, if the session exists and has not expired.
    async fn session(&self, token_hash: &str) -> Result<Option<(User, String)>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    async fn create_token(&self, user_id: Id, name: &str, token_hash: &str) -> Result<TokenInfo>;
    async fn list_tokens(&self, user_id: Id) -> Result<Vec<TokenInfo>>;
    async fn delete_token(&self, user_id: Id, id: Id) -> Result<()>;
    async fn token_user(&self, token_hash: &str) -> Result<Option<TokenUser>>;
    /// Record a use of the token at `now`, unless one at or after `unless_since` is already
    /// recorded (another request or server got there): true if it was written.
    async fn record_token_use(
        &self,
        token_id: Id,
        now: DateTime<Utc>,
        unless_since: DateTime<Utc>,
    ) -> Result<bool>;
}

#[async_trait]
impl<E> Accounts for Store<E>
where
    E: Engine,
    for<'c> &'c mut E::Connection: Executor<'c, Database = E>,
    for<'q> E::Arguments<'q>: IntoArguments<'q, E>,
    usize: ColumnIndex<E::Row>,
    for<'a> &'a str: ColumnIndex<E::Row> + Type<E> + Encode<'a, E>,
    for<'a> Option<&'a str>: Type<E> + Encode<'a, E>,
    i64: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    bool: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    String: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
    DateTime<Utc>: Type<E> + for<'q> Encode<'q, E> + for<'r> Decode<'r, E>,
{
    async fn count_users(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&self.read)
            .await?;
        Ok(n)
    }

    async fn create_user(&self, username: &str, password_hash: &str) -> Result<User> {
        let mut tx = self.begin_write().await?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(StorageError::Conflict(format!(
                "the user {username} already exists"
            )));
        }
        let row: UserRow = sqlx::query_as(
            "INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3) \
             RETURNING id, username, created_at",
        )
        .bind(username)
        .bind(password_hash)
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn user_with_hash(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(
            "SELECT id, username, created_at, password_hash FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| {
            (
                User {
                    id: r.get("id"),
                    username: r.get("username"),
                    created_at: r.get("created_at"),
                },
                r.get("password_hash"),
            )
        }))
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: Id,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(Utc::now())
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.created_at, s.csrf_token FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(Utc::now())
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| {
            (
                User {
                    id: r.get("id"),
                    username: r.get("username"),
                    created_at: r.get("created_at"),
                },
                r.get("csrf_token"),
            )
        }))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_token(&self, user_id: Id, name: &str, token_hash: &str) -> Result<TokenInfo> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, name, created_at, last_used_at",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(TokenInfo {
            id: row.get("id"),
            name: row.get("name"),
            created_at: row.get("created_at"),
            last_used_at: row.get("last_used_at"),
        })
    }

    async fn list_tokens(&self, user_id: Id) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query("SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(&self.read)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| TokenInfo {
                id: r.get("id"),
                name: r.get("name"),
                created_at: r.get("created_at"),
                last_used_at: r.get("last_used_at"),
            })
            .collect())
    }

    async fn delete_token(&self, user_id: Id, id: Id) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if E::rows_affected(&done) == 0 {
            Err(StorageError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn token_user(&self, token_hash: &str) -> Result<Option<TokenUser>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.created_at, t.id AS token_id, t.last_used_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|r| TokenUser {
            user: User {
                id: r.get("id"),
                username: r.get("username"),
                created_at: r.get("created_at"),
            },
            token_id: r.get("token_id"),
            last_used_at: r.get("last_used_at"),
        }))
    }

    async fn record_token_use(
        &self,
        token_id: Id,
        now: DateTime<Utc>,
        unless_since: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET last_used_at = $2 \
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(token_id)
        .bind(now)
        .bind(unless_since)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(E::rows_affected(&done) > 0)
    }
}
