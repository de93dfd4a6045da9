package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// roles describes the roles u holds now, in name order.
func (w *clinic) roles(t *testing.T, u users.User) []string {
	t.Helper()
	grants, err := w.e.App.Users.Grants(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range grants {
		out = append(out, spaces.Describe([]spaces.Grant{g}))
	}
	slices.Sort(out)
	return out
}

// rolesForm is a full roles picker as the Edit user form posts it for an
// editor administering ids: every space named, most with No role.
func rolesForm(name string, ids []int64, set map[int64]spaces.Role) url.Values {
	f := url.Values{"name": {name}, "roles_shown": {"1"}}
	for _, sid := range ids {
		f.Set("role_"+cid(sid), string(set[sid]))
	}
	return f
}

// offeredSpaces are the spaces a page's roles picker offers to add a role
// in: the options of its Add a role <select>, in order.
func offeredSpaces(body string) []int64 {
	i := strings.Index(body, `<select id="add_space"`)
	if i < 0 {
		return nil
	}
	sel := body[i:]
	sel = sel[:strings.Index(sel, "</select>")]
	var out []int64
	for _, m := range regexp.MustCompile(`<option value="(\d+)"`).FindAllStringSubmatch(sel, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, id)
	}
	return out
}

// unchanged runs act and fails unless it sent no email and changed no row.
func (w *clinic) unchanged(t *testing.T, what string, act func()) {
	t.Helper()
	mails, before := w.mails(t), w.snapshot(t)
	act()
	if got := w.mails(t) - mails; got != 0 {
		t.Errorf("%s sent %d emails", what, got)
	}
	if d := clinicDiff(before, w.snapshot(t)); d != "" {
		t.Errorf("%s changed the database:\n%s", what, d)
	}
}

func mustStatusCode(t *testing.T, what string, res apptest.Response, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, res.StatusCode, want, res.Body)
	}
}

// A unit administrator offers roles in their unit only: a forged form
// naming another unit or the account is refused whole, and a space that
// does not exist gets the very same answer.
func TestRoleCeilingOnInvite(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	una := w.signIn(t, unaEmail)

	form := w.e.Get(t, una, "/settings/users/invite")
	mustStatusCode(t, "invite form", form, http.StatusOK)
	if got, want := offeredSpaces(form.Body), []int64{w.north, w.room, w.wa1, w.wa2}; !slices.Equal(got, want) {
		t.Errorf("the invite form offers spaces %v to a North Clinic administrator; want North Clinic and what is in it, %v", got, want)
	}

	var bodies []string
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"South Clinic", url.Values{"role_" + cid(w.south): {"member"}}},
		{"a waiting area of South Clinic", url.Values{"role_" + cid(w.southWA): {"member"}}},
		{"the account", url.Values{"role_" + cid(w.acct): {"member"}}},
		{"administrator of the account", url.Values{"role_" + cid(w.acct): {"admin"}}},
		{"the account's shorthand", url.Values{"role": {"admin"}}},
		{"one good, one outside", url.Values{"role_" + cid(w.wa2): {"member"}, "role_" + cid(w.south): {"member"}}},
		{"a space that does not exist", url.Values{"role_99999": {"member"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.unchanged(t, "a refused invite", func() {
				tc.form.Set("email", "pat@example.com")
				res := w.e.Post(t, una, "/settings/users/invite", tc.form)
				want := http.StatusForbidden
				if tc.name == "the account's shorthand" {
					// Not the account's picker: the field means nothing here,
					// so no role is offered at all.
					want = http.StatusUnprocessableEntity
				}
				mustStatusCode(t, "invite", res, want)
				if want == http.StatusForbidden {
					bodies = append(bodies, res.Body)
				}
			})
		})
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("refusals differ, so they reveal which spaces exist:\n%s\n----\n%s", bodies[0], b)
		}
	}

	// Within the unit, any role goes, Administrator included.
	res := w.e.Post(t, una, "/settings/users/invite", url.Values{"email": {"pat@example.com"}, "role_" + cid(w.wa2): {"admin"}, "role_" + cid(w.room): {"member"}})
	w.mustFlash(t, una, res, "Invitation will be sent to pat@example.com.")
}

