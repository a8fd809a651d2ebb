//! PostgreSQL: one pool shared by reads and writes; several `intake serve` processes can
//! share the database and its queue (jobs are claimed with `FOR UPDATE SKIP LOCKED`).

mod lanes;
mod search;

pub use lanes::lane_of;

use chrono::{DateTime, Utc};
use shared::api::{CustomerFilter, Id};
use shared::export::ExportRecord;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::query::{Query, QueryAs};
use sqlx::{Database, FromRow, Pool, Postgres, QueryBuilder};

use super::apply::ids_in_order;
use super::engine::{Engine, Store, Tx};
use super::rows::{EXISTING_CUSTOMERS_SQL, ExistingCustomer, ImportChange};
use super::{Applied, ClaimedJob, CustomerUpdate, CustomerValues, ExportRow, PendingBatch, Result};

/// Intake's storage on PostgreSQL.
pub type PgStorage = Store<Postgres>;

impl PgStorage {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        Self::open(url, true).await
    }

    /// Open (and migrate) the database; `search_indexer` starts the background search
    /// indexer (tests leave it off to drive [`Self::index_search`] themselves).
    pub async fn open(url: &str, search_indexer: bool) -> anyhow::Result<Self> {
        let options = url.parse::<PgConnectOptions>()?.options([
            // Short statements from many clients at once: a parallel plan's extra
            // processes (started per statement) take the cores the others wait for.
            ("max_parallel_workers_per_gather", "0"),
        ]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // A database that is away gets a clear 503 soon rather than a 30 s hang.
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        let alive = std::sync::Arc::new(());
        let searches = super::search_index::SearchDemand::new();
        if search_indexer {
            search::spawn(
                pool.clone(),
                searches.clone(),
                std::sync::Arc::downgrade(&alive),
            );
        }
        Ok(Self::new(pool.clone(), pool, searches, Some(alive)))
    }

    /// Move up to `limit` pending customers into the search index; returns how many.
    pub async fn index_search(&self, limit: i64) -> sqlx::Result<u64> {
        search::index_next(&self.write, limit).await
    }
}

impl Engine for Postgres {
    /// Appended to the read of an import row that a write transaction then changes.
    const LOCK_ROW: &'static str = " FOR UPDATE";
    const NAME: &'static str = "postgres";
    /// Whether the import's job should stop before its next round: not while a batch is
    /// applied by some lanes only (a round cut short by a crash or an error), so that a
    /// cancel still stops at a batch boundary; the next round completes it first.
    const CANCEL_REQUESTED_SQL: &'static str = "SELECT cancel_requested AND NOT EXISTS \
        (SELECT 1 FROM import_batch_lanes WHERE import_id = $1) FROM imports WHERE id = $1";
    /// The text filter through the trigram index (migration 0013).
    const TEXT_INDEX: Option<super::engine::TextIndexSql> = Some(search::TEXT_INDEX);
    const CLAIM_SQL: &'static str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, \
        lease_owner = $1, lease_expires_at = $2, started_at = COALESCE(started_at, $3) \
        WHERE id = (SELECT id FROM jobs WHERE status = 'queued' \
                    OR (status = 'running' AND lease_expires_at < $3) ORDER BY id LIMIT 1 \
                    FOR UPDATE SKIP LOCKED) \
        RETURNING id, kind, import_id, attempts, error";

    /// `VACUUM (ANALYZE) customers`: a list page is an index-only scan, which reads a
    /// table row for every index entry it passes (deep pages pass thousands) until the
    /// visibility map says the row is visible to all, and only VACUUM sets that; autovacuum
    /// gets there a minute or more after a large import. Measured on 220,000 customers right
    /// after an import, page 181 of the list: 3.5-4.3 ms before, 1.3 ms after. It also
    /// gives the planner the new row counts. It skips the pages already all-visible, so its
    /// cost follows the rows the import changed.
    async fn after_bulk_change(write: &Pool<Postgres>) -> sqlx::Result<()> {
        sqlx::raw_sql("VACUUM (ANALYZE) customers")
            .execute(write)
            .await
            .map(drop)
    }

