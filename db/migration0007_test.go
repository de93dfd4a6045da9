package db

import (
	"context"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/users"
)

// Migration 0007 marks what a database already holds: a pending
// invitation whose newest email failed or waits for a retry after a
// failure is Not delivered, and the failed attempts of a message still
// retried count as the mail server's; its Down undoes it.
func TestMigration0007MarksExistingDeliveries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := provider(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	seedForPlans(t, d, 100) // 12 invited: ids with id % 100 in [80, 92)
	for _, s := range []string{
		// 80: retried after a failure; 81: given up; 82: failed, then resent (newest queued, fine).
		`UPDATE outbox SET state = 'queued', last_error = 'refused', attempts = 1 WHERE invitation_id = 80`,
		`UPDATE outbox SET state = 'failed', last_error = '550 no' WHERE invitation_id IN (81, 82)`,
		`INSERT INTO outbox (idempotency_key, kind, recipient, invitation_id, payload, state, next_attempt_at, created_at)
		 VALUES ('resend:82', 'reminder', 'user82@example.com', 82, '{}', 'queued', 0, 1)`,
		`INSERT INTO outbox_attempts (outbox_id, at, ok, reply) SELECT id, 10, 0, 'refused' FROM outbox WHERE invitation_id = 80`,
		`INSERT INTO outbox_attempts (outbox_id, at, ok, reply) SELECT id, 11, 0, '550 no' FROM outbox WHERE invitation_id = 81`,
	} {
		if _, err := d.W.Exec(s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		page, err := NewUserStore(d).List(ctx, users.ListFilter{Undelivered: true, Page: 1, PerPage: 50, Now: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, r := range page.Rows {
			ids = append(ids, r.ID)
		}
		if page.Undelivered != 2 || len(ids) != 2 || !(ids[0] == 80 && ids[1] == 81 || ids[0] == 81 && ids[1] == 80) {
			t.Errorf("%s: Not delivered holds %v (count %d), want users 80 and 81", when, ids, page.Undelivered)
		}
		if n := count(t, d, `SELECT count(*) FROM outbox_attempts WHERE outage = 1`); n != 1 {
			t.Errorf("%s: %d attempts count as the server's, want the one of the message still retried", when, n)
		}
	}
	check("after migrating")
	if _, err := p.Down(ctx); err != nil {
		t.Fatalf("Down: %v", err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("Up again: %v", err)
	}
	check("after down and up")
}