// A unit administrator inviting an address that belongs to someone outside
// their spaces learns only that it cannot be invited from here: not the
// person's status, not a link to them.
func TestInviteSomeoneOutsideSaysNoMore(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	una := w.signIn(t, unaEmail)
	w.unchanged(t, "an invite of someone outside", func() {
		res := w.e.Post(t, una, "/settings/users/invite", url.Values{"email": {apptest.AdminEmail}, "role_" + cid(w.wa2): {"member"}})
		mustStatusCode(t, "invite", res, http.StatusConflict)
		body := clinicText(res.Body)
		if !strings.Contains(body, "This address cannot be invited from here. Ask an account administrator.") {
			t.Errorf("want the neutral sentence:\n%s", body)
		}
		for _, leak := range []string{"Active", "already a user", "/settings/users?q="} {
			if strings.Contains(res.Body[strings.Index(res.Body, "<main"):], leak) {
				t.Errorf("the refusal reveals %q about someone outside the unit", leak)
			}
		}
	})
	// Someone inside the unit is still named, with the offer to resend.
	res := w.e.Post(t, una, "/settings/users/invite", url.Values{"email": {moEmail}, "role_" + cid(w.wa2): {"member"}})
	mustStatusCode(t, "invite a unit member", res, http.StatusConflict)
	if !strings.Contains(clinicText(res.Body), "is already a user (Active)") {
		t.Errorf("a member of the unit should be named:\n%s", clinicText(res.Body))
	}
}

// A unit administrator editing a user gives roles in their unit only, and
// cannot touch someone who also has roles elsewhere.
func TestRoleCeilingOnEdit(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	pat, _ := w.join(t, w.admin, "pat@example.com", "Pat Doe", memberOf(w.wa2))
	quinn, _ := w.join(t, w.admin, "quinn@example.com", "Quinn Doe", memberOf(w.wa2), memberOf(w.southWA))
	una := w.signIn(t, unaEmail)
	mine := []int64{w.north, w.wa1, w.wa2, w.room}

	for _, tc := range []struct {
		name   string
		target users.User
		form   url.Values
		msg    string
	}{
		{"a role in South Clinic", pat, rolesForm("Pat Doe", append(mine, w.south), map[int64]spaces.Role{w.wa2: spaces.Member, w.south: spaces.Member}),
			"You can only offer roles in spaces you administer."},
		{"administrator of the account", pat, rolesForm("Pat Doe", append(mine, w.acct), map[int64]spaces.Role{w.wa2: spaces.Member, w.acct: spaces.Admin}),
			"You can only offer roles in spaces you administer."},
		{"a user with roles in South Clinic too", quinn, rolesForm("Quinn Doe", mine, map[int64]spaces.Role{w.wa2: spaces.Member, w.room: spaces.Member}),
			"quinn@example.com also has roles outside the spaces you administer. Ask an account administrator."},
		{"the name of a user with roles in South Clinic too", quinn, url.Values{"name": {"Quinn Renamed"}},
			"quinn@example.com also has roles outside the spaces you administer. Ask an account administrator."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.unchanged(t, "a refused edit", func() {
				res := w.e.Post(t, una, clinicUserPath(tc.target, "/edit"), tc.form)
				if kind, msg := w.after(t, una, res); kind != "error" || msg != tc.msg {
					t.Errorf("banner %s %q, want error %q", kind, msg, tc.msg)
				}
			})
		})
	}
	if got := w.roles(t, quinn); !slices.Equal(got, []string{"Member of South Waiting Area", "Member of Waiting Area 2"}) {
		t.Errorf("Quinn's roles became %q", got)
	}

	// Inside the unit the edit goes through, and leaves roles elsewhere
	// (set by the account administrator) alone.
	ana := w.signIn(t, apptest.AdminEmail)
	all := []int64{w.acct, w.north, w.south, w.wa1, w.wa2, w.room, w.southWA}
	res := w.e.Post(t, ana, clinicUserPath(pat, "/edit"), rolesForm("Pat Doe", all, map[int64]spaces.Role{w.wa2: spaces.Member, w.southWA: spaces.Member}))
	w.mustFlash(t, ana, res, "Changes to pat@example.com saved.")
	res = w.e.Post(t, una, clinicUserPath(pat, "/edit"), rolesForm("Pat Doe", mine, map[int64]spaces.Role{w.room: spaces.Admin}))
	if kind, msg := w.after(t, una, res); kind != "error" || !strings.Contains(msg, "also has roles outside") {
		t.Fatalf("once Pat has a role in South Clinic, Una may not edit them; banner %s %q", kind, msg)
	}
	res = w.e.Post(t, ana, clinicUserPath(pat, "/edit"), rolesForm("Pat Doe", all, map[int64]spaces.Role{w.wa2: spaces.Member}))
	w.mustFlash(t, ana, res, "Changes to pat@example.com saved.")
	res = w.e.Post(t, una, clinicUserPath(pat, "/edit"), rolesForm("Pat Doe", mine, map[int64]spaces.Role{w.wa2: spaces.Member, w.room: spaces.Admin}))
	w.mustFlash(t, una, res, "Changes to pat@example.com saved.")
	if got := w.roles(t, pat); !slices.Equal(got, []string{"Administrator of Meeting Room 1", "Member of Waiting Area 2"}) {
		t.Errorf("Pat's roles after Una's edit: %q", got)
	}

	// A waiting-area administrator cannot edit Pat any more: Pat now
	// administers a meeting room Walt does not.
	walt := w.signIn(t, waltEmail)
	w.unchanged(t, "Walt's edit", func() {
		res := w.e.Post(t, walt, clinicUserPath(pat, "/edit"), rolesForm("Pat Doe", []int64{w.wa2}, map[int64]spaces.Role{w.wa2: spaces.Admin}))
		if kind, msg := w.after(t, walt, res); kind != "error" || !strings.Contains(msg, "also has roles outside") {
			t.Errorf("banner %s %q, want the roles-outside refusal", kind, msg)
		}
	})
}

