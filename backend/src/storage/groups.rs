//! Customer groups: names unique case-insensitively, counts kept by triggers.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::{Group, Id};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::engine::{Engine, Store, Tx};
use super::{GroupRefusal, Result, StorageError, parse_stored};
use shared::api::ImportStatus;

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
            None => Err(name_taken(name)),
        }
    }

    async fn rename_group(&self, id: Id, name: &str) -> Result<Group> {
        let mut tx = self.begin_write().await?;
        let current: Option<(String,)> = sqlx::query_as(&format!(
            "SELECT name_key FROM customer_groups WHERE id = $1{}",
            E::LOCK_ROW
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((current_key,)) = current else {
            return Err(StorageError::NotFound);
        };
        // Customers without a group go to the group whose key is `default`: renaming it
        // away left none, and every later default lookup failed.
        if current_key == DEFAULT_KEY && group_key(name) != DEFAULT_KEY {
            return Err(StorageError::Group(GroupRefusal::IsDefault));
        }
        let clash: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM customer_groups WHERE name_key = $1 AND id <> $2")
                .bind(group_key(name))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        if clash.is_some() {
            return Err(name_taken(name));
        }
        sqlx::query("UPDATE customer_groups SET name = $1, name_key = $2 WHERE id = $3")
            .bind(name.trim())
            .bind(group_key(name))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|e| match e {
                // A concurrent rename or create took the name (PostgreSQL).
                sqlx::Error::Database(d) if d.is_unique_violation() => name_taken(name),
                other => other.into(),
            })?;
        tx.commit().await?;
        self.get_group(id).await
    }

    async fn delete_group(&self, id: Id, reassign_to: Option<Id>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Both rows locked in id order (PostgreSQL; SQLite has one writer): an import or a
        // customer that names either group waits for this transaction, so nothing can
        // start targeting the group between the checks below and the delete.
        let locked: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT id, name_key FROM customer_groups WHERE id IN ($1, $2) ORDER BY id{}",
            E::LOCK_ROW
        ))
        .bind(id)
        .bind(reassign_to.unwrap_or(id))
        .fetch_all(&mut *tx)
        .await?;
        let Some((_, key)) = locked.iter().find(|(g, _)| *g == id) else {
            return Err(StorageError::NotFound);
        };
        if key == DEFAULT_KEY {
            return Err(StorageError::Group(GroupRefusal::IsDefault));
        }
        let open: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, status FROM imports WHERE group_id = $1 \
             AND status IN ('receiving', 'queued', 'running') ORDER BY id LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((import_id, status)) = open {
            let status =
                parse_stored(ImportStatus::parse, "imports", import_id, "status", &status)?;
            return Err(StorageError::Group(GroupRefusal::ImportOpen {
                import_id,
                status,
            }));
        }
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customers WHERE group_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let target = match reassign_to {
            Some(t) if t == id || !locked.iter().any(|(g, _)| *g == t) => {
                return Err(StorageError::Group(GroupRefusal::Unknown(t)));
            }
            Some(t) => t,
            None if count > 0 => {
                return Err(StorageError::Group(GroupRefusal::HasCustomers(count)));
            }
            None => Self::default_group_in(&mut tx).await?,
        };
        sqlx::query("UPDATE customers SET group_id = $1 WHERE group_id = $2")
            .bind(target)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // Only finished imports are left naming the group: they keep a group that exists.
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
        let found: Option<(i64,)> = sqlx::query_as(DEFAULT_GROUP_SQL)
            .fetch_optional(&self.read)
            .await?;
        match found {
            Some((id,)) => Ok(id),
            // A database where `Default` was renamed before that was refused: give it back.
            None => {
                let mut tx = self.begin_write().await?;
                let id = Self::group_id_for_name(&mut tx, "Default").await?;
                tx.commit().await?;
                Ok(id)
            }
        }
    }
}

/// The key of the `Default` group, which always exists.
const DEFAULT_KEY: &str = "default";

const DEFAULT_GROUP_SQL: &str = "SELECT id FROM customer_groups WHERE name_key = 'default'";

fn name_taken(name: &str) -> StorageError {
    StorageError::Group(GroupRefusal::NameTaken(name.trim().to_owned()))
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
    /// The `Default` group's id, read inside a write transaction.
    async fn default_group_in(tx: &mut Tx<E>) -> Result<Id> {
        let found: Option<(i64,)> = sqlx::query_as(DEFAULT_GROUP_SQL)
            .fetch_optional(&mut **tx)
            .await?;
        match found {
            Some((id,)) => Ok(id),
            None => Self::group_id_for_name(tx, "Default").await,
        }
    }

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
