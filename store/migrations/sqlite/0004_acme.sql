-- State of the ACME server (RFC 8555). Orders and authorizations keep their nested fields
-- (identifiers, challenges, errors) as JSON owned by the caller in body; the columns are
-- what queries select on. version makes every update a compare-and-set, so two processes
-- sharing the database cannot both move one object out of a state.
CREATE TABLE acme_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
-- Nonces are self-authenticating (the server MACs them); only spent ones are stored, until
-- they would have expired anyway.
CREATE TABLE acme_spent_nonces (
    nonce      TEXT    PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX acme_spent_nonces_expiry ON acme_spent_nonces (expires_at);
CREATE TABLE acme_eab_keys (
    seq        INTEGER PRIMARY KEY,
    kid        TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    hmac_key   BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    account_id TEXT,                        -- the account it bound; a key binds once
    bound_at   INTEGER,
    revoked_at INTEGER
);
CREATE TABLE acme_accounts (
    seq        INTEGER PRIMARY KEY,
    id         TEXT    NOT NULL UNIQUE,
    thumbprint TEXT    NOT NULL UNIQUE,     -- RFC 7638 of the current key: one account per key
    jwk        TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    contact    TEXT    NOT NULL,            -- JSON array
    tos_agreed INTEGER NOT NULL,
    eab_kid    TEXT,
    created_at INTEGER NOT NULL,
    version    INTEGER NOT NULL
);
CREATE TABLE acme_orders (
    seq         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    account_id  TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    replaces    TEXT,                       -- ARI CertID of the certificate this order renews
    cert_serial TEXT,                       -- lowercase hex, once issued
    body        TEXT    NOT NULL,
    version     INTEGER NOT NULL
);
CREATE INDEX acme_orders_account ON acme_orders (account_id, seq);
CREATE INDEX acme_orders_replaces ON acme_orders (replaces);
CREATE INDEX acme_orders_serial ON acme_orders (cert_serial);
CREATE TABLE acme_authzs (
    seq         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    account_id  TEXT    NOT NULL,
    ident_type  TEXT    NOT NULL,
    ident_value TEXT    NOT NULL,
    wildcard    INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    version     INTEGER NOT NULL
);
CREATE INDEX acme_authzs_reuse ON acme_authzs (account_id, ident_type, ident_value, wildcard, status);
CREATE INDEX acme_authzs_failures ON acme_authzs (ident_value, status, updated_at);
