// Package dbtest gives tests a real, migrated SQLite database of their own.
package dbtest

import (
	"context"
	"testing"

	"github.com/usherhq/usher/db"
)

// New opens a migrated database in a folder of the test's own
// (t.TempDir), closed when the test ends. A file, not :memory:, which
// would give each pooled connection its own empty database.
func New(t testing.TB) *db.DB {
	t.Helper()
	return Open(t, t.TempDir())
}

// Open opens the database in dir and brings it up to date, closed when
// the test ends: for a test that opens the same file again, as a
// restarted process would.
func Open(t testing.TB, dir string) *db.DB {
	t.Helper()
	d, err := db.Open(dir)
	if err != nil {
		t.Fatalf("open the database in %s: %v", dir, err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return d
}
