-- References checked once per statement instead of once per row.
--
-- A foreign key runs a locking lookup of the referenced row for every inserted row, through
-- the executor: importing a million customers spent 8 of its 20 s of inserts checking
-- `customers.group_id`, and `import_changes.import_id` as much again. The triggers below do
-- what those two foreign keys did, per statement: every group (import) that the new rows
-- name is locked FOR KEY SHARE, as the foreign key's own check locks it, and must exist; a
-- group that customers still name cannot be deleted; an import's changes go with it.
-- Under READ COMMITTED each statement in these functions sees what committed before it, and
-- the lock makes a deleting transaction and an inserting one wait for each other, so the
-- same races are closed as with the foreign keys. SQLite keeps its foreign keys (a check is
-- a cheap rowid lookup there).

ALTER TABLE customers DROP CONSTRAINT customers_group_id_fkey;
ALTER TABLE import_changes DROP CONSTRAINT import_changes_import_id_fkey;

-- Raised as a foreign key violation naming the constraint that used to do this.
CREATE FUNCTION raise_missing_reference(tbl TEXT, constraint_name TEXT, col TEXT, parent TEXT, missing BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', tbl, constraint_name
        USING ERRCODE = 'foreign_key_violation',
              DETAIL = format('Key (%s)=(%s) is not present in table "%s".', col, missing, parent),
              TABLE = tbl, CONSTRAINT = constraint_name;
END
$$;

-- The group counts trigger (migration 0002) already sees each statement's new rows: it
-- checks their groups first.
CREATE OR REPLACE FUNCTION customer_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing BIGINT;
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

-- A group that customers name stays (as ON DELETE NO ACTION did).
CREATE FUNCTION customer_groups_in_use() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM customers WHERE group_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "customer_groups" violates foreign key constraint "customers_group_id_fkey" on table "customers"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "customers".', OLD.id),
                  TABLE = 'customers', CONSTRAINT = 'customers_group_id_fkey';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER customer_groups_in_use AFTER DELETE OR UPDATE OF id ON customer_groups
    FOR EACH ROW EXECUTE FUNCTION customer_groups_in_use();

CREATE FUNCTION import_changes_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing BIGINT;
BEGIN
    PERFORM 1 FROM imports
        WHERE id IN (SELECT DISTINCT import_id FROM new_rows) ORDER BY id FOR KEY SHARE;
    SELECT n.import_id INTO missing FROM (SELECT DISTINCT import_id FROM new_rows) n
        WHERE NOT EXISTS (SELECT 1 FROM imports i WHERE i.id = n.import_id)
        LIMIT 1;
    IF FOUND THEN
        PERFORM raise_missing_reference('import_changes', 'import_changes_import_id_fkey',
                                        'import_id', 'imports', missing);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER import_changes_check_insert AFTER INSERT ON import_changes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION import_changes_check();
CREATE TRIGGER import_changes_check_update AFTER UPDATE ON import_changes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION import_changes_check();

-- An import's changes go with it (as ON DELETE CASCADE did).
CREATE FUNCTION import_changes_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM import_changes WHERE import_id = OLD.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER import_changes_cascade AFTER DELETE ON imports
    FOR EACH ROW EXECUTE FUNCTION import_changes_cascade();
