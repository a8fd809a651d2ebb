-- A trigram index over `search_text`, so that the list's text filter (`q`, a substring
-- match) finds its customers without reading every row. External content: the text stays
-- in `customers`; triggers keep the index in step.
CREATE VIRTUAL TABLE customers_search USING fts5(
    search_text,
    content = 'customers',
    content_rowid = 'id',
    tokenize = 'trigram',
    detail = 'none'
);
INSERT INTO customers_search (customers_search) VALUES ('rebuild');

CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_search (rowid, search_text) VALUES (NEW.id, NEW.search_text);
END;

CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_search (customers_search, rowid, search_text)
        VALUES ('delete', OLD.id, OLD.search_text);
END;

CREATE TRIGGER customers_search_update AFTER UPDATE OF search_text ON customers
    WHEN OLD.search_text IS NOT NEW.search_text BEGIN
    INSERT INTO customers_search (customers_search, rowid, search_text)
        VALUES ('delete', OLD.id, OLD.search_text);
    INSERT INTO customers_search (rowid, search_text) VALUES (NEW.id, NEW.search_text);
END;
