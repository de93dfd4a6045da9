package db

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/spaces"
)

// logged writes entries through record, each in its own transaction as a
// store's change would, and returns them with their ids.
func logged(t *testing.T, d *DB, ctx context.Context, es ...activity.Entry) []activity.Entry {
	t.Helper()
	for i := range es {
		err := d.tx(ctx, func(tx *sql.Tx) error { return record(ctx, tx, es[i]) })
		if err != nil {
			t.Fatalf("record %s: %v", es[i].Kind, err)
		}
		if err := d.R.QueryRow(`SELECT max(id) FROM activity`).Scan(&es[i].ID); err != nil {
			t.Fatal(err)
		}
		es[i].Fill(ctx)
	}
	return es
}

func ids(es []activity.Entry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// One entry with every kind of detail comes back as it went in, indexed
// under each person and space it concerns, once each; the actor and IP
// come from the context unless the entry names its own.
func TestActivityRecordRoundTrip(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	ctx := activity.With(context.Background(), activity.Source{ActorID: 1, ActorName: "Ada Admin", ActorEmail: "ada@example.com", IP: "192.0.2.7"})
	expires := t0.Add(ttl)
	e := activity.Entry{At: t0, Kind: activity.UserRolesChanged, SubjectID: 5, SubjectName: "Zoë Ångström", SubjectEmail: "zoe@example.com",
		Details: activity.Details{
			InvitationID: 9,
			Roles:        []activity.Role{{SpaceID: 3, SpaceKind: spaces.MeetingRoom, SpaceName: "Room 4", Role: spaces.Member}},
			Granted:      []activity.Role{{SpaceID: 2, SpaceKind: spaces.Unit, SpaceName: "Sales", Role: spaces.Admin}, {SpaceID: 3, SpaceKind: spaces.MeetingRoom, SpaceName: "Room 4", Role: spaces.Admin}},
			Revoked:      []activity.Role{{SpaceID: 3, SpaceKind: spaces.MeetingRoom, SpaceName: "Room 4", Role: spaces.Member}},
			Space:        &activity.Space{ID: 4, Kind: spaces.Unit, Name: "Support", ParentID: 1},
			Changes:      []activity.Change{{Field: "name", From: "Zoe", To: "Zoë Ångström"}},
			Email:        "zoe@example.com", Reason: "=HYPERLINK(\"x\")", Count: 3, Device: "Firefox on Linux", SecondFactor: "code", Expires: &expires,
		}}
	got := logged(t, d, ctx, e)[0]
	p, err := NewActivityStore(d).List(context.Background(), activity.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 1 {
		t.Fatalf("List: %d entries, want 1", len(p.Entries))
	}
	back := p.Entries[0]
	if back.ActorID != 1 || back.ActorName != "Ada Admin" || back.ActorEmail != "ada@example.com" || back.IP != "192.0.2.7" {
		t.Errorf("actor and IP from the context: %+v", back)
	}
	if !reflect.DeepEqual(back, got) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, got)
	}
	if s := dump(t, d, `SELECT user_id, at, activity_id, kind FROM activity_people ORDER BY user_id`); s != fmt.Sprintf("1|%d|1|user.roles_changed\n5|%d|1|user.roles_changed", t0.Unix(), t0.Unix()) {
		t.Errorf("people rows:\n%s", s)
	}
	if s := dump(t, d, `SELECT space_id FROM activity_spaces WHERE activity_id = 1 AND at = ? AND kind = 'user.roles_changed' ORDER BY space_id`, t0.Unix()); s != "2\n3\n4" {
		t.Errorf("space rows, once each:\n%s", s)
	}

	// A sign-in names its own actor, the same as its subject: one person row.
	own := logged(t, d, ctx, activity.Entry{At: t0.Add(time.Second), Kind: activity.SignIn, ActorID: 5, ActorName: "Zoë", SubjectID: 5, SubjectName: "Zoë", IP: "198.51.100.1"})[0]
	if own.ActorID != 5 || own.IP != "198.51.100.1" {
		t.Errorf("an entry's own actor and IP replaced by the context's: %+v", own)
	}
	if n := count(t, d, `SELECT count(*) FROM activity_people WHERE activity_id = ?`, own.ID); n != 1 {
		t.Errorf("a sign-in indexed under %d people, want 1", n)
	}
	// The system: no actor, no person row for it.
	sys := logged(t, d, context.Background(), activity.Entry{At: t0.Add(2 * time.Second), Kind: activity.InvitationExpired, SubjectID: 6})[0]
	if !sys.System() || count(t, d, `SELECT count(*) FROM activity WHERE id = ? AND actor_id IS NULL AND ip = ''`, sys.ID) != 1 {
		t.Errorf("a system entry: %+v", sys)
	}
}

