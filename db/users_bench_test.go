package db_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/demo"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// BenchmarkList reads pages of the users list of 100,000 demo users, as
// the load benchmark (`go tool task bench`) does through HTTP, but the
// database part alone, and on both of the list's read paths: "memory",
// the order kept in memory (listindex.go), and "sql", SQLite's indexes
// alone, as the list was read before:
//
//	go test ./db -run '^$' -bench 'List/' -benchtime 200x -benchmem
//
// The first sub-benchmarks ask one query over and over. The last four ask
// a different one every iteration, as administrators do, so that no cache
// has seen it: any page of All under any sort ("deep pages"), any page of
// each tab ("tab pages"), the names of many users typed letter by letter
// ("typing a search"), and pages of Not delivered. A search, a space's
// list and Not delivered are read from SQLite on both paths.
//
// Seeding takes about a minute, once for all sub-benchmarks; -short skips
// it.
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
	sqlOnly, err := db.OpenSQLListOnly(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer sqlOnly.Close()
	store := db.NewUserStore(sqlOnly)
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

	// What the varying sub-benchmarks spread their pages over.
	list := func(f users.ListFilter) users.ListPage {
		f.Page, f.PerPage, f.Now = 1, users.PerPage, now
		p, err := store.List(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	first := list(users.ListFilter{})
	allPages := first.Pages(users.PerPage)
	tabs := []users.Status{users.Active, users.Invited, users.Expired, users.Deactivated}
	tabPages := map[users.Status]int{}
	for _, t := range tabs {
		tabPages[t] = max(1, (first.Counts[t]+users.PerPage-1)/users.PerPage)
	}
	undeliveredPages := list(users.ListFilter{Undelivered: true}).Pages(users.PerPage)
	prefixes := typedPrefixes(b, d, 500)
	b.Logf("%d pages of All, tabs' pages %v, %d of Not delivered, %d search prefixes", allPages, tabPages, undeliveredPages, len(prefixes))

	// A case gives iteration i's query: Page 0 is page 1, Sort "" ByName.
	same := func(f users.ListFilter) func(int) users.ListFilter {
		return func(int) users.ListFilter { return f }
	}
	cases := []struct {
		name  string
		query func(i int) users.ListFilter
	}{
		{"first page", same(users.ListFilter{})},
		{"search son", same(users.ListFilter{Query: "son"})},
		{"search martínez", same(users.ListFilter{Query: "martínez"})},
		{"search jo", same(users.ListFilter{Query: "jo"})},
		{"tab invited", same(users.ListFilter{Status: users.Invited})},
		{"tab expired by email", same(users.ListFilter{Status: users.Expired, Sort: users.ByEmail})},
		{"page 1000", same(users.ListFilter{Page: 1000})},
		{"page 1000 by joined", same(users.ListFilter{Page: 1000, Sort: users.ByJoined, Desc: true})},
		{"unit administrator", same(users.ListFilter{SpaceIDs: unit})},
		{"deep pages", func(i int) users.ListFilter {
			s, desc := order(i)
			return users.ListFilter{Sort: s, Desc: desc, Page: 1 + spread(i, allPages)}
		}},
		{"tab pages", func(i int) users.ListFilter {
			// Every tab, sort and direction in turn, every 40 iterations.
			t := tabs[i%len(tabs)]
			s, desc := order(i / len(tabs))
			return users.ListFilter{Status: t, Sort: s, Desc: desc, Page: 1 + spread(i, tabPages[t])}
		}},
		{"typing a search", func(i int) users.ListFilter {
			return users.ListFilter{Query: prefixes[i%len(prefixes)]}
		}},
		{"not delivered", func(i int) users.ListFilter {
			s, desc := order(i)
			return users.ListFilter{Undelivered: true, Sort: s, Desc: desc, Page: 1 + spread(i, undeliveredPages)}
		}},
	}

	for _, path := range []struct {
		name string
		d    *db.DB
	}{{"memory", d}, {"sql", sqlOnly}} {
		b.Run(path.name, func(b *testing.B) {
			store := db.NewUserStore(path.d)
			for _, bc := range cases {
				b.Run(bc.name, func(b *testing.B) {
					if path.d == d {
						d.WaitListLoaded(b) // else List reads SQLite's indexes meanwhile
					}
					for i := 0; b.Loop(); i++ {
						f := bc.query(i)
						f.PerPage, f.Now = users.PerPage, now
						if f.Page == 0 {
							f.Page = 1
						}
						if f.Sort == "" {
							f.Sort = users.ByName
						}
						p, err := store.List(ctx, f)
						if err != nil {
							b.Fatal(err)
						}
						if len(p.Rows) == 0 {
							b.Fatalf("%s: no rows for %+v", bc.name, f)
						}
					}
				})
			}
		})
	}
}

var sorts = []users.Sort{users.ByName, users.ByEmail, users.ByStatus, users.ByJoined, users.ByLastSignIn}

// order gives iteration i a sort and direction, each of the ten in turn,
// so that two iterations in a row never ask the same order.
func order(i int) (users.Sort, bool) {
	return sorts[i%len(sorts)], i/len(sorts)%2 == 1
}

// spread gives iteration i a number in [0, n) that looks random
// (splitmix64 of i): the same on both paths, and no generator to share or
// allocate.
func spread(i, n int) int {
	z := uint64(i+1) * 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return int((z ^ z>>31) % uint64(n))
}

// typedPrefixes reads the names of n users and gives what the search box
// holds while each is typed, letter by letter: every prefix from one
// letter up, each once (a search ignores case, and trailing spaces).
func typedPrefixes(b *testing.B, d *db.DB, n int) []string {
	rows, err := d.R.Query(`SELECT name FROM users WHERE name != '' ORDER BY id LIMIT ?`, n)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var prefixes []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			b.Fatal(err)
		}
		typed := []rune(name)
		for k := 1; k <= len(typed); k++ {
			p := string(typed[:k])
			if unicode.IsSpace(typed[k-1]) || seen[strings.ToLower(p)] {
				continue
			}
			seen[strings.ToLower(p)] = true
			prefixes = append(prefixes, p)
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	if len(prefixes) == 0 {
		b.Fatal("no names to type")
	}
	return prefixes
}
