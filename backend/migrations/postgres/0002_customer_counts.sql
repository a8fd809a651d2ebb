-- The number of customers in each group, kept exact by triggers, so that a customer list
-- (unfiltered or by group) does not count a million rows on every page. Statement-level
-- triggers with transition tables: one counter update per statement and group, not per row;
-- groups are updated in id order so that concurrent writers cannot deadlock.
CREATE TABLE customer_counts (
    group_id BIGINT PRIMARY KEY REFERENCES customer_groups(id) ON DELETE CASCADE,
    n BIGINT NOT NULL
);
INSERT INTO customer_counts (group_id, n)
    SELECT group_id, COUNT(*) FROM customers GROUP BY group_id;

CREATE FUNCTION customer_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO customer_counts AS cc (group_id, n)
            SELECT group_id, COUNT(*) FROM new_rows GROUP BY group_id ORDER BY group_id
            ON CONFLICT (group_id) DO UPDATE SET n = cc.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO customer_counts AS cc (group_id, n)
            SELECT group_id, -COUNT(*) FROM old_rows GROUP BY group_id ORDER BY group_id
            ON CONFLICT (group_id) DO UPDATE SET n = cc.n + EXCLUDED.n;
    ELSE
        INSERT INTO customer_counts AS cc (group_id, n)
            SELECT group_id, SUM(d) FROM (
                SELECT group_id, 1 AS d FROM new_rows
                UNION ALL
                SELECT group_id, -1 AS d FROM old_rows
            ) moves GROUP BY group_id HAVING SUM(d) <> 0 ORDER BY group_id
            ON CONFLICT (group_id) DO UPDATE SET n = cc.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER customers_count_insert AFTER INSERT ON customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_apply();
CREATE TRIGGER customers_count_delete AFTER DELETE ON customers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_apply();
CREATE TRIGGER customers_count_update AFTER UPDATE ON customers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_apply();
