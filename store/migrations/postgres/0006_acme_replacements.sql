-- The PostgreSQL twin of sqlite/0006_acme_replacements.sql: which order holds the right to
-- replace a certificate, moved only by a compare-and-set on the order that held it.
CREATE TABLE acme_replacements (
    cert_id  TEXT NOT NULL PRIMARY KEY,
    order_id TEXT NOT NULL
);
INSERT INTO acme_replacements (cert_id, order_id)
    SELECT o.replaces, o.id FROM acme_orders o
    WHERE o.replaces IS NOT NULL
      AND o.seq = (SELECT max(p.seq) FROM acme_orders p WHERE p.replaces = o.replaces);
