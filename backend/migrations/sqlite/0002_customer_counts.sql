-- The number of customers in each group, kept exact by triggers, so that a customer list
-- (unfiltered or by group) does not count a million rows on every page.
CREATE TABLE customer_counts (
    group_id INTEGER PRIMARY KEY REFERENCES customer_groups(id) ON DELETE CASCADE,
    n INTEGER NOT NULL
);
INSERT INTO customer_counts (group_id, n)
    SELECT group_id, COUNT(*) FROM customers GROUP BY group_id;

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
