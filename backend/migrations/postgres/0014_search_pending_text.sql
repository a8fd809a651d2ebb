-- A search reads the customers not yet indexed by scanning them. Joined to `customers`, the
-- query planners read every customer (a parallel scan of all 220,000 with three processes,
-- even with none pending) and looked each up in the pending list. With its own copy of the
-- text, the pending list is scanned alone: the cost follows how many are pending.
ALTER TABLE customers_search_pending ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE customers_search_pending p SET search_text = c.search_text
    FROM customers c WHERE c.id = p.id;
ALTER TABLE customers_search_pending ALTER COLUMN search_text DROP DEFAULT;

CREATE OR REPLACE FUNCTION customers_search_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO customers_search_pending (id, search_text)
            SELECT id, search_text FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM customers_search WHERE id IN (SELECT id FROM old_rows);
        DELETE FROM customers_search_pending WHERE id IN (SELECT id FROM old_rows);
    ELSE
        -- Indexed and pending customers alike keep their text in step.
        UPDATE customers_search s SET search_text = n.search_text
            FROM new_rows n WHERE s.id = n.id AND s.search_text <> n.search_text;
        UPDATE customers_search_pending p SET search_text = n.search_text
            FROM new_rows n WHERE p.id = n.id AND p.search_text <> n.search_text;
    END IF;
    RETURN NULL;
END
$$;
