package spaces

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/usherhq/usher/internal/errs"
)

// memStore keeps spaces in memory and records the writes it is asked for.
type memStore struct {
	all      []Space
	next     int64
	writes   []string
	people   []Person
	asked    [][2]int // Members' offset and limit, each call
	searched []string // Members' search, each call
	admins   map[int64][]Person
	impact   Impact
	created  Space
}

func newMemStore() *memStore {
	// The same tree as tree(): Acme; Sales (Lobby, Room 4); Support (Desk).
	return &memStore{all: []Space{
		{ID: 1, Kind: Account, Name: "Acme"},
		{ID: 2, Kind: Unit, ParentID: 1, Name: "Sales"},
		{ID: 3, Kind: Unit, ParentID: 1, Name: "Support"},
		{ID: 4, Kind: WaitingArea, ParentID: 2, Name: "Lobby"},
		{ID: 5, Kind: MeetingRoom, ParentID: 2, Name: "Room 4"},
		{ID: 6, Kind: WaitingArea, ParentID: 3, Name: "Desk"},
	}, next: 7}
}

func (m *memStore) All(context.Context) ([]Space, error) { return m.all, nil }

func (m *memStore) Create(_ context.Context, kind Kind, parentID int64, name string, _ time.Time) (Space, error) {
	m.writes = append(m.writes, "create "+name)
	m.created = Space{ID: m.next, Kind: kind, ParentID: parentID, Name: name}
	m.next++
	return m.created, nil
}

func (m *memStore) Rename(_ context.Context, _ int64, name string, _ time.Time) error {
	m.writes = append(m.writes, "rename "+name)
	return nil
}

func (m *memStore) Impact(context.Context, int64) (Impact, error) { return m.impact, nil }

func (m *memStore) Delete(context.Context, int64, time.Time) error {
	m.writes = append(m.writes, "delete")
	return nil
}

func (m *memStore) Members(_ context.Context, _ int64, f MemberFilter) ([]Person, int, error) {
	m.asked = append(m.asked, [2]int{f.Offset, f.Limit})
	m.searched = append(m.searched, f.Search)
	return slices.Clone(m.people), len(m.people), nil
}

func (m *memStore) Admins(_ context.Context, ids []int64, limit int) (map[int64][]Person, map[int64]int, error) {
	people, counts := map[int64][]Person{}, map[int64]int{}
	for _, id := range ids {
		all := m.admins[id]
		counts[id] = len(all)
		people[id] = all[:min(limit, len(all))]
	}
	return people, counts, nil
}

var serviceNow = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func newTestService() (*Service, *memStore) {
	m := newMemStore()
	return NewService(m, func() time.Time { return serviceNow }), m
}

var (
	accountAdmin = AccessFor(10, []Grant{{SpaceID: 1, Role: Admin}}, tree())
	salesAdmin   = AccessFor(11, []Grant{{SpaceID: 2, Role: Admin}}, tree())
	lobbyAdmin   = AccessFor(12, []Grant{{SpaceID: 4, Role: Admin}}, tree())
	salesMember  = AccessFor(13, []Grant{{SpaceID: 2, Role: Member}}, tree())
)

// wantErr fails unless err has code (and, for field errors, field).
func wantErr(t *testing.T, err error, code errs.Code, field string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errs.Is(err, code) {
		t.Fatalf("error %v, want %s", err, code)
	}
	var e *errs.Error
	if field != "" && (!errors.As(err, &e) || e.Field != field) {
		t.Fatalf("error %v is not about the field %q", err, field)
	}
}

