package db

import (
	"context"
	"slices"
	"testing"

	"github.com/usherhq/usher/internal/users"
)

// Whatever is typed into the search box, every query the users list
// builds from it runs, on any tab, sort and space filter: the tab counts,
// and a page read both ways (along the sort order's index, testing each
// user, and through the search index), which find the same users.
//
// ASVS 5.0: V1.2.4 (the search kept out of FTS5's and LIKE's syntax),
// V2.2.1 (input validated before it reaches a query).
func FuzzListSearch(f *testing.F) {
	tabs := []users.Status{"", users.Active, users.Invited, users.Expired, users.Deactivated}
	sorts := []users.Sort{users.ByName, users.ByEmail, users.ByStatus, users.ByJoined, users.ByLastSignIn}
	for i, q := range []string{
		"bob", "BUILDER", "  IVY@ ", "100%", "_", `\`, `"`, `a"b`, "élodie", "bob OR ivy", "bo*", "NEAR(bob ivy)", "y@", "o",
	} {
		f.Add(q, uint8(i), uint8(i/len(tabs)), i%2 == 0)
	}
	lf := newListFixture(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, q string, tab, sort uint8, inSpaces bool) {
		filter := users.ListFilter{
			Status: tabs[int(tab)%len(tabs)], Query: q, Sort: sorts[int(sort)%len(sorts)], Desc: sort >= 128,
			Page: 1, PerPage: 50, Now: t0,
		}
		if inSpaces {
			filter.SpaceIDs = []int64{lf.sales, lf.room}
		}
		tx, err := lf.db.beginRead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		query, args := countQuery(filter)
		var n [5]int
		if err := tx.QueryRowContext(ctx, query, args...).Scan(&n[0], &n[1], &n[2], &n[3], &n[4]); err != nil {
			t.Fatalf("counting %+v: %v", filter, err)
		}
		page := func(walk bool) []int64 {
			query, args := listQuery(filter, walk)
			rows, err := tx.QueryContext(ctx, query, args...)
			if err != nil {
				t.Fatalf("listing %+v (walk %v): %v", filter, walk, err)
			}
			defer rows.Close()
			var ids []int64
			for rows.Next() {
				u, err := scanUser(rows)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, u.ID)
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("listing %+v (walk %v): %v", filter, walk, err)
			}
			return ids
		}
		if walked, looked := page(true), page(false); !slices.Equal(walked, looked) {
			t.Fatalf("%+v: along the sort order %v, through the index %v", filter, walked, looked)
		}
		if _, err := lf.users.List(ctx, filter); err != nil {
			t.Fatalf("List %+v: %v", filter, err)
		}
	})
}
