package db

import (
	"context"
	"testing"
	"time"
)

// What is kept per generation (kept.go), a bulk job's unseen reports and
// the spaces: a job or space another process (or an operator's SQL)
// writes shows at the next call, and one dismissed or deleted there is
// gone at the next.
func TestKeptFollowsOtherWriters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	other, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	s := NewBulkStore(d)
	unseen := func() int {
		t.Helper()
		d.Generation() // what each request does first (web.watchChanges)
		jobs, err := s.Unseen(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		return len(jobs)
	}
	if n := unseen(); n != 0 {
		t.Fatalf("%d jobs before any", n)
	}
	if n := unseen(); n != 0 { // kept
		t.Fatalf("%d jobs before any, asked again", n)
	}
	if _, err := other.W.ExecContext(ctx, `INSERT INTO bulk_jobs (actor_id, action, total, created_at) VALUES (7, 'resend', 3, ?), (8, 'resend', 1, ?)`,
		time.Now().Unix(), time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	if n := unseen(); n != 1 {
		t.Fatalf("%d jobs after another process made one, want 1", n)
	}
	if _, err := other.W.ExecContext(ctx, `UPDATE bulk_jobs SET finished_at = 1, seen_at = 1 WHERE actor_id = 7`); err != nil {
		t.Fatal(err)
	}
	if n := unseen(); n != 0 {
		t.Fatalf("%d jobs after another process dismissed it, want 0", n)
	}

	us := NewUserStore(d)
	count := func() int {
		t.Helper()
		all, err := us.Spaces(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	before := count()
	if n := count(); n != before {
		t.Fatalf("%d spaces asked again, %d before", n, before)
	}
	if _, err := other.W.ExecContext(ctx, `INSERT INTO spaces (kind, name, created_at) VALUES ('account', 'Elsewhere', 0)`); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != before+1 {
		t.Fatalf("%d spaces after another process made one, want %d", n, before+1)
	}
	if _, err := other.W.ExecContext(ctx, `DELETE FROM spaces WHERE name = 'Elsewhere'`); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != before {
		t.Fatalf("%d spaces after another process deleted one, want %d", n, before)
	}
}