func TestServiceCreate(t *testing.T) {
	tests := []struct {
		name   string
		access *Access
		kind   Kind
		parent int64
		space  string
		code   errs.Code
		field  string
		want   Space // when created
	}{
		{name: "unit", access: accountAdmin, kind: Unit, space: "North", want: Space{Kind: Unit, ParentID: 1, Name: "North"}},
		{name: "a unit always goes in the account", access: accountAdmin, kind: Unit, parent: 2, space: "North", want: Space{Kind: Unit, ParentID: 1, Name: "North"}},
		{name: "waiting area in a unit", access: accountAdmin, kind: WaitingArea, parent: 3, space: "Hall", want: Space{Kind: WaitingArea, ParentID: 3, Name: "Hall"}},
		{name: "meeting room in a unit", access: accountAdmin, kind: MeetingRoom, parent: 2, space: "Room 5", want: Space{Kind: MeetingRoom, ParentID: 2, Name: "Room 5"}},
		{name: "name tidied", access: accountAdmin, kind: MeetingRoom, parent: 2, space: "  Room \t 5 ", want: Space{Kind: MeetingRoom, ParentID: 2, Name: "Room 5"}},
		{name: "100 letters, some wide", access: accountAdmin, kind: Unit, space: strings.Repeat("é", 100), want: Space{Kind: Unit, ParentID: 1, Name: strings.Repeat("é", 100)}},

		{name: "waiting area in the account", access: accountAdmin, kind: WaitingArea, parent: 1, space: "Hall", code: errs.Invalid, field: "parent"},
		{name: "meeting room in a waiting area", access: accountAdmin, kind: MeetingRoom, parent: 4, space: "Hall", code: errs.Invalid, field: "parent"},
		{name: "waiting area in a meeting room", access: accountAdmin, kind: WaitingArea, parent: 5, space: "Hall", code: errs.Invalid, field: "parent"},
		{name: "waiting area in no unit", access: accountAdmin, kind: WaitingArea, space: "Hall", code: errs.Invalid, field: "parent"},
		{name: "waiting area in a missing unit", access: accountAdmin, kind: WaitingArea, parent: 99, space: "Hall", code: errs.Invalid, field: "parent"},
		{name: "another account", access: accountAdmin, kind: Account, space: "Hall", code: errs.Invalid, field: "kind"},
		{name: "unknown kind", access: accountAdmin, kind: "lounge", parent: 2, space: "Hall", code: errs.Invalid, field: "kind"},
		{name: "no name", access: accountAdmin, kind: Unit, space: " \t ", code: errs.Invalid, field: "name"},
		{name: "101 letters", access: accountAdmin, kind: Unit, space: strings.Repeat("x", 101), code: errs.Invalid, field: "name"},
		{name: "invisible character", access: accountAdmin, kind: Unit, space: "North\u0000", code: errs.Invalid, field: "name"},

		{name: "unit administrator, in their unit", access: salesAdmin, kind: MeetingRoom, parent: 2, space: "Room 5", code: errs.Forbidden},
		{name: "waiting-area administrator", access: lobbyAdmin, kind: Unit, space: "North", code: errs.Forbidden},
		{name: "member", access: salesMember, kind: Unit, space: "North", code: errs.Forbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, m := newTestService()
			got, err := s.Create(context.Background(), tc.access, tc.kind, tc.parent, tc.space)
			wantErr(t, err, tc.code, tc.field)
			if tc.code != "" {
				if len(m.writes) != 0 {
					t.Errorf("a refused create wrote %q", m.writes)
				}
				return
			}
			tc.want.ID = got.ID
			if got != tc.want || m.created != tc.want {
				t.Errorf("created %+v (stored %+v), want %+v", got, m.created, tc.want)
			}
		})
	}
}

