-- Customer ids are never given twice. Without AUTOINCREMENT SQLite gives a new row the
-- highest id + 1, so after the customers with the highest ids were deleted, a customer added
-- later could take an id that an import's undo record still names, and undoing that import
-- would delete it. SQLite cannot add AUTOINCREMENT to a table: the table is rebuilt with the
-- same rows, indexes and triggers (the search index keys by id, so it stays valid).
DROP TRIGGER search_index_advance;

CREATE TABLE customers_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    note TEXT NOT NULL,
    accepts_marketing BOOLEAN NOT NULL,
    group_id INTEGER NOT NULL REFERENCES customer_groups(id),
    import_id INTEGER,
    search_text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO customers_rebuilt (id, first_name, last_name, full_name, email, email_key, note,
        accepts_marketing, group_id, import_id, search_text, created_at, updated_at)
    SELECT id, first_name, last_name, full_name, email, email_key, note,
        accepts_marketing, group_id, import_id, search_text, created_at, updated_at
    FROM customers;
DROP TABLE customers;
ALTER TABLE customers_rebuilt RENAME TO customers;

-- Ids that undo records still name were given already, even if those customers are gone.
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'customers', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'customers');
UPDATE sqlite_sequence SET seq = MAX(seq,
        (SELECT COALESCE(MAX(COALESCE(last_customer_id, customer_id)), 0) FROM import_changes))
    WHERE name = 'customers';

CREATE INDEX customers_group_id ON customers(group_id);
CREATE INDEX customers_created_at ON customers(created_at);
CREATE INDEX customers_import_id ON customers(import_id);
CREATE INDEX customers_last_name ON customers(last_name);

CREATE TRIGGER customers_count_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_counts (group_id, n) VALUES (NEW.group_id, 1)
        ON CONFLICT (group_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER customers_count_delete AFTER DELETE ON customers BEGIN
    UPDATE customer_counts SET n = n - 1 WHERE group_id = OLD.group_id;
END;
CREATE TRIGGER customers_count_move AFTER UPDATE OF group_id ON customers
    WHEN OLD.group_id <> NEW.group_id BEGIN
    UPDATE customer_counts SET n = n - 1 WHERE group_id = OLD.group_id;
    INSERT INTO customer_counts (group_id, n) VALUES (NEW.group_id, 1)
        ON CONFLICT (group_id) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER customers_search_insert AFTER INSERT ON customers
    WHEN NEW.id <= (SELECT indexed_through FROM search_index_state) BEGIN
    INSERT INTO customers_search (rowid, search_text) VALUES (NEW.id, NEW.search_text);
END;
CREATE TRIGGER customers_search_delete AFTER DELETE ON customers
    WHEN OLD.id <= (SELECT indexed_through FROM search_index_state) BEGIN
    INSERT INTO customers_search (customers_search, rowid, search_text)
        VALUES ('delete', OLD.id, OLD.search_text);
END;
CREATE TRIGGER customers_search_update AFTER UPDATE OF search_text ON customers
    WHEN OLD.search_text IS NOT NEW.search_text
     AND OLD.id <= (SELECT indexed_through FROM search_index_state) BEGIN
    INSERT INTO customers_search (customers_search, rowid, search_text)
        VALUES ('delete', OLD.id, OLD.search_text);
    INSERT INTO customers_search (rowid, search_text) VALUES (NEW.id, NEW.search_text);
END;
CREATE TRIGGER search_index_advance AFTER UPDATE OF indexed_through ON search_index_state
    WHEN NEW.indexed_through > OLD.indexed_through BEGIN
    INSERT INTO customers_search (rowid, search_text)
        SELECT id, search_text FROM customers
        WHERE id > OLD.indexed_through AND id <= NEW.indexed_through;
END;
