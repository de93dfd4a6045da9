package db

import (
	"bytes"
	"cmp"
	"context"
	"slices"

	"github.com/usherhq/usher/internal/spaces"
)

// The roles each user holds, kept by the list's order (issue 19), so that
// a page does not read them from SQLite: 50 users' grants, joined to their
// spaces and sorted, were a fifth of a deep page's CPU. The triggers of
// migration 0018 note every change to role_grants; the spaces (few) are
// read again whenever the database has moved on, for their names.

// heldGrant is a role a user holds: a space, and the place of the role in
// listIndex.roles.
type heldGrant struct {
	space int64
	role  uint32
}

// grantSpan is a user's grants in listIndex.grants.
type grantSpan struct {
	off uint32
	n   uint32
}

// grantsQuery reads the grants of every user (load), or of some, when
// completed by an IN list of ids.
const grantsQuery = `SELECT user_id, space_id, role FROM role_grants`

// readGrants reads grants, by user.
func readGrants(ctx context.Context, q querier, query string, args ...any) (map[int64][]grantRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]grantRow{}
	for rows.Next() {
		var user int64
		var g grantRow
		if err := rows.Scan(&user, &g.space, &g.role); err != nil {
			return nil, err
		}
		out[user] = append(out[user], g)
	}
	return out, rows.Err()
}

// grantRow is a grant as read.
type grantRow struct {
	space int64
	role  string
}

// readSpaces reads every space into x.spaces, under x.mu, unless they did
// not change since (keptSpaces).
func (x *listIndex) readSpaces(ctx context.Context, q querier) error {
	all, v, err := x.d.spaces.spaces(ctx, q)
	if err != nil {
		return err
	}
	if x.spaces != nil && x.spacesVersion == v {
		return nil
	}
	m := make(map[int64]spaces.Space, len(all))
	for _, sp := range all {
		m[sp.ID] = sp
	}
	x.spaces, x.spacesVersion = m, v
	return nil
}

// keepGrants adds gs to x.grants and gives their span, under x.mu.
func (x *listIndex) keepGrants(gs []grantRow) grantSpan {
	sp := grantSpan{off: uint32(len(x.grants)), n: uint32(len(gs))}
	for _, g := range gs {
		x.grants = append(x.grants, heldGrant{space: g.space, role: x.roleOf(g.role)})
	}
	x.grantsLive += len(gs)
	return sp
}

// roleOf is the place of a role in x.roles.
func (x *listIndex) roleOf(role string) uint32 {
	for i, r := range x.roles {
		if string(r) == role {
			return uint32(i)
		}
	}
	x.roles = append(x.roles, spaces.Role(role))
	return uint32(len(x.roles) - 1)
}

// grantsOf is the grants of the user in slot i as rowRolesQuery gives
// them: the account first, then by space name (as COLLATE NOCASE
// compares), then by id; grants of a space no longer there are left out,
// as the query's join leaves them. Under x.mu (read).
func (x *listIndex) grantsOf(i slot) []spaces.Grant { return x.grantsIn(x.entries[i].grants) }

// grantsIn is grantsOf for the grants in sp.
func (x *listIndex) grantsIn(sp grantSpan) []spaces.Grant {
	if sp.n == 0 {
		return nil
	}
	out := make([]spaces.Grant, 0, sp.n)
	for _, g := range x.grants[sp.off : sp.off+sp.n] {
		if s, ok := x.spaces[g.space]; ok {
			out = append(out, spaces.Grant{SpaceID: s.ID, SpaceKind: s.Kind, SpaceName: s.Name, Role: x.roles[g.role]})
		}
	}
	slices.SortFunc(out, func(a, b spaces.Grant) int {
		later := func(g spaces.Grant) int {
			if g.SpaceKind == spaces.Account {
				return 0
			}
			return 1
		}
		return cmp.Or(cmp.Compare(later(a), later(b)),
			bytes.Compare([]byte(lowerASCII(a.SpaceName)), []byte(lowerASCII(b.SpaceName))),
			cmp.Compare(a.SpaceID, b.SpaceID))
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// loadGrants reads every user's grants, in the order of their key (a
// user's together), under n's load.
func (n *listIndex) loadGrants(ctx context.Context, q querier) error {
	rows, err := q.QueryContext(ctx, grantsQuery+` ORDER BY user_id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var user int64
	var gs []grantRow
	flush := func() {
		if i, ok := n.byID[user]; ok && len(gs) > 0 {
			n.grantsLive -= int(n.entries[i].grants.n)
			n.entries[i].grants = n.keepGrants(gs)
		}
		gs = gs[:0]
	}
	for rows.Next() {
		var u int64
		var g grantRow
		if err := rows.Scan(&u, &g.space, &g.role); err != nil {
			return err
		}
		if u != user {
			flush()
			user = u
		}
		gs = append(gs, g)
	}
	flush()
	return rows.Err()
}

// compactGrants copies the grants still in use into a new array, when most
// of it belongs to users since moved or deleted, under x.mu.
func (x *listIndex) compactGrants() {
	gs := make([]heldGrant, 0, x.grantsLive)
	move := func(sp *grantSpan) {
		off := uint32(len(gs))
		gs = append(gs, x.grants[sp.off:sp.off+sp.n]...)
		sp.off = off
	}
	x.eachLive(func(l *listed) {
		move(&l.grants)
		if l.invite != 0 {
			move(&x.invites[l.invite-1].offered)
		}
	})
	x.grants = gs
}
