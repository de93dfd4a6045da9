package activity_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/dbtest"
)

var now = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// entriesAt writes one entry (and its person row) per time, in plain SQL.
func entriesAt(t *testing.T, d *db.DB, times ...time.Time) {
	t.Helper()
	for _, at := range times {
		res, err := d.W.Exec(`INSERT INTO activity (at, kind, actor_id, actor_name) VALUES (?, 'signin.succeeded', 7, 'Ana')`, at.Unix())
		if err != nil {
			t.Fatal(err)
		}
		id, _ := res.LastInsertId()
		if _, err := d.W.Exec(`INSERT INTO activity_people (user_id, at, activity_id, kind) VALUES (7, ?, ?, 'signin.succeeded')`, at.Unix(), id); err != nil {
			t.Fatal(err)
		}
	}
}

func countRows(t *testing.T, d *db.DB, q string) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// The purge deletes what is older than the retention period, then does
// nothing until an hour has passed, and keeps everything with 0 days.
func TestPurgerDeletesOldEntriesHourly(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	days := func(n int) time.Time { return now.AddDate(0, 0, -n) }
	entriesAt(t, d, days(800), days(401), days(400).Add(-time.Second), days(400), days(399), now)
	clk := clock.NewFake(now)
	p := activity.NewPurger(db.NewActivityStore(d), clk, activity.DefaultRetentionDays)

	next, err := p.Produce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !next.Equal(now.Add(activity.PurgeEvery)) {
		t.Errorf("next = %v, want in an hour", next)
	}
	if n := countRows(t, d, `SELECT count(*) FROM activity`); n != 3 {
		t.Errorf("%d entries kept, want the 3 of the last 400 days", n)
	}
	if n := countRows(t, d, `SELECT count(*) FROM activity WHERE at < `+strconv.FormatInt(days(400).Unix(), 10)); n != 0 {
		t.Errorf("%d entries older than 400 days kept", n)
	}
	if n := countRows(t, d, `SELECT count(*) FROM activity_people`); n != 3 {
		t.Errorf("%d person rows, want those of the 3 kept entries", n)
	}

	// Within the hour, the sender's rounds do not purge again.
	entriesAt(t, d, days(500))
	clk.Advance(59 * time.Minute)
	if next2, err := p.Produce(ctx); err != nil || !next2.Equal(next) {
		t.Errorf("within the hour: next %v, %v; want %v", next2, err, next)
	}
	if n := countRows(t, d, `SELECT count(*) FROM activity`); n != 4 {
		t.Errorf("purged within the hour: %d entries", n)
	}
	clk.Advance(time.Minute)
	if _, err := p.Produce(ctx); err != nil {
		t.Fatal(err)
	}
	// An hour later, that one went, and the one of exactly 400 days
	// ago, now older.
	if n := countRows(t, d, `SELECT count(*) FROM activity`); n != 2 {
		t.Errorf("an hour later, %d entries, want 2", n)
	}
	// A day later, the one of 399 days ago is past 400 days too.
	clk.Advance(24 * time.Hour)
	if _, err := p.Produce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, d, `SELECT count(*) FROM activity`); n != 1 {
		t.Errorf("a day later, %d entries, want today's alone", n)
	}
}

func TestPurgerKeepsForeverWithZeroDays(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	entriesAt(t, d, now.AddDate(-30, 0, 0), now)
	p := activity.NewPurger(db.NewActivityStore(d), clock.NewFake(now), 0)
	next, err := p.Produce(context.Background())
	if err != nil || !next.IsZero() {
		t.Errorf("Produce = %v, %v; want nothing to do, ever", next, err)
	}
	if n := countRows(t, d, `SELECT count(*) FROM activity`); n != 2 {
		t.Errorf("%d entries, want both kept", n)
	}
}

// A long backlog goes in batches of Batch, at most Batches a run; the
// rest comes soon after, not in an hour.
func TestPurgerWorksThroughABacklogInBatches(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	var old []time.Time
	for i := range 10 {
		old = append(old, now.AddDate(-2, 0, i))
	}
	entriesAt(t, d, append(old, now)...)
	clk := clock.NewFake(now)
	p := &activity.Purger{Store: db.NewActivityStore(d), Clock: clk, Days: 30, Batch: 3, Batches: 2}
	next, err := p.Produce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, d, `SELECT count(*) FROM activity`); n != 5 {
		t.Errorf("after one run, %d entries; want 11 - 2 batches of 3", n)
	}
	if !next.Equal(now.Add(activity.PurgeAgain)) {
		t.Errorf("with more to purge, next = %v; want after PurgeAgain", next)
	}
	clk.Set(next)
	if next, err = p.Produce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, d, `SELECT count(*) FROM activity`); n != 1 {
		t.Errorf("after the second run, %d entries; want today's alone", n)
	}
	if want := clk.Now().Add(activity.PurgeEvery); !next.Equal(want) {
		t.Errorf("done: next = %v, want %v", next, want)
	}
}

// A database that fails is said, for the sender to log and retry.
func TestPurgerReportsAFailure(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	p := activity.NewPurger(db.NewActivityStore(d), clock.NewFake(now), 1)
	d.Close()
	if _, err := p.Produce(context.Background()); err == nil {
		t.Error("Produce on a closed database: no error")
	}
}