// Renaming, measuring and deleting a space: account administrators only;
// others get Forbidden for a space they administer and NotFound for one
// they do not, so nothing is revealed. The account itself stays.
func TestServiceEditable(t *testing.T) {
	tests := []struct {
		name   string
		access *Access
		id     int64
		code   errs.Code
	}{
		{"account admin, unit", accountAdmin, 2, ""},
		{"account admin, meeting room", accountAdmin, 5, ""},
		{"account admin, the account", accountAdmin, 1, errs.Conflict},
		{"account admin, missing", accountAdmin, 99, errs.NotFound},
		{"unit admin, own unit", salesAdmin, 2, errs.Forbidden},
		{"unit admin, room in own unit", salesAdmin, 5, errs.Forbidden},
		{"unit admin, other unit", salesAdmin, 3, errs.NotFound},
		{"unit admin, the account", salesAdmin, 1, errs.NotFound},
		{"waiting-area admin, own", lobbyAdmin, 4, errs.Forbidden},
		{"waiting-area admin, its unit", lobbyAdmin, 2, errs.NotFound},
		{"waiting-area admin, sibling room", lobbyAdmin, 5, errs.NotFound},
		{"member", salesMember, 2, errs.NotFound},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, m := newTestService()
			m.impact = Impact{Spaces: 3, Grants: 2, Invitations: 1}

			_, err := s.Editable(ctx, tc.access, tc.id)
			wantErr(t, err, tc.code, "")
			sp, err := s.Rename(ctx, tc.access, tc.id, "  New   name ")
			wantErr(t, err, tc.code, "")
			_, im, err := s.Impact(ctx, tc.access, tc.id)
			wantErr(t, err, tc.code, "")
			_, err = s.Delete(ctx, tc.access, tc.id)
			wantErr(t, err, tc.code, "")

			if tc.code != "" {
				if len(m.writes) != 0 {
					t.Errorf("refused, yet the store was asked to %q", m.writes)
				}
				return
			}
			if sp.Name != "New name" || sp.ID != tc.id {
				t.Errorf("Rename returned %+v", sp)
			}
			if im != m.impact {
				t.Errorf("Impact %+v, want the store's %+v", im, m.impact)
			}
			if want := []string{"rename New name", "delete"}; strings.Join(m.writes, "|") != strings.Join(want, "|") {
				t.Errorf("store writes %q, want %q", m.writes, want)
			}
		})
	}

	s, m := newTestService()
	if _, err := s.Rename(ctx, accountAdmin, 2, "\n"); !errs.Is(err, errs.Invalid) || len(m.writes) != 0 {
		t.Errorf("renaming to nothing: %v, writes %q", err, m.writes)
	}
}

func TestServiceGetAndMembers(t *testing.T) {
	ctx := context.Background()
	s, m := newTestService()
	m.people = []Person{{UserID: 7, Email: "pat@example.com", Role: Member}}
	for _, tc := range []struct {
		name   string
		access *Access
		id     int64
		ok     bool
	}{
		{"account admin, the account", accountAdmin, 1, true},
		{"unit admin, own unit", salesAdmin, 2, true},
		{"unit admin, its waiting area", salesAdmin, 4, true},
		{"unit admin, other unit", salesAdmin, 3, false},
		{"unit admin, the account", salesAdmin, 1, false},
		{"waiting-area admin, own", lobbyAdmin, 4, true},
		{"waiting-area admin, its unit", lobbyAdmin, 2, false},
		{"member of the unit", salesMember, 2, false},
		{"missing", accountAdmin, 99, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := s.Get(ctx, tc.access, tc.id)
			msp, byRole, merr := s.Members(ctx, tc.access, tc.id, MembersQuery{Pages: map[Role]int{Member: 1}})
			people := byRole[Member].People
			if !tc.ok {
				wantErr(t, err, errs.NotFound, "")
				wantErr(t, merr, errs.NotFound, "")
				if people != nil {
					t.Errorf("refused, yet got people %+v", people)
				}
				return
			}
			wantErr(t, err, "", "")
			wantErr(t, merr, "", "")
			if sp.ID != tc.id || msp.ID != tc.id {
				t.Errorf("Get %+v, Members' space %+v; want id %d", sp, msp, tc.id)
			}
			if len(people) != 1 || people[0].Email != "pat@example.com" {
				t.Errorf("Members = %+v", people)
			}
		})
	}
}

func TestParentKind(t *testing.T) {
	for k, want := range map[Kind]Kind{Unit: Account, WaitingArea: Unit, MeetingRoom: Unit} {
		if got, ok := ParentKind(k); !ok || got != want {
			t.Errorf("ParentKind(%s) = %s, %v; want %s", k, got, ok, want)
		}
	}
	for _, k := range []Kind{Account, "lounge", ""} {
		if _, ok := ParentKind(k); ok {
			t.Errorf("ParentKind(%q) says it has a parent", k)
		}
	}
}

