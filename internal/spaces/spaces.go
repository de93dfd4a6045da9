// Package spaces holds the places people are invited to and the roles they
// hold there, and decides who administers what.
package spaces

import (
	"sort"
	"strings"

	"github.com/usherhq/usher/internal/i18n"
)

// Kind is what sort of place a space is.
type Kind string

const (
	Account     Kind = "account"
	Unit        Kind = "unit"
	WaitingArea Kind = "waiting_area"
	MeetingRoom Kind = "meeting_room"
)

// Label is the kind's name in English (LabelIn).
func (k Kind) Label() string { return k.LabelIn(english()) }

// LabelIn is the kind's name as users read it, in l: "Waiting area".
func (k Kind) LabelIn(l *i18n.Locale) string {
	switch k {
	case Account, Unit, WaitingArea, MeetingRoom:
		return l.T("spaces.kind." + string(k))
	}
	return string(k)
}

func english() *i18n.Locale { return i18n.Default().Locale(i18n.Source) }

// Role is what a user may do in a space.
type Role string

const (
	Admin  Role = "admin"
	Member Role = "member"
)

// ParseRole accepts the stored form of a role.
func ParseRole(s string) (Role, bool) {
	switch Role(s) {
	case Admin, Member:
		return Role(s), true
	}
	return "", false
}

// Label is the role's name in English (LabelIn).
func (r Role) Label() string { return r.LabelIn(english()) }

// LabelIn is the role's name as users read it, in l: "Administrator".
func (r Role) LabelIn(l *i18n.Locale) string {
	if r == Admin {
		return l.T("spaces.role.admin")
	}
	return l.T("spaces.role.member")
}

// rank orders roles so that nobody grants above their own.
func (r Role) rank() int {
	if r == Admin {
		return 2
	}
	return 1
}

// Space is a place inside the account; the account itself is the top space.
type Space struct {
	ID       int64
	Kind     Kind
	ParentID int64 // 0 for the account
	Name     string
}

// Grant is a role on a space, held by a user or offered by an invitation.
type Grant struct {
	SpaceID   int64
	SpaceKind Kind
	SpaceName string
	Role      Role
}

// Describe reads a set of grants the way the users list shows them:
// "Administrator of Sales, Member of Room 4"; a role on the account itself
// is just "Administrator".
func Describe(grants []Grant) string { return DescribeIn(english(), grants) }

// DescribeIn is Describe in l: "Mitglied von Room 4".
func DescribeIn(l *i18n.Locale, grants []Grant) string {
	parts := make([]string, 0, len(grants))
	for _, g := range grants {
		if g.SpaceKind == Account {
			parts = append(parts, g.Role.LabelIn(l))
		} else {
			parts = append(parts, l.T("spaces.role_of", "Role", g.Role.LabelIn(l), "Space", g.SpaceName))
		}
	}
	return strings.Join(parts, l.T("list.comma"))
}

// Describe reads grants as Describe does for a viewer with access a: the
// roles in spaces a administers by name, the others only counted, as in
// "Member of Room 4 and 2 roles elsewhere". A space administrator is
// never told the names of spaces outside theirs.
func (a *Access) Describe(grants []Grant) string { return a.DescribeIn(english(), grants) }

// DescribeIn is Describe in l.
func (a *Access) DescribeIn(l *i18n.Locale, grants []Grant) string {
	named, elsewhere := a.Split(grants)
	switch {
	case elsewhere == 0:
		return DescribeIn(l, named)
	case len(named) == 0:
		return l.N("spaces.roles_elsewhere", elsewhere)
	}
	return l.N("spaces.named_and_elsewhere", elsewhere, "Named", DescribeIn(l, named))
}

// Split parts grants into those in spaces a administers, which a may read
// by name, and the number of the others. Account administrators
// administer every space, so they see every name: for them named is
// grants itself (not to be changed), as the users list asks for each row.
func (a *Access) Split(grants []Grant) (named []Grant, elsewhere int) {
	if a.AccountAdmin {
		return grants, 0
	}
	for _, g := range grants {
		if a.Administers(g.SpaceID) {
			named = append(named, g)
		} else {
			elsewhere++
		}
	}
	return named, elsewhere
}

// Tree is every space of the account, enough to answer who administers what.
type Tree struct {
	byID     map[int64]Space
	children map[int64][]int64
	rootID   int64
}

// NewTree indexes spaces.
func NewTree(all []Space) *Tree {
	t := &Tree{byID: make(map[int64]Space, len(all)), children: map[int64][]int64{}}
	for _, s := range all {
		t.byID[s.ID] = s
		if s.Kind == Account {
			t.rootID = s.ID
		} else {
			t.children[s.ParentID] = append(t.children[s.ParentID], s.ID)
		}
	}
	return t
}

