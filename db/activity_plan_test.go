package db

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/activity"
)

// The activity log reads one ordered index range per filter, from the
// cursor on, and the LIMIT stops it at the page: these tests hold EXPLAIN
// QUERY PLAN to that for every shape activityQuery builds, each with no
// cursor, a cursor after (the next page) and before (the previous one),
// without statistics and after ANALYZE.
//
// What a plan may show: SEARCH of the index the shape is read through,
// the lookup of each entry by id, MERGE (UNION) of one such range per
// person or space of a scope, and for the unfiltered first page only, a
// SCAN along activity_at (the log's own order, which the LIMIT stops).
// Never another SCAN, nor a temporary b-tree (sorting every entry the
// filter holds to show 50).

type activityShape struct {
	name string
	f    activity.Filter
	// via is the index the driving range reads ("PRIMARY KEY" for the
	// people's and spaces' tables' own); ranges is how many are merged.
	via    string
	ranges int
}

func activityShapes() []activityShape {
	from, until := t0.AddDate(0, -1, 0), t0
	scope := []int64{3, 4, 5, 6}
	return []activityShape{
		{"no filter", activity.Filter{}, "activity_at", 1},
		{"kind", activity.Filter{Kind: activity.SignIn}, "activity_kind", 1},
		{"person", activity.Filter{People: []int64{7}}, "PRIMARY KEY", 1},
		{"person and kind", activity.Filter{People: []int64{7}, Kind: activity.SignIn}, "activity_people_kind", 1},
		{"several people", activity.Filter{People: []int64{7, 8, 9}}, "PRIMARY KEY", 3},
		{"several people and kind", activity.Filter{People: []int64{7, 8}, Kind: activity.InvitationSent}, "activity_people_kind", 2},
		{"space", activity.Filter{SpaceID: 3}, "PRIMARY KEY", 1},
		{"space and kind", activity.Filter{SpaceID: 3, Kind: activity.InvitationSent}, "activity_spaces_kind", 1},
		{"scope", activity.Filter{Scope: scope}, "PRIMARY KEY", 4},
		{"scope and kind", activity.Filter{Scope: scope, Kind: activity.InvitationAccepted}, "activity_spaces_kind", 4},
		{"scope and one of its spaces", activity.Filter{Scope: scope, SpaceID: 4}, "PRIMARY KEY", 1},
		{"scope and person", activity.Filter{Scope: scope, People: []int64{7}}, "PRIMARY KEY", 1},
		{"scope, person and kind", activity.Filter{Scope: scope, People: []int64{7}, Kind: activity.UserRolesChanged}, "activity_people_kind", 1},
		{"scope and dates", activity.Filter{Scope: scope, From: from, Until: until}, "PRIMARY KEY", 4},
		{"dates", activity.Filter{From: from, Until: until}, "activity_at", 1},
		{"from", activity.Filter{From: from}, "activity_at", 1},
		{"until", activity.Filter{Until: until}, "activity_at", 1},
		{"kind and dates", activity.Filter{Kind: activity.SignInFailed, From: from, Until: until}, "activity_kind", 1},
		{"person and dates", activity.Filter{People: []int64{7}, From: from, Until: until}, "PRIMARY KEY", 1},
		{"space, kind and dates", activity.Filter{SpaceID: 3, Kind: activity.InvitationSent, From: from, Until: until}, "activity_spaces_kind", 1},
		{"empty scope", activity.Filter{Scope: []int64{}}, "PRIMARY KEY", 1},
	}
}

func checkActivityPlans(t *testing.T, d *DB) {
	cursor := activity.Cursor{At: t0.AddDate(0, 0, -10), ID: 5000}
	for _, sh := range activityShapes() {
		for _, page := range []string{"first", "after", "before"} {
			f := sh.f
			switch page {
			case "after":
				f.After = cursor
			case "before":
				f.Before = cursor
			}
			t.Run(sh.name+"/"+page, func(t *testing.T) {
				q, args := activityQuery(f, page == "before")
				plan := explain(t, d, q+` LIMIT ?`, append(args, 51))
				checkActivityPlan(t, plan, sh, page == "first")
			})
		}
	}
}

