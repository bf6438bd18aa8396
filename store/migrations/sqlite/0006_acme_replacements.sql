-- Which order holds the right to replace a certificate (RFC 9773 §5): one row per certificate,
-- moved to a new order only by a compare-and-set on the order that held it, so two concurrent
-- newOrders naming one certificate in "replaces" cannot both succeed.
CREATE TABLE acme_replacements (
    cert_id  TEXT NOT NULL PRIMARY KEY, -- ARI CertID of the certificate being replaced
    order_id TEXT NOT NULL              -- the order that replaces it
);
-- The holder of each claim so far: the latest order that named the certificate.
INSERT INTO acme_replacements (cert_id, order_id)
    SELECT o.replaces, o.id FROM acme_orders o
    WHERE o.replaces IS NOT NULL
      AND o.seq = (SELECT max(p.seq) FROM acme_orders p WHERE p.replaces = o.replaces);
