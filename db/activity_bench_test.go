package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/demo"
	"github.com/usherhq/usher/internal/spaces"
)

// BenchmarkActivity reads pages of an activity log of 1,000,000 entries
// (20,000 demo users and a year of their lives and sign-ins, as `usher
// demo` writes them), the database part of Settings > Activity:
//
//	go test ./db -run '^$' -bench Activity -benchtime 2s
//	go tool task bench:activity
//
// Seeding takes half a minute, once for all sub-benchmarks; -short skips
// it.
func BenchmarkActivity(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 1,000,000 activity entries; not with -short")
	}
	ctx := context.Background()
	dir := b.TempDir()
	d, err := db.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	seeder := demo.NewSeeder(db.NewDemoStore(d), auth.NewLinks(make([]byte, 32)), auth.NewHasher(1), 7*24*time.Hour)
	sum, err := seeder.Seed(ctx, demo.Options{Users: 20_000, Password: "nobody signs in here", Now: now, Seed: 1, Activity: 1_000_000})
	if err != nil {
		b.Fatal(err)
	}
	d.Close() // checkpoints the seed's write-ahead log, as `usher serve` then finds it
	if d, err = db.Open(dir); err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.Logf("%d activity entries", sum.Activity)
	store := db.NewActivityStore(d)

	// A member who signs in often, the one with the most entries but the
	// administrator.
	var busy int64
	var busyEmail string
	if err := d.R.QueryRow(`SELECT p.user_id, u.email FROM activity_people p JOIN users u ON u.id = p.user_id WHERE p.user_id != 1
		GROUP BY p.user_id ORDER BY count(*) DESC LIMIT 1`).Scan(&busy, &busyEmail); err != nil {
		b.Fatal(err)
	}
	// The middle of the log, for a deep page.
	var mid activity.Cursor
	var at int64
	if err := d.R.QueryRow(`SELECT id, at FROM activity WHERE id = ?`, sum.Activity/2).Scan(&mid.ID, &at); err != nil {
		b.Fatal(err)
	}
	mid.At = time.Unix(at, 0).UTC()
	// A unit's administrator: the unit and what is inside it.
	all, err := db.NewUserStore(d).Spaces(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var unit []int64
	for _, s := range all {
		if s.Kind == spaces.Unit && unit == nil || unit != nil && s.ParentID == unit[0] {
			unit = append(unit, s.ID)
		}
	}

	for _, bc := range []struct {
		name string
		f    activity.Filter
	}{
		{"first page", activity.Filter{}},
		{"person and kind", activity.Filter{People: []int64{busy}, Kind: activity.SignIn}},
		{"person and rare kind", activity.Filter{People: []int64{busy}, Kind: activity.SignInFailed}},
		{"administrator and kind", activity.Filter{People: []int64{1}, Kind: activity.SignIn}},
		{"kind", activity.Filter{Kind: activity.InvitationAccepted}},
		{"deep page", activity.Filter{After: mid}},
		{"deep page back", activity.Filter{Before: mid}},
		{"space administrator", activity.Filter{Scope: unit}},
		{"space administrator and kind", activity.Filter{Scope: unit, Kind: activity.InvitationSent}},
		{"dates", activity.Filter{From: now.AddDate(0, -6, 0), Until: now.AddDate(0, -5, 0)}},
		{"dates deep", activity.Filter{From: mid.At.AddDate(0, -1, 0), Until: mid.At.AddDate(0, 1, 0), After: mid}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				p, err := store.List(ctx, bc.f)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Entries) == 0 {
					b.Fatalf("%s: no entries", bc.name)
				}
			}
		})
	}
	for _, bc := range []struct {
		name, text string
		scope      []int64
	}{
		{"people by email", busyEmail, nil},
		{"people by deleted email", "nobody@example.com", nil},
		{"people by name", "son", nil},
		{"people by name in a unit", "son", unit},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := store.People(ctx, bc.text, bc.scope, 20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Last, since it deletes: one batch of the retention purge, the
	// oldest entries with their index rows, in one transaction.
	b.Run("purge a batch", func(b *testing.B) {
		for b.Loop() {
			n, err := store.Purge(ctx, now.Add(time.Second), activity.PurgeBatch)
			if err != nil {
				b.Fatal(err)
			}
			if n != activity.PurgeBatch {
				b.Fatalf("purged %d, want a whole batch: use a shorter -benchtime", n)
			}
		}
	})
}
