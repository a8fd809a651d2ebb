-- Substring search (`q`) through a trigram index (pg_trgm; a trusted extension since
-- PostgreSQL 13, so a database owner may create it). Building a customer's trigrams costs
-- more than the rest of inserting it, so an import does not: its customers are listed in
-- customers_search_pending (one statement-level trigger), and a background indexer moves
-- them into customers_search in chunks (storage/postgres/search.rs). A search reads the
-- index for the indexed customers and scans the pending ones, so it is exact at every
-- moment: each customer is in exactly one of the two tables, moved in one statement.
-- (Customer ids are not committed in id order here, unlike SQLite's single writer, so a
-- mark of the highest indexed id, as SQLite keeps, would miss customers.)
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE customers_search (
    id BIGINT PRIMARY KEY,
    search_text TEXT NOT NULL
);
CREATE INDEX customers_search_text ON customers_search USING gin (search_text gin_trgm_ops);

CREATE TABLE customers_search_pending (
    id BIGINT PRIMARY KEY
);
INSERT INTO customers_search_pending SELECT id FROM customers;

CREATE FUNCTION customers_search_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO customers_search_pending SELECT id FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        DELETE FROM customers_search WHERE id IN (SELECT id FROM old_rows);
        DELETE FROM customers_search_pending WHERE id IN (SELECT id FROM old_rows);
    ELSE
        -- Indexed customers keep their text in step; pending ones are read as they are.
        UPDATE customers_search s SET search_text = n.search_text
            FROM new_rows n WHERE s.id = n.id AND s.search_text <> n.search_text;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER customers_search_insert AFTER INSERT ON customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customers_search_apply();
CREATE TRIGGER customers_search_delete AFTER DELETE ON customers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customers_search_apply();
CREATE TRIGGER customers_search_update AFTER UPDATE ON customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customers_search_apply();