func dump(t *testing.T, d *DB, q string, args ...any) string {
	t.Helper()
	rows, err := d.R.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

// sampleLog writes n entries, seven to a second, by and about a handful
// of people, in and out of spaces 2 to 5, of a few kinds.
func sampleLog(t *testing.T, d *DB, n int) []activity.Entry {
	t.Helper()
	kinds := []activity.Kind{activity.SignIn, activity.InvitationSent, activity.UserRolesChanged, activity.SignInFailed, activity.SpaceRenamed}
	es := make([]activity.Entry, n)
	for i := range es {
		e := activity.Entry{At: t0.Add(time.Duration(i/7) * time.Second), Kind: kinds[i%len(kinds)], ActorID: int64(1 + i%3), ActorName: "Actor",
			SubjectID: int64(2 + i%5), SubjectName: "Subject", IP: "192.0.2.1"}
		switch e.Kind {
		case activity.InvitationSent:
			e.Details.Roles = []activity.Role{{SpaceID: int64(2 + i%4), Role: spaces.Member}}
		case activity.UserRolesChanged:
			e.Details.Granted = []activity.Role{{SpaceID: int64(2 + i%4), Role: spaces.Member}}
			e.Details.Revoked = []activity.Role{{SpaceID: int64(2 + (i+1)%4), Role: spaces.Member}}
		case activity.SpaceRenamed:
			e.SubjectID, e.SubjectName = 0, ""
			e.Details.Space = &activity.Space{ID: int64(2 + i%4), Name: "Space"}
		}
		es[i] = e
	}
	return logged(t, d, context.Background(), es...)
}

// matches is what a filter means, for checking the store against.
func matches(f activity.Filter, e activity.Entry) bool {
	if f.People != nil && !slices.ContainsFunc(e.PeopleIDs(), func(id int64) bool { return slices.Contains(f.People, id) }) {
		return false
	}
	if f.Kind != "" && e.Kind != f.Kind {
		return false
	}
	if f.SpaceID != 0 && !slices.Contains(e.SpaceIDs(), f.SpaceID) {
		return false
	}
	if f.Scope != nil && !slices.ContainsFunc(e.SpaceIDs(), func(id int64) bool { return slices.Contains(f.Scope, id) }) {
		return false
	}
	if !f.From.IsZero() && e.At.Before(f.From) || !f.Until.IsZero() && !e.At.Before(f.Until) {
		return false
	}
	return true
}

// newestFirst is the log's order.
func newestFirst(es []activity.Entry) []activity.Entry {
	out := slices.Clone(es)
	slices.SortFunc(out, func(a, b activity.Entry) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	return out
}

// Every filter, paged forwards through Older and back through Newer with
// seven entries to each second, selects what it means, each entry once,
// newest first, and Each streams the same.
func TestActivityFiltersAndKeysetPages(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	all := sampleLog(t, d, 260)
	store := NewActivityStore(d)
	ctx := context.Background()
	from, until := t0.Add(5*time.Second), t0.Add(30*time.Second)
	for _, f := range []activity.Filter{
		{},
		{Kind: activity.SignIn},
		{People: []int64{2}},
		{People: []int64{1, 2}}, // an entry by 1 about 2 once
		{People: []int64{3}, Kind: activity.InvitationSent},
		{People: []int64{1, 4, 6}, Kind: activity.UserRolesChanged},
		{SpaceID: 3},
		{SpaceID: 3, Kind: activity.UserRolesChanged},
		{Scope: []int64{2, 3}}, // a role change granting on 2, revoking on 3, once
		{Scope: []int64{2, 3, 4, 5}, Kind: activity.SpaceRenamed},
		{Scope: []int64{2, 3}, SpaceID: 3},
		{Scope: []int64{2}, People: []int64{3}},
		{Scope: []int64{}},
		{Scope: []int64{99}},
		{From: from},
		{Until: until},
		{From: from, Until: until},
		{From: from, Until: until, Kind: activity.SignInFailed},
		{From: from, Until: until, People: []int64{2, 5}},
		{From: from, Until: until, Scope: []int64{3, 4}},
		{From: t0.Add(time.Second), Until: t0.Add(2 * time.Second)}, // exactly one second's entries
	} {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			var want []activity.Entry
			for _, e := range newestFirst(all) {
				if matches(f, e) {
					want = append(want, e)
				}
			}
			f.Limit = 10
			var pages [][]activity.Entry
			var got []activity.Entry
			p, err := store.List(ctx, f)
			for ; err == nil; p, err = store.List(ctx, f) {
				if len(pages) == 0 && !p.Newer.IsZero() {
					t.Errorf("the first page has a newer one")
				}
				pages, got = append(pages, p.Entries), append(got, p.Entries...)
				if p.Older.IsZero() {
					break
				}
				if p.Older != activity.Of(p.Entries[len(p.Entries)-1]) || p.Newer.IsZero() != (len(pages) == 1) {
					t.Fatalf("page %d: cursors %+v", len(pages), p)
				}
				f.After = p.Older
				if len(pages) > 100 {
					t.Fatal("no end")
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), ids(want)) {
				t.Fatalf("paging forwards:\n got %v\nwant %v", ids(got), ids(want))
			}
			for _, pg := range pages[:len(pages)-1] {
				if len(pg) != 10 {
					t.Errorf("a page of %d before the last", len(pg))
				}
			}
			// Back from the last page, through Newer.
			f.After = activity.Cursor{}
			last := pages[len(pages)-1]
			if len(last) > 0 {
				f.Before = activity.Of(last[0])
				for i := len(pages) - 2; i >= 0; i-- {
					p, err := store.List(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(ids(p.Entries), ids(pages[i])) {
						t.Fatalf("paging back to page %d:\n got %v\nwant %v", i+1, ids(p.Entries), ids(pages[i]))
					}
					if p.Older.IsZero() || p.Newer.IsZero() != (i == 0) {
						t.Errorf("paging back to page %d: cursors older %v newer %v", i+1, p.Older, p.Newer)
					}
					f.Before = p.Newer
				}
			}
			f.Before = activity.Cursor{}
			var each []activity.Entry
			if err := store.Each(ctx, f, func(e activity.Entry) error { each = append(each, e); return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(each), ids(want)) {
				t.Errorf("Each:\n got %v\nwant %v", ids(each), ids(want))
			}
		})
	}
}

// More people than activityQuery merges still page right.
func TestActivityManyPeople(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	all := sampleLog(t, d, 60)
	people := make([]int64, maxMergedRanges+5)
	for i := range people {
		people[i] = int64(i + 2)
	}
	p, err := NewActivityStore(d).List(context.Background(), activity.Filter{People: people, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var want []activity.Entry
	for _, e := range newestFirst(all) {
		if matches(activity.Filter{People: people}, e) {
			want = append(want, e)
		}
	}
	if !slices.Equal(ids(p.Entries), ids(want[:50])) {
		t.Errorf("got %v\nwant %v", ids(p.Entries), ids(want[:50]))
	}
}

// The person filter finds: a user by email; a deleted one by the email
// their user.deleted entry kept; users by a part of their name; within a
// space administrator's spaces only.
func TestActivityPeople(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	sales := f.space(t, spaces.Unit, "Sales", 0)
	support := f.space(t, spaces.Unit, "Support", 0)
	ana := f.activeUser(t, "ana@example.com", "Ana Andersson", spaces.Grant{SpaceID: sales, Role: spaces.Member})
	bo := f.activeUser(t, "bo@example.com", "Bo Andersson", spaces.Grant{SpaceID: support, Role: spaces.Member})
	// Cy was in Sales, then deleted: only the log knows them now.
	cy := f.activeUser(t, "cy@example.com", "Cy Carlsson", spaces.Grant{SpaceID: sales, Role: spaces.Member})
	logged(t, f.db, ctx,
		activity.Entry{At: t0, Kind: activity.UserRolesChanged, ActorID: f.admin.ID, SubjectID: cy.ID, SubjectName: cy.Name, SubjectEmail: cy.Email,
			Details: activity.Details{Granted: []activity.Role{{SpaceID: sales, Role: spaces.Member}}}},
		activity.Entry{At: t0.Add(time.Hour), Kind: activity.UserDeleted, ActorID: f.admin.ID, SubjectID: cy.ID, SubjectName: cy.Name, SubjectEmail: cy.Email})
	if _, err := f.db.W.Exec(`DELETE FROM users WHERE id = ?`, cy.ID); err != nil {
		t.Fatal(err)
	}
	store := NewActivityStore(f.db)
	for _, c := range []struct {
		text  string
		scope []int64
		want  []int64
	}{
		{"ana@example.com", nil, []int64{ana.ID}},
		{"ANA@example.com", nil, []int64{ana.ID}},
		{"ana@example.com", []int64{support}, nil},
		{"cy@example.com", nil, []int64{cy.ID}},
		{"Cy@Example.com", []int64{sales}, []int64{cy.ID}},
		{"cy@example.com", []int64{support}, nil},
		{"nobody@example.com", nil, nil},
		{"andersson", nil, []int64{ana.ID, bo.ID}},
		{"  Andersson ", []int64{support}, []int64{bo.ID}},
		{"bo", nil, []int64{bo.ID}},
		{"carlsson", nil, nil}, // deleted: found by their email only
		{"", nil, nil},
	} {
		got, err := store.People(ctx, c.text, c.scope, 20)
		if err != nil {
			t.Fatalf("People(%q): %v", c.text, err)
		}
		var gotIDs []int64
		for _, p := range got {
			gotIDs = append(gotIDs, p.ID)
		}
		if !slices.Equal(gotIDs, c.want) {
			t.Errorf("People(%q, %v) = %+v, want ids %v", c.text, c.scope, got, c.want)
		}
		if c.text == "cy@example.com" && len(got) == 1 && (got[0].Name != "Cy Carlsson" || got[0].Email != "cy@example.com") {
			t.Errorf("the deleted person as the log keeps them: %+v", got[0])
		}
	}
}

// The log is append-only: plain SQL can neither change an entry nor delete
// a recent one, not even its index rows' entry.
func TestActivityIsAppendOnly(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	e := sampleLog(t, d, 3)[1]
	for _, q := range []string{
		`UPDATE activity SET actor_name = 'Mallory' WHERE id = ?`,
		`UPDATE activity SET at = 0 WHERE id = ?`,
		`DELETE FROM activity WHERE id = ?`,
	} {
		if _, err := d.W.Exec(q, e.ID); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err %v, want the trigger's refusal", q, err)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM activity WHERE id = ? AND actor_name = 'Actor' AND at = ?`, e.ID, e.At.Unix()); n != 1 {
		t.Error("the entry changed")
	}
}

// Purge deletes only entries from before the cutoff, the oldest first, at
// most a batch at a time, with their index rows; the trigger still
// protects the rest afterwards.
func TestActivityPurge(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	ctx := context.Background()
	all := sampleLog(t, d, 70) // ten seconds of seven entries
	store := NewActivityStore(d)
	cutoff := t0.Add(4 * time.Second) // 28 entries before it
	var batches []int
	for {
		n, err := store.Purge(ctx, cutoff, 10)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		batches = append(batches, n)
		// The oldest go first.
		if oldest := count(t, d, `SELECT min(id) FROM activity`); oldest != int(all[sum(batches)].ID) {
			t.Errorf("after %v purged, the oldest is %d, want %d", batches, oldest, all[sum(batches)].ID)
		}
		if len(batches) > 10 {
			t.Fatal("no end")
		}
	}
	if !slices.Equal(batches, []int{10, 10, 8}) {
		t.Errorf("purged in batches %v, want [10 10 8]", batches)
	}
	if n := count(t, d, `SELECT count(*) FROM activity WHERE at < ?`, cutoff.Unix()); n != 0 {
		t.Errorf("%d entries left before the cutoff", n)
	}
	if n := count(t, d, `SELECT count(*) FROM activity`); n != 42 {
		t.Errorf("%d entries kept, want 42", n)
	}
	for _, side := range []string{"activity_people", "activity_spaces"} {
		if n := count(t, d, `SELECT count(*) FROM `+side+` x WHERE NOT EXISTS (SELECT 1 FROM activity a WHERE a.id = x.activity_id)`); n != 0 {
			t.Errorf("%d %s rows of purged entries", n, side)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM activity_people`); n == 0 {
		t.Error("the kept entries lost their people rows")
	}
	kept := all[28]
	if _, err := d.W.Exec(`DELETE FROM activity WHERE id = ?`, kept.ID); err == nil {
		t.Error("after a purge, a kept entry can be deleted by plain SQL")
	}
	if _, err := d.W.Exec(`UPDATE activity SET kind = 'x' WHERE id = ?`, kept.ID); err == nil {
		t.Error("after a purge, a kept entry can be changed")
	}
	// Nothing older: a purge does nothing, and says so.
	if n, err := store.Purge(ctx, t0.Add(-time.Hour), 10); n != 0 || err != nil {
		t.Errorf("a purge with nothing to do: %d, %v", n, err)
	}
}

func sum(ns []int) int {
	s := 0
	for _, n := range ns {
		s += n
	}
	return s
}
