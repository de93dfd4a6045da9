package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/spaces"
)

// A unit administrator reads the roles a person holds or is offered
// outside their unit as a count, never by the space's name: on the users
// list (whole page and the htmx results), the no-JavaScript actions page,
// the space's page, Edit user, the confirmations and Manage invitation's
// history, old history included. The account administrator, whose list
// is made first and would be given to Una if kept pages were shared, reads
// every name.
//
// ASVS 5.0: V8.2.3, V14.2.6
func TestSpaceAdminSeesNoNamesElsewhere(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	ctx := context.Background()
	access := w.actor(t, w.admin).Access
	room := func(unit int64, name string) int64 {
		t.Helper()
		sp, err := w.e.App.Spaces.Create(ctx, access, spaces.MeetingRoom, unit, name)
		if err != nil {
			t.Fatal(err)
		}
		w.names[sp.ID] = name
		return sp.ID
	}
	a1, b1 := room(w.north, "Room A1"), room(w.south, "Room B1")
	xavier := w.invite(t, w.admin, "xavier@example.com", memberOf(a1), memberOf(b1))
	yara, _ := w.join(t, w.admin, "yara@example.com", "Yara Both", memberOf(a1), memberOf(w.acct), spaces.Grant{SpaceID: w.south, Role: spaces.Admin})
	ana, una := w.signIn(t, apptest.AdminEmail), w.signIn(t, unaEmail)
	outside := []string{"Room B1", "South Clinic"}

	// seen fetches path as c and returns what it reads there.
	seen := func(c *http.Client, path string, header ...string) string {
		t.Helper()
		res := w.e.Get(t, c, path, header...)
		mustStatusCode(t, path, res, http.StatusOK)
		return text(res.Body)
	}
	// blind fails if Una's page at path names a space outside North Clinic,
	// and returns what she reads there.
	blind := func(path string, header ...string) string {
		t.Helper()
		res := w.e.Get(t, una, path, header...)
		for _, name := range outside {
			if strings.Contains(res.Body, name) {
				t.Errorf("Una's %s (status %d) names %s:\n%s", path, res.StatusCode, name, text(res.Body))
			}
		}
		return text(res.Body)
	}
	must := func(who, path, got string, want ...string) {
		t.Helper()
		for _, s := range want {
			if !strings.Contains(got, s) {
				t.Errorf("%s's %s should say %q:\n%s", who, path, s, got)
			}
		}
	}

	list := seen(ana, "/settings/users")
	must("Ana", "users list", list, "Offered: Member of Room A1, Member of Room B1", "Administrator of South Clinic")
	for _, path := range []string{"/settings/users", "/settings/users?q=ya"} {
		must("Una", path, blind(path), "Member of Room A1 and 2 roles elsewhere")
		must("Una", path, blind(path, "HX-Request", "true", "HX-Target", "users-results"), "Member of Room A1 and 2 roles elsewhere")
	}
	must("Una", "users list", blind("/settings/users"), "Offered: Member of Room A1 and 1 role elsewhere")
	must("Una", "Yara's actions", blind(clinicUserPath(yara, "/actions")), "Roles Member of Room A1 and 2 roles elsewhere")
	must("Una", "Xavier's actions", blind(clinicUserPath(xavier, "/actions")), "xavier@example.com")
	must("Una", "Room A1's page", blind("/settings/spaces/"+cid(a1)), "Invited just now as Member of Room A1 and 1 role elsewhere")
	must("Ana", "Room A1's page", seen(ana, "/settings/spaces/"+cid(a1)), "Invited just now as Member of Room A1, Member of Room B1")
	for _, h := range [][]string{nil, apptest.HTMX} {
		must("Una", "Edit user", blind(clinicUserPath(xavier, "/edit"), h...), "Invited as Member of Room A1 and 1 role elsewhere.")
		must("Ana", "Edit user", seen(ana, clinicUserPath(xavier, "/edit"), h...), "Invited as Member of Room A1, Member of Room B1.")
		for _, p := range []string{"/cancel", "/delete"} {
			blind(clinicUserPath(xavier, p), h...)
			blind(clinicUserPath(yara, p), h...)
		}
		// Not for Una while it offers a role outside her unit.
		blind(clinicUserPath(xavier, "/invitation"), h...)
	}
	// Una may not act on someone with roles outside her unit, and the
	// refusal names nothing either.
	res := w.e.Post(t, una, clinicUserPath(yara, "/deactivate"), nil, apptest.HTMX...)
	mustStatusCode(t, "Una deactivating Yara", res, http.StatusForbidden)
	for _, name := range outside {
		if strings.Contains(res.Body, name) {
			t.Errorf("the refusal names %s:\n%s", name, text(res.Body))
		}
	}

	// Ana takes Room B1 off the invitation: Una may now manage it, and its
	// history says a role elsewhere went.
	mustStatusCode(t, "removing Room B1", w.removeRoles(t, ana, xavier, false, b1), http.StatusSeeOther)
	for _, h := range [][]string{nil, apptest.HTMX} {
		must("Una", "Manage invitation", blind(clinicUserPath(xavier, "/invitation"), h...), "Member of Room A1", "A role elsewhere was removed by Ana Admin")
		must("Ana", "Manage invitation", seen(ana, clinicUserPath(xavier, "/invitation"), h...), "Removed Member of Room B1 by Ana Admin")
	}

	// A removal recorded before history kept roles as roles has only its
	// words: Una is told that a role went, not which. Under the services:
	// none of them writes history the old way any more.
	if _, err := w.e.App.DB.W.Exec(`INSERT INTO invitation_events (invitation_id, at, actor_id, actor_name, kind, detail)
		SELECT id, 0, NULL, 'Old Admin', 'role_removed', 'Member of Room B1' FROM invitations WHERE user_id = ?`, xavier.ID); err != nil {
		t.Fatal(err)
	}
	must("Una", "Manage invitation", blind(clinicUserPath(xavier, "/invitation")), "A role was removed by Old Admin")
	must("Ana", "Manage invitation", seen(ana, clinicUserPath(xavier, "/invitation")), "Removed Member of Room B1 by Old Admin")
}
