-- The PostgreSQL twin of sqlite/0005_revocation_epoch.sql: a counter that moves whenever a
-- certificate is revoked, its revocation changes, or a hold is released, kept by a trigger so
-- that status caches in any process can tell with one tiny read whether they may be stale.
CREATE TABLE revocation_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  BIGINT  NOT NULL
);
INSERT INTO revocation_epoch (id, n) VALUES (1, 0);
CREATE FUNCTION certificates_revocation_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE revocation_epoch SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER certificates_revocation_epoch AFTER UPDATE ON certificates
    FOR EACH ROW WHEN (OLD.status = 'revoked' OR NEW.status = 'revoked')
    EXECUTE FUNCTION certificates_revocation_epoch();
