//! The body of [`Storage`](super::Storage) shared by both engines. Each engine module
//! instantiates it with `impl_storage!(EngineStruct, sqlx::EngineType)`; the struct provides
//! `read` and `write` pools, `begin_write()`, the bulk writes and lookups of an import
//! (`existing_customers()`, `insert_customers()`, `update_customers()`, `insert_changes()`:
//! multi-row statements on SQLite, one array per column on PostgreSQL), `export_rows()`,
//! `apply_round()` (a round of batches: one transaction on SQLite, lanes on PostgreSQL),
//! `CLAIM_SQL`, `CANCEL_REQUESTED_SQL`, `LOCK_ROW`, `TEXT_INDEX_SQL` and `ENGINE`.

macro_rules! impl_storage {
    ($Store:ty, $DB:ty) => {
        use std::collections::{HashMap, HashSet};

        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use shared::api::{
            Customer, CustomerFilter, CustomerSort, Group, Id, Import, ImportStatus, Job,
            OnDuplicate, Page, TokenInfo, User,
        };
        use sqlx::{QueryBuilder, Row};

        use super::*;
        use crate::ingest::plan;

        type Tx = sqlx::Transaction<'static, $DB>;

        impl $Store {
            async fn import_status_in(tx: &mut Tx, import_id: Id) -> Result<Option<(ImportStatus, bool)>> {
                // Locked (PostgreSQL) so concurrent requests on one import run one at a time.
                let row: Option<(String, bool)> =
                    sqlx::query_as(&format!("SELECT status, cancel_requested FROM imports WHERE id = $1{}", Self::LOCK_ROW))
                        .bind(import_id)
                        .fetch_optional(&mut **tx)
                        .await?;
                row.map(|(s, c)| Ok((parse_stored(ImportStatus::parse, "imports", import_id, "status", &s)?, c))).transpose()
            }

            /// The id of the group with this name, created if missing.
            async fn group_id_for_name(tx: &mut Tx, name: &str) -> Result<Id> {
                let key = group_key(name);
                if let Some((id,)) = sqlx::query_as::<_, (i64,)>(
                    "SELECT id FROM customer_groups WHERE name_key = $1",
                )
                .bind(&key)
                .fetch_optional(&mut **tx)
                .await?
                {
                    return Ok(id);
                }
                // Another transaction may create the same name meanwhile (PostgreSQL): then
                // take its row.
                let inserted: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO customer_groups (name, name_key) VALUES ($1, $2) \
                     ON CONFLICT (name_key) DO NOTHING RETURNING id",
                )
                .bind(name.trim())
                .bind(&key)
                .fetch_optional(&mut **tx)
                .await?;
                if let Some((id,)) = inserted {
                    return Ok(id);
                }
                let (id,): (i64,) = sqlx::query_as("SELECT id FROM customer_groups WHERE name_key = $1")
                    .bind(&key)
                    .fetch_one(&mut **tx)
                    .await?;
                Ok(id)
            }

            /// The export page's query: the exported columns of the matching customers after
            /// `after_id`, in id order (each engine reads it its own way).
            fn push_export_page(qb: &mut QueryBuilder<'_, $DB>, filter: &CustomerFilter, after_id: Id, up_to: Id, limit: i64) {
                qb.push(
                    "SELECT c.id, c.first_name, c.last_name, c.email, c.note, c.accepts_marketing, \
                     c.group_id, c.created_at FROM customers c WHERE c.id > ",
                );
                qb.push_bind(after_id);
                qb.push(" AND c.id <= ");
                qb.push_bind(up_to);
                Self::push_filter(qb, filter);
                qb.push(" ORDER BY c.id LIMIT ");
                qb.push_bind(limit);
            }

            /// Append the filter's active conditions (` AND ...`), so that the query planner
            /// sees only real predicates and can use the indexes (a `$1 IS NULL OR ...` form
            /// defeats them in both engines).
            fn push_filter(qb: &mut QueryBuilder<'_, $DB>, filter: &CustomerFilter) {
                if let Some(g) = filter.group_id {
                    qb.push(" AND c.group_id = ").push_bind(g);
                }
                if let Some(m) = filter.accepts_marketing {
                    qb.push(" AND c.accepts_marketing = ").push_bind(m);
                }
                if let Some(p) = like_pattern(&filter.q) {
                    match Self::TEXT_INDEX_SQL {
                        // A trigram index takes a LIKE of three or more characters, but only
                        // without ESCAPE (so not for text with `%`, `_` or `\`).
                        Some([before, between]) if !p.contains('\\') && p.chars().count() >= 5 => {
                            qb.push(" AND ").push(before).push_bind(p.clone()).push(between).push_bind(p).push(")");
                        }
                        _ => {
                            qb.push(" AND c.search_text LIKE ").push_bind(p).push(" ESCAPE '\\'");
                        }
                    }
                }
                if let Some(from) = filter.created_from {
                    qb.push(" AND c.created_at >= ").push_bind(from);
                }
                if let Some(to) = filter.created_to {
                    qb.push(" AND c.created_at <= ").push_bind(to);
                }
                if let Some(i) = filter.import_id {
                    qb.push(" AND c.import_id = ").push_bind(i);
                }
            }

            /// A stored batch's rows, decoded.
            async fn stored_rows(read: &sqlx::Pool<$DB>, import_id: Id, seq: i64) -> Result<Vec<StoredRow>> {
                let (rows,): (String,) = sqlx::query_as("SELECT rows FROM import_batches WHERE import_id = $1 AND seq = $2")
                    .bind(import_id)
                    .bind(seq)
                    .fetch_one(read)
                    .await?;
                if rows.is_empty() {
                    // Applied meanwhile (its rows are cleared then): the caller skips it.
                    return Ok(Vec::new());
                }
                crate::cpu::heavy(|| serde_json::from_str(&rows)).map_err(|e| StorageError::Corrupt(format!("batch rows: {e}")))
            }

            /// One batch's customers (or one lane's share of them) written, inside the
            /// caller's transaction (which has checked the lease and that the batch is
            /// pending, and marks it applied), as [`plan`] decides. `groups`: the ids of
            /// group names found so far. `ids`: with lanes (PostgreSQL), the id each row gets
            /// if it is new, reserved and recorded for undo by the caller; otherwise the
            /// database picks the ids and the runs of new ids are recorded here.
            async fn apply_batch_in(
                tx: &mut Tx,
                job: &ClaimedJob,
                batch: &PendingBatch,
                rows: &[StoredRow],
                ids: Option<&[Id]>,
                groups: &mut HashMap<String, Id>,
                now: DateTime<Utc>,
            ) -> Result<Applied> {
                let latest = plan::latest_rows(rows);
                let mut applied = Applied {
                    processed: batch.row_count,
                    failed: batch.row_count - rows.len() as i64,
                    skipped: (rows.len() - latest.len()) as i64,
                    ..Applied::default()
                };

                // Resolve group names once per transaction (a file names the same few groups
                // in every batch: one query per name and batch was 7,000 round trips a million).
                for &i in &latest {
                    if let Some(name) = rows[i].group.as_deref().filter(|n| !n.trim().is_empty()) {
                        if !groups.contains_key(name) {
                            let id = Self::group_id_for_name(tx, name).await?;
                            groups.insert(name.to_owned(), id);
                        }
                    }
                }

                // Every row first goes in as a new customer (the plan's choice for an email
                // no customer has); an email that a customer already has is left out by the
                // insert itself (the unique index finds it anyway), so only those rows are
                // looked up and planned against what is stored, not every row of the batch.
                let full: Vec<CustomerValues> = latest.iter().map(|&i| plan::values_of(&rows[i], groups, job.group_id)).collect();
                let latest_ids: Option<Vec<Id>> = ids.map(|ids| latest.iter().map(|&i| ids[i]).collect());
                let new_ids = Self::insert_customers(tx, &full, latest_ids.as_deref(), Some(job.import_id), now).await?;
                let mut created: Vec<Id> = new_ids.iter().flatten().copied().collect();
                let taken: Vec<(usize, CustomerValues)> = latest
                    .into_iter()
                    .zip(full)
                    .zip(&new_ids)
                    .filter(|(_, id)| id.is_none())
                    .map(|(pair, _)| pair)
                    .collect();

                // The customers those emails name, and which of them this import wrote.
                let keys: Vec<&str> = taken.iter().map(|(i, _)| rows[*i].email_key.as_str()).collect();
                let mut existing: HashMap<String, ExistingCustomer> = Self::existing_customers(tx, &keys)
                    .await?
                    .into_iter()
                    .map(|c| (c.email_key.clone(), c))
                    .collect();
                let mut touched: HashSet<Id> = HashSet::new();
                if !existing.is_empty() {
                    let ids: Vec<Id> = existing.values().map(|c| c.id).collect();
                    for chunk in ids.chunks(INSERT_CHUNK) {
                        // A customer is this import's if the record starting at or before its
                        // id (records of "created" cover runs of ids) reaches it.
                        let mut qb: QueryBuilder<$DB> = QueryBuilder::new("WITH v(id) AS (VALUES ");
                        let mut sep = qb.separated(", ");
                        for id in chunk {
                            sep.push("(").push_bind_unseparated(*id).push_unseparated(")");
                        }
                        qb.push(
                            ") SELECT v.id FROM v WHERE (SELECT COALESCE(c.last_customer_id, c.customer_id) \
                             FROM import_changes c WHERE c.import_id = ",
                        );
                        qb.push_bind(job.import_id);
                        qb.push(" AND c.customer_id <= v.id ORDER BY c.customer_id DESC LIMIT 1) >= v.id");
                        for (id,) in qb.build_query_as::<(i64,)>().fetch_all(&mut **tx).await? {
                            touched.insert(id);
                        }
                    }
                }
                let decided = plan::resolve(
                    rows,
                    taken,
                    |key| {
                        existing.remove(key).map(|c| plan::Stored {
                            id: c.id,
                            written_by_import: touched.contains(&c.id),
                            values: c.values,
                        })
                    },
                    job.on_duplicate,
                    job.import_id,
                );
                applied.skipped += decided.skipped;
                applied.updated += decided.updated;
                Self::update_customers(tx, &decided.update, now).await?;
                // Left to insert: emails whose customer was deleted (by hand) in between.
                let (gone_rows, gone): (Vec<usize>, Vec<CustomerValues>) = decided.insert.into_iter().unzip();
                let gone_ids: Option<Vec<Id>> = ids.map(|ids| gone_rows.iter().map(|&i| ids[i]).collect());
                for id in Self::insert_customers(tx, &gone, gone_ids.as_deref(), Some(job.import_id), now).await? {
                    // Taken again at once: this attempt fails and the job's retry applies it.
                    let id = id.ok_or_else(|| StorageError::Conflict("an email was taken by another writer during the import".into()))?;
                    created.push(id);
                }
                applied.created += created.len() as i64;
                let mut undo = decided.undo;
                if ids.is_none() {
                    undo.extend(plan::created_runs(created));
                }
                Self::insert_changes(tx, job.import_id, &ImportChange::rows(&undo)?).await?;
                Ok(applied)
            }

            async fn import_row(&self, import_id: Id) -> Result<ImportRow> {
                sqlx::query_as::<_, ImportRow>(&format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE id = $1"))
                    .bind(import_id)
                    .fetch_optional(&self.read)
                    .await?
                    .ok_or(StorageError::NotFound)
            }

            /// Extend the job's lease inside `tx`; false (nothing changed) when another
            /// worker holds it now.
            async fn renew_lease(tx: &mut Tx, job: &ClaimedJob, owner: &str, lease_secs: i64, now: DateTime<Utc>) -> Result<bool> {
                let held = sqlx::query("UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'")
                    .bind(now + chrono::Duration::seconds(lease_secs))
                    .bind(job.job_id)
                    .bind(owner)
                    .execute(&mut **tx)
                    .await?;
                Ok(held.rows_affected() == 1)
            }

            /// The batches' stored rows, read and decoded on a connection of the read pool
            /// while the caller writes the ones before (a batch is written once and never
            /// changed): at most BATCHES_READ_AHEAD batches' rows in memory. Reading stops
            /// when the returned guard is dropped.
            fn read_ahead(
                &self,
                import_id: Id,
                batches: &[PendingBatch],
            ) -> (crate::task::AbortOnDrop, tokio::sync::mpsc::Receiver<Result<Vec<StoredRow>>>) {
                let (sender, ahead) = tokio::sync::mpsc::channel(BATCHES_READ_AHEAD);
                let read = self.read.clone();
                let seqs: Vec<i64> = batches.iter().map(|b| b.seq).collect();
                let reader = crate::task::AbortOnDrop(tokio::spawn(async move {
                    for seq in seqs {
                        if sender.send(Self::stored_rows(&read, import_id, seq).await).await.is_err() {
                            break;
                        }
                    }
                }));
                (reader, ahead)
            }

            /// Mark a batch applied. Its rows are not read again (a replay gets the stored
            /// answer, undo reads import_changes): their space goes back to customers.
            async fn mark_batch_applied(tx: &mut Tx, import_id: Id, seq: i64) -> Result<()> {
                sqlx::query("UPDATE import_batches SET processed = TRUE, rows = '' WHERE import_id = $1 AND seq = $2")
                    .bind(import_id)
                    .bind(seq)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Add what applied batches did to their import's counts.
            async fn add_counts(tx: &mut Tx, import_id: Id, applied: &Applied) -> Result<()> {
                sqlx::query(
                    "UPDATE imports SET processed = processed + $1, created = created + $2, updated = updated + $3, \
                     skipped = skipped + $4, failed = failed + $5 WHERE id = $6",
                )
                .bind(applied.processed)
                .bind(applied.created)
                .bind(applied.updated)
                .bind(applied.skipped)
                .bind(applied.failed)
                .bind(import_id)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl Storage for $Store {
            fn engine(&self) -> &'static str {
                Self::ENGINE
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.read).await?;
                Ok(())
            }

            async fn count_users(&self) -> Result<i64> {
                let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(&self.read).await?;
                Ok(n)
            }

            async fn create_user(&self, username: &str, password_hash: &str) -> Result<User> {
                let mut tx = self.begin_write().await?;
                let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_some() {
                    return Err(StorageError::Conflict(format!("the user {username} already exists")));
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
                let row = sqlx::query("SELECT id, username, created_at, password_hash FROM users WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&self.read)
                    .await?;
                Ok(row.map(|r| {
                    (
                        User { id: r.get("id"), username: r.get("username"), created_at: r.get("created_at") },
                        r.get("password_hash"),
                    )
                }))
            }

            async fn create_session(&self, token_hash: &str, user_id: Id, csrf_token: &str, expires_at: DateTime<Utc>) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(Utc::now()).execute(&mut *tx).await?;
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
                        User { id: r.get("id"), username: r.get("username"), created_at: r.get("created_at") },
                        r.get("csrf_token"),
                    )
                }))
            }

            async fn delete_session(&self, token_hash: &str) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *tx).await?;
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
                Ok(TokenInfo { id: row.get("id"), name: row.get("name"), created_at: row.get("created_at"), last_used_at: row.get("last_used_at") })
            }

            async fn list_tokens(&self, user_id: Id) -> Result<Vec<TokenInfo>> {
                let rows = sqlx::query("SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY id")
                    .bind(user_id)
                    .fetch_all(&self.read)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| TokenInfo { id: r.get("id"), name: r.get("name"), created_at: r.get("created_at"), last_used_at: r.get("last_used_at") })
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
                if done.rows_affected() == 0 { Err(StorageError::NotFound) } else { Ok(()) }
            }

            async fn token_user(&self, token_hash: &str) -> Result<Option<User>> {
                let row: Option<UserRow> = sqlx::query_as(
                    "SELECT u.id, u.username, u.created_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     WHERE t.token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.read)
                .await?;
                Ok(row.map(User::from))
            }

            async fn list_groups(&self) -> Result<Vec<Group>> {
                // The counts kept by triggers (migration 0002): counting a million customers
                // per group took PostgreSQL over a second, and the export asks for the groups.
                let rows = sqlx::query(&format!("{GROUP_COLUMNS_SQL} ORDER BY g.id")).fetch_all(&self.read).await?;
                Ok(rows.into_iter().map(|r| Group { id: r.get("id"), name: r.get("name"), customer_count: r.get("customer_count") }).collect())
            }

            async fn get_group(&self, id: Id) -> Result<Group> {
                let r = sqlx::query(&format!("{GROUP_COLUMNS_SQL} WHERE g.id = $1"))
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?
                    .ok_or(StorageError::NotFound)?;
                Ok(Group { id: r.get("id"), name: r.get("name"), customer_count: r.get("customer_count") })
            }

            async fn create_group(&self, name: &str) -> Result<Group> {
                let mut tx = self.begin_write().await?;
                let row: Option<(i64,)> = sqlx::query_as(
                    "INSERT INTO customer_groups (name, name_key) VALUES ($1, $2) ON CONFLICT (name_key) DO NOTHING RETURNING id",
                )
                .bind(name.trim())
                .bind(group_key(name))
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                match row {
                    Some((id,)) => Ok(Group { id, name: name.trim().to_owned(), customer_count: 0 }),
                    None => Err(StorageError::Conflict(format!("a group named {} already exists", name.trim()))),
                }
            }

            async fn rename_group(&self, id: Id, name: &str) -> Result<Group> {
                let mut tx = self.begin_write().await?;
                let clash: Option<(i64,)> = sqlx::query_as("SELECT id FROM customer_groups WHERE name_key = $1 AND id <> $2")
                    .bind(group_key(name))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if clash.is_some() {
                    return Err(StorageError::Conflict(format!("a group named {} already exists", name.trim())));
                }
                let done = sqlx::query("UPDATE customer_groups SET name = $1, name_key = $2 WHERE id = $3")
                    .bind(name.trim())
                    .bind(group_key(name))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                if done.rows_affected() == 0 {
                    return Err(StorageError::NotFound);
                }
                self.get_group(id).await
            }

            async fn delete_group(&self, id: Id, reassign_to: Option<Id>) -> Result<()> {
                let default_id = self.default_group_id().await?;
                if id == default_id {
                    return Err(StorageError::Conflict("the Default group cannot be deleted".into()));
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
                    Some(t) if t == id => return Err(StorageError::Conflict("cannot reassign a group to itself".into())),
                    Some(t) => {
                        let ok: Option<(i64,)> = sqlx::query_as("SELECT id FROM customer_groups WHERE id = $1")
                            .bind(t)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if ok.is_none() {
                            return Err(StorageError::Conflict(format!("the group {t} to reassign to does not exist")));
                        }
                        t
                    }
                    None if count > 0 => {
                        return Err(StorageError::Conflict(format!(
                            "the group has {count} customers: pass reassign_to to move them first"
                        )))
                    }
                    None => default_id,
                };
                sqlx::query("UPDATE customers SET group_id = $1 WHERE group_id = $2").bind(target).bind(id).execute(&mut *tx).await?;
                sqlx::query("UPDATE imports SET group_id = $1 WHERE group_id = $2").bind(target).bind(id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM customer_groups WHERE id = $1").bind(id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn default_group_id(&self) -> Result<Id> {
                let (id,): (i64,) = sqlx::query_as("SELECT id FROM customer_groups WHERE name_key = 'default'")
                    .fetch_one(&self.read)
                    .await?;
                Ok(id)
            }

            async fn list_customers(&self, filter: &CustomerFilter, sort: CustomerSort, page: i64, per_page: i64) -> Result<Page<Customer>> {
                let by_group_only = like_pattern(&filter.q).is_none()
                    && CustomerFilter { group_id: None, q: None, ..filter.clone() } == CustomerFilter::default();
                let mut count: QueryBuilder<$DB> = if by_group_only {
                    // Kept by triggers (migration 0002): no scan of the customers.
                    let mut qb = QueryBuilder::new("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM customer_counts WHERE TRUE");
                    if let Some(g) = filter.group_id {
                        qb.push(" AND group_id = ").push_bind(g);
                    }
                    qb
                } else {
                    let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM customers c WHERE TRUE");
                    Self::push_filter(&mut qb, filter);
                    qb
                };
                let (total,): (i64,) = count.build_query_as().fetch_one(&self.read).await?;
                // The page's ids first, from the sort's index alone, then their rows: rows
                // skipped by OFFSET are never read (a deep page of a million costs an index
                // walk, not thousands of row lookups). Two statements rather than a join, so
                // that no query planner can turn it back into a scan.
                let mut ids: QueryBuilder<$DB> = QueryBuilder::new("SELECT c.id FROM customers c WHERE TRUE");
                Self::push_filter(&mut ids, filter);
                ids.push(format!(" ORDER BY {} LIMIT ", order_by(sort)));
                ids.push_bind(per_page);
                ids.push(" OFFSET ");
                ids.push_bind((page - 1) * per_page);
                let ids: Vec<(i64,)> = ids.build_query_as().fetch_all(&self.read).await?;
                let mut items = Vec::with_capacity(ids.len());
                if !ids.is_empty() {
                    let mut qb: QueryBuilder<$DB> = QueryBuilder::new(format!(
                        "SELECT {CUSTOMER_COLUMNS} FROM customers c JOIN customer_groups g ON g.id = c.group_id WHERE c.id IN ("
                    ));
                    let mut sep = qb.separated(", ");
                    for (id,) in &ids {
                        sep.push_bind(*id);
                    }
                    qb.push(")");
                    let rows: Vec<CustomerRow> = qb.build_query_as().fetch_all(&self.read).await?;
                    let mut by_id: HashMap<i64, CustomerRow> = rows.into_iter().map(|r| (r.id, r)).collect();
                    // A customer deleted between the two reads is left out of the page.
                    items.extend(ids.iter().filter_map(|(id,)| by_id.remove(id)).map(Customer::from));
                }
                Ok(Page { items, total, page, per_page })
            }

            async fn customer_id_span(&self) -> Result<Option<(Id, Id, i64)>> {
                // The count is the one kept by triggers (migration 0002), not a scan.
                let (first, last, count): (Option<Id>, Option<Id>, i64) = sqlx::query_as(
                    "SELECT (SELECT MIN(id) FROM customers), (SELECT MAX(id) FROM customers), \
                     (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM customer_counts)",
                )
                .fetch_one(&self.read)
                .await?;
                Ok(first.zip(last).map(|(first, last)| (first, last, count)))
            }

            async fn export_page(&self, filter: &CustomerFilter, after_id: Id, up_to: Id, limit: i64) -> Result<Vec<ExportRow>> {
                self.export_rows(filter, after_id, up_to, limit).await
            }

            async fn get_customer(&self, id: Id) -> Result<Customer> {
                let row: CustomerRow = sqlx::query_as(&format!(
                    "SELECT {CUSTOMER_COLUMNS} FROM customers c JOIN customer_groups g ON g.id = c.group_id WHERE c.id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.read)
                .await?
                .ok_or(StorageError::NotFound)?;
                Ok(row.into())
            }

            async fn create_customer(&self, values: &CustomerValues) -> Result<Customer> {
                let mut tx = self.begin_write().await?;
                let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM customers WHERE email_key = $1")
                    .bind(&values.email_key)
                    .fetch_optional(&mut *tx)
                    .await?;
                if taken.is_some() {
                    return Err(StorageError::Conflict(format!("a customer with the email {} already exists", values.email)));
                }
                let taken = || format!("a customer with the email {} already exists", values.email);
                let ids = Self::insert_customers(&mut tx, std::slice::from_ref(values), None, None, Utc::now())
                    .await
                    .map_err(|e| e.unique_violation_as(taken))?;
                let Some(Some(id)) = ids.first().copied() else {
                    return Err(StorageError::Conflict(taken()));
                };
                tx.commit().await.map_err(|e| StorageError::from(e).unique_violation_as(taken))?;
                self.get_customer(id).await
            }

            async fn update_customer(&self, id: Id, values: &CustomerValues) -> Result<Customer> {
                let mut tx = self.begin_write().await?;
                let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM customers WHERE email_key = $1 AND id <> $2")
                    .bind(&values.email_key)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if taken.is_some() {
                    return Err(StorageError::Conflict(format!("a customer with the email {} already exists", values.email)));
                }
                let import_id: Option<(Option<i64>,)> = sqlx::query_as("SELECT import_id FROM customers WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((import_id,)) = import_id else { return Err(StorageError::NotFound) };
                let update = CustomerUpdate { id, values: values.clone(), import_id };
                let taken = || format!("a customer with the email {} already exists", values.email);
                Self::update_customers(&mut tx, std::slice::from_ref(&update), Utc::now())
                    .await
                    .map_err(|e| StorageError::from(e).unique_violation_as(taken))?;
                tx.commit().await.map_err(|e| StorageError::from(e).unique_violation_as(taken))?;
                self.get_customer(id).await
            }

            async fn delete_customer(&self, id: Id) -> Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("DELETE FROM customers WHERE id = $1").bind(id).execute(&mut *tx).await?;
                tx.commit().await?;
                if done.rows_affected() == 0 { Err(StorageError::NotFound) } else { Ok(()) }
            }

            async fn create_import(&self, file_name: &str, group_id: Id, on_duplicate: OnDuplicate, settings: &str, source_path: Option<&str>, status: ImportStatus) -> Result<Import> {
                let mut tx = self.begin_write().await?;
                let now = Utc::now();
                let row: ImportRow = sqlx::query_as(&format!(
                    "INSERT INTO imports (file_name, status, group_id, on_duplicate, settings, source_path, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {IMPORT_COLUMNS}"
                ))
                .bind(file_name)
                .bind(status.as_str())
                .bind(group_id)
                .bind(on_duplicate.as_str())
                .bind(settings)
                .bind(source_path)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                if status == ImportStatus::Queued {
                    sqlx::query("INSERT INTO jobs (kind, import_id, status, created_at) VALUES ('import', $1, 'queued', $2)")
                        .bind(row.id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                row.into_import()
            }

            async fn get_import(&self, id: Id) -> Result<Import> {
                self.import_row(id).await?.into_import()
            }

            async fn list_imports(&self, page: i64, per_page: i64) -> Result<Page<Import>> {
                let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM imports").fetch_one(&self.read).await?;
                let rows: Vec<ImportRow> = sqlx::query_as(&format!(
                    "SELECT {IMPORT_COLUMNS} FROM imports ORDER BY id DESC LIMIT $1 OFFSET $2"
                ))
                .bind(per_page)
                .bind((page - 1) * per_page)
                .fetch_all(&self.read)
                .await?;
                Ok(Page { items: rows.into_iter().map(ImportRow::into_import).collect::<Result<_>>()?, total, page, per_page })
            }

            async fn put_batch(&self, import_id: Id, batch: &NewBatch, expected: ImportStatus) -> Result<PutBatch> {
                // Encoded before the transaction: it holds the import's row (PostgreSQL) or
                // the single writer (SQLite), which the import's other batches wait for.
                let rows_json = crate::cpu::heavy(|| StoredRow::stored_json(&batch.rows)).map_err(|e| StorageError::Corrupt(e.to_string()))?;
                let mut tx = self.begin_write().await?;
                let Some((status, _)) = Self::import_status_in(&mut tx, import_id).await? else {
                    return Ok(PutBatch::NotFound);
                };
                let seq = i64::from(batch.seq);
                let stored: Option<(String, String)> =
                    sqlx::query_as("SELECT body_hash, response FROM import_batches WHERE import_id = $1 AND seq = $2")
                        .bind(import_id)
                        .bind(seq)
                        .fetch_optional(&mut *tx)
                        .await?;
                // A replay of the same body answers as the first time did, whatever the status:
                // a client retrying after a lost response must get its answer.
                match stored {
                    Some((hash, response)) if hash == batch.body_hash => return Ok(PutBatch::Replayed(response)),
                    _ if status != expected => return Ok(PutBatch::NotReceiving(status)),
                    Some(_) => return Ok(PutBatch::BodyMismatch),
                    None => {}
                }
                sqlx::query(
                    "INSERT INTO import_batches (import_id, seq, body_hash, row_count, rows, response) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(import_id)
                .bind(seq)
                .bind(&batch.body_hash)
                .bind(batch.row_count as i64)
                .bind(rows_json)
                .bind(&batch.response_json)
                .execute(&mut *tx)
                .await?;
                for chunk in batch.errors.chunks(INSERT_CHUNK) {
                    let mut qb: QueryBuilder<$DB> =
                        QueryBuilder::new("INSERT INTO import_errors (import_id, seq, line, field, value, code, message) ");
                    qb.push_values(chunk, |mut b, e| {
                        b.push_bind(import_id)
                            .push_bind(seq)
                            .push_bind(e.line as i64)
                            .push_bind(e.error.field.clone())
                            .push_bind(e.value.clone())
                            .push_bind(e.error.code.clone())
                            .push_bind(e.error.message.clone());
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                sqlx::query("UPDATE imports SET received = received + $1 WHERE id = $2")
                    .bind(batch.row_count as i64)
                    .bind(import_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(PutBatch::Stored)
            }

            async fn commit_import(&self, import_id: Id, batch_count: i64, row_count: i64) -> Result<CommitOutcome> {
                let mut tx = self.begin_write().await?;
                let Some((status, _)) = Self::import_status_in(&mut tx, import_id).await? else {
                    return Ok(CommitOutcome::NotFound);
                };
                if status != ImportStatus::Receiving {
                    return Ok(CommitOutcome::NotReceiving(status));
                }
                let (stored_batches, stored_rows): (i64, i64) = sqlx::query_as(
                    "SELECT COUNT(*), CAST(COALESCE(SUM(row_count), 0) AS BIGINT) FROM import_batches WHERE import_id = $1",
                )
                .bind(import_id)
                .fetch_one(&mut *tx)
                .await?;
                if stored_batches != batch_count || stored_rows != row_count {
                    return Ok(CommitOutcome::Incomplete { stored_batches, stored_rows });
                }
                let now = Utc::now();
                sqlx::query("UPDATE imports SET status = 'queued', batch_count = $1 WHERE id = $2")
                    .bind(batch_count)
                    .bind(import_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO jobs (kind, import_id, status, created_at) VALUES ('import', $1, 'queued', $2)")
                    .bind(import_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                let row: ImportRow = sqlx::query_as(&format!("SELECT {IMPORT_COLUMNS} FROM imports WHERE id = $1"))
                    .bind(import_id)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(CommitOutcome::Committed(Box::new(row.into_import()?)))
            }

            async fn cancel_import(&self, import_id: Id) -> Result<Import> {
                let mut tx = self.begin_write().await?;
                let Some((status, _)) = Self::import_status_in(&mut tx, import_id).await? else {
                    return Err(StorageError::NotFound);
                };
                let now = Utc::now();
                match status {
                    ImportStatus::Receiving | ImportStatus::Queued => {
                        sqlx::query("UPDATE imports SET status = 'cancelled', finished_at = $1 WHERE id = $2")
                            .bind(now)
                            .bind(import_id)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query(
                            "UPDATE jobs SET status = 'cancelled', finished_at = $1 WHERE import_id = $2 AND status = 'queued'",
                        )
                        .bind(now)
                        .bind(import_id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    ImportStatus::Running => {
                        sqlx::query("UPDATE imports SET cancel_requested = TRUE WHERE id = $1")
                            .bind(import_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    other => {
                        return Err(StorageError::Conflict(format!("an import that is {} cannot be cancelled", other.as_str())));
                    }
                }
                tx.commit().await?;
                self.get_import(import_id).await
            }

            async fn request_undo(&self, import_id: Id) -> Result<Import> {
                let mut tx = self.begin_write().await?;
                let Some((status, _)) = Self::import_status_in(&mut tx, import_id).await? else {
                    return Err(StorageError::NotFound);
                };
                if !matches!(status, ImportStatus::Completed | ImportStatus::Cancelled | ImportStatus::Failed) {
                    return Err(StorageError::Conflict(format!("an import that is {} cannot be undone", status.as_str())));
                }
                let pending: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM jobs WHERE import_id = $1 AND kind = 'undo' AND status IN ('queued', 'running')",
                )
                .bind(import_id)
                .fetch_optional(&mut *tx)
                .await?;
                if pending.is_none() {
                    sqlx::query("INSERT INTO jobs (kind, import_id, status, created_at) VALUES ('undo', $1, 'queued', $2)")
                        .bind(import_id)
                        .bind(Utc::now())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                self.get_import(import_id).await
            }

            async fn error_report(&self, import_id: Id, after: i64, limit: i64) -> Result<Vec<(i64, ErrorReportRow)>> {
                // Ordered by line, then insertion order; `after` is an offset for paging.
                let rows = sqlx::query(
                    "SELECT line, field, value, code, message FROM import_errors WHERE import_id = $1 \
                     ORDER BY line, seq LIMIT $2 OFFSET $3",
                )
                .bind(import_id)
                .bind(limit)
                .bind(after)
                .fetch_all(&self.read)
                .await?;
                Ok(rows
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| {
                        (after + i as i64 + 1, ErrorReportRow { line: r.get("line"), field: r.get("field"), value: r.get("value"), code: r.get("code"), message: r.get("message") })
                    })
                    .collect())
            }

            async fn list_jobs(&self, status: Option<ImportStatus>, page: i64, per_page: i64) -> Result<(Vec<Job>, i64)> {
                let status = status.map(ImportStatus::as_str);
                let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE ($1 IS NULL OR status = $1)")
                    .bind(status)
                    .fetch_one(&self.read)
                    .await?;
                let rows: Vec<JobRow> = sqlx::query_as(
                    "SELECT j.id, j.kind, j.import_id, j.status, j.attempts, j.created_at, j.started_at, j.finished_at, \
                     j.error, i.received, i.processed, i.created, i.updated, i.skipped, i.failed \
                     FROM jobs j JOIN imports i ON i.id = j.import_id WHERE ($1 IS NULL OR j.status = $1) \
                     ORDER BY j.id DESC LIMIT $2 OFFSET $3",
                )
                .bind(status)
                .bind(per_page)
                .bind((page - 1) * per_page)
                .fetch_all(&self.read)
                .await?;
                Ok((rows.into_iter().map(Job::try_from).collect::<Result<_>>()?, total))
            }

            async fn release_all_leases(&self) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("UPDATE jobs SET lease_expires_at = $1 WHERE status = 'running'")
                    .bind(Utc::now() - chrono::Duration::seconds(1))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn claim_job(&self, owner: &str, lease_secs: i64) -> Result<Option<ClaimedJob>> {
                let mut tx = self.begin_write().await?;
                let now = Utc::now();
                let claimed = sqlx::query(Self::CLAIM_SQL)
                    .bind(owner)
                    .bind(now + chrono::Duration::seconds(lease_secs))
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(job) = claimed else { return Ok(None) };
                let job_id: i64 = job.get("id");
                let kind = parse_stored(JobKind::parse, "jobs", job_id, "kind", job.get::<String, _>("kind").as_str())?;
                let import_id: i64 = job.get("import_id");
                let attempts: i64 = job.get("attempts");
                let last_error: Option<String> = job.get("error");
                let import = sqlx::query("SELECT group_id, on_duplicate, source_path, settings, batch_count FROM imports WHERE id = $1")
                    .bind(import_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let on_duplicate = parse_stored(OnDuplicate::parse, "imports", import_id, "on_duplicate", import.get::<String, _>("on_duplicate").as_str())?;
                if kind == JobKind::Import {
                    sqlx::query("UPDATE imports SET status = 'running', started_at = COALESCE(started_at, $1) WHERE id = $2 AND status = 'queued'")
                        .bind(now)
                        .bind(import_id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(Some(ClaimedJob {
                    job_id,
                    kind,
                    import_id,
                    owner: owner.to_owned(),
                    attempts,
                    last_error,
                    group_id: import.get("group_id"),
                    on_duplicate,
                    source_path: import.get("source_path"),
                    settings: import.get("settings"),
                    batch_count: import.get("batch_count"),
                }))
            }

            async fn heartbeat(&self, job_id: Id, owner: &str, lease_secs: i64) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'")
                    .bind(Utc::now() + chrono::Duration::seconds(lease_secs))
                    .bind(job_id)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn next_pending_batches(&self, import_id: Id, max_rows: i64) -> Result<Vec<PendingBatch>> {
                // Which batches fit, from their row counts alone. The partial index on pending
                // batches (migration 0004) finds them without reading the applied ones (SQLite
                // would walk each applied batch's rows).
                let pending: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT seq, row_count FROM import_batches WHERE import_id = $1 AND processed = FALSE \
                     ORDER BY seq LIMIT $2",
                )
                .bind(import_id)
                .bind(max_rows.clamp(1, MAX_BATCHES_PER_TRANSACTION))
                .fetch_all(&self.write)
                .await?;
                let mut rows_taken = 0;
                Ok(pending
                    .into_iter()
                    .take_while(|(_, row_count)| {
                        let fits = rows_taken == 0 || rows_taken + row_count <= max_rows;
                        rows_taken += row_count;
                        fits
                    })
                    .map(|(seq, row_count)| PendingBatch { seq, row_count })
                    .collect())
            }

            async fn apply_batches(&self, job: &ClaimedJob, owner: &str, lease_secs: i64, batches: &[PendingBatch]) -> Result<Option<Applied>> {
                // SQLite: one transaction (its single writer); PostgreSQL: in lanes.
                self.apply_round(job, owner, lease_secs, batches).await
            }

            async fn undo_chunk(&self, job: &ClaimedJob, owner: &str, limit: i64) -> Result<i64> {
                let mut tx = self.begin_write().await?;
                let held: Option<(i64,)> = sqlx::query_as("SELECT id FROM jobs WHERE id = $1 AND lease_owner = $2 AND status = 'running'")
                    .bind(job.job_id)
                    .bind(owner)
                    .fetch_optional(&mut *tx)
                    .await?;
                if held.is_none() {
                    return Ok(0);
                }
                let records = sqlx::query(
                    "SELECT customer_id, last_customer_id, action, previous FROM import_changes \
                     WHERE import_id = $1 ORDER BY customer_id LIMIT $2",
                )
                .bind(job.import_id)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
                let now = Utc::now();
                // A "created" record covers a run of ids: take records until `limit` customers.
                let mut rows = Vec::new();
                let mut customers: i64 = 0;
                for r in records {
                    if customers >= limit {
                        break;
                    }
                    let first: i64 = r.get("customer_id");
                    customers += r.get::<Option<i64>, _>("last_customer_id").map_or(1, |last| last - first + 1);
                    rows.push(r);
                }
                let mut created: Vec<(Id, Id)> = Vec::new();
                let mut restores: Vec<CustomerUpdate> = Vec::new();
                for r in &rows {
                    let customer_id: i64 = r.get("customer_id");
                    let action: String = r.get("action");
                    if action == "created" {
                        created.push((customer_id, r.get::<Option<i64>, _>("last_customer_id").unwrap_or(customer_id)));
                    } else if let Some(prev) = r.get::<Option<String>, _>("previous") {
                        let s: CustomerSnapshot = serde_json::from_str(&prev).map_err(|e| StorageError::Corrupt(e.to_string()))?;
                        let values = CustomerValues {
                            email_key: shared::rules::Email::parse(&s.email)
                                .map(|e| e.key().to_owned())
                                .unwrap_or_else(|_| s.email.to_lowercase()),
                            first_name: s.first_name,
                            last_name: s.last_name,
                            full_name: s.full_name,
                            email: s.email,
                            note: s.note,
                            accepts_marketing: s.accepts_marketing,
                            group_id: s.group_id,
                        };
                        restores.push(CustomerUpdate { id: customer_id, values, import_id: s.import_id });
                    }
                }
                for (first, last) in created {
                    sqlx::query("DELETE FROM customers WHERE id BETWEEN $1 AND $2")
                        .bind(first)
                        .bind(last)
                        .execute(&mut *tx)
                        .await?;
                }
                Self::update_customers(&mut tx, &restores, now).await?;
                // The records taken above are the first by customer id: remove exactly those.
                if let Some(last) = rows.last() {
                    sqlx::query("DELETE FROM import_changes WHERE import_id = $1 AND customer_id <= $2")
                        .bind(job.import_id)
                        .bind(last.get::<i64, _>("customer_id"))
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(rows.len() as i64)
            }

            async fn cancel_requested(&self, import_id: Id) -> Result<bool> {
                let (c,): (bool,) = sqlx::query_as(Self::CANCEL_REQUESTED_SQL)
                    .bind(import_id)
                    .fetch_one(&self.read)
                    .await?;
                Ok(c)
            }

            async fn set_received(&self, import_id: Id, received: i64, batch_count: i64) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("UPDATE imports SET received = $1, batch_count = $2 WHERE id = $3")
                    .bind(received)
                    .bind(batch_count)
                    .bind(import_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn finish_job(&self, job: &ClaimedJob, import_status: ImportStatus, error: Option<&str>) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                let now = Utc::now();
                let job_status = match import_status {
                    ImportStatus::Undone => ImportStatus::Completed,
                    s => s,
                };
                let done = sqlx::query(
                    "UPDATE jobs SET status = $1, finished_at = $2, error = $3, lease_owner = NULL \
                     WHERE id = $4 AND lease_owner = $5 AND status = 'running'",
                )
                .bind(job_status.as_str())
                .bind(now)
                .bind(error)
                .bind(job.job_id)
                .bind(&job.owner)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                if import_status == ImportStatus::Undone {
                    // The import's own job shows that its effect was undone.
                    sqlx::query("UPDATE jobs SET status = 'undone' WHERE import_id = $1 AND kind = 'import'")
                        .bind(job.import_id)
                        .execute(&mut *tx)
                        .await?;
                }
                if job.kind == JobKind::Import || import_status == ImportStatus::Undone {
                    sqlx::query("UPDATE imports SET status = $1, finished_at = $2, error = $3 WHERE id = $4")
                        .bind(import_status.as_str())
                        .bind(now)
                        .bind(error)
                        .bind(job.import_id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn retry_job(&self, job: &ClaimedJob, error: &str, delay_secs: f64) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                let at = Utc::now() + chrono::Duration::milliseconds((delay_secs * 1000.0) as i64);
                let done = sqlx::query(
                    "UPDATE jobs SET lease_owner = NULL, lease_expires_at = $1, error = $2 \
                     WHERE id = $3 AND lease_owner = $4 AND status = 'running'",
                )
                .bind(at)
                .bind(error)
                .bind(job.job_id)
                .bind(&job.owner)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
