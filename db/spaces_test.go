package db

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
)

// spaceTree adds, under the fixture's account:
//
//	North (unit): Lobby (waiting area), Room (meeting room)
//	South (unit): Desk (waiting area)
type spaceTree struct {
	north, lobby, room, south, desk int64
}

func (f *fixture) spaceTree(t *testing.T) spaceTree {
	t.Helper()
	var s spaceTree
	s.north = f.space(t, spaces.Unit, "North", 0)
	s.lobby = f.space(t, spaces.WaitingArea, "Lobby", s.north)
	s.room = f.space(t, spaces.MeetingRoom, "Room", s.north)
	s.south = f.space(t, spaces.Unit, "South", 0)
	s.desk = f.space(t, spaces.WaitingArea, "Desk", s.south)
	return s
}

func grant(id int64, r spaces.Role) spaces.Grant { return spaces.Grant{SpaceID: id, Role: r} }

func TestSpaceStoreCreateRenameAll(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	s := NewSpaceStore(f.db)
	unit, err := s.Create(ctx, spaces.Unit, f.account, "North", t0)
	if err != nil {
		t.Fatal(err)
	}
	room, err := s.Create(ctx, spaces.MeetingRoom, unit.ID, "Room 4", t0)
	if err != nil {
		t.Fatal(err)
	}
	if room.ParentID != unit.ID || room.Kind != spaces.MeetingRoom || room.Name != "Room 4" || room.ID == 0 {
		t.Errorf("Create returned %+v", room)
	}
	if _, err := s.Create(ctx, spaces.WaitingArea, 99999, "Nowhere", t0); err == nil {
		t.Error("a space inside a space that does not exist was created")
	}

	if err := s.Rename(ctx, room.ID, "Room 5", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Rename(ctx, f.account, "Other", t0); !errs.Is(err, errs.NotFound) {
		t.Errorf("renaming the account: %v, want NotFound", err)
	}
	if err := s.Rename(ctx, 99999, "Other", t0); !errs.Is(err, errs.NotFound) {
		t.Errorf("renaming a missing space: %v, want NotFound", err)
	}

	all, err := s.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tree := spaces.NewTree(all)
	if got, _ := tree.Get(room.ID); got.Name != "Room 5" || got.ParentID != unit.ID {
		t.Errorf("after rename the room is %+v", got)
	}
	if root := tree.Root(); root.ID != f.account || root.Name != "Acme" {
		t.Errorf("root %+v", root)
	}
}

func TestSpaceStoreImpact(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tr := f.spaceTree(t)
	s := NewSpaceStore(f.db)
	f.activeUser(t, "una@example.com", "Una", grant(tr.north, spaces.Admin))
	f.activeUser(t, "lou@example.com", "Lou", grant(tr.lobby, spaces.Member), grant(tr.desk, spaces.Member))
	f.invite(t, "a@example.com", grant(tr.room, spaces.Member), grant(tr.lobby, spaces.Member)) // counted once
	f.invite(t, "b@example.com", grant(tr.desk, spaces.Member), grant(tr.lobby, spaces.Admin))
	cancelled := f.invite(t, "c@example.com", grant(tr.room, spaces.Member))
	if err := f.invs.Cancel(ctx, cancelled.ID, f.admin, t0); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		id   int64
		want spaces.Impact
	}{
		{"unit", tr.north, spaces.Impact{Spaces: 3, Grants: 2, Invitations: 2}},
		{"waiting area", tr.lobby, spaces.Impact{Spaces: 1, Grants: 1, Invitations: 2}},
		{"meeting room", tr.room, spaces.Impact{Spaces: 1, Grants: 0, Invitations: 1}},
		{"other unit", tr.south, spaces.Impact{Spaces: 2, Grants: 1, Invitations: 1}},
		{"missing", 99999, spaces.Impact{}},
	} {
		got, err := s.Impact(ctx, tc.id)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s: impact %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// Deleting a space takes the spaces inside and the roles there with it;
// an invitation offering nothing else is cancelled (and its never-joined
// user removed), one offering more only loses the offers there.
func TestSpaceStoreDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tr := f.spaceTree(t)
	s := NewSpaceStore(f.db)
	una := f.activeUser(t, "una@example.com", "Una", grant(tr.north, spaces.Admin), grant(tr.desk, spaces.Member))
	only := f.invite(t, "only@example.com", grant(tr.room, spaces.Member), grant(tr.lobby, spaces.Member))
	mixed := f.invite(t, "mixed@example.com", grant(tr.lobby, spaces.Member), grant(tr.desk, spaces.Admin))
	outside := f.invite(t, "outside@example.com", grant(tr.desk, spaces.Member))
	// An accepted invitation whose user joined: the user stays.
	joined := f.invite(t, "joined@example.com", grant(tr.lobby, spaces.Member))
	if _, err := f.invs.Accept(ctx, joined.ID, "Jo", "hash", "en", t0, asOffered); err != nil {
		t.Fatal(err)
	}

	later := t0.Add(time.Hour)
	if err := s.Delete(ctx, tr.north, later); err != nil {
		t.Fatal(err)
	}
	all, err := s.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tree := spaces.NewTree(all)
	for _, id := range []int64{tr.north, tr.lobby, tr.room} {
		if _, ok := tree.Get(id); ok {
			t.Errorf("space %d is still there", id)
		}
	}
	for _, id := range []int64{tr.south, tr.desk} {
		if _, ok := tree.Get(id); !ok {
			t.Errorf("space %d went too", id)
		}
	}

	grants, err := f.users.Grants(ctx, una.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(grants) != 1 || grants[0].SpaceID != tr.desk {
		t.Errorf("Una holds %+v, want only her role in Desk", grants)
	}

	got, err := f.invs.ByID(ctx, only.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != invitations.Cancelled || !got.EndedAt.Equal(later) {
		t.Errorf("the invitation offering only North's roles is %s (ended %v), want cancelled at %v", got.State, got.EndedAt, later)
	}
	if kinds := eventKinds(t, f.invs, only.ID); kinds[len(kinds)-1] != invitations.EvCancelled {
		t.Errorf("its history ends with %v, want cancelled", kinds)
	}
	if n := count(t, f.db, `SELECT count(*) FROM users WHERE email = 'only@example.com'`); n != 0 {
		t.Error("its never-joined user is still there")
	}

	got, err = f.invs.ByID(ctx, mixed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != invitations.Pending || len(got.Offered) != 1 || got.Offered[0].SpaceID != tr.desk || got.Offered[0].Role != spaces.Admin {
		t.Errorf("the mixed invitation is %s offering %+v, want pending offering Administrator of Desk", got.State, got.Offered)
	}
	if got, _ := f.invs.ByID(ctx, outside.ID); got.State != invitations.Pending || len(got.Offered) != 1 {
		t.Errorf("an invitation outside North changed: %s %+v", got.State, got.Offered)
	}
	if n := count(t, f.db, `SELECT count(*) FROM users WHERE email = 'joined@example.com' AND activated_at IS NOT NULL`); n != 1 {
		t.Error("a user who joined was removed with the space")
	}
	if n := count(t, f.db, `SELECT count(*) FROM outbox WHERE created_at >= ?`, later.Unix()); n != 0 {
		t.Errorf("deleting a space queued %d emails", n)
	}

	if err := s.Delete(ctx, tr.north, later); !errs.Is(err, errs.NotFound) {
		t.Errorf("deleting it again: %v, want NotFound", err)
	}
	if err := s.Delete(ctx, f.account, later); !errs.Is(err, errs.NotFound) {
		t.Errorf("deleting the account: %v, want NotFound", err)
	}
	if n := count(t, f.db, `SELECT count(*) FROM spaces WHERE kind = 'account'`); n != 1 {
		t.Error("the account went")
	}
}

func TestSpaceStoreMembers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tr := f.spaceTree(t)
	s := NewSpaceStore(f.db)
	f.activeUser(t, "zoe@example.com", "zoe", grant(tr.lobby, spaces.Member))
	f.activeUser(t, "al@example.com", "Al", grant(tr.lobby, spaces.Admin))
	f.activeUser(t, "bo@example.com", "Bo", grant(tr.lobby, spaces.Member), grant(tr.room, spaces.Member))
	f.activeUser(t, "sam@example.com", "Sam", grant(tr.desk, spaces.Member))
	f.clock.Advance(time.Hour)
	inv := f.create("pat@example.com", "Pat", grant(tr.lobby, spaces.Member), grant(tr.room, spaces.Admin))
	pending, err := f.createOne(ctx, inv, compose(mail.Invitation))
	if err != nil {
		t.Fatal(err)
	}
	gone := f.invite(t, "gone@example.com", grant(tr.lobby, spaces.Member))
	if err := f.invs.Cancel(ctx, gone.ID, f.admin, t0); err != nil {
		t.Fatal(err)
	}

	var people []spaces.Person
	for _, role := range []spaces.Role{spaces.Admin, spaces.Member} {
		page, total, err := s.Members(ctx, tr.lobby, spaces.MemberFilter{Role: role, Offset: 0, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if total != len(page) {
			t.Errorf("%s: total %d, %d on the page", role, total, len(page))
		}
		people = append(people, page...)
	}
	type row struct {
		email   string
		role    spaces.Role
		pending bool
	}
	var got []row
	for _, p := range people {
		got = append(got, row{p.Email, p.Role, p.Pending})
	}
	// Administrators first, then members; people holding a role before
	// pending ones; by name, case aside.
	want := []row{
		{"al@example.com", spaces.Admin, false},
		{"bo@example.com", spaces.Member, false},
		{"zoe@example.com", spaces.Member, false},
		{"pat@example.com", spaces.Member, true},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Lobby's people:\n got %+v\nwant %+v", got, want)
	}
	p := people[3]
	if p.UserID != pending.UserID || !p.InvitedAt.Equal(pending.SentAt) || !p.ExpiresAt.Equal(pending.ExpiresAt) {
		t.Errorf("Pat's pending row: %+v", p)
	}
	if d := spaces.Describe(p.Offered); d != "Member of Lobby, Administrator of Room" {
		t.Errorf("Pat is offered %q, want everything the invitation offers", d)
	}
	if people[0].Offered != nil || !people[0].InvitedAt.IsZero() {
		t.Errorf("a held role carries invitation details: %+v", people[0])
	}

	if people, total, err := s.Members(ctx, tr.north, spaces.MemberFilter{Role: spaces.Member, Offset: 0, Limit: 50}); err != nil || len(people) != 0 || total != 0 {
		t.Errorf("North holds nobody directly; Members = %+v, %d, %v", people, total, err)
	}

	// Pages: Bo, Zoe, then Pat (pending last), two at a time.
	first, total, err := s.Members(ctx, tr.lobby, spaces.MemberFilter{Role: spaces.Member, Offset: 0, Limit: 2})
	if err != nil || total != 3 || len(first) != 2 || first[0].Email != "bo@example.com" || first[1].Email != "zoe@example.com" {
		t.Errorf("first page of two: %+v, total %d, %v", first, total, err)
	}
	second, total, err := s.Members(ctx, tr.lobby, spaces.MemberFilter{Role: spaces.Member, Offset: 2, Limit: 2})
	if err != nil || total != 3 || len(second) != 1 || second[0].Email != "pat@example.com" || second[0].Offered == nil {
		t.Errorf("second page of two: %+v, total %d, %v", second, total, err)
	}
}

// A search finds, in a space, the people holding or offered a role there
// whose name or email holds the text, any case, one character or more;
// it counts those alone.
func TestSpaceStoreMembersSearch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tr := f.spaceTree(t)
	s := NewSpaceStore(f.db)
	f.activeUser(t, "zoe@example.com", "Zoë Lindqvist", grant(tr.lobby, spaces.Member))
	f.activeUser(t, "bo@example.com", "Bo Lind", grant(tr.lobby, spaces.Member))
	f.activeUser(t, "al@example.com", "Al", grant(tr.lobby, spaces.Member))
	f.activeUser(t, "lindy@example.com", "Lindy", grant(tr.desk, spaces.Member)) // elsewhere
	f.invite(t, "linda@example.com", grant(tr.lobby, spaces.Member))
	for _, tc := range []struct {
		search string
		want   []string
	}{
		{"lind", []string{"bo@example.com", "zoe@example.com", "linda@example.com"}},
		{"LINDQ", []string{"zoe@example.com"}},
		{"al@", []string{"al@example.com"}},
		{"b", []string{"bo@example.com"}},
		{"zz", nil},
		{"", []string{"al@example.com", "bo@example.com", "zoe@example.com", "linda@example.com"}},
	} {
		people, total, err := s.Members(ctx, tr.lobby, spaces.MemberFilter{Role: spaces.Member, Search: tc.search, Limit: 50})
		if err != nil {
			t.Fatalf("%q: %v", tc.search, err)
		}
		var got []string
		for _, p := range people {
			got = append(got, p.Email)
		}
		if !slices.Equal(got, tc.want) || total != len(tc.want) {
			t.Errorf("search %q: %v (total %d), want %v", tc.search, got, total, tc.want)
		}
	}
	if people, total, err := s.Members(ctx, tr.lobby, spaces.MemberFilter{Role: spaces.Member, Search: "lind", Offset: 2, Limit: 2}); err != nil || total != 3 || len(people) != 1 || !people[0].Pending {
		t.Errorf("second page of a search: %+v, total %d, %v", people, total, err)
	}
}

// Admins names the first few active administrators of each space by
// name, and counts them all.
func TestSpaceStoreAdmins(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tr := f.spaceTree(t)
	s := NewSpaceStore(f.db)
	f.activeUser(t, "cy@example.com", "Cy", grant(tr.north, spaces.Admin))
	f.activeUser(t, "al@example.com", "Al", grant(tr.north, spaces.Admin))
	f.activeUser(t, "bea@example.com", "Bea", grant(tr.north, spaces.Admin))
	f.activeUser(t, "mo@example.com", "Mo", grant(tr.north, spaces.Member))
	gone := f.activeUser(t, "gone@example.com", "Aaron", grant(tr.north, spaces.Admin))
	f.deactivate(t, gone.ID)
	f.activeUser(t, "di@example.com", "Di", grant(tr.desk, spaces.Admin))
	people, counts, err := s.Admins(ctx, []int64{tr.north, tr.desk, tr.lobby}, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, id := range []int64{tr.north, tr.desk, tr.lobby} {
		for _, p := range people[id] {
			got = append(got, p.Email)
		}
		got = append(got, strconv.Itoa(counts[id]))
	}
	if want := []string{"al@example.com", "bea@example.com", "3", "di@example.com", "1", "0"}; !slices.Equal(got, want) {
		t.Errorf("Admins: %v, want %v", got, want)
	}
}
