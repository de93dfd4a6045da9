package users_test

import (
	"slices"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// ActionsOn leaves out of a row's menu what the services refuse whoever
// clicks: Deactivate and Delete on oneself, a user's actions on someone a
// space administrator may not manage, an invitation's on one offering a
// role outside their spaces.
func TestActionsOn(t *testing.T) {
	t.Parallel()
	tree := spaces.NewTree([]spaces.Space{
		{ID: 1, Kind: spaces.Account, Name: "Acme"},
		{ID: 2, Kind: spaces.Unit, ParentID: 1, Name: "Sales"},
		{ID: 3, Kind: spaces.Unit, ParentID: 1, Name: "Support"},
	})
	admin := spaces.AccessFor(10, []spaces.Grant{{SpaceID: 1, Role: spaces.Admin}}, tree)
	sales := spaces.AccessFor(20, []spaces.Grant{{SpaceID: 2, Role: spaces.Admin}}, tree)
	in := func(ids ...int64) []spaces.Grant {
		var out []spaces.Grant
		for _, id := range ids {
			out = append(out, spaces.Grant{SpaceID: id, Role: spaces.Member})
		}
		return out
	}
	active := func(id int64, grants []spaces.Grant) users.Listed {
		return users.Listed{User: users.User{ID: id, ActivatedAt: t0}, Grants: grants}
	}
	invited := func(id int64, offered []spaces.Grant) users.Listed {
		return users.Listed{User: users.User{ID: id, InviteExpiresAt: t0.Add(time.Hour)}, Invite: &users.Invite{Offered: offered}}
	}
	for _, c := range []struct {
		name   string
		access *spaces.Access
		l      users.Listed
		want   []users.Action
	}{
		{"account administrator, herself", admin, active(10, []spaces.Grant{{SpaceID: 1, Role: spaces.Admin}}), []users.Action{users.EditUser}},
		{"account administrator, someone else", admin, active(11, in(3)), users.ActionsFor(users.Active)},
		{"account administrator, an invitee", admin, invited(12, in(3)), users.ActionsFor(users.Invited)},
		{"unit administrator, herself", sales, active(20, []spaces.Grant{{SpaceID: 2, Role: spaces.Admin}}), []users.Action{users.EditUser}},
		{"unit administrator, her member", sales, active(21, in(2)), users.ActionsFor(users.Active)},
		{"unit administrator, a member of both units", sales, active(22, in(2, 3)), nil},
		{"unit administrator, an account administrator", sales, active(10, []spaces.Grant{{SpaceID: 1, Role: spaces.Admin}, {SpaceID: 2, Role: spaces.Member}}), nil},
		{"unit administrator, her invitee", sales, invited(23, in(2)), users.ActionsFor(users.Invited)},
		{"unit administrator, an invitee offered both units", sales, invited(24, in(2, 3)), nil},
		// An invitation with no roles left belongs to no space: only
		// account administrators reach it (and only they see its row).
		{"unit administrator, an invitee offered nothing", sales, invited(25, nil), []users.Action{users.EditUser, users.DeactivateUser, users.DeleteUser}},
		{"account administrator, an invitee offered nothing", admin, invited(25, nil), users.ActionsFor(users.Invited)},
	} {
		if got := users.ActionsOn(c.access, c.l, t0); !slices.Equal(got, c.want) {
			t.Errorf("%s: ActionsOn = %v, want %v", c.name, got, c.want)
		}
	}
}
