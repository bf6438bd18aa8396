// Package store is the certificate inventory: every certificate the CA reserves and signs is
// recorded durably, keyed by (issuer key id, serial). It is the only package that speaks SQL.
//
// Two backends share one code path through database/sql: SQLite (modernc.org/sqlite, pure Go,
// WAL, synchronous=FULL) for the embedded default and PostgreSQL (pgx) for several processes
// sharing one database. The schema is created and upgraded by embedded, numbered migrations
// when the database is opened.
//
// Reserve and RecordIssued go through a group-commit writer: concurrent callers are answered
// only after their row is committed, but they share one transaction and one fsync, which is
// what makes durable issuance fast (one commit per row caps SQLite at about a thousand rows a
// second on an ordinary disk).
//
// List pages by the order in which reservations were committed, not by row id, so a client
// walking the pages sees each certificate once and misses none committed before its last
// page, however many writers commit concurrently (order.go).
//
// The store also keeps the REST API's tokens (token.go), as hashes only.
//
// Values are stored so both backends compare them the same way: serials and key identifiers
// as lowercase hexadecimal (serials without leading zeros, so UNIQUE(issuer_key_id, serial)
// holds whatever the caller's encoding), times as microseconds since the Unix epoch. Times
// come back in UTC with microsecond precision.
package store
