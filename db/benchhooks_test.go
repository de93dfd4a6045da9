package db

import (
	"context"
	"testing"
)

// Hooks for the tests, and for the benchmarks of package db_test, which
// cannot reach the list's order or sqlListOnly.

// WaitListLoaded asks d's list for its order until it is loaded, so that
// a test or benchmark reads the order kept in memory and not SQLite's
// indexes, which List reads meanwhile.
func (d *DB) WaitListLoaded(tb testing.TB) {
	tb.Helper()
	for range 100 {
		ok, err := d.list.current(context.Background(), d.Generation())
		if err != nil {
			tb.Fatal(err)
		}
		if ok {
			return
		}
		d.list.wait()
	}
	tb.Fatal("the list's order never loaded")
}

// OpenSQLListOnly opens the database in dataDir, as Open does, for a
// reader of the users list through SQLite's indexes alone: the list as it
// was read before its order was kept in memory.
func OpenSQLListOnly(dataDir string) (*DB, error) {
	d, err := Open(dataDir)
	if err != nil {
		return nil, err
	}
	d.sqlListOnly = true
	return d, nil
}
