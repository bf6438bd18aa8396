package store

import "testing"

func TestMigrationsLoad(t *testing.T) {
	t.Parallel()
	for _, b := range []string{BackendSQLite, BackendPostgres} {
		ms, err := loadMigrations(b)
		if err != nil || len(ms) == 0 {
			t.Errorf("loadMigrations(%s) = %d migrations, %v", b, len(ms), err)
		}
	}
}