// An inviter who lost their rights before the invitee accepts passes on
// only what they can still grant; with nothing left, accepting is refused
// clearly and grants nothing.
func TestRoleCeilingOnAccept(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	ana := w.signIn(t, apptest.AdminEmail)
	all := []int64{w.acct, w.north, w.south, w.wa1, w.wa2, w.room, w.southWA}
	res := w.e.Post(t, ana, clinicUserPath(w.una, "/edit"), rolesForm("Una Unit", all, map[int64]spaces.Role{w.north: spaces.Admin, w.southWA: spaces.Admin}))
	w.mustFlash(t, ana, res, "Changes to "+unaEmail+" saved.")

	una := w.signIn(t, unaEmail)
	res = w.e.Post(t, una, "/settings/users/invite", url.Values{"email": {"xena@example.com"}, "role_" + cid(w.wa2): {"member"}, "role_" + cid(w.southWA): {"member"}})
	w.mustFlash(t, una, res, "Invitation will be sent to xena@example.com.")
	res = w.e.Post(t, una, "/settings/users/invite", url.Values{"email": {"yuri@example.com"}, "role_" + cid(w.wa2): {"admin"}})
	w.mustFlash(t, una, res, "Invitation will be sent to yuri@example.com.")
	res = w.e.Post(t, una, "/settings/users/invite", url.Values{"email": {"zoe@example.com"}, "role_" + cid(w.southWA): {"member"}})
	w.mustFlash(t, una, res, "Invitation will be sent to zoe@example.com.")
	w.e.Deliver(t)
	xenaLink := apptest.Link(w.e.SMTP.To("xena@example.com")[0].Text)
	yuriLink := apptest.Link(w.e.SMTP.To("yuri@example.com")[0].Text)

	// Una stops administering North Clinic.
	res = w.e.Post(t, ana, clinicUserPath(w.una, "/edit"), rolesForm("Una Unit", all, map[int64]spaces.Role{w.southWA: spaces.Admin}))
	w.mustFlash(t, ana, res, "Changes to "+unaEmail+" saved.")

	res, _ = w.accept(t, strings.TrimPrefix(xenaLink, w.e.URL), "Xena")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("Xena accepting: status %d\n%s", res.StatusCode, res.Body)
	}
	xena, err := w.e.App.Users.Get(context.Background(), w.userID(t, "xena@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if got := w.roles(t, xena); !slices.Equal(got, []string{"Member of South Waiting Area"}) {
		t.Errorf("Xena holds %q; Una can only still grant Member of South Waiting Area", got)
	}

	yuriID := w.userID(t, "yuri@example.com")
	w.unchanged(t, "a refused accept", func() {
		res, _ := w.accept(t, strings.TrimPrefix(yuriLink, w.e.URL), "Yuri")
		mustStatusCode(t, "Yuri accepting", res, http.StatusConflict)
		if !strings.Contains(res.Body, "The person who invited you can no longer grant these roles. Ask an administrator for a new invitation.") {
			t.Errorf("the refusal should say why and what to do:\n%s", res.Body)
		}
	})
	yuri, err := w.e.App.Users.Get(context.Background(), yuriID)
	if err != nil {
		t.Fatal(err)
	}
	if !yuri.ActivatedAt.IsZero() || len(w.roles(t, yuri)) != 0 {
		t.Errorf("Yuri joined anyway: activated %v, roles %q", yuri.ActivatedAt, w.roles(t, yuri))
	}

	// A deactivated inviter grants nothing at all.
	res = w.e.Post(t, ana, clinicUserPath(w.una, "/deactivate"), nil)
	w.mustFlash(t, ana, res, unaEmail+" was deactivated and signed out everywhere.")
	zoeLink := apptest.Link(w.e.SMTP.To("zoe@example.com")[0].Text)
	w.unchanged(t, "accepting an invitation from a deactivated inviter", func() {
		res, _ := w.accept(t, strings.TrimPrefix(zoeLink, w.e.URL), "Zoe")
		mustStatusCode(t, "Zoe accepting", res, http.StatusConflict)
		if !strings.Contains(res.Body, "The person who invited you can no longer grant these roles.") {
			t.Errorf("the refusal should say why:\n%s", res.Body)
		}
	})
}

// userID finds a user by email.
func (w *clinic) userID(t *testing.T, email string) int64 {
	t.Helper()
	uid := w.e.UserID(t, email)
	if uid == 0 {
		t.Fatalf("there is no user %s", email)
	}
	return uid
}