func checkActivityPlan(t *testing.T, plan []planLine, sh activityShape, first bool) {
	t.Helper()
	unfiltered := sh.f.Kind == "" && sh.f.People == nil && sh.f.Scope == nil && sh.f.SpaceID == 0 && sh.f.From.IsZero() && sh.f.Until.IsZero()
	driver := "a"
	if sh.via != "activity_at" && sh.via != "activity_kind" {
		driver = "d"
	}
	ranges, lookups, merges := 0, 0, 0
	for _, l := range plan {
		det := l.detail
		switch {
		case strings.HasPrefix(det, "SCAN "):
			if !(unfiltered && first && det == "SCAN a USING INDEX activity_at") {
				t.Errorf("plan scans: %q:%s", det, planText(plan))
			}
			ranges++
		case l.parent != 0 && strings.HasPrefix(det, "USE TEMP B-TREE FOR LAST ") && strings.HasSuffix(det, " TERMS OF ORDER BY"):
			// A kind's range comes in (at, id) order from a non-unique
			// index, and UNION orders by every column to drop duplicates:
			// the other columns are sorted within each run of one
			// (at, id), which is one entry, as the rows stream by.
		case strings.HasPrefix(det, "USE TEMP B-TREE"):
			t.Errorf("plan sorts the entries it reads:%s", planText(plan))
		case strings.HasPrefix(det, "MERGE (UNION)"):
			merges++
		case strings.HasPrefix(det, "SEARCH "+driver+" "):
			if !strings.Contains(det, " INDEX "+sh.via+" (") && !strings.Contains(det, " "+sh.via+" (") {
				t.Errorf("the range is read through %q; want %s:%s", det, sh.via, planText(plan))
			}
			if !strings.Contains(det, "=?") && !strings.Contains(det, ">?") && !strings.Contains(det, "<?") {
				t.Errorf("the range is not bounded: %q:%s", det, planText(plan))
			}
			ranges++
		case driver == "d" && strings.HasPrefix(det, "SEARCH a USING INTEGER PRIMARY KEY (rowid=?)"):
			lookups++
		case strings.HasPrefix(det, "SEARCH s EXISTS USING COVERING INDEX activity_spaces_row (activity_id=? AND space_id=?)"):
			// a person's entry checked against the scope, by key
		case strings.HasPrefix(det, "LEFT"), strings.HasPrefix(det, "RIGHT"):
		default:
			t.Errorf("unexpected plan line %q:%s", det, planText(plan))
		}
	}
	if ranges != sh.ranges {
		t.Errorf("plan reads %d ranges, want %d:%s", ranges, sh.ranges, planText(plan))
	}
	if want := sh.ranges - 1; merges != want {
		t.Errorf("plan merges %d times, want %d:%s", merges, want, planText(plan))
	}
	if driver == "d" && lookups != sh.ranges {
		t.Errorf("plan looks entries up %d times, want once per range (%d):%s", lookups, sh.ranges, planText(plan))
	}
}

func TestActivityPlansWithoutStatistics(t *testing.T) {
	t.Parallel()
	checkActivityPlans(t, newTestDB(t))
}

func TestActivityPlansAfterAnalyze(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	seedForPlans(t, d, 3000)
	seedActivityForPlans(t, d, 30_000)
	analyze(t, d)
	checkActivityPlans(t, d)
}

// Past maxMergedRanges spaces the ranges are read whole and sorted: still
// no SCAN.
func TestActivityPlanOfAHugeScope(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	scope := make([]int64, maxMergedRanges+1)
	for i := range scope {
		scope[i] = int64(i + 2)
	}
	q, args := activityQuery(activity.Filter{Scope: scope}, false)
	plan := explain(t, d, q+` LIMIT 51`, args)
	for _, l := range plan {
		if strings.HasPrefix(l.detail, "SCAN ") {
			t.Errorf("plan scans:%s", planText(plan))
		}
	}
	if !strings.Contains(planText(plan), "SEARCH d USING PRIMARY KEY (space_id=?)") && !strings.Contains(planText(plan), "SEARCH d USING COVERING INDEX activity_spaces_kind (space_id=?)") {
		t.Errorf("plan does not read the spaces' ranges:%s", planText(plan))
	}
}

