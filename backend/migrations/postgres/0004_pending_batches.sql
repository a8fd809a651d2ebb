-- The batches an import still has to apply, found without reading the applied ones. The
-- job asks for them again after every transaction; on SQLite the plain primary key scan read
-- every applied batch's stored rows to get at `processed`, a quadratic cost on large imports.
CREATE INDEX import_batches_pending ON import_batches (import_id, seq) WHERE processed = FALSE;

-- A stored batch is written once and read once: compressing it (the default for large
-- text) cost the upload more than it saved.
ALTER TABLE import_batches ALTER COLUMN rows SET STORAGE EXTERNAL;
