-- Intake schema, SQLite flavour. Keep in step with ../postgres/0001_initial.sql.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT
);

CREATE TABLE customer_groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE
);
INSERT INTO customer_groups (name, name_key) VALUES ('Default', 'default');

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
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
CREATE INDEX customers_group_id ON customers(group_id);
CREATE INDEX customers_created_at ON customers(created_at);
CREATE INDEX customers_import_id ON customers(import_id);
CREATE INDEX customers_last_name ON customers(last_name);

CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    status TEXT NOT NULL,
    group_id INTEGER NOT NULL REFERENCES customer_groups(id),
    on_duplicate TEXT NOT NULL,
    settings TEXT NOT NULL,
    source_path TEXT,
    received INTEGER NOT NULL DEFAULT 0,
    processed INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    batch_count INTEGER,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    error TEXT
);

CREATE TABLE import_batches (
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    body_hash TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    rows TEXT NOT NULL,
    response TEXT NOT NULL,
    processed BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (import_id, seq)
);

CREATE TABLE import_errors (
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    line INTEGER NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX import_errors_import ON import_errors(import_id, line);

-- What an import did to each customer, so that undo can reverse it.
CREATE TABLE import_changes (
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    previous TEXT,
    PRIMARY KEY (import_id, customer_id)
);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires_at TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    error TEXT
);
CREATE INDEX jobs_status ON jobs(status, id);
