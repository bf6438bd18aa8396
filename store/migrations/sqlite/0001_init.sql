-- Certificates, their names, and CRL numbers. Times are INTEGER microseconds since the Unix
-- epoch (UTC) in both backends, so every comparison in the Go code means the same thing.
CREATE TABLE certificates (
    id                INTEGER PRIMARY KEY,            -- creation order; the List cursor
    issuer_key_id     TEXT    NOT NULL,               -- lowercase hex of the issuer's SKI
    serial            TEXT    NOT NULL,               -- lowercase hex, no leading zeros
    subject           TEXT    NOT NULL,
    sans              TEXT    NOT NULL,               -- JSON array, as given
    not_before        INTEGER NOT NULL,
    not_after         INTEGER NOT NULL,
    profile           TEXT    NOT NULL,
    requester         TEXT    NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('pending', 'valid', 'revoked')),
    tbs               BLOB    NOT NULL,
    der               BLOB,
    created_at        INTEGER NOT NULL,
    revoked_at        INTEGER,
    revocation_reason INTEGER,
    UNIQUE (issuer_key_id, serial)
);
CREATE INDEX certificates_serial ON certificates (serial);
CREATE INDEX certificates_status_not_after ON certificates (status, not_after);
CREATE INDEX certificates_not_after ON certificates (not_after);
CREATE INDEX certificates_profile ON certificates (profile, id);
-- The CRL stream: one issuer's revoked certificates, skipping the expired ones.
CREATE INDEX certificates_revoked ON certificates (issuer_key_id, not_after) WHERE status = 'revoked';

-- One row per distinct SAN, lowercased, for --san lookups.
CREATE TABLE certificate_names (
    certificate_id INTEGER NOT NULL REFERENCES certificates (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    PRIMARY KEY (certificate_id, name)
);
CREATE INDEX certificate_names_name ON certificate_names (name);

CREATE TABLE crl_numbers (
    issuer_key_id TEXT    PRIMARY KEY,
    last_number   INTEGER NOT NULL
);
