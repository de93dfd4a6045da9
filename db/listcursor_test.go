package db

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/demo"
	"github.com/usherhq/usher/internal/users"
)

// seededLists is a data folder of n demo users (seed picks them), opened
// twice: d, whose list is kept in memory, and sqlOnly, a second process
// that reads the list from SQLite alone; now is the seed's clock.
func seededLists(t *testing.T, n int, seed uint64) (d, sqlOnly *DB, now time.Time) {
	t.Helper()
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ctx := context.Background()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now = time.Now().Truncate(time.Second)
	seeder := demo.NewSeeder(NewDemoStore(d), auth.NewLinks(make([]byte, 32)), auth.NewCheapHasher(1), 7*24*time.Hour)
	if _, err := seeder.Seed(ctx, demo.Options{Users: n, Password: "nobody signs in here", Now: now, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	if sqlOnly, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlOnly.Close() })
	sqlOnly.sqlListOnly = true
	return d, sqlOnly, now
}

// walkCursor reads every page of f after the cursor, n at a time, as
// users.Service.ListAfter does, and gives the ids in order.
func walkCursor(t *testing.T, s *UserStore, f users.ListFilter, n int) []int64 {
	t.Helper()
	var ids []int64
	var after *users.Cursor
	for range 1000 {
		f.Page, f.PerPage, f.After = 1, n, after
		page, err := s.List(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rows {
			ids = append(ids, r.ID)
		}
		if len(page.Rows) < n {
			return ids
		}
		after = users.CursorOf(f.Sort, page.Rows[len(page.Rows)-1])
	}
	t.Fatalf("%+v: no end after 1000 pages", f)
	return nil
}

// TestListCursorWalksTheOrder: pages read by cursor, from memory and
// from SQLite, hold every user of the list once, in the order the page
// numbers give, whatever the tab, search, sort and direction; and a
// cursor whose user is gone goes on from where that user was.
func TestListCursorWalksTheOrder(t *testing.T) {
	t.Parallel()
	d, sqlOnly, now := seededLists(t, 300, 5)
	ctx := context.Background()
	for _, stmt := range []string{
		// Names that tie, in mixed case, and none (sorted by the email).
		`UPDATE users SET name = 'Same Name' WHERE id % 7 = 0`,
		`UPDATE users SET name = 'same name' WHERE id % 11 = 0`,
		`UPDATE users SET name = '' WHERE id % 13 = 0`,
		`UPDATE users SET email = 'B' || id || '@Example.org' WHERE id % 17 = 0`,
	} {
		if _, err := d.W.ExecContext(ctx, stmt); err != nil {
			t.Fatal(stmt, err)
		}
	}
	d.WaitListLoaded(t)
	mem, sq := NewUserStore(d), NewUserStore(sqlOnly)
	for _, st := range []users.Status{"", users.Active, users.Invited, users.Deactivated} {
		for _, q := range []string{"", "an"} {
			for _, so := range []users.Sort{users.ByName, users.ByEmail} {
				for _, desc := range []bool{false, true} {
					f := users.ListFilter{Status: st, Query: q, Sort: so, Desc: desc, Now: now}
					all := f
					all.Page, all.PerPage = 1, 10000
					page, err := sq.List(ctx, all)
					if err != nil {
						t.Fatal(err)
					}
					var want []int64
					for _, r := range page.Rows {
						want = append(want, r.ID)
					}
					if len(want) == 0 {
						t.Fatalf("%+v: nobody to page through", f)
					}
					for name, s := range map[string]*UserStore{"memory": mem, "sql": sq} {
						if got := walkCursor(t, s, f, 7); !slices.Equal(got, want) {
							t.Errorf("%s %+v: by cursor\n%v\nby page\n%v", name, f, got, want)
						}
					}
				}
			}
		}
	}

	// The user a cursor names is deleted: the next page is who came after.
	f := users.ListFilter{Sort: users.ByName, Now: now, Page: 1, PerPage: 20}
	first, err := mem.List(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	gone := first.Rows[9]
	c := users.CursorOf(users.ByName, gone)
	if _, err := d.W.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, gone.ID); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*UserStore{"memory": mem, "sql": sq} {
		page, err := s.List(ctx, users.ListFilter{Sort: users.ByName, Now: now, Page: 1, PerPage: 3, After: c})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range page.Rows {
			got = append(got, r.ID)
		}
		want := []int64{first.Rows[10].ID, first.Rows[11].ID, first.Rows[12].ID}
		if !slices.Equal(got, want) {
			t.Errorf("%s: after the deleted user %d: %v, want %v", name, gone.ID, got, want)
		}
	}
}
