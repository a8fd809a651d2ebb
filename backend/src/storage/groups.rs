//! Customer groups: names unique case-insensitively, counts kept by triggers.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::{Group, Id};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::engine::{Engine, Store, Tx};
use super::{Result, StorageError};

/// A group with its customer count, from the counters kept by triggers (on PostgreSQL a
/// row per lane, summed); each caller adds its `WHERE` / `ORDER BY`.
const GROUP_COLUMNS_SQL: &str = "SELECT g.id, g.name, CAST(COALESCE(cc.n, 0) AS BIGINT) AS customer_count \
    FROM customer_groups g LEFT JOIN (SELECT group_id, SUM(n) AS n FROM customer_counts GROUP BY group_id) cc \
    ON cc.group_id = g.id";

/// Lower-case key under which group names are unique.
pub fn group_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Customer groups.
#[async_trait]
pub trait Groups: Send + Sync {
    async fn list_groups(&self) -> Result<Vec<Group>>;
    async fn get_group(&self, id: Id) -> Result<Group>;
    async fn create_group(&self, name: &str) -> Result<Group>;
    async fn rename_group(&self, id: Id, name: &str) -> Result<Group>;
    async fn delete_group(&self, id: Id, reassign_to: Option<Id>) -> Result<()>;
    async fn default_group_id(&self) -> Result<Id>;
}

#[async_trait]
impl<E> Groups for Store<E>
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
    async fn list_groups(&self) -> Result<Vec<Group>> {
        // The counts kept by triggers (migration 0002): counting a million customers
        // per group took PostgreSQL over a second, and the export asks for the groups.
        let rows = sqlx::query(&format!("{GROUP_COLUMNS_SQL} ORDER BY g.id"))
            .fetch_all(&self.read)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Group {
                id: r.get("id"),
                name: r.get("name"),
                customer_count: r.get("customer_count"),
            })
            .collect())
    }

    async fn get_group(&self, id: Id) -> Result<Group> {
        let r = sqlx::query(&format!("{GROUP_COLUMNS_SQL} WHERE g.id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StorageError::NotFound)?;
        Ok(Group {
            id: r.get("id"),
            name: r.get("name"),
            customer_count: r.get("customer_count"),
        })
    }

    async fn create_group(&self, name: &str) -> Result<Group> {
        let mut tx = self.begin_write().await?;
        let row = Self::insert_group(&mut tx, name).await?;
        tx.commit().await?;
        match row {
            Some(id) => Ok(Group {
                id,
                name: name.trim().to_owned(),
                customer_count: 0,
            }),
            None => Err(StorageError::Conflict(format!(
                "a group named {} already exists",
                name.trim()
            ))),
        }
    }

    async fn rename_group(&self, id: Id, name: &str) -> Result<Group> {
        let mut tx = self.begin_write().await?;
        let clash: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM customer_groups WHERE name_key = $1 AND id <> $2")
                .bind(group_key(name))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if clash.is_some() {
            return Err(StorageError::Conflict(format!(
                "a group named {} already exists",
                name.trim()
            )));
        }
        let done = sqlx::query("UPDATE customer_groups SET name = $1, name_key = $2 WHERE id = $3")
            .bind(name.trim())
            .bind(group_key(name))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if E::rows_affected(&done) == 0 {
            return Err(StorageError::NotFound);
        }
        self.get_group(id).await
    }

    async fn delete_group(&self, id: Id, reassign_to: Option<Id>) -> Result<()> {
        let default_id = self.default_group_id().await?;
        if id == default_id {
            return Err(StorageError::Conflict(
                "the Default group cannot be deleted".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM customer_groups WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StorageError::NotFound);
        }
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customers WHERE group_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let target = match reassign_to {
            Some(t) if t == id => {
                return Err(StorageError::Conflict(
                    "cannot reassign a group to itself".into(),
                ));
            }
            Some(t) => {
                let ok: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM customer_groups WHERE id = $1")
                        .bind(t)
                        .fetch_optional(&mut *tx)
                        .await?;
                if ok.is_none() {
                    return Err(StorageError::Conflict(format!(
                        "the group {t} to reassign to does not exist"
                    )));
                }
                t
            }
            None if count > 0 => {
                return Err(StorageError::Conflict(format!(
                    "the group has {count} customers: pass reassign_to to move them first"
                )));
            }
            None => default_id,
        };
        sqlx::query("UPDATE customers SET group_id = $1 WHERE group_id = $2")
            .bind(target)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE imports SET group_id = $1 WHERE group_id = $2")
            .bind(target)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM customer_groups WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn default_group_id(&self) -> Result<Id> {
        let (id,): (i64,) =
            sqlx::query_as("SELECT id FROM customer_groups WHERE name_key = 'default'")
                .fetch_one(&self.read)
                .await?;
        Ok(id)
    }
}

impl<E> Store<E>
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
    /// The id of the group with this name, created if missing.
    pub(super) async fn group_id_for_name(tx: &mut Tx<E>, name: &str) -> Result<Id> {
        let key = group_key(name);
        if let Some(id) = Self::group_id_by_key(tx, &key).await? {
            return Ok(id);
        }
        // Another transaction may create the same name meanwhile (PostgreSQL): then
        // take its row.
        match Self::insert_group(tx, name).await? {
            Some(id) => Ok(id),
            None => Self::group_id_by_key(tx, &key)
                .await?
                .ok_or(StorageError::Database(sqlx::Error::RowNotFound)),
        }
    }

    /// The id of the group whose name has this key ([`group_key`]).
    async fn group_id_by_key(tx: &mut Tx<E>, key: &str) -> Result<Option<Id>> {
        let found: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM customer_groups WHERE name_key = $1")
                .bind(key)
                .fetch_optional(&mut **tx)
                .await?;
        Ok(found.map(|(id,)| id))
    }

    /// A new group's id; None (nothing written) when a group has the name already.
    async fn insert_group(tx: &mut Tx<E>, name: &str) -> Result<Option<Id>> {
        let inserted: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO customer_groups (name, name_key) VALUES ($1, $2) \
             ON CONFLICT (name_key) DO NOTHING RETURNING id",
        )
        .bind(name.trim())
        .bind(group_key(name))
        .fetch_optional(&mut **tx)
        .await?;
        Ok(inserted.map(|(id,)| id))
    }
}
