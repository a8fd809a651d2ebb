-- A round of an import's batches is applied by several transactions at once, each taking the
-- rows of one lane (a hash of the email; see src/storage/postgres/lanes.rs).

-- The group counters get a row per lane, summed when read, so that lanes inserting into the
-- same group do not queue for one counter row. A transaction's lane is its `intake.lane`
-- setting; every other writer counts in lane 0.
ALTER TABLE customer_counts ADD COLUMN lane SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE customer_counts DROP CONSTRAINT customer_counts_pkey;
ALTER TABLE customer_counts ADD PRIMARY KEY (group_id, lane);

CREATE OR REPLACE FUNCTION customer_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing BIGINT;
    this_lane SMALLINT := COALESCE(NULLIF(current_setting('intake.lane', true), ''), '0')::SMALLINT;
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM 1 FROM customer_groups
            WHERE id IN (SELECT DISTINCT group_id FROM new_rows) ORDER BY id FOR KEY SHARE;
        SELECT n.group_id INTO missing FROM (SELECT DISTINCT group_id FROM new_rows) n
            WHERE NOT EXISTS (SELECT 1 FROM customer_groups g WHERE g.id = n.group_id)
            LIMIT 1;
        IF FOUND THEN
            PERFORM raise_missing_reference('customers', 'customers_group_id_fkey', 'group_id',
                                            'customer_groups', missing);
        END IF;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO customer_counts AS cc (group_id, lane, n)
            SELECT group_id, this_lane, COUNT(*) FROM new_rows GROUP BY group_id ORDER BY group_id
            ON CONFLICT (group_id, lane) DO UPDATE SET n = cc.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO customer_counts AS cc (group_id, lane, n)
            SELECT group_id, this_lane, -COUNT(*) FROM old_rows GROUP BY group_id ORDER BY group_id
            ON CONFLICT (group_id, lane) DO UPDATE SET n = cc.n + EXCLUDED.n;
    ELSE
        INSERT INTO customer_counts AS cc (group_id, lane, n)
            SELECT group_id, this_lane, SUM(d) FROM (
                SELECT group_id, 1 AS d FROM new_rows
                UNION ALL
                SELECT group_id, -1 AS d FROM old_rows
            ) moves GROUP BY group_id HAVING SUM(d) <> 0 ORDER BY group_id
            ON CONFLICT (group_id, lane) DO UPDATE SET n = cc.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;

-- What each lane did to each batch of a round. Once every lane has applied a batch, the
-- round's last transaction marks the batch applied, adds these counts to the import and
-- deletes the rows; after a crash, a lane that has its row here skips the batch.
CREATE TABLE import_batch_lanes (
    import_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    lane SMALLINT NOT NULL,
    processed BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    skipped BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    PRIMARY KEY (import_id, seq, lane),
    FOREIGN KEY (import_id, seq) REFERENCES import_batches (import_id, seq) ON DELETE CASCADE
);
