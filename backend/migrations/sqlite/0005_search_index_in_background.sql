-- The trigram search index is kept up to date in the background instead of by every insert:
-- indexing costs more than the rest of an insert together, and a large import should not
-- wait for it. Customers with an id up to `indexed_through` are in the index (and triggers
-- keep them in step when they change); the text filter scans the few above it directly.
CREATE TABLE search_index_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_through INTEGER NOT NULL
);
INSERT INTO search_index_state (id, indexed_through)
    VALUES (1, COALESCE((SELECT MAX(id) FROM customers), 0));

DROP TRIGGER customers_search_insert;
DROP TRIGGER customers_search_delete;
DROP TRIGGER customers_search_update;

-- A new customer can get an id at or below the mark when the customers with the highest ids
-- were deleted (SQLite reuses the highest rowid + 1): it is indexed at once.
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

-- The indexer moves the mark forward in one statement; this adds the customers it passed.
-- One statement, not a transaction held open across the indexer's steps: a process that
-- stops running its tasks mid-way (a paused or blocked runtime) cannot hold the write lock.
CREATE TRIGGER search_index_advance AFTER UPDATE OF indexed_through ON search_index_state
    WHEN NEW.indexed_through > OLD.indexed_through BEGIN
    INSERT INTO customers_search (rowid, search_text)
        SELECT id, search_text FROM customers
        WHERE id > OLD.indexed_through AND id <= NEW.indexed_through;
END;