    fn rows_affected(done: &<Postgres as Database>::QueryResult) -> u64 {
        done.rows_affected()
    }

    async fn begin_write(write: &Pool<Postgres>) -> sqlx::Result<Tx<Postgres>> {
        write.begin().await
    }

    fn built_as<'q, T>(
        qb: &'q mut QueryBuilder<'_, Postgres>,
    ) -> QueryAs<'q, Postgres, T, <Postgres as Database>::Arguments<'q>>
    where
        T: for<'r> FromRow<'r, <Postgres as Database>::Row>,
    {
        qb.build_query_as()
    }

    fn built<'q>(
        qb: &'q mut QueryBuilder<'_, Postgres>,
    ) -> Query<'q, Postgres, <Postgres as Database>::Arguments<'q>> {
        qb.build()
    }

    /// An export page: the export's columns only, decoded by position (sqlx's named
    /// lookups of each column of each row were the export's largest cost).
    async fn export_rows(
        store: &PgStorage,
        filter: &CustomerFilter,
        after_id: Id,
        up_to: Id,
        limit: i64,
    ) -> Result<Vec<ExportRow>> {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new("");
        PgStorage::push_export_page(&mut qb, filter, after_id, up_to, limit);
        type Cells = (Id, String, String, String, String, bool, Id, DateTime<Utc>);
        let rows: Vec<Cells> = qb.build_query_as().fetch_all(&store.read).await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    first_name,
                    last_name,
                    email,
                    note,
                    accepts_marketing,
                    group_id,
                    created_at,
                )| {
                    ExportRow {
                        id,
                        group_id,
                        record: ExportRecord {
                            first_name,
                            last_name,
                            email,
                            note,
                            accepts_marketing,
                            created_at,
                        },
                    }
                },
            )
            .collect())
    }

    /// Insert these customers in one statement, one array per column joined by `UNNEST`
    /// (a multi-row `VALUES` list binds twelve parameters a row), leaving out those whose
    /// email a customer already has; their ids in order (see [`ids_in_order`]). `ids`: the
    /// ids reserved for them (lanes), else the identity's next ones.
    async fn insert_customers(
        tx: &mut Tx<Postgres>,
        rows: &[CustomerValues],
        ids: Option<&[Id]>,
        import_id: Option<Id>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<Id>>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let column = |f: fn(&CustomerValues) -> &str| -> Vec<&str> { rows.iter().map(f).collect() };
        // A NULL id takes the identity's next value.
        let ids: Vec<Option<Id>> = match ids {
            Some(ids) => ids.iter().copied().map(Some).collect(),
            None => vec![None; rows.len()],
        };
        let returned: Vec<(i64, String)> = sqlx::query_as(
            "INSERT INTO customers (id, first_name, last_name, full_name, email, email_key, note, \
             accepts_marketing, group_id, import_id, search_text, created_at, updated_at) \
             SELECT COALESCE(id, nextval('customers_id_seq')), first_name, last_name, full_name, \
                    email, email_key, note, accepts_marketing, group_id, $10, search_text, $11, $11 \
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
                         $7::boolean[], $8::bigint[], $9::text[], $12::bigint[]) \
               AS v(first_name, last_name, full_name, email, email_key, note, accepts_marketing, \
                    group_id, search_text, id) \
             ON CONFLICT (email_key) DO NOTHING RETURNING id, email_key",
        )
            .bind(column(|v| &v.fields.first_name))
            .bind(column(|v| &v.fields.last_name))
            .bind(column(|v| &v.fields.full_name))
            .bind(column(|v| &v.fields.email))
            .bind(column(|v| &v.email_key))
            .bind(column(|v| &v.fields.note))
            .bind(
                rows.iter()
                    .map(|v| v.fields.accepts_marketing)
                    .collect::<Vec<bool>>(),
            )
            .bind(rows.iter().map(|v| v.group_id).collect::<Vec<Id>>())
            .bind(
                rows.iter()
                    .map(CustomerValues::search_text)
                    .collect::<Vec<String>>(),
            )
            .bind(import_id)
            .bind(now)
            .bind(&ids)
            .fetch_all(&mut **tx)
            .await?;
        Ok(ids_in_order(rows, returned))
    }

    /// The customers these email keys name, in one statement (`= ANY` of one array).
    async fn existing_customers(
        tx: &mut Tx<Postgres>,
        email_keys: &[&str],
    ) -> sqlx::Result<Vec<ExistingCustomer>> {
        sqlx::query_as(&format!(
            "{EXISTING_CUSTOMERS_SQL} WHERE email_key = ANY($1)"
        ))
        .bind(email_keys)
        .fetch_all(&mut **tx)
        .await
    }

    /// Write these undo records in one statement, one array per column.
    async fn insert_changes(
        tx: &mut Tx<Postgres>,
        import_id: Id,
        changes: &[ImportChange],
    ) -> sqlx::Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO import_changes (import_id, customer_id, last_customer_id, action, previous) \
             SELECT $1, customer_id, last_customer_id, action, previous \
             FROM UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::text[]) \
               AS v(customer_id, last_customer_id, action, previous)",
        )
        .bind(import_id)
        .bind(changes.iter().map(|c| c.first_id).collect::<Vec<Id>>())
        .bind(changes.iter().map(|c| c.last_id).collect::<Vec<Option<Id>>>())
        .bind(changes.iter().map(|c| c.action).collect::<Vec<&str>>())
        .bind(
            changes
                .iter()
                .map(|c| c.previous.as_deref())
                .collect::<Vec<Option<&str>>>(),
        )
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Overwrite these customers in one statement: one array per column, joined by `UNNEST`.
    async fn update_customers(
        tx: &mut Tx<Postgres>,
        rows: &[CustomerUpdate],
        now: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let column = |f: fn(&CustomerUpdate) -> &str| -> Vec<&str> { rows.iter().map(f).collect() };
        sqlx::query(
            "UPDATE customers AS c SET first_name = v.first_name, last_name = v.last_name, \
             full_name = v.full_name, email = v.email, email_key = v.email_key, note = v.note, \
             accepts_marketing = v.accepts_marketing, group_id = v.group_id, \
             search_text = v.search_text, import_id = v.import_id, updated_at = $12 \
             FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
                         $7::text[], $8::boolean[], $9::bigint[], $10::text[], $11::bigint[]) \
               AS v(id, first_name, last_name, full_name, email, email_key, note, \
                    accepts_marketing, group_id, search_text, import_id) \
             WHERE c.id = v.id",
        )
        .bind(rows.iter().map(|u| u.id).collect::<Vec<Id>>())
        .bind(column(|u| &u.values.fields.first_name))
        .bind(column(|u| &u.values.fields.last_name))
        .bind(column(|u| &u.values.fields.full_name))
        .bind(column(|u| &u.values.fields.email))
        .bind(column(|u| &u.values.email_key))
        .bind(column(|u| &u.values.fields.note))
        .bind(
            rows.iter()
                .map(|u| u.values.fields.accepts_marketing)
                .collect::<Vec<bool>>(),
        )
        .bind(rows.iter().map(|u| u.values.group_id).collect::<Vec<Id>>())
        .bind(
            rows.iter()
                .map(|u| u.values.search_text())
                .collect::<Vec<String>>(),
        )
        .bind(
            rows.iter()
                .map(|u| u.import_id)
                .collect::<Vec<Option<Id>>>(),
        )
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn apply_round(
        store: &PgStorage,
        job: &ClaimedJob,
        owner: &str,
        lease_secs: i64,
        batches: &[PendingBatch],
    ) -> Result<Option<Applied>> {
        store.apply_in_lanes(job, owner, lease_secs, batches).await
    }
}
