//! SQLite's trigram search index (migrations 0003 and 0005), kept up to date in the
//! background. Indexing a customer's text costs more than the rest of inserting it, so an
//! import stores its customers without it and this indexer adds them afterwards, in chunks,
//! from the lowest id not yet indexed. Customers up to the mark `indexed_through` are in the
//! index (triggers keep them in step when they change or go); the text filter reads the index
//! for those and scans the few above the mark directly, so a search is exact at every moment.
//! The pacing of the indexer ([`spawn_paced`]) is shared with PostgreSQL's
//! (`postgres/search.rs`).

use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::SqlitePool;

use super::engine::TextIndexSql;

/// Customers indexed per step (one statement on the writer; on PostgreSQL, on the pool).
pub const CHUNK: i64 = 4000;
/// How long the indexer waits before looking again when everything is indexed.
const IDLE: Duration = Duration::from_millis(250);
/// While an import is running, the indexer takes at most about this share of the single
/// writer, so that the import finishes first and searches stay fast meanwhile (the rows
/// above the mark are scanned, and stay few while the import is small).
pub(super) const SHARE_DURING_IMPORT: f64 = 0.1;
/// Otherwise it leaves the writer free for at least this share of the time between chunks.
const SHARE_LEFT_FOR_OTHERS: f64 = 0.2;
/// A search this recent counts as people searching now ([`SearchDemand`]).
const SEARCHING_WITHIN: Duration = Duration::from_secs(10);

/// How an engine's indexer shares the machine while an import runs: its share of the time
/// normally, and while people search. Every search scans the customers not yet indexed, so
/// once searches come in, indexing them costs less than scanning them again and again: on
/// PostgreSQL a search during a 200,000-row import read every pending customer with three
/// processes (135 ms of CPU each, ten a second: most of a 2-core machine).
#[derive(Clone, Copy)]
pub(super) struct Pacing {
    pub during_import: f64,
    pub during_import_while_searched: f64,
}

impl Pacing {
    /// The indexer's share of the time now.
    fn share(self, import_running: bool, searching: bool) -> f64 {
        match (import_running, searching) {
            (false, _) => 1.0 - SHARE_LEFT_FOR_OTHERS,
            (true, true) => self.during_import_while_searched,
            (true, false) => self.during_import,
        }
    }
}

/// When a text filter last ran, for the indexer's pace (see [`Pacing`]).
pub struct SearchDemand {
    opened: Instant,
    /// Milliseconds since `opened` of the last search, plus one; 0: none yet.
    last: AtomicU64,
}

impl SearchDemand {
    pub fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            opened: Instant::now(),
            last: AtomicU64::new(0),
        })
    }

    /// A text filter is being read.
    pub fn searched(&self) {
        let now = self.opened.elapsed().as_millis() as u64 + 1;
        self.last.store(now, Ordering::Relaxed);
    }

    /// Whether a search ran within `window`.
    pub fn recent(&self, window: Duration) -> bool {
        match self.last.load(Ordering::Relaxed) {
            0 => false,
            last => {
                let now = self.opened.elapsed().as_millis() as u64 + 1;
                now.saturating_sub(last) <= window.as_millis() as u64
            }
        }
    }
}

/// The text filter: the indexed customers through the index, the rest (above the mark) by a
/// scan of their ids.
pub const TEXT_INDEX: TextIndexSql = TextIndexSql {
    index: "SELECT rowid FROM customers_search WHERE ",
    index_id: "rowid",
    tail: " UNION ALL SELECT id FROM customers WHERE ",
    tail_id: "id",
    tail_condition: "id > (SELECT indexed_through FROM search_index_state)",
};

/// Index up to `limit` customers above the mark; returns how many.
pub async fn index_next(write: &SqlitePool, limit: i64) -> sqlx::Result<u64> {
    let (before,): (i64,) = sqlx::query_as("SELECT indexed_through FROM search_index_state")
        .fetch_one(write)
        .await?;
    // One statement: its trigger (migration 0005) adds the customers the mark passes.
    let moved: Option<(i64,)> = sqlx::query_as(
        "UPDATE search_index_state SET indexed_through = \
           (SELECT MAX(id) FROM (SELECT id FROM customers WHERE id > indexed_through \
                                 ORDER BY id LIMIT $1)) \
         WHERE EXISTS (SELECT 1 FROM customers WHERE id > indexed_through) \
         RETURNING indexed_through",
    )
    .bind(limit)
    .fetch_optional(write)
    .await?;
    let Some((after,)) = moved else {
        return Ok(0);
    };
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM customers WHERE id > $1 AND id <= $2")
            .bind(before)
            .bind(after)
            .fetch_one(write)
            .await?;
    Ok(count as u64)
}

/// Whether an import job is being applied (its lease still running); binds now.
pub(super) const IMPORT_RUNNING_SQL: &str = "SELECT EXISTS (SELECT 1 FROM jobs \
    WHERE status = 'running' AND kind = 'import' AND lease_expires_at > $1)";

/// Runs SQLite's indexer until the storage is dropped. It takes the single writer, which the
/// import and every edit need too, so searches do not speed it up.
pub fn spawn(write: SqlitePool, searches: std::sync::Arc<SearchDemand>, alive: Weak<()>) {
    let pacing = Pacing {
        during_import: SHARE_DURING_IMPORT,
        during_import_while_searched: SHARE_DURING_IMPORT,
    };
    spawn_paced(alive, searches, pacing, move || {
        let write = write.clone();
        async move {
            let indexed = index_next(&write, CHUNK).await?;
            let (running,): (bool,) = sqlx::query_as(IMPORT_RUNNING_SQL)
                .bind(chrono::Utc::now())
                .fetch_one(&write)
                .await?;
            Ok((indexed, running))
        }
    });
}

/// Runs an indexer's steps (each: how many customers it indexed, and whether an import is
/// running) until the storage is dropped, pacing them to the shares above and `pacing`.
/// Both engines' indexers run this way.
pub(super) fn spawn_paced<S, F>(
    alive: Weak<()>,
    searches: std::sync::Arc<SearchDemand>,
    pacing: Pacing,
    mut step: S,
) where
    S: FnMut() -> F + Send + 'static,
    F: std::future::Future<Output = sqlx::Result<(u64, bool)>> + Send,
{
    tokio::spawn(async move {
        while alive.strong_count() > 0 {
            let started = Instant::now();
            let pause = match step().await {
                Ok((0, _)) => IDLE,
                Ok((_, import_running)) => {
                    let took = started.elapsed();
                    let searching = searches.recent(SEARCHING_WITHIN);
                    let share = pacing.share(import_running, searching);
                    took.mul_f64((1.0 - share) / share)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "updating the search index failed; will retry");
                    Duration::from_secs(5)
                }
            };
            tokio::time::sleep(pause).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_during_an_import_speed_the_indexer_up_where_the_engine_says_so() {
        let pacing = Pacing {
            during_import: 0.1,
            during_import_while_searched: 0.5,
        };
        assert_eq!(pacing.share(true, false), 0.1);
        assert_eq!(pacing.share(true, true), 0.5);
        assert_eq!(pacing.share(false, true), 0.8);
        assert_eq!(pacing.share(false, false), 0.8);
    }

    #[test]
    fn a_search_counts_as_recent_within_its_window_only() {
        let demand = SearchDemand::new();
        assert!(!demand.recent(SEARCHING_WITHIN), "no search yet");
        demand.searched();
        assert!(demand.recent(SEARCHING_WITHIN));
        std::thread::sleep(Duration::from_millis(20));
        assert!(!demand.recent(Duration::from_millis(5)));
    }
}
