package db

import (
	"context"
	"testing"
	"time"
)

// Unseen is kept per generation: a job another process (or an operator's
// SQL) writes shows at the next request, which asks Generation first, and
// one dismissed there is gone at the next.
func TestUnseenFollowsOtherWriters(t *testing.T) {
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
}
