-- The order in which reservations were committed: List pages by seq, not by certificates.id;
-- the PostgreSQL twin of sqlite/0003_certificate_order.sql. An id is taken from the identity
-- sequence when a row is inserted, so when the group-commit writers (or several processes)
-- commit concurrently, a lower id can become visible after a higher one, behind a client's
-- cursor. A seq is taken under the row lock of the single certificate_order_last row as the
-- last step before COMMIT, which makes seq order the order in which rows become visible
-- (see order.go).
CREATE TABLE certificate_order (
    seq            BIGINT  PRIMARY KEY,
    certificate_id BIGINT  NOT NULL UNIQUE REFERENCES certificates (id) ON DELETE CASCADE
);
CREATE TABLE certificate_order_last (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    seq      BIGINT  NOT NULL
);
-- Rows present now are all committed, so their id order will do. seq = id keeps every cursor
-- handed out before this migration (an id) meaning the same position.
INSERT INTO certificate_order (seq, certificate_id) SELECT id, id FROM certificates;
INSERT INTO certificate_order_last (only_row, seq) SELECT 1, coalesce(max(id), 0) FROM certificates;
