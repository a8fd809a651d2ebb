//! Mapping profiles (migration 0015): a mapping by header name saved under a name (unique
//! case-insensitively) and the fingerprint of the headers it was made for.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shared::api::{Id, Profile};
use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Type};

use super::engine::{Engine, Store};
use super::{Result, StorageError, parse_stored};

/// The most profiles a file is matched against (the most recently saved).
pub const MATCHED_PROFILES: i64 = 1000;

/// What a profile maps: by header, a target or "do not import".
pub type ProfileMapping = shared::settings::NamedMapping;

/// Mapping profiles.
#[async_trait]
pub trait Profiles: Send + Sync {
    /// Every profile, the most recently saved first.
    async fn list_profiles(&self) -> Result<Vec<Profile>>;
    async fn get_profile(&self, id: Id) -> Result<Profile>;
    async fn profile_by_name(&self, name: &str) -> Result<Option<Profile>>;
    /// Save a new profile; a name taken (case-insensitively) is a conflict.
    async fn create_profile(
        &self,
        name: &str,
        fingerprint: &str,
        headers: &[String],
        mapping: &ProfileMapping,
    ) -> Result<Profile>;
    async fn rename_profile(&self, id: Id, name: &str) -> Result<Profile>;
    async fn delete_profile(&self, id: Id) -> Result<()>;
}

/// The key under which profile names are unique.
fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

fn name_taken(name: &str) -> StorageError {
    StorageError::Conflict(format!("A profile named \"{}\" exists.", name.trim()))
}

type ProfileCells = (
    Id,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
);

const PROFILE_COLUMNS: &str =
    "SELECT id, name, fingerprint, headers, mapping, created_at, updated_at FROM mapping_profiles";

/// A stored profile, its JSON read back strictly.
fn profile(cells: ProfileCells) -> Result<Profile> {
    let (id, name, fingerprint, headers, mapping, created_at, updated_at) = cells;
    let headers = parse_stored(
        |v| serde_json::from_str(v).ok(),
        "mapping_profiles",
        id,
        "headers",
        &headers,
    )?;
    let mapping = parse_stored(
        |v| serde_json::from_str(v).ok(),
        "mapping_profiles",
        id,
        "mapping",
        &mapping,
    )?;
    Ok(Profile {
        id,
        name,
        fingerprint,
        headers,
        mapping,
        created_at,
        updated_at,
    })
}

#[async_trait]
impl<E> Profiles for Store<E>
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
    async fn list_profiles(&self) -> Result<Vec<Profile>> {
        let rows: Vec<ProfileCells> = sqlx::query_as(&format!(
            "{PROFILE_COLUMNS} ORDER BY updated_at DESC, id DESC LIMIT $1"
        ))
        .bind(MATCHED_PROFILES)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(profile).collect()
    }

    async fn get_profile(&self, id: Id) -> Result<Profile> {
        let row: ProfileCells = sqlx::query_as(&format!("{PROFILE_COLUMNS} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StorageError::NotFound)?;
        profile(row)
    }

    async fn profile_by_name(&self, name: &str) -> Result<Option<Profile>> {
        let row: Option<ProfileCells> =
            sqlx::query_as(&format!("{PROFILE_COLUMNS} WHERE name_key = $1"))
                .bind(name_key(name))
                .fetch_optional(&self.read)
                .await?;
        row.map(profile).transpose()
    }

    async fn create_profile(
        &self,
        name: &str,
        fingerprint: &str,
        headers: &[String],
        mapping: &ProfileMapping,
    ) -> Result<Profile> {
        let headers =
            serde_json::to_string(headers).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let mapping =
            serde_json::to_string(mapping).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        let now = Utc::now();
        let mut tx = self.begin_write().await?;
        let (id,): (Id,) = sqlx::query_as(
            "INSERT INTO mapping_profiles \
             (name, name_key, fingerprint, headers, mapping, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(name.trim())
        .bind(name_key(name))
        .bind(fingerprint)
        .bind(&headers)
        .bind(&mapping)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StorageError::from(e).unique_violation_as(|| name_taken(name).to_string()))?;
        tx.commit().await?;
        self.get_profile(id).await
    }

    async fn rename_profile(&self, id: Id, name: &str) -> Result<Profile> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE mapping_profiles SET name = $1, name_key = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(name.trim())
        .bind(name_key(name))
        .bind(Utc::now())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| StorageError::from(e).unique_violation_as(|| name_taken(name).to_string()))?;
        if E::rows_affected(&done) == 0 {
            return Err(StorageError::NotFound);
        }
        tx.commit().await?;
        self.get_profile(id).await
    }

    async fn delete_profile(&self, id: Id) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM mapping_profiles WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if E::rows_affected(&done) == 0 {
            return Err(StorageError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}
