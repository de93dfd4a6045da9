package db

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/users"
)

// exportFilters are list filters to export: every tab and sort both ways,
// searches (ASCII, accented, short), a space administrator's spaces with
// and without a search, and the Not delivered filter.
func exportFilters(now time.Time) []users.ListFilter {
	var out []users.ListFilter
	for _, st := range []users.Status{"", users.Active, users.Invited, users.Expired, users.Deactivated} {
		for _, sort := range []users.Sort{users.ByName, users.ByEmail, users.ByStatus, users.ByJoined, users.ByLastSignIn} {
			for _, desc := range []bool{false, true} {
				out = append(out, users.ListFilter{Status: st, Sort: sort, Desc: desc, Now: now})
			}
		}
	}
	for _, q := range []string{"son", "élo", "jo", "Anna"} {
		out = append(out, users.ListFilter{Query: q, Sort: users.ByName, Now: now}, users.ListFilter{Query: q, Status: users.Active, Sort: users.ByJoined, Desc: true, Now: now})
	}
	out = append(out,
		users.ListFilter{SpaceIDs: []int64{2, 3}, Sort: users.ByName, Now: now},
		users.ListFilter{SpaceIDs: []int64{2, 3}, Query: "son", Status: users.Invited, Sort: users.ByEmail, Now: now},
		users.ListFilter{SpaceIDs: []int64{}, Sort: users.ByName, Now: now}, // administers nothing listed: nobody
		users.ListFilter{Undelivered: true, Sort: users.ByName, Now: now},
		users.ListFilter{Undelivered: true, Sort: users.ByLastSignIn, Desc: true, Query: "son", Now: now},
	)
	return out
}

// seedForExport is seedForPlans with some invitation emails that failed,
// for the Not delivered filter.
func seedForExport(t *testing.T, d *DB, n int) {
	t.Helper()
	seedForPlans(t, d, n)
	if _, err := d.W.Exec(`UPDATE outbox SET state = 'failed', last_error = '550 no such user' WHERE invitation_id % 5 = 0`); err != nil {
		t.Fatal(err)
	}
}

// The export holds the users paging through the list shows, every page, in
// the same order and with the same details, whatever the filter; its
// batches (exportBatch) join without a seam.
func TestExportMatchesListPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newTestDB(t)
	const n = 1300 // more than two batches
	seedForExport(t, d, n)
	s := NewUserStore(d)
	now := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	for _, f := range exportFilters(now) {
		name := fmt.Sprintf("tab=%q sort=%s desc=%v q=%q spaces=%v undelivered=%v", f.Status, f.Sort, f.Desc, f.Query, f.SpaceIDs, f.Undelivered)
		t.Run(name, func(t *testing.T) {
			var paged []users.Listed
			total := -1
			for page := 1; ; page++ {
				f.Page, f.PerPage = page, 50
				p, err := s.List(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				total = p.Total
				if len(p.Rows) == 0 {
					break
				}
				paged = append(paged, p.Rows...)
			}
			var exported []users.Listed
			f.Page, f.PerPage = 0, 0 // ignored
			if err := s.Export(ctx, f, func(l users.Listed) error {
				exported = append(exported, l)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(exported) != len(paged) || len(exported) != total {
				t.Fatalf("exported %d users, the list's pages hold %d, its total says %d", len(exported), len(paged), total)
			}
			for i := range paged {
				if !reflect.DeepEqual(exported[i], paged[i]) {
					t.Fatalf("row %d: exported\n%+v\nthe list has\n%+v", i, exported[i], paged[i])
				}
			}
		})
	}
	// The filters above are not all trivially small.
	var all int
	if err := s.Export(ctx, users.ListFilter{Sort: users.ByName, Now: now}, func(users.Listed) error { all++; return nil }); err != nil {
		t.Fatal(err)
	}
	if all != n || all <= 2*exportBatch {
		t.Errorf("the whole export has %d users, want %d (over two batches of %d)", all, n, exportBatch)
	}
}

// An error from fn stops the export at that row and comes back as it is.
func TestExportStopsAtFnError(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	seedForExport(t, d, 1200)
	stop := errors.New("the browser went away")
	calls := 0
	err := NewUserStore(d).Export(context.Background(), users.ListFilter{Sort: users.ByName, Now: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)}, func(users.Listed) error {
		calls++
		if calls == exportBatch+3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != exportBatch+3 {
		t.Errorf("Export = %v after %d rows; want fn's error after %d", err, calls, exportBatch+3)
	}
}

// The export reads as the list's pages do (users_plan_test.go): along the
// sort order's index with no sort of the whole result, or through the few
// users of the Not delivered filter; never a scan of a table.
func checkExportPlans(t *testing.T, d *DB) {
	now := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	for _, f := range planFilters(now) {
		name := fmt.Sprintf("tab=%q sort=%s desc=%v q=%q spaces=%v undelivered=%v", f.Status, f.Sort, f.Desc, f.Query, f.SpaceIDs, f.Undelivered)
		t.Run(name, func(t *testing.T) {
			q, args := exportQuery(f)
			checkListPlan(t, explain(t, d, q, args), f, filtered(f) && !f.Undelivered)
		})
	}
}

func TestExportPlansWithoutStatistics(t *testing.T) {
	t.Parallel()
	checkExportPlans(t, newTestDB(t))
}

func TestExportPlansAfterAnalyze(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	seedForExport(t, d, 3000)
	analyze(t, d)
	checkExportPlans(t, d)
}
