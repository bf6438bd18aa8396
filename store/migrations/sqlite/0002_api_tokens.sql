-- API tokens for the REST API. Only a hash of each secret is stored; the caller hashes, so
-- the store never holds anything that authenticates by itself.
CREATE TABLE api_tokens (
    seq          INTEGER PRIMARY KEY,            -- creation order, for Tokens
    id           TEXT    NOT NULL UNIQUE,        -- public identifier, part of the token string
    name         TEXT    NOT NULL,
    hash         BLOB    NOT NULL,
    scopes       TEXT    NOT NULL,               -- JSON array
    allow_names  TEXT    NOT NULL,               -- JSON array; empty: any name
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,                        -- NULL: never
    revoked_at   INTEGER,
    last_used_at INTEGER
);
-- A name identifies one live token (`anchor token revoke NAME`); once revoked, it may be reused.
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;
