package invitations_test

import (
	"context"
	"testing"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// rolesOf is what u holds, as "Member of Sales, …".
func (e *env) rolesOf(t *testing.T, u users.User) string {
	t.Helper()
	g, err := e.users.Grants(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return spaces.Describe(g)
}

// Remove from this space takes the role held there and only there, by an
// administrator of the space; nobody else reaches it, nor themselves.
func TestRemoveFromSpaceHeldRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	salesAdmin := e.actor(t, e.user(t, "sam@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Admin}))
	roomAdmin := e.actor(t, e.user(t, "rae@example.com", spaces.Grant{SpaceID: e.room, Role: spaces.Admin}))
	member := e.actor(t, e.user(t, "mem@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Member}))
	// Mo has a role outside Sam's spaces too: Sam still removes the one in Sales.
	mo := e.user(t, "mo@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Member}, spaces.Grant{SpaceID: e.support, Role: spaces.Member})
	peer := e.user(t, "pia@example.com", spaces.Grant{SpaceID: e.room, Role: spaces.Admin})

	// The role ceiling: below the space (its meeting room's administrator),
	// a member of it, or outside it, the space does not exist for them.
	for name, a := range map[string]invitations.Actor{"room admin": roomAdmin, "member": member} {
		_, err := e.svc.RemoveFromSpace(ctx, a, e.sales, mo.ID)
		wantCode(t, name+" removing from Sales", err, errs.NotFound, "")
	}
	_, err := e.svc.RemoveFromSpace(ctx, salesAdmin, e.support, mo.ID)
	wantCode(t, "Sales admin removing from Support", err, errs.NotFound, "")
	_, err = e.svc.RemoveFromSpace(ctx, salesAdmin, e.sales, salesAdmin.User.ID)
	wantCode(t, "removing oneself", err, errs.Conflict, "yourself")
	_, err = e.svc.RemoveFromSpace(ctx, salesAdmin, e.room, mo.ID)
	wantCode(t, "someone without a role there", err, errs.NotFound, "no role in this space")
	if got := e.rolesOf(t, mo); got != "Member of Sales, Member of Support" {
		t.Fatalf("refusals changed Mo's roles: %q", got)
	}

	r, err := e.svc.RemoveFromSpace(ctx, salesAdmin, e.sales, mo.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Pending || r.Grant.SpaceID != e.sales || r.Grant.Role != spaces.Member || r.Email != "mo@example.com" {
		t.Errorf("Removal = %+v", r)
	}
	if got := e.rolesOf(t, mo); got != "Member of Support" {
		t.Errorf("after removal from Sales Mo holds %q, want Member of Support", got)
	}
	// Out of Sam's spaces now, Mo leaves Sam's list.
	if r.Row != nil {
		t.Errorf("Mo's row is still in Sam's list: %+v", r.Row)
	}
	// An administrator of the room removes another one, their peer.
	if _, err := e.svc.RemoveFromSpace(ctx, roomAdmin, e.room, peer.ID); err != nil {
		t.Errorf("room admin removing a room admin: %v", err)
	}
}

// The account keeps an active account administrator: the last one's
// role is refused, even to an administrator whose own role went a moment
// before (their access read before that).
func TestRemoveFromSpaceLastAccountAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	bob := e.user(t, "bob@example.com", spaces.Grant{SpaceID: e.account, Role: spaces.Admin})
	ada, bobActs := e.actor(t, e.admin), e.actor(t, bob)
	if _, err := e.svc.RemoveFromSpace(ctx, ada, e.account, bob.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.RemoveFromSpace(ctx, bobActs, e.account, e.admin.ID)
	wantCode(t, "removing the last account administrator", err, errs.Conflict, "last account administrator")
	if got := e.rolesOf(t, e.admin); got != "Administrator" {
		t.Errorf("Ada holds %q after the refusal", got)
	}
}

// A pending invitee's role in the space is taken off their invitation, as
// Manage invitation takes it, with the same rules: the last role cancels
// it; an invitation that also offers roles outside the actor's spaces is
// not theirs to change.
func TestRemoveFromSpacePendingInvitee(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	admin := e.actor(t, e.admin)
	salesAdmin := e.actor(t, e.user(t, "sam@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Admin}))
	ivy := e.invite(t, "ivy@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Member}, spaces.Grant{SpaceID: e.room, Role: spaces.Admin})
	tok := e.token(t, ivy.UserID)
	wide := e.invite(t, "wes@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Member}, spaces.Grant{SpaceID: e.support, Role: spaces.Member})

	asked, err := e.svc.Removing(ctx, salesAdmin, e.sales, ivy.UserID)
	if err != nil || !asked.Pending || asked.Cancelled || asked.Grant.SpaceName != "Sales" {
		t.Errorf("Removing Ivy from Sales: %+v, %v; want the offer, not the last", asked, err)
	}
	r, err := e.svc.RemoveFromSpace(ctx, salesAdmin, e.sales, ivy.UserID)
	if err != nil || !r.Pending || r.Cancelled {
		t.Fatalf("removing Ivy from Sales: %+v, %v", r, err)
	}
	v, _ := e.svc.Lookup(ctx, tok)
	if v.Link != invitations.LinkValid || spaces.Describe(v.Invitation.Offered) != "Administrator of Room 4" {
		t.Errorf("after the removal the link is %s and offers %q", v.Link, spaces.Describe(v.Invitation.Offered))
	}
	if asked, err := e.svc.Removing(ctx, salesAdmin, e.room, ivy.UserID); err != nil || !asked.Cancelled {
		t.Errorf("Removing Ivy's last role: %+v, %v; want Cancelled", asked, err)
	}
	r, err = e.svc.RemoveFromSpace(ctx, salesAdmin, e.room, ivy.UserID)
	if err != nil || !r.Cancelled {
		t.Fatalf("removing Ivy's last role: %+v, %v; want the invitation cancelled", r, err)
	}
	if st := e.lookup(t, tok); st != invitations.LinkInvalid {
		t.Errorf("link after its last role went: %s", st)
	}

	_, err = e.svc.RemoveFromSpace(ctx, salesAdmin, e.sales, wide.UserID)
	wantCode(t, "Sales admin changing an invitation to Support too", err, errs.NotFound, "")
	if _, err := e.svc.RemoveFromSpace(ctx, admin, e.sales, wide.UserID); err != nil {
		t.Errorf("account admin: %v", err)
	}
}
