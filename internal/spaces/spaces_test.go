package spaces

import (
	"slices"
	"testing"
)

// tree is:
//
//	1 Acme (account)
//	├── 2 Sales (unit)
//	│   ├── 4 Lobby (waiting area)
//	│   └── 5 Room 4 (meeting room)
//	└── 3 Support (unit)
//	    └── 6 Desk (waiting area)
func tree() *Tree {
	return NewTree([]Space{
		{ID: 1, Kind: Account, Name: "Acme"},
		{ID: 2, Kind: Unit, ParentID: 1, Name: "Sales"},
		{ID: 3, Kind: Unit, ParentID: 1, Name: "Support"},
		{ID: 4, Kind: WaitingArea, ParentID: 2, Name: "Lobby"},
		{ID: 5, Kind: MeetingRoom, ParentID: 2, Name: "Room 4"},
		{ID: 6, Kind: WaitingArea, ParentID: 3, Name: "Desk"},
	})
}

func TestTree(t *testing.T) {
	tr := tree()
	if r := tr.Root(); r.ID != 1 || r.Kind != Account {
		t.Errorf("Root = %+v", r)
	}
	if s, ok := tr.Get(5); !ok || s.Name != "Room 4" {
		t.Errorf("Get(5) = %+v, %v", s, ok)
	}
	if _, ok := tr.Get(99); ok {
		t.Error("Get(99) found a space")
	}
	if r := NewTree(nil).Root(); r.ID != 0 {
		t.Errorf("empty tree has root %+v", r)
	}
}

func TestAccessFor(t *testing.T) {
	tests := []struct {
		name         string
		grants       []Grant
		accountAdmin bool
		administers  []int64
	}{
		{"no grants", nil, false, nil},
		{"account member", []Grant{{SpaceID: 1, Role: Member}}, false, nil},
		{"account admin", []Grant{{SpaceID: 1, Role: Admin}}, true, []int64{1, 2, 3, 4, 5, 6}},
		{"unit admin", []Grant{{SpaceID: 2, Role: Admin}}, false, []int64{2, 4, 5}},
		{"unit admin, member elsewhere", []Grant{{SpaceID: 3, Role: Admin}, {SpaceID: 5, Role: Member}}, false, []int64{3, 6}},
		{"room admin", []Grant{{SpaceID: 5, Role: Admin}}, false, []int64{5}},
		{"grant on a space that is gone", []Grant{{SpaceID: 99, Role: Member}}, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := AccessFor(7, tc.grants, tree())
			if a.UserID != 7 || a.AccountAdmin != tc.accountAdmin {
				t.Errorf("UserID %d, AccountAdmin %v; want 7, %v", a.UserID, a.AccountAdmin, tc.accountAdmin)
			}
			if a.IsAdmin() != (len(tc.administers) > 0) {
				t.Errorf("IsAdmin = %v", a.IsAdmin())
			}
			got := a.AdministeredIDs()
			slices.Sort(got)
			if !slices.Equal(got, tc.administers) {
				t.Errorf("administers %v, want %v", got, tc.administers)
			}
			for id := int64(1); id <= 6; id++ {
				want := slices.Contains(tc.administers, id)
				if a.Administers(id) != want {
					t.Errorf("Administers(%d) = %v, want %v", id, !want, want)
				}
				for _, r := range []Role{Admin, Member} {
					if a.MayOffer(id, r) != want {
						t.Errorf("MayOffer(%d, %s) = %v, want %v", id, r, !want, want)
					}
				}
			}
		})
	}
}

func TestMayOfferAll(t *testing.T) {
	a := AccessFor(7, []Grant{{SpaceID: 2, Role: Admin}}, tree())
	tests := []struct {
		name   string
		grants []Grant
		want   bool
	}{
		{"own unit and its room", []Grant{{SpaceID: 2, Role: Admin}, {SpaceID: 5, Role: Member}}, true},
		{"one outside", []Grant{{SpaceID: 5, Role: Member}, {SpaceID: 3, Role: Member}}, false},
		{"the account", []Grant{{SpaceID: 1, Role: Member}}, false},
	}
	for _, tc := range tests {
		if got := a.MayOfferAll(tc.grants); got != tc.want {
			t.Errorf("%s: MayOfferAll = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		grants []Grant
		want   string
	}{
		{nil, ""},
		{[]Grant{{SpaceKind: Account, SpaceName: "Acme", Role: Admin}}, "Administrator"},
		{[]Grant{{SpaceKind: Unit, SpaceName: "Sales", Role: Admin}, {SpaceKind: MeetingRoom, SpaceName: "Room 4", Role: Member}}, "Administrator of Sales, Member of Room 4"},
	}
	for _, tc := range tests {
		if got := Describe(tc.grants); got != tc.want {
			t.Errorf("Describe(%v) = %q, want %q", tc.grants, got, tc.want)
		}
	}
}

func TestLabelsAndParse(t *testing.T) {
	for s, want := range map[string]bool{"admin": true, "member": true, "owner": false, "Admin": false, "": false} {
		r, ok := ParseRole(s)
		if ok != want || ok && string(r) != s {
			t.Errorf("ParseRole(%q) = %q, %v", s, r, ok)
		}
	}
	if Admin.Label() != "Administrator" || Member.Label() != "Member" {
		t.Error("role labels")
	}
	for k, want := range map[Kind]string{Account: "Account", Unit: "Organisational unit", WaitingArea: "Waiting area", MeetingRoom: "Meeting room"} {
		if k.Label() != want {
			t.Errorf("%s.Label() = %q, want %q", k, k.Label(), want)
		}
	}
}

// A viewer reads the roles in spaces they administer by name and only
// counts the others; an account administrator reads every name.
func TestAccessDescribe(t *testing.T) {
	tr := tree()
	g := func(id int64, kind Kind, name string, role Role) Grant {
		return Grant{SpaceID: id, SpaceKind: kind, SpaceName: name, Role: role}
	}
	lobby, room, desk, acct := g(4, WaitingArea, "Lobby", Member), g(5, MeetingRoom, "Room 4", Admin), g(6, WaitingArea, "Desk", Member), g(1, Account, "Acme", Member)
	sales := AccessFor(7, []Grant{{SpaceID: 2, Role: Admin}}, tr)
	owner := AccessFor(8, []Grant{{SpaceID: 1, Role: Admin}}, tr)
	tests := []struct {
		viewer *Access
		grants []Grant
		want   string
	}{
		{sales, nil, ""},
		{sales, []Grant{lobby, room}, "Member of Lobby, Administrator of Room 4"},
		{sales, []Grant{lobby, desk}, "Member of Lobby and 1 role elsewhere"},
		{sales, []Grant{acct, lobby, desk}, "Member of Lobby and 2 roles elsewhere"},
		{sales, []Grant{desk}, "1 role elsewhere"},
		{sales, []Grant{acct, desk}, "2 roles elsewhere"},
		{owner, []Grant{acct, lobby, desk}, "Member, Member of Lobby, Member of Desk"},
	}
	for _, tc := range tests {
		if got := tc.viewer.Describe(tc.grants); got != tc.want {
			t.Errorf("user %d reads %v as %q, want %q", tc.viewer.UserID, tc.grants, got, tc.want)
		}
	}
}
