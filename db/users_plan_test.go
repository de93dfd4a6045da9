package db

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/users"
)

// The users list must read indexes, never a whole table, whatever the tab,
// sort, search and space filter: these tests hold EXPLAIN QUERY PLAN to
// that, on a database without statistics (as every deployment starts, and
// stays unless someone runs ANALYZE) and again after ANALYZE, so that
// statistics cannot talk SQLite into a scan either.
//
// What a plan may show:
//   - SEARCH on any table or index: a bounded range or lookup.
//   - SCAN u USING [COVERING] INDEX <the sort order's index>, only for a
//     page read along the sort order (unfiltered, or a filtered "walk"):
//     LIMIT and OFFSET stop it at the page, so it reads offset + 50
//     entries, and no table row for the entries an OFFSET skips.
//   - SCAN of invitations_undelivered, a partial index that holds only
//     the users of the Not delivered filter (migration 0007).
//   - SCAN of the virtual tables users_search or users_grams with a MATCH
//     (a full-text index answering a search), and SCANs of the few-row tables
//     user_status_counts and pending_expiry_days and of subquery results.
//
// Never: SCAN of users (or any other table) without an index, any SCAN of
// users in a count, or a temporary b-tree sorting a whole tab.

type planLine struct {
	id, parent int
	detail     string
}