func (w *clinic) exists(t *testing.T, email string) bool {
	t.Helper()
	return w.e.UserID(t, email) != 0
}

// removeRoles takes the roles in sids off u's invitation through Manage
// invitation: the confirmation step first, then the confirmed post.
func (w *clinic) removeRoles(t *testing.T, c *http.Client, u users.User, cancels bool, sids ...int64) apptest.Response {
	t.Helper()
	form := url.Values{}
	for _, sid := range sids {
		form.Add("space", cid(sid))
	}
	var step apptest.Response
	w.unchanged(t, "the confirmation step", func() {
		step = w.e.Post(t, c, clinicUserPath(u, "/invitation/remove"), form)
	})
	mustStatusCode(t, "remove roles, unconfirmed", step, http.StatusOK)
	if !strings.Contains(step.Body, "Remove these roles from the invitation?") {
		t.Fatalf("the first post should ask for confirmation:\n%s", step.Body)
	}
	for _, sid := range sids {
		if !strings.Contains(step.Body, "<li>Member of "+w.names[sid]+"</li>") {
			t.Errorf("the confirmation should name Member of %s:\n%s", w.names[sid], step.Body)
		}
	}
	if got := strings.Contains(step.Body, "No role would be left, so the invitation is cancelled"); got != cancels {
		t.Errorf("the confirmation warns of cancelling: %v, want %v", got, cancels)
	}
	form.Set("confirm", "yes")
	return w.e.Post(t, c, clinicUserPath(u, "/invitation/remove"), form)
}

// Removing the roles of an invitation one by one: each is confirmed and
// recorded; the last one cancels the invitation, the user leaves the list
// and the link stops working.
func TestRemoveRolesUntilCancelled(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	const zed = "zed@example.com"
	z := w.invite(t, w.una, zed, memberOf(w.wa1), memberOf(w.wa2), memberOf(w.room))
	link := w.linkPath(t, z.ID)
	una := w.signIn(t, unaEmail)

	// Nothing ticked: the dialog says what to do.
	w.unchanged(t, "a post with no role ticked", func() {
		res := w.e.Post(t, una, clinicUserPath(z, "/invitation/remove"), url.Values{"confirm": {"yes"}})
		mustStatusCode(t, "remove nothing", res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, "Choose the roles to remove, then select Remove roles.") {
			t.Errorf("no advice:\n%s", res.Body)
		}
	})

	for i, sid := range []int64{w.wa1, w.room} {
		res := w.removeRoles(t, una, z, false, sid)
		w.mustFlash(t, una, res, "Roles removed from the invitation for "+zed+".")
		page := w.e.Get(t, una, clinicUserPath(z, "/invitation"))
		if strings.Contains(page.Body, "Member of "+w.names[sid]+"</span>") {
			t.Errorf("step %d: Manage invitation still offers Member of %s", i, w.names[sid])
		}
		if !strings.Contains(page.Body, "Removed Member of "+w.names[sid]+" by Una Unit") {
			t.Errorf("step %d: the history should record the removal:\n%s", i, page.Body)
		}
		list := w.e.Get(t, una, "/settings/users?q="+url.QueryEscape(zed))
		if !listsUser(list.Body, zed) {
			t.Fatalf("step %d: zed left the list while a role is still offered", i)
		}
	}
	if got := w.e.Get(t, w.e.Client(t), link); !strings.Contains(got.Body, "Join "+apptest.AccountName) {
		t.Fatalf("with one role left the link should still work:\n%s", got.Body)
	}

	res := w.removeRoles(t, una, z, true, w.wa2)
	w.mustFlash(t, una, res, "Invitation for "+zed+" cancelled.")
	if list := w.e.Get(t, una, "/settings/users?q="+url.QueryEscape(zed)); listsUser(list.Body, zed) {
		t.Error("zed never joined, so they should leave the list")
	}
	if w.exists(t, zed) {
		t.Error("zed is still a user")
	}
	if got := w.e.Get(t, w.e.Client(t), link); !strings.Contains(got.Body, "This invitation is no longer valid") {
		t.Errorf("the cancelled link's page:\n%s", got.Body)
	}
	w.e.Deliver(t)
	if n := len(w.e.SMTP.To(zed)); n != 1 {
		t.Errorf("zed got %d emails; removing roles sends none (only the invitation went out)", n)
	}
}

