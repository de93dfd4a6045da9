package db

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

func TestCreateAccountAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newTestDB(t)
	s := NewUserStore(d)

	if ok, err := s.HasAccountAdmin(ctx); err != nil || ok {
		t.Fatalf("empty database: HasAccountAdmin = %v, %v; want false", ok, err)
	}
	if _, err := s.CreateAccountAdmin(ctx, "", "a@example.com", "A", "hash", t0, true); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("no account and no account name: err = %v, want Invalid", err)
	}
	first, err := s.CreateAccountAdmin(ctx, "Acme", "a@example.com", "A", "hash", t0, true)
	if err != nil {
		t.Fatal(err)
	}
	if first.StatusAt(t0) != users.Active || first.PasswordHash != "hash" {
		t.Errorf("first admin = %+v, want active with its hash", first)
	}
	if ok, _ := s.HasAccountAdmin(ctx); !ok {
		t.Error("HasAccountAdmin = false after the first administrator")
	}

	tests := []struct {
		name      string
		email     string
		firstOnly bool
		want      errs.Code
	}{
		{"setup again", "b@example.com", true, errs.Conflict},
		{"email taken, other case", "A@EXAMPLE.COM", false, errs.Invalid},
		{"another admin", "c@example.com", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateAccountAdmin(ctx, "Other", tc.email, "X", "hash", t0, tc.firstOnly)
			if tc.want == "" && err != nil || tc.want != "" && errs.CodeOf(err) != tc.want {
				t.Fatalf("err = %v, want code %q", err, tc.want)
			}
		})
	}
	sp, err := s.Spaces(ctx)
	if err != nil || len(sp) != 1 || sp[0].Name != "Acme" || sp[0].Kind != spaces.Account {
		t.Errorf("Spaces = %+v, %v; want the one account, still named Acme", sp, err)
	}
}

func TestUserLookups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	sales := f.space(t, spaces.Unit, "Sales", 0)
	apex := f.space(t, spaces.Unit, "apex", 0)
	u := f.activeUser(t, "bob@example.com", "Bob", spaces.Grant{SpaceID: sales, Role: spaces.Admin}, spaces.Grant{SpaceID: apex, Role: spaces.Member}, spaces.Grant{SpaceID: f.account, Role: spaces.Member})

	if got, err := f.users.ByEmail(ctx, "BOB@Example.com"); err != nil || got.ID != u.ID {
		t.Errorf("ByEmail in upper case = %v, %v; want user %d", got.ID, err, u.ID)
	}
	if _, err := f.users.ByEmail(ctx, "nobody@example.com"); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("ByEmail unknown: err = %v, want NotFound", err)
	}
	if _, err := f.users.ByID(ctx, 9999); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("ByID unknown: err = %v, want NotFound", err)
	}
	g, err := f.users.Grants(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := spaces.Describe(g), "Member, Member of apex, Administrator of Sales"; got != want {
		t.Errorf("Grants = %q, want %q (account first, then by name)", got, want)
	}

	if err := f.users.BumpSessionVersion(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.users.ByID(ctx, u.ID); again.SessionVersion != u.SessionVersion+1 {
		t.Errorf("SessionVersion = %d after bump, want %d", again.SessionVersion, u.SessionVersion+1)
	}
}

// listFixture is an account with users in every status:
//
//	Ada Admin        admin@example.com   Active (account admin)
//	Bob Builder      bob@example.com     Active, Member of Sales
//	Carla 100%       carla@example.com   Active
//	dan_under        dan@example.com     Deactivated
//	(no name)        ivy@example.com     Invited to Sales, sent at t0
//	(no name)        jay@example.com     Invited to Support, sent at t0 + 1h
type listFixture struct {
	*fixture
	sales, support, room int64
}

func newListFixture(t testing.TB) listFixture {
	f := listFixture{fixture: newFixture(t)}
	f.sales = f.space(t, spaces.Unit, "Sales", 0)
	f.support = f.space(t, spaces.Unit, "Support", 0)
	f.room = f.space(t, spaces.MeetingRoom, "Room 4", f.sales)
	f.activeUser(t, "bob@example.com", "Bob Builder", spaces.Grant{SpaceID: f.sales, Role: spaces.Member})
	f.activeUser(t, "carla@example.com", "Carla 100%")
	dan := f.activeUser(t, "dan@example.com", "dan_under")
	f.deactivate(t, dan.ID)
	f.invite(t, "ivy@example.com", spaces.Grant{SpaceID: f.sales, Role: spaces.Member})
	f.clock.Advance(time.Hour)
	f.invite(t, "jay@example.com", spaces.Grant{SpaceID: f.support, Role: spaces.Admin})
	return f
}

func emails(p users.ListPage) []string {
	var out []string
	for _, r := range p.Rows {
		out = append(out, r.Email)
	}
	return out
}

func TestListStatusesFollowTheClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newListFixture(t)
	ivyExpires := t0.Add(ttl)
	jayExpires := t0.Add(time.Hour + ttl)

	tests := []struct {
		name string
		now  time.Time
		want map[users.Status]int
	}{
		{"just after the invitations", t0.Add(time.Hour), map[users.Status]int{users.Active: 3, users.Invited: 2, users.Expired: 0, users.Deactivated: 1}},
		{"a second before the first expiry", ivyExpires.Add(-time.Second), map[users.Status]int{users.Active: 3, users.Invited: 2, users.Expired: 0, users.Deactivated: 1}},
		{"at the first expiry", ivyExpires, map[users.Status]int{users.Active: 3, users.Invited: 1, users.Expired: 1, users.Deactivated: 1}},
		{"after both expiries", jayExpires.Add(time.Second), map[users.Status]int{users.Active: 3, users.Invited: 0, users.Expired: 2, users.Deactivated: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, st := range []users.Status{"", users.Active, users.Invited, users.Expired, users.Deactivated} {
				p, err := f.users.List(ctx, users.ListFilter{Status: st, Page: 1, PerPage: 50, Now: tc.now})
				if err != nil {
					t.Fatal(err)
				}
				if !mapsEqual(p.Counts, tc.want) || p.All != 6 {
					t.Fatalf("Counts = %v, All = %d; want %v, 6", p.Counts, p.All, tc.want)
				}
				want := p.All
				if st != "" {
					want = tc.want[st]
				}
				if p.Total != want || len(p.Rows) != want {
					t.Errorf("status %q: Total = %d, %d rows; want %d", st, p.Total, len(p.Rows), want)
				}
				for _, r := range p.Rows {
					if got := r.StatusAt(tc.now); st != "" && got != st {
						t.Errorf("status %q tab shows %s, whose status is %q", st, r.Email, got)
					}
				}
			}
		})
	}
}

