package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migrations are numbered SQL files, one set per backend because the dialects differ in
// identity columns and blob types: migrations/<backend>/NNNN_name.sql. A migration is never
// edited once released; a change is a new file.
//
//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(backend string) ([]migration, error) {
	dir := path.Join("migrations", backend)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("store: reading migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("store: migration file %s is not named NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("store: reading migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migrations for %s skip or repeat version %d", backend, m.version)
		}
	}
	return ms, nil
}

// migrate applies the pending migrations in one transaction. Two processes opening the same
// database at once serialise here: PostgreSQL through a transaction-scoped advisory lock
// taken before anything is read, SQLite through the write lock BEGIN IMMEDIATE takes. The
// second process then sees the first one's versions and applies nothing.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations(db.backend)
	if err != nil {
		return err
	}
	return db.applyMigrations(ctx, ms)
}

// applyMigrations brings the schema to the last of ms, which starts at version 1. Tests pass
// a prefix to build a database as an older release left it.
func (db *DB) applyMigrations(ctx context.Context, ms []migration) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return wrap("migrating: begin", err)
	}
	defer tx.Rollback()
	if db.backend == BackendPostgres {
		// Keyed by schema, so databases sharing a server but not a schema do not wait for each other.
		if _, err := tx.ExecContext(ctx,
			`SELECT pg_advisory_xact_lock(hashtext('anchor/store/migrate/' || coalesce(current_schema(), '')))`); err != nil {
			return wrap("migrating: taking the advisory lock", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT   NOT NULL,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return wrap("migrating: creating schema_migrations", err)
	}
	var current int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return wrap("migrating: reading schema_migrations", err)
	}
	if current > int64(len(ms)) {
		return fmt.Errorf("store: database schema is version %d, newer than this binary knows (%d)", current, len(ms))
	}
	for _, m := range ms[current:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return wrap(fmt.Sprintf("applying migration %04d_%s", m.version, m.name), err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			int64(m.version), m.name, micros(db.now())); err != nil {
			return wrap("migrating: recording version", err)
		}
		db.log.LogAttrs(ctx, slog.LevelInfo, "store: applied migration",
			slog.Int("version", m.version), slog.String("name", m.name), slog.String("backend", db.backend))
	}
	if err := tx.Commit(); err != nil {
		return wrap("migrating: commit", err)
	}
	return nil
}
