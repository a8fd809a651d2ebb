-- Mapping profiles: a column mapping by header name, saved under a name and the fingerprint
-- of the header line it was made for (shared::import::profile), shared by every user.
-- headers and mapping are JSON (an array of strings; an object from header to target or
-- null), read back strictly.
CREATE TABLE mapping_profiles (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    headers TEXT NOT NULL,
    mapping TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX mapping_profiles_fingerprint ON mapping_profiles (fingerprint, updated_at);