// Root is the account space.
func (t *Tree) Root() Space { return t.byID[t.rootID] }

// Get returns the space with id.
func (t *Tree) Get(id int64) (Space, bool) {
	s, ok := t.byID[id]
	return s, ok
}

// Access is what one user may administer, derived from their grants.
type Access struct {
	UserID       int64
	AccountAdmin bool
	admin        map[int64]bool // spaces administered, children included
	roles        map[int64]Role // the user's own grants, per space
}

// AccessFor works out what a user holding grants may administer: an
// Administrator of the account administers everything; of a unit, the unit
// and everything under it.
func AccessFor(userID int64, grants []Grant, t *Tree) *Access {
	a := &Access{UserID: userID, admin: map[int64]bool{}, roles: map[int64]Role{}}
	var mark func(id int64)
	mark = func(id int64) {
		a.admin[id] = true
		for _, c := range t.children[id] {
			mark(c)
		}
	}
	for _, g := range grants {
		a.roles[g.SpaceID] = g.Role
		if g.Role != Admin {
			continue
		}
		if g.SpaceID == t.rootID {
			a.AccountAdmin = true
		}
		mark(g.SpaceID)
	}
	return a
}

// IsAdmin reports whether the user administers any space at all.
func (a *Access) IsAdmin() bool { return len(a.admin) > 0 }

// Administers reports whether the user administers space id.
func (a *Access) Administers(id int64) bool { return a.admin[id] }

// MayOffer reports whether the user may offer role on space id: they must
// administer the space, and nobody offers a role above their own there.
// Administering a space (directly or through a parent) is the top role.
func (a *Access) MayOffer(id int64, role Role) bool {
	return a.admin[id] && role.rank() <= Admin.rank()
}

// MayOfferAll reports whether every grant is one the user may offer.
func (a *Access) MayOfferAll(grants []Grant) bool {
	for _, g := range grants {
		if !a.MayOffer(g.SpaceID, g.Role) {
			return false
		}
	}
	return true
}

// AdministeredIDs lists the spaces the user administers.
func (a *Access) AdministeredIDs() []int64 {
	ids := make([]int64, 0, len(a.admin))
	for id := range a.admin {
		ids = append(ids, id)
	}
	return ids
}

// Children lists the spaces directly inside id, in name order.
func (t *Tree) Children(id int64) []Space {
	out := make([]Space, 0, len(t.children[id]))
	for _, c := range t.children[id] {
		out = append(out, t.byID[c])
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

// Walk lists the space id and everything inside it, depth first, each
// with its depth (0 for id).
func (t *Tree) Walk(id int64) []Nested {
	var out []Nested
	var visit func(id int64, depth int)
	visit = func(id int64, depth int) {
		out = append(out, Nested{Space: t.byID[id], Depth: depth})
		for _, c := range t.Children(id) {
			visit(c.ID, depth+1)
		}
	}
	if _, ok := t.byID[id]; ok {
		visit(id, 0)
	}
	return out
}

// Nested is a space with its depth in the tree.
type Nested struct {
	Space
	Depth int
}

// Offerable lists, depth first, the spaces access administers: where the
// user can invite people to.
func (t *Tree) Offerable(a *Access) []Nested {
	var out []Nested
	for _, n := range t.Walk(t.rootID) {
		if a.Administers(n.ID) {
			out = append(out, n)
		}
	}
	return out
}

// Option is a space a roles picker offers: where it is, and the roles
// the picker may offer there.
type Option struct {
	Nested
	// Unit names the organisational unit a waiting area or meeting room
	// is in ("" for the account and units), so that two rooms of the same
	// name in different units can be told apart. Its name is shown even
	// to an administrator of the room alone, as Settings > Spaces shows
	// the units around what they administer.
	Unit  string
	Roles []Role // those MayOffer allows, the lower first
}

// Options lists, depth first, the spaces access may offer roles in, each
// with its unit and the roles a may offer there.
func (t *Tree) Options(a *Access) []Option {
	var out []Option
	for _, n := range t.Offerable(a) {
		o := Option{Nested: n, Roles: a.RolesIn(n.ID)}
		if n.Kind == WaitingArea || n.Kind == MeetingRoom {
			o.Unit = t.byID[n.ParentID].Name
		}
		if len(o.Roles) > 0 {
			out = append(out, o)
		}
	}
	return out
}

// RolesIn lists the roles a may offer on space id, the lower first: none
// outside the spaces a administers.
func (a *Access) RolesIn(id int64) []Role {
	var out []Role
	for _, r := range []Role{Member, Admin} {
		if a.MayOffer(id, r) {
			out = append(out, r)
		}
	}
	return out
}