func mapsEqual(a, b map[users.Status]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestListSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newListFixture(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"admin@example.com", "bob@example.com", "carla@example.com", "dan@example.com", "ivy@example.com", "jay@example.com"}},
		{"bob", []string{"bob@example.com"}},
		{"BUILDER", []string{"bob@example.com"}},
		{"  IVY@ ", []string{"ivy@example.com"}},
		{"100%", []string{"carla@example.com"}},
		{"%", []string{"carla@example.com"}}, // literal, not "anything"
		{"_", []string{"dan@example.com"}},   // literal, not "any one character"
		{"n_u", []string{"dan@example.com"}},
		{"a_a", nil},
		{`\`, nil},
		{"example.com", []string{"admin@example.com", "bob@example.com", "carla@example.com", "dan@example.com", "ivy@example.com", "jay@example.com"}},
		{"nobody", nil},
		// What no name or email holds is dropped, spaces are one space.
		{"bo\x00b", []string{"bob@example.com"}},
		{"b\x01\x7fo", []string{"bob@example.com"}},
		{"bob\xff", []string{"bob@example.com"}},
		{"Bob\t\u00a0 Builder", []string{"bob@example.com"}},
		{"\x00\u0085", []string{"admin@example.com", "bob@example.com", "carla@example.com", "dan@example.com", "ivy@example.com", "jay@example.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			p, err := f.users.List(ctx, users.ListFilter{Query: tc.query, Sort: users.ByEmail, Page: 1, PerPage: 50, Now: t0})
			if err != nil {
				t.Fatal(err)
			}
			if got := emails(p); !slices.Equal(got, tc.want) {
				t.Errorf("search %q = %q, want %q", tc.query, got, tc.want)
			}
			if p.All != len(tc.want) {
				t.Errorf("search %q: All = %d, want %d (counts follow the search)", tc.query, p.All, len(tc.want))
			}
		})
	}

	// The tab counts follow the search too.
	p, err := f.users.List(ctx, users.ListFilter{Query: "y@", Status: users.Invited, Page: 1, PerPage: 50, Now: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if p.Counts[users.Invited] != 2 || p.Counts[users.Active] != 0 || p.Total != 2 {
		t.Errorf("search y@ in Invited: Counts = %v, Total = %d; want 2 invited, 0 active", p.Counts, p.Total)
	}
}

// A name is found as it is written, accents included; ASCII letters match
// in any case.
func TestListSearchNonASCII(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.activeUser(t, "elodie@example.com", "Élodie Durand")
	for _, q := range []string{"Élodie", "lodie", "durand", "DURAND", "ÉLODIE D"} {
		p, err := f.users.List(ctx, users.ListFilter{Query: q, Page: 1, PerPage: 10, Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Rows) != 1 {
			t.Errorf("search %q found %d rows, want 1", q, len(p.Rows))
		}
	}
}

func TestListPagination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newListFixture(t)
	var seen []string
	for page := 1; page <= 4; page++ {
		p, err := f.users.List(ctx, users.ListFilter{Sort: users.ByEmail, Page: page, PerPage: 4, Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 6 {
			t.Errorf("page %d: Total = %d, want 6", page, p.Total)
		}
		wantRows := map[int]int{1: 4, 2: 2, 3: 0, 4: 0}[page]
		if len(p.Rows) != wantRows {
			t.Errorf("page %d: %d rows, want %d", page, len(p.Rows), wantRows)
		}
		seen = append(seen, emails(p)...)
	}
	want := []string{"admin@example.com", "bob@example.com", "carla@example.com", "dan@example.com", "ivy@example.com", "jay@example.com"}
	if !slices.Equal(seen, want) {
		t.Errorf("pages together = %q, want %q", seen, want)
	}

	p, err := f.users.List(ctx, users.ListFilter{Sort: users.ByEmail, Desc: true, Page: 1, PerPage: 2, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if got := emails(p); !slices.Equal(got, []string{"jay@example.com", "ivy@example.com"}) {
		t.Errorf("by email, descending = %q", got)
	}
	// By the name shown: invitees without a name under their email, among
	// the others, whatever the case.
	if _, err := f.db.W.Exec(`UPDATE users SET name = 'zed' WHERE email = 'dan@example.com'`); err != nil {
		t.Fatal(err)
	}
	byName := []string{"admin@example.com", "bob@example.com", "carla@example.com", "ivy@example.com", "jay@example.com", "dan@example.com"}
	for _, desc := range []bool{false, true} {
		p, err = f.users.List(ctx, users.ListFilter{Sort: users.ByName, Desc: desc, Page: 1, PerPage: 10, Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(byName)
		if desc {
			slices.Reverse(want)
		}
		if got := emails(p); !slices.Equal(got, want) {
			t.Errorf("by name (descending %v) = %q, want %q", desc, got, want)
		}
	}
}

func TestListSpaceFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newListFixture(t)
	tests := []struct {
		name string
		ids  []int64
		want []string
	}{
		{"whole account", nil, []string{"admin@example.com", "bob@example.com", "carla@example.com", "dan@example.com", "ivy@example.com", "jay@example.com"}},
		{"Sales and its room: a member and an invitee", []int64{f.sales, f.room}, []string{"bob@example.com", "ivy@example.com"}},
		{"Support: an invitee", []int64{f.support}, []string{"jay@example.com"}},
		{"just the room", []int64{f.room}, nil},
		{"no spaces at all", []int64{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := f.users.List(ctx, users.ListFilter{SpaceIDs: tc.ids, Sort: users.ByEmail, Page: 1, PerPage: 50, Now: t0})
			if err != nil {
				t.Fatal(err)
			}
			if got := emails(p); !slices.Equal(got, tc.want) {
				t.Errorf("rows = %q, want %q", got, tc.want)
			}
			if p.All != len(tc.want) {
				t.Errorf("All = %d, want %d", p.All, len(tc.want))
			}
		})
	}
}

func TestListRowDetails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newListFixture(t)
	p, err := f.users.List(ctx, users.ListFilter{Sort: users.ByEmail, Page: 1, PerPage: 50, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]users.Listed{}
	for _, r := range p.Rows {
		rows[r.Email] = r
	}
	if got := spaces.Describe(rows["bob@example.com"].Grants); got != "Member of Sales" || rows["bob@example.com"].Invite != nil {
		t.Errorf("bob: grants %q, invite %v; want Member of Sales and no invitation", got, rows["bob@example.com"].Invite)
	}
	ivy := rows["ivy@example.com"].Invite
	if ivy == nil {
		t.Fatal("ivy has no pending invitation in the list")
	}
	if got := spaces.Describe(ivy.Offered); got != "Member of Sales" {
		t.Errorf("ivy offered %q, want Member of Sales", got)
	}
	if ivy.InviterName != "Ada Admin" || !ivy.SentAt.Equal(t0) || !ivy.ExpiresAt.Equal(t0.Add(ttl)) || ivy.Delivery.State != "queued" {
		t.Errorf("ivy's invitation = %+v", *ivy)
	}
	if len(rows["ivy@example.com"].Grants) != 0 {
		t.Errorf("ivy holds %v before accepting", rows["ivy@example.com"].Grants)
	}
}
