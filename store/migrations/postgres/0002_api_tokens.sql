-- API tokens for the REST API; the PostgreSQL twin of sqlite/0002_api_tokens.sql. Only a hash
-- of each secret is stored; the caller hashes, so the store never holds anything that
-- authenticates by itself.
CREATE TABLE api_tokens (
    seq          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- creation order, for Tokens
    id           TEXT    NOT NULL UNIQUE,        -- public identifier, part of the token string
    name         TEXT    NOT NULL,
    hash         BYTEA   NOT NULL,
    scopes       TEXT    NOT NULL,               -- JSON array
    allow_names  TEXT    NOT NULL,               -- JSON array; empty: any name
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT,                         -- NULL: never
    revoked_at   BIGINT,
    last_used_at BIGINT
);
-- A name identifies one live token (`anchor token revoke NAME`); once revoked, it may be reused.
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;