func TestTreeWalkAndOfferable(t *testing.T) {
	tr := tree()
	var walk []string
	for _, n := range tr.Walk(1) {
		walk = append(walk, strings.Repeat("-", n.Depth)+n.Name)
	}
	if got, want := strings.Join(walk, " "), "Acme -Sales --Lobby --Room 4 -Support --Desk"; got != want {
		t.Errorf("Walk = %q, want %q", got, want)
	}
	if got := tr.Walk(99); got != nil {
		t.Errorf("Walk of a missing space = %+v", got)
	}
	for _, tc := range []struct {
		name   string
		access *Access
		want   string
	}{
		{"account admin", accountAdmin, "Acme Sales Lobby Room 4 Support Desk"},
		{"unit admin", salesAdmin, "Sales Lobby Room 4"},
		{"waiting-area admin", lobbyAdmin, "Lobby"},
		{"member", salesMember, ""},
	} {
		var names []string
		for _, n := range tr.Offerable(tc.access) {
			names = append(names, n.Name)
		}
		if got := strings.Join(names, " "); got != tc.want {
			t.Errorf("%s: Offerable = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// A roles picker's options are the spaces Offerable lists, each with the
// unit above a waiting area or room (named even for an administrator of
// the waiting area alone) and the roles MayOffer allows there.
func TestTreeOptions(t *testing.T) {
	tr := tree()
	for _, tc := range []struct {
		name   string
		access *Access
		want   string
	}{
		{"account admin", accountAdmin, "Acme[member admin] Sales[member admin] Sales/Lobby[member admin] Sales/Room 4[member admin] Support[member admin] Support/Desk[member admin]"},
		{"unit admin", salesAdmin, "Sales[member admin] Sales/Lobby[member admin] Sales/Room 4[member admin]"},
		{"waiting-area admin", lobbyAdmin, "Sales/Lobby[member admin]"},
		{"member", salesMember, ""},
	} {
		var got []string
		for _, o := range tr.Options(tc.access) {
			name := o.Name
			if o.Unit != "" {
				name = o.Unit + "/" + name
			}
			roles := fmt.Sprint(o.Roles)
			got = append(got, name+roles)
		}
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("%s: Options = %q, want %q", tc.name, s, tc.want)
		}
	}
	if got := salesAdmin.RolesIn(6); got != nil {
		t.Errorf("a Sales administrator may offer %q in Support's Desk; want none", got)
	}
}

// Page n of a space's people starts after n-1 pages; nonsense pages are
// the first.
func TestServiceMembersPages(t *testing.T) {
	s, m := newTestService()
	for _, page := range []int{1, 3, 0, -2} {
		if _, _, err := s.Members(context.Background(), accountAdmin, 1, MembersQuery{Pages: map[Role]int{Member: page}}); err != nil {
			t.Fatal(err)
		}
	}
	want := [][2]int{{0, MembersPerPage}, {2 * MembersPerPage, MembersPerPage}, {0, MembersPerPage}, {0, MembersPerPage}}
	if !slices.Equal(m.asked, want) {
		t.Errorf("asked the store for %v, want %v", m.asked, want)
	}
}

// A pending offer is Expired from the service's clock, at its expiry to
// the second; the search reaches the store trimmed and bounded.
func TestServiceMembersExpiredAndSearch(t *testing.T) {
	s, m := newTestService()
	m.people = []Person{
		{UserID: 1, Email: "held@example.com"},
		{UserID: 2, Email: "running@example.com", Pending: true, ExpiresAt: serviceNow.Add(time.Second)},
		{UserID: 3, Email: "due@example.com", Pending: true, ExpiresAt: serviceNow},
	}
	_, byRole, err := s.Members(context.Background(), accountAdmin, 2, MembersQuery{Search: "  ana  ", Pages: map[Role]int{Member: 1}})
	if err != nil {
		t.Fatal(err)
	}
	var got []bool
	for _, p := range byRole[Member].People {
		got = append(got, p.Expired)
	}
	if want := []bool{false, false, true}; !slices.Equal(got, want) {
		t.Errorf("Expired = %v, want %v", got, want)
	}
	long := strings.Repeat("é", 150) // 300 bytes
	if _, _, err := s.Members(context.Background(), accountAdmin, 2, MembersQuery{Search: long, Pages: map[Role]int{Member: 1}}); err != nil {
		t.Fatal(err)
	}
	if m.searched[0] != "ana" || len(m.searched[1]) > maxSearch || !utf8.ValidString(m.searched[1]) {
		t.Errorf("searched %q", m.searched)
	}
}

// A member's spaces name the administrators nearest to each: the space's
// own, else its unit's, else the account's.
func TestServiceMemberships(t *testing.T) {
	s, m := newTestService()
	m.admins = map[int64][]Person{
		1: {{Email: "boss@example.com"}},
		2: {{Email: "sales1@example.com"}, {Email: "sales2@example.com"}},
		5: {{Email: "room@example.com"}},
	}
	for i := range 7 {
		m.admins[3] = append(m.admins[3], Person{Email: "support" + strconv.Itoa(i) + "@example.com"})
	}
	member := AccessFor(20, []Grant{{SpaceID: 4, Role: Member}, {SpaceID: 5, Role: Member}, {SpaceID: 6, Role: Member}, {SpaceID: 3, Role: Member}}, tree())
	got, err := s.Memberships(context.Background(), member)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, ms := range got {
		var emails []string
		for _, p := range ms.Admins {
			emails = append(emails, p.Email)
		}
		lines = append(lines, ms.Space.Name+" by "+ms.AdminsOf.Name+": "+strings.Join(emails, " ")+" +"+strconv.Itoa(ms.MoreAdmins))
	}
	want := []string{
		"Lobby by Sales: sales1@example.com sales2@example.com +0",
		"Room 4 by Room 4: room@example.com +0",
		"Support by Support: support0@example.com support1@example.com support2@example.com support3@example.com support4@example.com +2",
		"Desk by Support: support0@example.com support1@example.com support2@example.com support3@example.com support4@example.com +2",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("Memberships:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	delete(m.admins, 3)
	got, _ = s.Memberships(context.Background(), AccessFor(21, []Grant{{SpaceID: 6, Role: Member}}, tree()))
	if len(got) != 1 || got[0].AdminsOf.ID != 1 || got[0].Admins[0].Email != "boss@example.com" {
		t.Errorf("with nobody nearer, Memberships = %+v; want the account's administrators", got)
	}
}

// The viewer may act on someone held or offered a role in the space
// only when the whole invitation is in spaces they administer.
func TestServiceMembersManageable(t *testing.T) {
	s, m := newTestService()
	m.people = []Person{
		{UserID: 1, Email: "held@example.com", Role: Member},
		{UserID: 2, Email: "inside@example.com", Role: Member, Pending: true, Offered: []Grant{{SpaceID: 2, Role: Member}, {SpaceID: 5, Role: Admin}}},
		{UserID: 3, Email: "wide@example.com", Role: Member, Pending: true, Offered: []Grant{{SpaceID: 2, Role: Member}, {SpaceID: 3, Role: Member}}},
	}
	for _, tc := range []struct {
		access *Access
		want   []bool
	}{
		{salesAdmin, []bool{true, true, false}},
		{accountAdmin, []bool{true, true, true}},
	} {
		_, byRole, err := s.Members(context.Background(), tc.access, 2, MembersQuery{Pages: map[Role]int{Member: 1}})
		if err != nil {
			t.Fatal(err)
		}
		var got []bool
		for _, p := range byRole[Member].People {
			got = append(got, p.Manageable)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("access of user %d: Manageable %v, want %v", tc.access.UserID, got, tc.want)
		}
	}
}
