package db

import (
	"context"
	"database/sql"
	"testing"
)

// Every way of writing through the writer moves the generation on, once
// the write is over; reading through the readers does not.
//
// ASVS 5.0: V7.4.2 (by analogy: what sessions and pages keep ends with it).
func TestGenerationMovesAfterEveryWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.W.Exec(`CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	moved := func(name string, write func() error) {
		t.Helper()
		before := d.Generation()
		if err := write(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d.Generation() <= before {
			t.Errorf("%s: generation stayed at %d", name, before)
		}
	}
	moved("exec", func() error {
		_, err := d.W.ExecContext(ctx, `INSERT INTO t VALUES (1)`)
		return err
	})
	moved("insert returning", func() error {
		var n int
		return d.W.QueryRowContext(ctx, `INSERT INTO t VALUES (2) RETURNING n`).Scan(&n)
	})
	moved("prepared statement", func() error {
		st, err := d.W.PrepareContext(ctx, `INSERT INTO t VALUES (?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		_, err = st.ExecContext(ctx, 3)
		return err
	})
	moved("rollback", func() error {
		tx, err := d.W.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		return tx.Rollback()
	})
	moved("failed statement", func() error {
		if _, err := d.W.ExecContext(ctx, `INSERT INTO nowhere VALUES (1)`); err == nil {
			t.Error("insert into a missing table worked")
		}
		return nil
	})

	// A transaction: the generation after its commit is newer than any
	// read while it ran, so a page made then is not taken for current.
	tx, err := d.W.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO t VALUES (4)`); err != nil {
		t.Fatal(err)
	}
	during := d.Generation()
	if n := count(t, d, `SELECT count(*) FROM t WHERE n = 4`); n != 0 {
		t.Fatalf("uncommitted row visible to a reader")
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if d.Generation() <= during {
		t.Errorf("commit left the generation at %d", during)
	}

	before := d.Generation()
	var n int
	if err := d.R.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("count = %d, %v", n, err)
	}
	if err := d.tx(ctx, func(*sql.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := d.Generation(); got == before {
		t.Errorf("an empty write transaction left the generation at %d", got)
	}
	before = d.Generation()
	if err := d.R.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if d.Generation() != before {
		t.Errorf("a read moved the generation")
	}
}

// A commit by another connection (another process's, an operator's own
// SQL) moves the generation on at the next call, without this process
// writing anything; while nobody commits, it stands still.
func TestGenerationSeesOtherConnections(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.W.Exec(`CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	other, err := Open(dir) // as a second process opens the file
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	before := d.Generation()
	if again := d.Generation(); again != before {
		t.Fatalf("the generation moved from %d to %d with no commit", before, again)
	}
	if _, err := other.W.Exec(`INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	if d.Generation() == before {
		t.Errorf("another connection's commit left the generation at %d", before)
	}
	settled := d.Generation()
	if _, err := other.R.Exec(`SELECT count(*) FROM t`); err != nil {
		t.Fatal(err)
	}
	if d.Generation() != settled {
		t.Errorf("another connection's read moved the generation")
	}
	// A write transaction elsewhere: nothing seen before its commit.
	tx, err := other.W.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO t VALUES (2)`); err != nil {
		t.Fatal(err)
	}
	during := d.Generation()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if d.Generation() == during {
		t.Errorf("another connection's commit left the generation at %d", during)
	}
	d.watch.close()
	closed := d.Generation()
	if d.Generation() == closed {
		t.Errorf("with its connection closed the generation stood still: what is kept would be taken for current")
	}
}

// BenchmarkGeneration is what each request pays to know whether anything
// changed: one PRAGMA data_version on the held connection.
func BenchmarkGeneration(b *testing.B) {
	d, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d.Generation()
		}
	})
}
