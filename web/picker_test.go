package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/spaces"
)

// pickedRoles are the roles a page's roles picker lists as given: space
// id to the role selected, and the space whose role has the focus ("" for
// none).
func pickedRoles(t *testing.T, body string) (map[int64]string, int64) {
	t.Helper()
	got := map[int64]string{}
	var focus int64
	item := regexp.MustCompile(`(?s)<select id="role_(\d+)" name="role_\d+"( autofocus)?>(.*?)</select>`)
	chosen := regexp.MustCompile(`<option value="(\w+)" selected>`)
	for _, m := range item.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		c := chosen.FindStringSubmatch(m[3])
		if c == nil {
			t.Fatalf("the role in space %d has no option selected:\n%s", id, m[0])
		}
		got[id] = c[1]
		if m[2] != "" {
			focus = id
		}
	}
	return got, focus
}

func samePicked(got map[int64]string, want map[int64]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// Without JavaScript, the picker's Add and Remove are submit buttons: the
// Invite user form comes back with the role added or removed, the
// addresses and name kept, the new role focused, and nothing sent or
// written until Send invitation.
func TestPickerWithoutJSInvite(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	una := w.signIn(t, unaEmail)
	const pat = "pat@example.com"
	form := url.Values{"email": {pat}, "name": {"Pat Patient"}}

	w.unchanged(t, "adding and removing roles", func() {
		add := func(sid int64, role string) {
			t.Helper()
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set("add", "1")
			f.Set("add_space", cid(sid))
			f.Set("add_role", role)
			res := w.e.Post(t, una, "/settings/users/invite", f)
			mustStatusCode(t, "Add role", res, http.StatusOK)
			form.Set("role_"+cid(sid), role)
			got, focus := pickedRoles(t, res.Body)
			want := map[int64]string{}
			for k, v := range form {
				if id, ok := strings.CutPrefix(k, "role_"); ok {
					n, _ := strconv.ParseInt(id, 10, 64)
					want[n] = v[0]
				}
			}
			if !samePicked(got, want) || focus != sid {
				t.Fatalf("after adding %s in %s the form lists %v with focus on %d; want %v with focus on the new role", role, w.names[sid], got, focus, want)
			}
			if !strings.Contains(res.Body, `value="`+pat+`"`) || !strings.Contains(res.Body, `value="Pat Patient"`) {
				t.Errorf("the form came back without the address or the name")
			}
		}
		add(w.wa2, "admin")
		add(w.room, "member")
		add(w.wa2, "member") // adding again changes the role

		f := url.Values{"email": {pat}, "role_" + cid(w.wa2): {"member"}, "role_" + cid(w.room): {"member"}, "remove": {cid(w.wa2)}}
		res := w.e.Post(t, una, "/settings/users/invite", f)
		mustStatusCode(t, "Remove", res, http.StatusOK)
		if got, _ := pickedRoles(t, res.Body); !samePicked(got, map[int64]string{w.room: "member"}) {
			t.Fatalf("after removing Waiting Area 2 the form lists %v; want Member of Meeting Room 1 only", got)
		}
		if !strings.Contains(res.Body, `<select id="add_space" name="add_space" autofocus>`) {
			t.Error("after Remove the focus should be on the Add a role control")
		}

		// Add with no space chosen says so, at the control.
		res = w.e.Post(t, una, "/settings/users/invite", url.Values{"email": {pat}, "add": {"1"}, "add_space": {""}, "add_role": {"member"}})
		mustStatusCode(t, "Add without a space", res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, "Choose a space to add a role in.") || !strings.Contains(res.Body, `href="#add_space"`) {
			t.Errorf("Add without a space should say so and link to the control:\n%s", res.Body)
		}
	})

	res := w.e.Post(t, una, "/settings/users/invite", url.Values{"email": {pat}, "role_" + cid(w.room): {"member"}})
	w.mustFlash(t, una, res, "Invitation will be sent to "+pat+".")
	_, inv, _, err := w.e.App.Invitations.Details(t.Context(), w.actor(t, w.admin), w.userID(t, pat))
	if err != nil {
		t.Fatal(err)
	}
	if got := spaces.Describe(inv.Offered); got != "Member of Meeting Room 1" {
		t.Errorf("the invitation offers %q, want Member of Meeting Room 1", got)
	}
}

// Without JavaScript, Edit user's Add and Remove come back to the page
// with the roles as they would be; Save changes then saves exactly those.
func TestPickerWithoutJSEdit(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	ana := w.signIn(t, apptest.AdminEmail)
	path := clinicUserPath(w.mo, "/edit")

	page := w.e.Get(t, ana, path)
	mustStatusCode(t, "Edit user", page, http.StatusOK)
	if got, _ := pickedRoles(t, page.Body); !samePicked(got, map[int64]string{w.north: "member"}) {
		t.Fatalf("Mo's Edit user lists %v; want Member of North Clinic", got)
	}
	if got := offeredSpaces(page.Body); !slices.Equal(got, []int64{w.acct, w.north, w.room, w.wa1, w.wa2, w.south, w.southWA}) {
		t.Errorf("an account administrator is offered %v; want every space, depth first", got)
	}
	// Waiting areas and rooms are named with their unit, for the ear too.
	if !strings.Contains(page.Body, `<optgroup label="North Clinic">`) {
		t.Error("the spaces of North Clinic should be grouped under it")
	}

	var f url.Values
	w.unchanged(t, "adding and removing Mo's roles", func() {
		res := w.e.Post(t, ana, path, url.Values{"name": {"Mo Member"}, "roles_shown": {"1"}, "role_" + cid(w.north): {"member"}, "add": {"1"}, "add_space": {cid(w.wa1)}, "add_role": {"admin"}})
		mustStatusCode(t, "Add role", res, http.StatusOK)
		if got, focus := pickedRoles(t, res.Body); !samePicked(got, map[int64]string{w.north: "member", w.wa1: "admin"}) || focus != w.wa1 {
			t.Fatalf("after Add the page lists %v with focus on %d; want North Clinic and Waiting Area 1, focused", got, focus)
		}
		if !strings.Contains(res.Body, "Role in Waiting Area 1 in North Clinic") {
			t.Error("the role's label should name the unit of the waiting area")
		}
		f = url.Values{"name": {"Mo Moved"}, "roles_shown": {"1"}, "role_" + cid(w.north): {"member"}, "role_" + cid(w.wa1): {"admin"}, "remove": {cid(w.north)}}
		res = w.e.Post(t, ana, path, f)
		mustStatusCode(t, "Remove", res, http.StatusOK)
		if got, _ := pickedRoles(t, res.Body); !samePicked(got, map[int64]string{w.wa1: "admin"}) {
			t.Fatalf("after Remove the page lists %v; want Administrator of Waiting Area 1 only", got)
		}
		if !strings.Contains(res.Body, `value="Mo Moved"`) {
			t.Error("the name typed should be kept")
		}
	})
	res := w.e.Post(t, ana, path, url.Values{"name": {"Mo Moved"}, "roles_shown": {"1"}, "role_" + cid(w.wa1): {"admin"}})
	w.mustFlash(t, ana, res, "Changes to "+moEmail+" saved.")
	if got := w.roles(t, w.mo); !slices.Equal(got, []string{"Administrator of Waiting Area 1"}) {
		t.Errorf("Mo holds %q; want Administrator of Waiting Area 1 only", got)
	}
}

// The picker offers a unit administrator their unit and what is in it,
// and nothing else; an Add naming any other space, or a role that is not
// one, is refused as a forged form is, whether it invites or edits, and
// changes nothing.
func TestPickerCeiling(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	una := w.signIn(t, unaEmail)
	edit := clinicUserPath(w.mo, "/edit")
	page := w.e.Get(t, una, edit)
	mustStatusCode(t, "Edit user", page, http.StatusOK)
	if got := offeredSpaces(page.Body); !slices.Equal(got, []int64{w.north, w.room, w.wa1, w.wa2}) {
		t.Errorf("a North Clinic administrator is offered %v; want North Clinic and what is in it", got)
	}
	walt := w.signIn(t, waltEmail)
	page = w.e.Get(t, walt, "/settings/users/invite")
	if got := offeredSpaces(page.Body); !slices.Equal(got, []int64{w.wa2}) {
		t.Errorf("Waiting Area 2's administrator is offered %v; want Waiting Area 2 only", got)
	}
	if !strings.Contains(page.Body, `<optgroup label="North Clinic">`) {
		t.Error("Waiting Area 2 should still be shown under its unit")
	}

	for _, tc := range []struct {
		name  string
		form  url.Values
		want  int
		inSay string
	}{
		{"another unit", url.Values{"add_space": {cid(w.south)}, "add_role": {"member"}}, http.StatusForbidden, "You can only offer roles in spaces you administer."},
		{"the other unit's waiting area", url.Values{"add_space": {cid(w.southWA)}, "add_role": {"admin"}}, http.StatusForbidden, "You can only offer roles in spaces you administer."},
		{"the account", url.Values{"add_space": {cid(w.acct)}, "add_role": {"member"}}, http.StatusForbidden, "You can only offer roles in spaces you administer."},
		{"a space that does not exist", url.Values{"add_space": {"99999"}, "add_role": {"member"}}, http.StatusForbidden, "You can only offer roles in spaces you administer."},
		{"a role that is not one", url.Values{"add_space": {cid(w.wa1)}, "add_role": {"owner"}}, http.StatusUnprocessableEntity, "Choose Member or Administrator."},
		{"a forged role kept beside", url.Values{"add_space": {cid(w.wa1)}, "add_role": {"member"}, "role_" + cid(w.south): {"member"}}, http.StatusForbidden, "You can only offer roles in spaces you administer."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.unchanged(t, "a refused Add", func() {
				f := url.Values{"email": {"pat@example.com"}, "add": {"1"}}
				for k, v := range tc.form {
					f[k] = v
				}
				res := w.e.Post(t, una, "/settings/users/invite", f)
				mustStatusCode(t, "Add on Invite user", res, tc.want)
				if !strings.Contains(res.Body, tc.inSay) {
					t.Errorf("Invite user's refusal should say %q:\n%s", tc.inSay, res.Body)
				}
				f.Set("name", "Mo Member")
				f.Set("roles_shown", "1")
				f.Set("role_"+cid(w.north), "member")
				res = w.e.Post(t, una, edit, f)
				if tc.want == http.StatusForbidden {
					// A refused row action without JavaScript: back to the
					// list, with the refusal in the banner.
					if kind, msg := w.after(t, una, res); kind != "error" || msg != tc.inSay {
						t.Errorf("Edit user's refusal: %s %q, want error %q", kind, msg, tc.inSay)
					}
					return
				}
				mustStatusCode(t, "Add on Edit user", res, tc.want)
			})
		})
	}
}