// A date bound the cursor is inside of is left out, so that the range
// starts at the cursor; one it is outside of stays.
func TestActivityQueryStartsAtTheCursor(t *testing.T) {
	t.Parallel()
	until := t0
	inside := activity.Cursor{At: until.Add(-time.Hour), ID: 9}
	q, args := activityQuery(activity.Filter{Until: until, After: inside}, false)
	if strings.Contains(q, "a.at < ?") || len(args) != 2 {
		t.Errorf("a cursor inside Until keeps the bound: %s %v", q, args)
	}
	outside := activity.Cursor{At: until.Add(time.Hour), ID: 9}
	if q, _ := activityQuery(activity.Filter{Until: until, After: outside}, false); !strings.Contains(q, "a.at < ?") {
		t.Errorf("a cursor past Until drops the bound: %s", q)
	}
	from := t0.AddDate(0, -1, 0)
	if q, _ := activityQuery(activity.Filter{From: from, Before: activity.Cursor{At: from, ID: 3}}, true); strings.Contains(q, "a.at >= ?") {
		t.Errorf("a cursor inside From keeps the bound: %s", q)
	}
	if q, _ := activityQuery(activity.Filter{From: from, Before: activity.Cursor{At: from.Add(-time.Second), ID: 3}}, true); !strings.Contains(q, "a.at >= ?") {
		t.Errorf("a cursor before From drops the bound: %s", q)
	}
}

// The person filter's look-ups read indexes: the user by email, a deleted
// one by the log's user.deleted entries, a search by the full-text index.
func TestActivityPeoplePlans(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	seedForPlans(t, d, 3000)
	seedActivityForPlans(t, d, 10_000)
	for _, analyzed := range []bool{false, true} {
		if analyzed {
			analyze(t, d)
		}
		for _, scope := range [][]int64{nil, {2, 3}} {
			name := fmt.Sprintf("analyzed=%v scope=%v", analyzed, scope)
			t.Run(name, func(t *testing.T) {
				q, args := personByEmailQuery("user5@example.com", scope)
				plan := explain(t, d, q, args)
				checkNoScan(t, plan)
				if !strings.Contains(planText(plan), "SEARCH u USING INDEX sqlite_autoindex_users_1 (email=?)") {
					t.Errorf("by email, not through the email's index:%s", planText(plan))
				}
				q, args = deletedPersonQuery("user5@example.com", scope)
				plan = explain(t, d, q, args)
				checkNoScan(t, plan)
				if !strings.Contains(planText(plan), "activity_kind (kind=?)") {
					t.Errorf("a deleted person not found through the deletions:%s", planText(plan))
				}
				for _, text := range []string{"son", "élo", "jo"} {
					q, args = peopleQuery(text, scope, 20)
					checkNoScan(t, explain(t, d, q, args))
				}
			})
		}
	}
}

// seedActivityForPlans adds n entries of a realistic mix (mostly
// sign-ins), each under its person and, but for sign-ins, a space among
// seedForPlans' (2 to 4), in plain SQL.
func seedActivityForPlans(t *testing.T, d *DB, n int) {
	t.Helper()
	start := t0.AddDate(-1, 0, 0).Unix()
	stmts := []string{
		fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d)
			INSERT INTO activity (id, at, kind, actor_id, actor_name, subject_id, subject_name, subject_email, ip, details)
			SELECT i, %d + i * 600,
			       CASE WHEN i %% 10 < 6 THEN 'signin.succeeded' WHEN i %% 10 = 6 THEN 'signin.failed' WHEN i %% 10 = 7 THEN 'invitation.sent'
			            WHEN i %% 10 = 8 THEN 'invitation.accepted' WHEN i %% 100 = 9 THEN 'user.deleted' ELSE 'user.roles_changed' END,
			       1 + i %% 3000, 'Someone', 1 + (i * 7) %% 3000, 'Person', 'user' || (1 + (i * 7) %% 3000) || '@example.com', '192.0.2.1', '{}'
			FROM seq`, n, start),
		`INSERT INTO activity_people (user_id, at, activity_id, kind) SELECT actor_id, at, id, kind FROM activity`,
		`INSERT OR IGNORE INTO activity_people (user_id, at, activity_id, kind) SELECT subject_id, at, id, kind FROM activity`,
		`INSERT INTO activity_spaces (space_id, at, activity_id, kind) SELECT 2 + id % 3, at, id, kind FROM activity WHERE kind NOT LIKE 'signin.%'`,
	}
	for _, s := range stmts {
		if _, err := d.W.Exec(s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
}