func explain(t *testing.T, d *DB, q string, args []any) []planLine {
	t.Helper()
	rows, err := d.R.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: %v\n%s", err, q)
	}
	defer rows.Close()
	var out []planLine
	for rows.Next() {
		var l planLine
		var unused int
		if err := rows.Scan(&l.id, &l.parent, &unused, &l.detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func planText(plan []planLine) string {
	var b strings.Builder
	for _, l := range plan {
		fmt.Fprintf(&b, "\n    %d<-%d %s", l.id, l.parent, l.detail)
	}
	return b.String()
}

var (
	// A SCAN names its table or alias, then how: nothing (the table
	// itself), an index, or a virtual table's plan.
	scanRE       = regexp.MustCompile(`^SCAN (\S+)(?: USING (?:COVERING )?INDEX (\S+))?`)
	ftsMatchRE   = regexp.MustCompile(`^SCAN (users_search|users_grams|s) VIRTUAL TABLE INDEX \d+:M|^SCAN i USING COVERING INDEX invitations_undelivered$`)
	allowedScans = map[string]bool{"user_status_counts": true, "pending_expiry_days": true, "running": true, "nulls": true, "CONSTANT": true}
)

// sortIndexes is the index a page of f is read along: for the All tab the
// sort order's own, for a tab its rank twin.
func sortIndexes(f users.ListFilter) (all, tab string) {
	switch f.Sort {
	case users.ByEmail:
		return "sqlite_autoindex_users_1", "users_rank_email"
	case users.ByJoined:
		return "users_joined_at", "users_rank_joined_at"
	case users.ByLastSignIn:
		return "users_last_sign_in", "users_rank_last_sign_in"
	case users.ByStatus:
		return "users_rank_sort_name", "users_rank_sort_name"
	}
	return "users_sort_name", "users_rank_sort_name"
}

// checkListPlan fails unless the page query of f reads what it should:
// along its sort index (unfiltered, or walk) or through the filter's
// matches (filtered, not walk).
func checkListPlan(t *testing.T, plan []planLine, f users.ListFilter, walk bool) {
	t.Helper()
	allIdx, tabIdx := sortIndexes(f)
	along := !filtered(f) || walk
	if walk && allIdx == "users_sort_name" {
		allIdx = "users_sort_name_email"
	}
	sawU := false
	for _, l := range plan {
		d := l.detail
		if m := scanRE.FindStringSubmatch(d); m != nil && !ftsMatchRE.MatchString(d) && !allowedScans[m[1]] {
			if m[1] != "u" || m[2] == "" {
				t.Errorf("plan scans %s:%s", m[1], planText(plan))
				continue
			}
			if !along || f.Status != "" || m[2] != allIdx {
				t.Errorf("plan scans u along %s; want a walk along %s only for the All tab read in order:%s", m[2], allIdx, planText(plan))
			}
		}
		if strings.HasPrefix(d, "SCAN u ") || strings.HasPrefix(d, "SEARCH u ") {
			sawU = true
			switch {
			case along && f.Status != "" && d != "SEARCH u USING INDEX "+tabIdx+" (<expr>=?)" && d != "SEARCH u USING COVERING INDEX "+tabIdx+" (<expr>=?)":
				t.Errorf("tab %q read through %q; want one range of %s:%s", f.Status, d, tabIdx, planText(plan))
			case !along && !strings.HasPrefix(d, "SEARCH u USING INTEGER PRIMARY KEY"):
				t.Errorf("filtered page read through %q; want one lookup per match:%s", d, planText(plan))
			}
		}
		if along && l.parent == 0 && strings.HasPrefix(d, "USE TEMP B-TREE FOR ORDER BY") {
			t.Errorf("a page read in order sorts its rows, so it reads them all:%s", planText(plan))
		}
	}
	if !sawU {
		t.Errorf("plan never reads users:%s", planText(plan))
	}
}

// checkPagePlan fails unless the rows of a page are looked up by id, after
// the page's ids (whose plan checkListPlan checks).
func checkPagePlan(t *testing.T, plan []planLine) {
	t.Helper()
	if plan[0].parent != 0 || !strings.HasPrefix(plan[0].detail, "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)") {
		t.Errorf("a page's rows are not looked up by id:%s", planText(plan))
	}
}

// checkCountPlan fails if a count reads users other than by SEARCH.
func checkCountPlan(t *testing.T, plan []planLine) {
	t.Helper()
	for _, l := range plan {
		if m := scanRE.FindStringSubmatch(l.detail); m != nil && !ftsMatchRE.MatchString(l.detail) && !allowedScans[m[1]] {
			t.Errorf("count scans %s:%s", m[1], planText(plan))
		}
	}
}

// checkNoScan fails on any SCAN but of a MATCH of users_search.
func checkNoScan(t *testing.T, plan []planLine) {
	t.Helper()
	for _, l := range plan {
		if strings.HasPrefix(l.detail, "SCAN ") && !ftsMatchRE.MatchString(l.detail) {
			t.Errorf("plan scans:%s", planText(plan))
		}
	}
}

// planFilters are the list filters whose plans are checked: every tab,
// sort and direction, unfiltered, searched (long ASCII, long with an
// accent, short), and limited to spaces, with and without a search.
func planFilters(now time.Time) []users.ListFilter {
	var out []users.ListFilter
	for _, st := range []users.Status{"", users.Active, users.Invited, users.Expired, users.Deactivated} {
		for _, sort := range []users.Sort{users.ByName, users.ByEmail, users.ByStatus, users.ByJoined, users.ByLastSignIn} {
			for _, desc := range []bool{false, true} {
				for _, q := range []string{"", "son", "élo", "jo"} {
					for _, spaceIDs := range [][]int64{nil, {2, 3}} {
						out = append(out, users.ListFilter{Status: st, Sort: sort, Desc: desc, Query: q, SpaceIDs: spaceIDs, Page: 1000, PerPage: 50, Now: now})
					}
				}
			}
		}
	}
	// The Not delivered filter, a tab of its own (issue 14).
	for _, sort := range []users.Sort{users.ByName, users.ByEmail, users.ByStatus, users.ByJoined, users.ByLastSignIn} {
		for _, q := range []string{"", "son", "élo", "jo"} {
			for _, spaceIDs := range [][]int64{nil, {2, 3}} {
				out = append(out, users.ListFilter{Undelivered: true, Sort: sort, Query: q, SpaceIDs: spaceIDs, Page: 3, PerPage: 50, Now: now})
			}
		}
	}
	return out
}

func checkListPlans(t *testing.T, d *DB) {
	now := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	for _, f := range planFilters(now) {
		name := fmt.Sprintf("tab=%q sort=%s desc=%v q=%q spaces=%v undelivered=%v", f.Status, f.Sort, f.Desc, f.Query, f.SpaceIDs, f.Undelivered)
		t.Run(name, func(t *testing.T) {
			for _, walk := range []bool{false, true} {
				if walk && (!filtered(f) || f.Undelivered) {
					continue // List never walks for these
				}
				q, args := pageIDsQuery(f, walk)
				checkListPlan(t, explain(t, d, q, args), f, walk)
				q, args = listQuery(f, walk)
				checkPagePlan(t, explain(t, d, q, args))
			}
			q, args := countQuery(f)
			checkCountPlan(t, explain(t, d, q, args))
			q, args = undeliveredCountQuery(f)
			plan := explain(t, d, q, args)
			checkCountPlan(t, plan)
			if !strings.Contains(planText(plan), "INDEX invitations_undelivered") {
				t.Errorf("the Not delivered count does not read invitations_undelivered:%s", planText(plan))
			}
		})
	}
	ids := make([]int64, 50)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	in, args := inList(ids)
	for name, c := range map[string]struct {
		q    string
		args []any
	}{
		"row invitations": {rowInvitesQuery + in, args},
		"row roles":       {rowRolesQuery(in, in), append(args, args...)},
		"row grants":      {rowRolesQuery(in, ""), args},
		"row offers":      {rowRolesQuery("", in), args},
		"next expiry":     {nextExpiryQuery, []any{now.Unix()}},
		// The account-wide delivery notice, on every page (issue 14).
		"last accepted": {lastAcceptedQuery, nil},
		"last outage":   {lastOutageQuery, nil},
		"outage start":  {outageStartQuery, []any{5}},
		"attempt":       {attemptQuery, []any{5}},
		"any queued":    {anyQueuedQuery, nil},
		"row inviters":  {invitedByQuery + in + ` ORDER BY i.id`, args},
		"holds a user": func() struct {
			q    string
			args []any
		} {
			q, a := holdsQuery(users.ListFilter{Status: users.Invited, Query: "son", SpaceIDs: []int64{2, 3}, Holding: 7, Now: now})
			return struct {
				q    string
				args []any
			}{q, a}
		}(),
	} {
		q, args := c.q, c.args
		t.Run(name, func(t *testing.T) { checkNoScan(t, explain(t, d, q, args)) })
	}
}

func TestListPlansWithoutStatistics(t *testing.T) {
	t.Parallel()
	checkListPlans(t, newTestDB(t))
}

// analyze gathers statistics (ANALYZE) for the plans of d's readers to
// use: their connections are made anew, to read them.
func analyze(t *testing.T, d *DB) {
	t.Helper()
	if _, err := d.W.Exec(`ANALYZE`); err != nil {
		t.Fatal(err)
	}
	d.R.SetMaxIdleConns(0)
	d.R.SetMaxIdleConns(readers)
}

// With statistics of a realistic mix, gathered by ANALYZE.
func TestListPlansAfterAnalyze(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	seedForPlans(t, d, 3000)
	analyze(t, d)
	checkListPlans(t, d)
}

func hasColumn(t *testing.T, d *DB, table, column string) bool {
	t.Helper()
	var n int
	if err := d.W.QueryRow(`SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, table, column).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// seedForPlans adds n users in every status (80% active, 12% invited, 5%
// expired, 3% deactivated, as `usher demo` makes them), three units, their
// grants and pending invitations, in plain SQL.
func seedForPlans(t *testing.T, d *DB, n int) {
	t.Helper()
	now := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC).Unix()
	stmts := []string{
		`INSERT INTO spaces (id, kind, parent_id, name, created_at) VALUES (1, 'account', NULL, 'Acme', 0), (2, 'unit', 1, 'Sales', 0), (3, 'meeting_room', 2, 'Room 1', 0), (4, 'unit', 1, 'Support', 0)`,
		fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d)
			INSERT INTO users (id, email, name, password_hash, created_at, activated_at, deactivated_at, invite_expires_at)
			SELECT i, 'user' || i || '@example.com',
			       CASE WHEN i %% 7 = 0 THEN '' ELSE substr('AnnaBorisCarlaDavidEmmaFelixGretaHugo', 1 + (i %% 8) * 4, 5) || ' Person' || i END,
			       CASE WHEN i %% 100 < 80 OR i %% 100 >= 97 THEN 'hash' END,
			       %d - i * 60,
			       CASE WHEN i %% 100 < 80 OR i %% 100 >= 97 THEN %d - i * 60 + 3600 END,
			       CASE WHEN i %% 100 >= 97 THEN %d - 60 END,
			       CASE WHEN i %% 100 >= 80 AND i %% 100 < 92 THEN %d + 86400 * (1 + i %% 6)
			            WHEN i %% 100 >= 92 AND i %% 100 < 97 THEN %d - 86400 * (1 + i %% 30) END
			FROM seq`, n, now, now, now, now, now),
		// Most of those who joined have signed in since, at all sorts of times.
		fmt.Sprintf(`UPDATE users SET last_sign_in_at = %d - (id * 7919) %% 2592000 WHERE activated_at IS NOT NULL AND id %% 10 != 0`, now),
		`INSERT INTO role_grants (user_id, space_id, role, granted_at) SELECT id, 2 + 2 * (id % 2), 'member', 0 FROM users WHERE activated_at IS NOT NULL`,
		`INSERT INTO invitations (id, user_id, email, inviter_name, token_nonce, token_hash, state, created_at, sent_at, expires_at)
		 SELECT id, id, email, 'Ada', randomblob(16), randomblob(32), 'pending', created_at, created_at, invite_expires_at FROM users WHERE invite_expires_at IS NOT NULL`,
		`INSERT INTO invitation_roles (invitation_id, space_id, role) SELECT id, 2 + 2 * (id % 2), 'member' FROM invitations`,
		`INSERT INTO outbox (idempotency_key, kind, recipient, invitation_id, payload, state, next_attempt_at, created_at)
		 SELECT 'send:' || id, 'invitation', email, id, '{}', 'sent', 0, 0 FROM invitations`,
	}
	for _, s := range stmts {
		if strings.Contains(s, "last_sign_in_at") && !hasColumn(t, d, "users", "last_sign_in_at") {
			continue // seeding a database from before migration 0011
		}
		if _, err := d.W.Exec(s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
}

// The seeded statuses and the counters the triggers keep agree.
func TestSeedForPlansCounts(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	seedForPlans(t, d, 3000)
	p, err := NewUserStore(d).List(context.Background(), users.ListFilter{Page: 1, PerPage: 50, Now: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[users.Status]int{users.Active: 2400, users.Invited: 360, users.Expired: 150, users.Deactivated: 90}
	if !mapsEqual(p.Counts, want) || p.All != 3000 {
		t.Errorf("Counts = %v, All = %d; want %v, 3000", p.Counts, p.All, want)
	}
}

// Migration 0002 indexes the users a database already has: the counts,
// the expiry days and both search indexes start out right, and its Down
// undoes it.
func TestMigration0002IndexesExistingUsers(t *testing.T) {
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
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	seedForPlans(t, d, 300)
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	store := NewUserStore(d)
	check := func(when string) {
		t.Helper()
		list, err := store.List(ctx, users.ListFilter{Page: 1, PerPage: 50, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		want := map[users.Status]int{users.Active: 240, users.Invited: 36, users.Expired: 15, users.Deactivated: 9}
		if !mapsEqual(list.Counts, want) {
			t.Errorf("%s: Counts = %v, want %v", when, list.Counts, want)
		}
		if n := count(t, d, `SELECT count(*) FROM users WHERE sort_name != CASE WHEN name = '' THEN email ELSE name END`); n != 0 {
			t.Errorf("%s: %d users sorted under another name than the one shown (migration 0004)", when, n)
		}
		for _, q := range []string{"person1", "7@", "@"} {
			found, err := store.List(ctx, users.ListFilter{Query: q, Page: 1, PerPage: 50, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			like := count(t, d, `SELECT count(*) FROM users WHERE name LIKE ? OR email LIKE ?`, "%"+q+"%", "%"+q+"%")
			if found.All != like || like == 0 {
				t.Errorf("%s: search %q finds %d, LIKE finds %d", when, q, found.All, like)
			}
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

// The counters, the expiry days and both search indexes follow every kind
// of change to users: a long random run of them, checked against plain
// counts and LIKE after each step, at several times of day; and the name
// each user is sorted under stays the one shown.
func TestListIndexesFollowEveryChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newTestDB(t)
	seedForPlans(t, d, 200)
	store := NewUserStore(d)
	base := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC).Unix()
	rng := uint64(1)
	next := func(n int) int64 { // a small deterministic generator
		rng = rng*6364136223846793005 + 1442695040888963407
		return int64((rng >> 33) % uint64(n))
	}
	names := []string{"Zoë Åberg", "ann", "BOB_100%", "", "Jo", "o'Neil"}
	ops := []string{
		`UPDATE users SET deactivated_at = ? WHERE id = ?`,
		`UPDATE users SET deactivated_at = NULL WHERE id = ? + 0 * ?`,
		`UPDATE users SET activated_at = ?, invite_expires_at = NULL WHERE id = ? AND activated_at IS NULL`,
		`UPDATE users SET invite_expires_at = ? WHERE id = ? AND activated_at IS NULL`,
		`UPDATE users SET name = ? WHERE id = ?`,
		`UPDATE users SET email = ? || '@example.org' WHERE id = ?`,
		`DELETE FROM users WHERE id = ? + 0 * ?`,
		`INSERT INTO users (name, email, created_at, invite_expires_at) VALUES (?, 'new' || ? || '@example.net', 0, ?)`,
	}
	for step := 0; step < 300; step++ {
		id := 1 + next(220)
		op := next(len(ops))
		var args []any
		switch op {
		case 0, 2:
			args = []any{base - next(1000), id}
		case 1, 6:
			args = []any{id, 0}
		case 3:
			args = []any{base + (next(5)-2)*86400 + next(86400), id}
		case 4:
			args = []any{names[next(len(names))], id}
		case 5:
			args = []any{fmt.Sprintf("moved%d", step), id}
		case 7:
			args = []any{names[next(len(names))], step, base + (next(4)-1)*86400 + next(86400)}
		}
		if _, err := d.W.Exec(ops[op], args...); err != nil && !strings.Contains(err.Error(), "UNIQUE") {
			t.Fatalf("step %d: %v", step, err)
		}
		if step%25 != 24 {
			continue
		}
		if n := count(t, d, `SELECT count(*) FROM users WHERE sort_name != CASE WHEN name = '' THEN email ELSE name END`); n != 0 {
			t.Fatalf("step %d: %d users sorted under another name than the one shown", step, n)
		}
		for _, now := range []int64{base, base + 3600*20, base + 86400*2 + 5} {
			st := fmt.Sprintf("step %d, now %d", step, now)
			list, err := store.List(ctx, users.ListFilter{Page: 1, PerPage: 50, Now: time.Unix(now, 0)})
			if err != nil {
				t.Fatal(err)
			}
			want := map[users.Status]int{
				users.Active:      count(t, d, `SELECT count(*) FROM users WHERE activated_at IS NOT NULL AND deactivated_at IS NULL`),
				users.Invited:     count(t, d, `SELECT count(*) FROM users WHERE activated_at IS NULL AND deactivated_at IS NULL AND invite_expires_at > ?`, now),
				users.Expired:     count(t, d, `SELECT count(*) FROM users WHERE activated_at IS NULL AND deactivated_at IS NULL AND invite_expires_at <= ?`, now),
				users.Deactivated: count(t, d, `SELECT count(*) FROM users WHERE deactivated_at IS NOT NULL`),
			}
			if !mapsEqual(list.Counts, want) {
				t.Fatalf("%s: Counts = %v, want %v", st, list.Counts, want)
			}
			for _, q := range []string{"o", "jo", "ann", "_1", "%", "moved", "e@", "erso"} {
				for _, tab := range []users.Status{"", users.Invited, users.Deactivated} {
					found, err := store.List(ctx, users.ListFilter{Query: q, Status: tab, Page: 1, PerPage: 500, Now: time.Unix(now, 0)})
					if err != nil {
						t.Fatal(err)
					}
					cond, cargs := statusWhere(tab, now, false)
					if cond == "" {
						cond = "1"
					}
					pat := "%" + escapeLike(q) + "%"
					like := count(t, d, `SELECT count(*) FROM users u WHERE (u.name LIKE ? ESCAPE '\' OR u.email LIKE ? ESCAPE '\') AND `+cond, append([]any{pat, pat}, cargs...)...)
					if found.Total != like || len(found.Rows) != like {
						t.Fatalf("%s: search %q on tab %q: Total %d, %d rows; LIKE finds %d", st, q, tab, found.Total, len(found.Rows), like)
					}
				}
			}
		}
	}
}

// A page read along the sort order (walk) and one read through the
// search index hold the same rows, in the same order, for every kind of
// query, so List may pick either.
func TestWalkAndIndexAgree(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	seedForPlans(t, d, 400)
	for _, stmt := range []string{
		`UPDATE users SET name = 'Zoë Åberg' WHERE id % 17 = 0`,
		`UPDATE users SET name = 'ÉLODIE Durand' WHERE id % 19 = 0`,
		`UPDATE users SET name = 'dan_under 100%' WHERE id % 23 = 0`,
	} {
		if _, err := d.W.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	ids := func(q string, args []any) []int64 {
		rows, err := d.R.Query(q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, u.ID)
		}
		return out
	}
	for _, q := range []string{"", "a", "Ö", "ö", "ë", "zoë", "ÅBERG", "élodie", "Élodie", "%", "_u", "0%", "son1", "@EXAMPLE", "e"} {
		for _, tab := range []users.Status{"", users.Active, users.Invited, users.Expired} {
			for _, sort := range []users.Sort{users.ByName, users.ByEmail, users.ByJoined, users.ByLastSignIn} {
				for _, spaceIDs := range [][]int64{nil, {2}, {4, 3}} {
					f := users.ListFilter{Query: q, Status: tab, Sort: sort, SpaceIDs: spaceIDs, Page: 1, PerPage: 1000, Now: now}
					if !filtered(f) {
						continue
					}
					walkQ, walkArgs := listQuery(f, true)
					readQ, readArgs := listQuery(f, false)
					walked, read := ids(walkQ, walkArgs), ids(readQ, readArgs)
					if fmt.Sprint(walked) != fmt.Sprint(read) {
						t.Errorf("search %q, tab %q, by %s, spaces %v: walking finds %d users, the index %d", q, tab, sort, spaceIDs, len(walked), len(read))
					}
					// And both are what plain SQL says.
					cond, cargs := statusWhere(tab, now.Unix(), false)
					if cond == "" {
						cond = "1"
					}
					pat := "%" + escapeLike(q) + "%"
					in, inArgs := inList(append([]int64{0}, spaceIDs...))
					space := "1"
					if spaceIDs != nil {
						space = `(u.id IN (SELECT user_id FROM role_grants WHERE space_id IN ` + in + `) OR u.id IN (SELECT i.user_id FROM invitations i JOIN invitation_roles r ON r.invitation_id = i.id WHERE i.state = 'pending' AND r.space_id IN ` + in + `))`
					} else {
						inArgs = nil
					}
					search := "(u.name LIKE ? ESCAPE '\\' OR u.email LIKE ? ESCAPE '\\')"
					if q != "" && !isASCII(q) && len([]rune(q)) >= minTrigram {
						search = "1" // the trigram index folds more than LIKE: compared with walking only
					}
					args := append(append(append([]any{pat, pat}, cargs...), inArgs...), inArgs...)
					if want := count(t, d, `SELECT count(*) FROM users u WHERE `+search+` AND `+cond+` AND `+space, args...); search != "1" && len(read) != want {
						t.Errorf("search %q, tab %q, spaces %v: %d users, plain SQL finds %d", q, tab, spaceIDs, len(read), want)
					}
				}
			}
		}
	}
}

// The users list's order kept in memory (listindex.go) is brought up to
// date at the first request after any write, by any process, so what it
// reads then must be lookups: the notes after the last one applied (a
// range of list_changes' rowid) and the users they name (their rows by
// id, and for each whatever listedCols reads besides, such as a pending
// invitation); then the page's rows by id. A load reads the last note's
// number (one probe at the end of the rowid b-tree), and then, on
// purpose, every user: SELECT listedCols FROM users u is a SCAN of users,
// made at start and after a gap in the notes, in the background, and so
// is not checked here; so are its grants (loadGrants), and the spaces
// (allSpaces: a few rows, read again when spaces_version moves).
func TestListIndexPlans(t *testing.T) {
	t.Parallel()
	for _, analyzed := range []bool{false, true} {
		name := "without statistics"
		if analyzed {
			name = "after ANALYZE"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newTestDB(t)
			if analyzed {
				seedForPlans(t, d, 3000)
				analyze(t, d)
			}
			checkListIndexPlans(t, d)
		})
	}
}

func checkListIndexPlans(t *testing.T, d *DB) {
	ids := make([]int64, 50)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	in, args := inList(ids)
	for _, c := range []struct {
		name  string
		q     string
		args  []any
		first string // how the outer query reads its table (either of "a | b")
	}{
		{"notes", notesQuery, []any{5, maxChanges + 1},
			"SEARCH list_changes USING INTEGER PRIMARY KEY (rowid>?)"},
		{"noted users", notedQuery + in, args,
			"SEARCH u USING INTEGER PRIMARY KEY (rowid=?)"},
		{"noted grants", grantsQuery + ` WHERE user_id IN ` + in, args,
			"SEARCH role_grants USING PRIMARY KEY (user_id=?)"},
		{"noted invitations", invitesQuery + ` AND i.user_id IN ` + in, args,
			"SEARCH i USING INDEX invitations_one_pending (user_id=?) | SEARCH i USING INDEX invitations_user (user_id=?)"},
		{"spaces' number", spacesVersionQuery, nil,
			"SEARCH spaces_version USING INTEGER PRIMARY KEY (rowid=?)"},
		{"old notes", pruneQuery, []any{5},
			"SEARCH list_changes USING INDEX list_changes_at (at<?)"},
		{"noted offers", offersQuery + ` AND i.user_id IN ` + in, args,
			"SEARCH i USING COVERING INDEX invitations_one_pending (user_id=?)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			plan := explain(t, d, c.q, c.args)
			if plan[0].parent != 0 || !slices.Contains(strings.Split(c.first, " | "), plan[0].detail) {
				t.Errorf("the query does not start with %s:%s", c.first, planText(plan))
			}
			checkLookups(t, plan)
		})
	}
	// EXPLAIN QUERY PLAN says SEARCH of any max() over a whole table,
	// whether it reads one row (the rowid's) or every row (another
	// column's): the program it runs tells them apart, by the end of the
	// b-tree it starts at.
	t.Run("last note", func(t *testing.T) {
		q := lastNoteQuery
		ops := opcodes(t, d, q)
		if !slices.Contains(ops, "Last") || slices.Contains(ops, "Rewind") {
			t.Errorf("the last note is not read by one probe of list_changes' rowid:%s\n    %v", planText(explain(t, d, q, nil)), ops)
		}
	})
}

// checkLookups fails unless the plan reads every table through its
// primary key or one of its indexes: no SCAN, no SEARCH without an index
// (see "last note" above), no automatic index (made by reading the whole
// table), and no temporary b-tree sorting what was read.
func checkLookups(t *testing.T, plan []planLine) {
	t.Helper()
	for _, l := range plan {
		d := l.detail
		switch {
		case strings.HasPrefix(d, "SCAN "):
			t.Errorf("plan scans: %s%s", d, planText(plan))
		case strings.HasPrefix(d, "SEARCH ") && !strings.Contains(d, " USING "):
			t.Errorf("plan searches without an index: %s%s", d, planText(plan))
		case strings.Contains(d, "AUTOMATIC"):
			t.Errorf("plan makes an index of a whole table: %s%s", d, planText(plan))
		case strings.HasPrefix(d, "USE TEMP B-TREE"):
			t.Errorf("plan sorts what it read: %s%s", d, planText(plan))
		}
	}
}

// opcodes is the program SQLite runs for q, one opcode each.
func opcodes(t *testing.T, d *DB, q string) []string {
	t.Helper()
	rows, err := d.R.Query("EXPLAIN " + q)
	if err != nil {
		t.Fatalf("EXPLAIN: %v\n%s", err, q)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]any, len(cols))
	for i := range vals {
		vals[i] = new(any)
	}
	var out []string
	for rows.Next() {
		var op string
		vals[1] = &op // addr, opcode, p1 …
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		out = append(out, op)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
