//! PostgreSQL's trigram search index (migrations 0013 and 0014), kept up to date in the background:
//! an import's customers wait in `customers_search_pending` and this indexer moves them
//! into `customers_search` (with its pg_trgm index) a chunk at a time; triggers keep the
//! indexed ones in step when they change or go. The text filter reads the index for the
//! indexed customers and scans the pending ones, so a search is exact at every moment.

use std::sync::{Arc, Weak};

use sqlx::PgPool;

use crate::storage::engine::TextIndexSql;
use crate::storage::search_index::{
    CHUNK, IMPORT_RUNNING_SQL, Pacing, SHARE_DURING_IMPORT, SearchDemand, spawn_paced,
};

/// While people search during an import, the indexer takes this share of one connection's
/// time: here it does not hold a single writer, and every search would otherwise scan the
/// customers it has not indexed yet (see [`Pacing`]).
const SHARE_WHILE_SEARCHED: f64 = 0.5;

/// The text filter: the indexed customers through the index, the pending ones by a scan of
/// the pending list alone (it keeps their text: migration 0014).
pub const TEXT_INDEX: TextIndexSql = TextIndexSql {
    index: "SELECT id FROM customers_search WHERE ",
    index_id: "id",
    tail: " UNION ALL SELECT id FROM customers_search_pending WHERE ",
    tail_id: "id",
    tail_condition: "TRUE",
};

/// Moves up to `limit` pending customers into the index, in one statement (so each is in
/// exactly one of the two tables at every moment); returns how many. The customers' rows
/// are locked first, skipping those another transaction holds (an import updating them,
/// an undo deleting them, another server's indexer): the indexer never waits, so it can
/// neither deadlock with them nor index a text that a concurrent update is changing (that
/// update's trigger finds the row once this commits).
pub async fn index_next(pool: &PgPool, limit: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "WITH picked AS ( \
             SELECT c.id, c.search_text FROM customers c \
             WHERE c.id = ANY (ARRAY(SELECT id FROM customers_search_pending ORDER BY id LIMIT $1)) \
             FOR NO KEY UPDATE OF c SKIP LOCKED), \
         moved AS ( \
             DELETE FROM customers_search_pending \
             WHERE id = ANY (ARRAY(SELECT id FROM picked)) RETURNING id) \
         INSERT INTO customers_search (id, search_text) \
         SELECT picked.id, picked.search_text FROM picked JOIN moved ON moved.id = picked.id \
         ON CONFLICT (id) DO UPDATE SET search_text = EXCLUDED.search_text",
    )
    .bind(limit)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Runs the indexer until the storage is dropped.
pub fn spawn(pool: PgPool, searches: Arc<SearchDemand>, alive: Weak<()>) {
    let pacing = Pacing {
        during_import: SHARE_DURING_IMPORT,
        during_import_while_searched: SHARE_WHILE_SEARCHED,
    };
    spawn_paced(alive, searches, pacing, move || {
        let pool = pool.clone();
        async move {
            let indexed = index_next(&pool, CHUNK).await?;
            let (running,): (bool,) = sqlx::query_as(IMPORT_RUNNING_SQL)
                .bind(chrono::Utc::now())
                .fetch_one(&pool)
                .await?;
            Ok((indexed, running))
        }
    });
}
