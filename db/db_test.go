package db

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	if v, err := d.Version(ctx); err != nil || v != 0 {
		t.Fatalf("empty database: Version = %d, %v; want 0", v, err)
	}
	applied, err := d.Migrate(ctx)
	if err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	if len(applied) == 0 || applied[0] != "0001_initial.sql" {
		t.Fatalf("first Migrate applied %q, want 0001_initial.sql first", applied)
	}
	v1, err := d.Version(ctx)
	if err != nil || v1 < 1 {
		t.Fatalf("Version after Migrate = %d, %v", v1, err)
	}
	for _, table := range []string{"spaces", "users", "role_grants", "invitations", "invitation_roles", "invitation_events", "outbox", "outbox_attempts"} {
		if n := count(t, d, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table); n != 1 {
			t.Errorf("table %s missing after Migrate", table)
		}
	}

	again, err := d.Migrate(ctx)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if len(again) != 0 {
		t.Errorf("second Migrate applied %q, want nothing", again)
	}
	if v2, err := d.Version(ctx); err != nil || v2 != v1 {
		t.Errorf("Version after second Migrate = %d, %v; want %d", v2, err, v1)
	}
}

// A reopened database keeps its migrations: nothing runs twice across
// restarts.
func TestMigrateAfterReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	d.Close()

	d, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	applied, err := d.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Fatalf("Migrate after reopening = %q, %v; want nothing", applied, err)
	}
}

// The pragmas are in the DSN, so every pooled connection has them, not just
// the one an Exec happened to reach.
func TestPragmasOnEveryConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newTestDB(t)

	n := readers
	var conns []*sql.Conn
	for range n {
		c, err := d.R.Conn(ctx) // held, so each is a distinct connection
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	w, err := d.W.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conns = append(conns, w)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()

	for i, c := range conns {
		var fk, busy int
		var mode string
		if err := c.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if fk != 1 || busy <= 0 || mode != "wal" {
			t.Errorf("connection %d: foreign_keys=%d busy_timeout=%d journal_mode=%s; want 1, >0, wal", i, fk, busy, mode)
		}
	}
}

// Foreign keys are enforced on the writer: a grant on a missing space fails.
func TestForeignKeysEnforced(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.db.W.Exec(`INSERT INTO role_grants (user_id, space_id, role, granted_at) VALUES (?, 9999, 'admin', 0)`, f.admin.ID)
	if err == nil {
		t.Fatal("grant on a missing space was accepted: foreign keys are off")
	}
}

func TestIsUnique(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.db.W.Exec(`INSERT INTO users (email, created_at) VALUES ('ADMIN@example.com', 0)`)
	if !isUnique(err) {
		t.Fatalf("duplicate email (other case): isUnique(%v) = false", err)
	}
	if isUnique(nil) {
		t.Error("isUnique(nil) = true")
	}
}

// A panic inside a write transaction must not keep the one writer
// connection: later writes would wait forever.
func TestTxPanicReleasesWriter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		_ = f.db.tx(context.Background(), func(tx *sql.Tx) error {
			if _, err := tx.Exec(`UPDATE users SET name = 'half done'`); err != nil {
				t.Fatal(err)
			}
			panic("boom")
		})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := f.db.W.ExecContext(ctx, `UPDATE users SET name = name`); err != nil {
		t.Fatalf("write after a panicking transaction: %v", err)
	}
	if n := count(t, f.db, `SELECT count(*) FROM users WHERE name = 'half done'`); n != 0 {
		t.Error("the panicking transaction's write was kept")
	}
}

// The database lands in the data folder whatever its name, even with
// characters that mean something in a file: URI.
func TestOpenOddFolderNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"with space", "usher#2", "what?", "100%", "a%20b", "a&b=c"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			d, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if _, err := d.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
				t.Errorf("database not in %s: %v", dir, err)
			}
		})
	}
}
