-- A counter that moves whenever a certificate is revoked, its revocation changes, or a hold is
-- released: caches of certificate status (the OCSP responder's) compare it to know, with one
-- tiny read, whether anything they hold may be stale, whichever process made the change. A
-- trigger keeps it, so no write path can forget to.
CREATE TABLE revocation_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO revocation_epoch (id, n) VALUES (1, 0);
CREATE TRIGGER certificates_revocation_epoch AFTER UPDATE ON certificates
    WHEN OLD.status = 'revoked' OR NEW.status = 'revoked'
BEGIN
    UPDATE revocation_epoch SET n = n + 1 WHERE id = 1;
END;
