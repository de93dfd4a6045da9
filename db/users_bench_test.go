package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/demo"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// BenchmarkList reads pages of the users list of 100,000 demo users, as
// the load benchmark (`go tool task bench`) does through HTTP, but the
// database part alone:
//
//	go test ./db -run '^$' -bench List -benchtime 2s
//
// Seeding takes some seconds, once for all sub-benchmarks; -short skips it.
func BenchmarkList(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 100,000 users; not with -short")
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
	if _, err := seeder.Seed(ctx, demo.Options{Users: 100_000, Password: "nobody signs in here", Now: now, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	// As `usher demo` then `usher serve` do: closing checkpoints the seed's
	// write-ahead log into the database file, which a server then reads.
	d.Close()
	if d, err = db.Open(dir); err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	store := db.NewUserStore(d)
	all, err := store.Spaces(ctx)
	if err != nil {
		b.Fatal(err)
	}
	// A space administrator's view: one unit and what is inside it.
	var unit []int64
	for _, s := range all {
		if s.Kind == spaces.Unit && unit == nil || unit != nil && s.ParentID == unit[0] {
			unit = append(unit, s.ID)
		}
	}

	for _, bc := range []struct {
		name string
		f    users.ListFilter
	}{
		{"first page", users.ListFilter{}},
		{"search son", users.ListFilter{Query: "son"}},
		{"search martínez", users.ListFilter{Query: "martínez"}},
		{"search jo", users.ListFilter{Query: "jo"}},
		{"tab invited", users.ListFilter{Status: users.Invited}},
		{"tab expired by email", users.ListFilter{Status: users.Expired, Sort: users.ByEmail}},
		{"page 1000", users.ListFilter{Page: 1000}},
		{"page 1000 by joined", users.ListFilter{Page: 1000, Sort: users.ByJoined, Desc: true}},
		{"unit administrator", users.ListFilter{SpaceIDs: unit}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := bc.f
			f.PerPage, f.Now = users.PerPage, now
			if f.Page == 0 {
				f.Page = 1
			}
			if f.Sort == "" {
				f.Sort = users.ByName
			}
			for b.Loop() {
				p, err := store.List(ctx, f)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Rows) == 0 {
					b.Fatalf("%s: no rows", bc.name)
				}
			}
		})
	}
}