// Accepting after one of two roles was removed grants only the other,
// even from an accept page opened before the removal.
func TestAcceptAfterRemovingOneRole(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	const ivy = "ivy@example.com"
	u := w.invite(t, w.una, ivy, memberOf(w.wa2), memberOf(w.room))
	link := w.linkPath(t, u.ID)
	invitee := w.e.Client(t)
	page := w.e.Get(t, invitee, link)
	if !strings.Contains(page.Body, "Member of Waiting Area 2") || !strings.Contains(page.Body, "Member of Meeting Room 1") {
		t.Fatalf("the accept page should list both roles offered:\n%s", page.Body)
	}

	una := w.signIn(t, unaEmail)
	w.mustFlash(t, una, w.removeRoles(t, una, u, false, w.room), "Roles removed from the invitation for "+ivy+".")

	res := w.e.Post(t, invitee, link, url.Values{"name": {"Ivy"}, "password": {clinicPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accepting: status %d\n%s", res.StatusCode, res.Body)
	}
	if got := w.roles(t, u); !slices.Equal(got, []string{"Member of Waiting Area 2"}) {
		t.Fatalf("Ivy holds %q, want only Member of Waiting Area 2", got)
	}
	room := w.e.Get(t, una, "/settings/spaces/"+cid(w.room))
	if listsUser(room.Body, ivy) {
		t.Error("the meeting room's page lists Ivy")
	}
	wa2 := w.e.Get(t, una, "/settings/spaces/"+cid(w.wa2))
	if !listsUser(wa2.Body, ivy) {
		t.Error("the waiting area's page should list Ivy")
	}
}

// summaryRE reads the first entry of a form's error summary: the field it
// links to and the message.
var summaryRE = regexp.MustCompile(`(?s)<div class="error-summary".*?<li><a href="#(\w+)">(.*?)</a></li>`)

// Account administrators shape the tree of spaces: units in the account,
// waiting areas and meeting rooms in units, nothing else.
func TestSpacesCreateAndRename(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	ana := w.signIn(t, apptest.AdminEmail)

	res := w.e.Post(t, ana, "/settings/spaces", url.Values{"kind": {"unit"}, "name": {"  East   Clinic "}})
	w.mustFlash(t, ana, res, "Organisational unit East Clinic was added.")
	east := w.spaceID(t, "East Clinic")
	res = w.e.Post(t, ana, "/settings/spaces", url.Values{"kind": {"waiting_area"}, "parent": {cid(east)}, "name": {"East Lobby"}})
	w.mustFlash(t, ana, res, "Waiting area East Lobby was added.")
	res = w.e.Post(t, ana, "/settings/spaces", url.Values{"kind": {"meeting_room"}, "parent": {cid(east)}, "name": {"East Room"}})
	w.mustFlash(t, ana, res, "Meeting room East Room was added.")
	// A unit's parent is always the account, whatever is posted.
	res = w.e.Post(t, ana, "/settings/spaces", url.Values{"kind": {"unit"}, "parent": {cid(east)}, "name": {"West Clinic"}})
	w.mustFlash(t, ana, res, "Organisational unit West Clinic was added.")
	tree, err := w.e.App.Spaces.Tree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{"East Lobby": east, "East Room": east, "West Clinic": w.acct} {
		if sp, _ := tree.Get(w.spaceID(t, name)); sp.ParentID != want {
			t.Errorf("%s is inside %d, want %d", name, sp.ParentID, want)
		}
	}

	lobby := w.spaceID(t, "East Lobby")
	for _, tc := range []struct {
		name       string
		form       url.Values
		field, msg string
	}{
		{"a waiting area in the account", url.Values{"kind": {"waiting_area"}, "parent": {cid(w.acct)}, "name": {"Hall"}}, "parent", "Choose the organisational unit it belongs to."},
		{"a meeting room in a waiting area", url.Values{"kind": {"meeting_room"}, "parent": {cid(lobby)}, "name": {"Hall"}}, "parent", "Choose the organisational unit it belongs to."},
		{"a waiting area in no unit", url.Values{"kind": {"waiting_area"}, "name": {"Hall"}}, "parent", "Choose the organisational unit it belongs to."},
		{"a waiting area in a unit that does not exist", url.Values{"kind": {"waiting_area"}, "parent": {"99999"}, "name": {"Hall"}}, "parent", "Choose the organisational unit it belongs to."},
		{"a second account", url.Values{"kind": {"account"}, "name": {"Hall"}}, "kind", "Choose an organisational unit, a waiting area or a meeting room."},
		{"no name", url.Values{"kind": {"waiting_area"}, "parent": {cid(east)}, "name": {"   "}}, "name", "Enter a name for the space."},
		{"a name too long", url.Values{"kind": {"unit"}, "name": {strings.Repeat("x", 101)}}, "name", "A space name has at most 100 characters."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.unchanged(t, "a refused create", func() {
				res := w.e.Post(t, ana, "/settings/spaces", tc.form)
				mustStatusCode(t, "create", res, http.StatusUnprocessableEntity)
				m := summaryRE.FindStringSubmatch(res.Body)
				if m == nil || m[1] != tc.field || m[2] != tc.msg {
					t.Errorf("error summary %q, want %s: %q", m, tc.field, tc.msg)
				}
				if tc.field != "kind" && !strings.Contains(res.Body, `<span class="visually-hidden">Error:</span> `+tc.msg) {
					t.Errorf("the %s field should show its error", tc.field)
				}
				if !strings.Contains(res.Body, `value="`+tc.form.Get("name")+`"`) && strings.TrimSpace(tc.form.Get("name")) != "" {
					t.Error("the form should keep the name typed")
				}
			})
		})
	}

	res = w.e.Post(t, ana, "/settings/spaces/"+cid(lobby)+"/rename", url.Values{"name": {"East Waiting Room"}})
	w.mustFlash(t, ana, res, "Renamed to East Waiting Room.")
	if list := w.e.Get(t, ana, "/settings/spaces"); !strings.Contains(list.Body, "East Waiting Room") || strings.Contains(list.Body, "East Lobby") {
		t.Error("the spaces list should show the new name only")
	}
	w.unchanged(t, "renaming to nothing", func() {
		res := w.e.Post(t, ana, "/settings/spaces/"+cid(lobby)+"/rename", url.Values{"name": {""}})
		mustStatusCode(t, "rename", res, http.StatusUnprocessableEntity)
	})
	w.unchanged(t, "renaming the account", func() {
		res := w.e.Post(t, ana, "/settings/spaces/"+cid(w.acct)+"/rename", url.Values{"name": {"Other"}})
		mustStatusCode(t, "rename the account", res, http.StatusConflict)
	})
}

func (w *clinic) spaceID(t *testing.T, name string) int64 {
	t.Helper()
	tree, err := w.e.App.Spaces.Tree(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range tree.Walk(tree.Root().ID) {
		if n.Name == name {
			return n.ID
		}
	}
	t.Fatalf("there is no space %s", name)
	return 0
}

// Only account administrators create, rename and delete spaces. A space
// administrator gets 403 for a space they administer and 404 for one they
// do not; a member gets 403; nothing changes.
func TestSpacesOnlyAccountAdmins(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	type req struct {
		what, path string
		form       url.Values
		get        bool
	}
	reqs := func(sid int64) []req {
		p := "/settings/spaces/" + cid(sid)
		return []req{
			{"rename form", p + "/rename", nil, true},
			{"rename", p + "/rename", url.Values{"name": {"Taken Over"}}, false},
			{"delete page", p + "/delete", nil, true},
			{"delete", p + "/delete", nil, false},
		}
	}
	create := []req{
		{"create a unit", "/settings/spaces", url.Values{"kind": {"unit"}, "name": {"Rogue Clinic"}}, false},
		{"create a room in North Clinic", "/settings/spaces", url.Values{"kind": {"meeting_room"}, "parent": {cid(w.north)}, "name": {"Rogue Room"}}, false},
	}
	for _, tc := range []struct {
		who, email string
		own, other int64
	}{
		{"unit admin", unaEmail, w.north, w.south},
		{"waiting-area admin", waltEmail, w.wa2, w.wa1},
		{"member", moEmail, w.north, w.south},
	} {
		c := w.signIn(t, tc.email)
		var cases []req
		var want []int
		for _, r := range create {
			cases, want = append(cases, r), append(want, http.StatusForbidden)
		}
		for _, r := range reqs(tc.own) {
			r.what += " " + w.names[tc.own]
			cases, want = append(cases, r), append(want, http.StatusForbidden)
		}
		for _, r := range reqs(tc.other) {
			r.what += " " + w.names[tc.other]
			st := http.StatusNotFound
			if tc.who == "member" {
				st = http.StatusForbidden
			}
			cases, want = append(cases, r), append(want, st)
		}
		for i, r := range cases {
			t.Run(tc.who+"/"+r.what, func(t *testing.T) {
				w.unchanged(t, r.what, func() {
					var res apptest.Response
					if r.get {
						res = w.e.Get(t, c, r.path)
					} else {
						res = w.e.Post(t, c, r.path, r.form)
					}
					mustStatusCode(t, r.what, res, want[i])
				})
			})
		}
	}
}

// Deleting a space says first what goes with it; then the spaces inside
// and the roles there go, an invitation offering nothing else is
// cancelled, and one offering more just loses that offer.
func TestDeleteSpace(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	ctx := context.Background()
	only := w.invite(t, w.admin, "only@example.com", memberOf(w.wa1), memberOf(w.room))
	onlyLink := w.linkPath(t, only.ID)
	both := w.invite(t, w.admin, "both@example.com", memberOf(w.wa2), memberOf(w.southWA))
	bothLink := w.linkPath(t, both.ID)
	w.invite(t, w.admin, "south@example.com", memberOf(w.south))
	ana := w.signIn(t, apptest.AdminEmail)
	walt := w.signIn(t, waltEmail)
	mails := w.mails(t)

	var page apptest.Response
	w.unchanged(t, "the impact page", func() { page = w.e.Get(t, ana, "/settings/spaces/"+cid(w.north)+"/delete") })
	mustStatusCode(t, "impact page", page, http.StatusOK)
	// Inside North Clinic: three spaces; Una, Walt and Mo hold a role
	// each; two pending invitations offer roles there.
	for _, want := range []string{"Delete North Clinic?", "3 spaces inside it", "3 roles people hold there", "the offers of 2 pending invitations there"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the impact page should say %q:\n%s", want, page.Body)
		}
	}
	empty := w.e.Get(t, ana, "/settings/spaces/"+cid(w.southWA)+"/delete")
	if !strings.Contains(empty.Body, "the offers of 1 pending invitation there") || strings.Contains(empty.Body, "inside it") {
		t.Errorf("South Waiting Area's impact page:\n%s", empty.Body)
	}

	res := w.e.Post(t, ana, "/settings/spaces/"+cid(w.north)+"/delete", nil)
	w.mustFlash(t, ana, res, "North Clinic was deleted.")
	tree, err := w.e.App.Spaces.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sid := range []int64{w.north, w.wa1, w.wa2, w.room} {
		if _, ok := tree.Get(sid); ok {
			t.Errorf("%s is still there", w.names[sid])
		}
	}
	if got := w.roles(t, w.walt); len(got) != 0 {
		t.Errorf("Walt still holds %q", got)
	}
	if res := w.e.Get(t, walt, "/settings/users"); res.StatusCode != http.StatusForbidden {
		t.Errorf("Walt administers nothing now; the users list answered %d", res.StatusCode)
	}

	if w.exists(t, "only@example.com") {
		t.Error("the invitation offering only roles in North Clinic should be cancelled, its never-joined user gone")
	}
	if got := w.e.Get(t, w.e.Client(t), onlyLink); !strings.Contains(got.Body, "This invitation is no longer valid") {
		t.Errorf("its link should no longer be valid:\n%s", got.Body)
	}
	manage := w.e.Get(t, ana, clinicUserPath(both, "/invitation"))
	if !strings.Contains(manage.Body, "Member of South Waiting Area") || strings.Contains(manage.Body, "Member of Waiting Area 2") {
		t.Errorf("the other invitation should offer only Member of South Waiting Area now:\n%s", manage.Body)
	}
	res, _ = w.accept(t, bothLink, "Both")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accepting the remaining offer: status %d\n%s", res.StatusCode, res.Body)
	}
	if got := w.roles(t, both); !slices.Equal(got, []string{"Member of South Waiting Area"}) {
		t.Errorf("both@ holds %q", got)
	}
	if !w.exists(t, "south@example.com") {
		t.Error("an invitation to South Clinic went with North Clinic")
	}
	if got := w.mails(t) - mails; got != 0 {
		t.Errorf("deleting a space sent %d emails", got)
	}
}

