-- The per-row outcome report: what applying each batch did to each of its accepted rows,
-- written in the transaction that applied it (exact, and kept through a crash). One row per
-- batch and part (PostgreSQL's lanes each write their share; SQLite has one part, 0), its
-- rows as compact JSON (src/ingest/outcome.rs). Failed rows are read from import_errors.
CREATE TABLE import_outcomes (
    import_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    part INTEGER NOT NULL,
    outcomes TEXT NOT NULL,
    PRIMARY KEY (import_id, seq, part),
    FOREIGN KEY (import_id, seq) REFERENCES import_batches (import_id, seq) ON DELETE CASCADE
);

-- The report reads a batch's errors by batch.
CREATE INDEX import_errors_batch ON import_errors (import_id, seq);

-- Who created an import (a user name, token:<name>, or cli), for Queue jobs.
ALTER TABLE imports ADD COLUMN started_by TEXT;

-- A dry run's report (counts and sample changes, JSON), on its job: a dry run writes
-- nothing else that outlives it.
ALTER TABLE jobs ADD COLUMN result TEXT;
