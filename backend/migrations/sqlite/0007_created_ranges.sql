-- A "created" undo record now covers a run of consecutive customer ids, customer_id up to
-- last_customer_id: an import of a million new customers writes about a thousand records,
-- not a million. NULL (records written before this) means the one customer_id.
ALTER TABLE import_changes ADD COLUMN last_customer_id INTEGER;