// Each space has a page of its people, People in <space>; pending people show what they were
// invited as, with Resend invitation and Cancel invitation, which come
// back to the page with their banner.
func TestSpacePage(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	const pat = "pat@example.com"
	p := w.invite(t, w.una, pat, memberOf(w.wa2), memberOf(w.room))
	una := w.signIn(t, unaEmail)

	north := w.e.Get(t, una, "/settings/spaces/"+cid(w.north))
	mustStatusCode(t, "North Clinic's page", north, http.StatusOK)
	if !strings.Contains(north.Body, "<h1>People in North Clinic</h1>") {
		t.Errorf("a unit's page is People in North Clinic:\n%s", north.Body)
	}
	admins, members := peopleSections(north.Body)
	if !listsUser(admins, unaEmail) || !listsUser(members, moEmail) || listsUser(north.Body, pat) {
		t.Errorf("North Clinic: Una should be under Administrators, Mo under Members, Pat nowhere:\n%s", north.Body)
	}

	pagePath := "/settings/spaces/" + cid(w.wa2)
	wa2 := w.e.Get(t, una, pagePath)
	mustStatusCode(t, "Waiting Area 2's page", wa2, http.StatusOK)
	if !strings.Contains(wa2.Body, "<h1>People in Waiting Area 2</h1>") {
		t.Errorf("a waiting area's page is People in Waiting Area 2:\n%s", wa2.Body)
	}
	admins, members = peopleSections(wa2.Body)
	if !listsUser(admins, waltEmail) || !listsUser(members, pat) {
		t.Fatalf("Waiting Area 2: Walt should be under Administrators, Pat under Members:\n%s", wa2.Body)
	}
	line := regexp.MustCompile(`(?s)<div class="invite-line">(.*?)</div>`).FindStringSubmatch(members)
	if line == nil || clinicText(line[1]) != "Invited just now as Member of Meeting Room 1, Member of Waiting Area 2" {
		t.Errorf("Pat's invite line: %q", line)
	}
	for _, want := range []string{"Resend invitation", "Cancel invitation"} {
		if !strings.Contains(members, want) {
			t.Errorf("Pat's entry should offer %s", want)
		}
	}
	if !strings.Contains(members, `href="/settings/users/`+cid(p.ID)+`/cancel?return=`+url.QueryEscape(pagePath)+`"`) {
		t.Errorf("Cancel invitation should come back to the page:\n%s", members)
	}

	w.e.Clock.Advance(2 * time.Minute)
	res := w.e.Post(t, una, "/settings/users/"+cid(p.ID)+"/resend", url.Values{"return": {pagePath}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != pagePath {
		t.Fatalf("resend from the page: status %d, to %q; want 303 to %s", res.StatusCode, res.Header.Get("Location"), pagePath)
	}
	back := w.e.Get(t, una, pagePath)
	if kind, msg := bannerOf(back.Body); kind != "success" || msg != "Invitation link will be resent to "+pat+"." {
		t.Errorf("banner %s %q after the resend", kind, msg)
	}
	if n := len(w.e.SMTP.To(pat)); n != 0 {
		t.Fatalf("%d emails before delivery", n)
	}
	w.e.Deliver(t)
	if n := len(w.e.SMTP.To(pat)); n != 2 {
		t.Errorf("Pat got %d emails, want the invitation and the reminder", n)
	}

	confirm := w.e.Get(t, una, "/settings/users/"+cid(p.ID)+"/cancel?return="+url.QueryEscape(pagePath))
	mustStatusCode(t, "cancel confirmation", confirm, http.StatusOK)
	if !strings.Contains(confirm.Body, `name="return" value="`+pagePath+`"`) {
		t.Errorf("the confirmation should carry the page to come back to:\n%s", confirm.Body)
	}
	res = w.e.Post(t, una, "/settings/users/"+cid(p.ID)+"/cancel", url.Values{"return": {pagePath}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != pagePath {
		t.Fatalf("cancel from the page: status %d, to %q", res.StatusCode, res.Header.Get("Location"))
	}
	back = w.e.Get(t, una, pagePath)
	if kind, msg := bannerOf(back.Body); kind != "success" || msg != "Invitation for "+pat+" cancelled." {
		t.Errorf("banner %s %q after cancelling", kind, msg)
	}
	if listsUser(back.Body, pat) {
		t.Error("Pat is still on the page")
	}
}

var peopleRE = regexp.MustCompile(`(?s)<section class="card people"[^>]*>.*?</section>`)

// peopleSections splits a space's page into its Administrators and
// Members sections.
func peopleSections(body string) (admins, members string) {
	s := peopleRE.FindAllString(body, -1)
	if len(s) != 2 {
		return "", ""
	}
	return s[0], s[1]
}

var clinicTagRE = regexp.MustCompile(`<[^>]*>`)

// clinicText is HTML as read: no tags, spaces collapsed.
func clinicText(s string) string {
	s = strings.ReplaceAll(s, "<wbr>", "") // a place to break a line, inside a word
	return strings.Join(strings.Fields(clinicTagRE.ReplaceAllString(s, " ")), " ")
}

// A space with many members lists them a page at a time, each role on its
// own, the other's page kept.
func TestSpacePagePages(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	for i := range 55 {
		w.join(t, w.admin, fmt.Sprintf("m%02d@example.org", i), fmt.Sprintf("Member %02d", i), memberOf(w.room))
	}
	una := w.signIn(t, unaEmail)
	path := "/settings/spaces/" + cid(w.room)
	page := w.e.Get(t, una, path)
	mustStatusCode(t, "the room's page", page, http.StatusOK)
	_, members := peopleSections(page.Body)
	if n := strings.Count(members, `class="user-email"`); n != 50 {
		t.Errorf("the first page lists %d members, want 50", n)
	}
	if !strings.Contains(clinicText(members), "Showing 1–50 of 55") || !listsUser(members, "m00@example.org") || listsUser(members, "m50@example.org") {
		t.Errorf("the first page of members:\n%s", clinicText(members))
	}
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(members)
	if next == nil || next[1] != path+"?members=2" {
		t.Fatalf("the next page's link: %q", next)
	}
	page = w.e.Get(t, una, next[1])
	admins, members := peopleSections(page.Body)
	if n := strings.Count(members, `class="user-email"`); n != 5 || !listsUser(members, "m54@example.org") || !strings.Contains(clinicText(members), "Showing 51–55 of 55") {
		t.Errorf("the second page of members (%d listed):\n%s", n, clinicText(members))
	}
	if !strings.Contains(members, `rel="prev"`) || strings.Contains(members, `rel="next"`) {
		t.Errorf("the last page should link back, not on:\n%s", members)
	}
	if strings.Contains(admins, `class="pagination"`) {
		t.Errorf("a handful of administrators need no pages:\n%s", admins)
	}
	_, members = peopleSections(w.e.Get(t, una, path+"?members=9223372036854775807").Body)
	if !strings.Contains(clinicText(members), "There is nobody on this page. Go to the first page") || !strings.Contains(members, `href="`+path+`"`) {
		t.Errorf("a page past the last:\n%s", members)
	}
}
