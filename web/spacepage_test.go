package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/apptest"
)

// A space's page searches its people by name or email, keeps the search
// in its page links (with page numbers), and names each person with a
// link to the users list filtered to them.
func TestSpacePageSearch(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	for i := range 60 {
		w.join(t, w.admin, fmt.Sprintf("m%02d@example.org", i), fmt.Sprintf("Member %02d", i), memberOf(w.north))
	}
	w.join(t, w.admin, "zed@example.org", "Zed Lindqvist", memberOf(w.north))
	una := w.signIn(t, unaEmail)
	path := "/settings/spaces/" + cid(w.north)

	_, members := peopleSections(w.e.Get(t, una, path).Body)
	if !strings.Contains(members, `<a href="`+path+`?members=2"><span class="visually-hidden">Page </span>2</a>`) {
		t.Errorf("the members' pages should be numbered:\n%s", members)
	}

	page := w.e.Get(t, una, path+"?q=LINDQ")
	admins, members := peopleSections(page.Body)
	if !strings.Contains(members, `<a href="/settings/users?q=zed%40example.org">Zed Lindqvist</a>`) {
		t.Errorf("Zed's name should link to the users list filtered to Zed:\n%s", members)
	}
	if !listsUser(members, "zed@example.org") || listsUser(members, moEmail) || listsUser(admins, unaEmail) {
		t.Errorf("searching lindq: want Zed alone:\n%s", clinicText(admins+members))
	}
	if !strings.Contains(admins, "No administrators match “LINDQ”.") {
		t.Errorf("no administrator matches; the section should say so:\n%s", clinicText(admins))
	}
	if !strings.Contains(page.Body, `value="LINDQ"`) {
		t.Error("the search box should keep the search")
	}

	_, members = peopleSections(w.e.Get(t, una, path+"?q=member").Body)
	if !strings.Contains(clinicText(members), "Showing 1–50 of 61") {
		t.Errorf("61 match member (Mo too):\n%s", clinicText(members))
	}
	if !strings.Contains(members, `href="`+path+`?members=2&amp;q=member"`) {
		t.Errorf("the next page should keep the search:\n%s", members)
	}
	_, members = peopleSections(w.e.Get(t, una, path+"?q=member&members=2").Body)
	if !strings.Contains(clinicText(members), "Showing 51–61 of 61") {
		t.Errorf("the second page of the search:\n%s", clinicText(members))
	}
}

// Remove from this space asks first (a page without JavaScript, a dialog
// with htmx), takes the role there and only there, and comes back to the
// page as it was, with a banner; with htmx it answers the lists again and
// the banner. Nobody is offered to remove themselves, and the page of a
// space one does not administer stays out of reach.
func TestSpacePageRemove(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	una := w.signIn(t, unaEmail)
	path := "/settings/spaces/" + cid(w.north)
	ret := path + "?q=mo"
	pat := w.invite(t, w.una, "pat@example.com", memberOf(w.north), memberOf(w.room))
	both, _ := w.join(t, w.admin, "both@example.com", "Bo Both", memberOf(w.north), memberOf(w.south))

	page := w.e.Get(t, una, path)
	if strings.Contains(page.Body, "/people/"+cid(w.una.ID)+"/remove") {
		t.Error("Una is offered to remove herself")
	}
	removeMo := path + "/people/" + cid(w.mo.ID) + "/remove"
	if !strings.Contains(page.Body, `href="`+removeMo+`?return=`+url.QueryEscape(path)+`"`) {
		t.Fatalf("Mo's row should offer Remove from this space:\n%s", page.Body)
	}

	confirm := w.e.Get(t, una, removeMo+"?return="+url.QueryEscape(ret))
	mustStatusCode(t, "the confirmation page", confirm, http.StatusOK)
	if !strings.Contains(confirm.Body, "<h1>Remove Mo Member from North Clinic?</h1>") || !strings.Contains(confirm.Body, `name="return" value="`+ret+`"`) {
		t.Errorf("the confirmation page:\n%s", confirm.Body)
	}
	dialog := w.e.Get(t, una, removeMo+"?return="+url.QueryEscape(ret), "HX-Request", "true")
	if !strings.HasPrefix(dialog.Body, "<dialog") || !strings.Contains(dialog.Body, `data-hx-target="#space-people"`) {
		t.Errorf("with htmx, the confirmation is a dialog that replaces the lists:\n%s", dialog.Body)
	}

	res := w.e.Post(t, una, removeMo, url.Values{"return": {ret}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != ret {
		t.Fatalf("remove: status %d, to %q; want 303 to %s", res.StatusCode, res.Header.Get("Location"), ret)
	}
	back := w.e.Get(t, una, ret)
	if kind, msg := bannerOf(back.Body); kind != "success" || msg != "Mo Member removed from North Clinic." {
		t.Errorf("banner %s %q", kind, msg)
	}
	if got := w.roles(t, w.mo); len(got) != 0 {
		t.Errorf("Mo still holds %q", got)
	}

	// Bo holds a role in South Clinic too, which stays; with htmx.
	res = w.e.Post(t, una, path+"/people/"+cid(both.ID)+"/remove", url.Values{"return": {path}}, "HX-Request", "true")
	mustStatusCode(t, "remove with htmx", res, http.StatusOK)
	if !strings.HasPrefix(res.Body, `<div id="space-people">`) || listsUser(res.Body, "both@example.com") || !listsUser(res.Body, "pat@example.com") {
		t.Errorf("with htmx, the lists without Bo:\n%s", res.Body)
	}
	if !strings.Contains(res.Body, `data-hx-swap-oob="innerHTML:#banner"`) || !strings.Contains(res.Body, "Bo Both removed from North Clinic.") {
		t.Errorf("with htmx, the banner out of band:\n%s", res.Body)
	}
	if got := w.roles(t, both); len(got) != 1 || got[0] != "Member of South Clinic" {
		t.Errorf("Bo holds %q, want Member of South Clinic alone", got)
	}

	// Pat is offered Member of North Clinic: it leaves the invitation.
	confirm = w.e.Get(t, una, path+"/people/"+cid(pat.ID)+"/remove")
	if !strings.Contains(confirm.Body, "Their invitation will no longer offer Member of North Clinic") {
		t.Errorf("the confirmation for an invitee:\n%s", clinicText(confirm.Body))
	}
	res = w.e.Post(t, una, path+"/people/"+cid(pat.ID)+"/remove", url.Values{"return": {"https://evil.example/"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path {
		t.Fatalf("remove Pat: status %d, to %q; want the space's own page", res.StatusCode, res.Header.Get("Location"))
	}
	w.mustFlash(t, una, res, "North Clinic removed from the invitation for pat@example.com.")
	manage := w.e.Get(t, una, clinicUserPath(pat, "/invitation"))
	if !strings.Contains(clinicText(manage.Body), "Roles offered Member of Meeting Room 1 Remove roles") {
		t.Errorf("Pat's invitation should offer Meeting Room 1 alone:\n%s", clinicText(manage.Body))
	}

	// Wes is invited to South Clinic too: not Una's to change.
	w.invite(t, w.admin, "wes@example.com", memberOf(w.north), memberOf(w.south))
	_, members := peopleSections(w.e.Get(t, una, path).Body)
	var entry string
	for _, li := range strings.Split(members, "<li>") {
		if strings.Contains(li, "wes@example.com") {
			entry = li
		}
	}
	if entry == "" || strings.Contains(entry, "/remove") || strings.Contains(entry, "/resend") || strings.Contains(entry, "/cancel") ||
		!strings.Contains(entry, "Also invited to spaces you do not administer") {
		t.Errorf("Wes's entry should offer no action to Una, and say why:\n%s", entry)
	}

	// Walt administers Waiting Area 2 only: North Clinic is not his.
	walt := w.signIn(t, waltEmail)
	if res := w.e.Get(t, walt, path+"/people/"+cid(w.una.ID)+"/remove"); res.StatusCode != http.StatusNotFound {
		t.Errorf("Walt asking to remove Una from North Clinic: %d, want 404", res.StatusCode)
	}
	if res := w.e.Post(t, walt, path+"/people/"+cid(w.una.ID)+"/remove", url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Errorf("Walt removing Una from North Clinic: %d, want 404", res.StatusCode)
	}
	if got := w.roles(t, w.una); len(got) != 1 || got[0] != "Administrator of North Clinic" {
		t.Errorf("Una holds %q", got)
	}
}

// After each add, Add a space comes back with the kind just used (and
// its unit), ready for the next of the same; the unit field is marked
// for the style that hides it while the kind is a unit.
func TestAddSpaceKeepsKind(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	ana := w.signIn(t, apptest.AdminEmail)
	res := w.e.Post(t, ana, "/settings/spaces", url.Values{"kind": {"meeting_room"}, "parent": {cid(w.north)}, "name": {"Room 9"}})
	want := "/settings/spaces?kind=meeting_room&parent=" + cid(w.north)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Fatalf("adding a room: status %d to %q, want %s", res.StatusCode, res.Header.Get("Location"), want)
	}
	page := w.e.Get(t, ana, want).Body
	if !strings.Contains(page, `value="meeting_room" checked`) || !strings.Contains(page, `value="`+cid(w.north)+`" selected`) {
		t.Errorf("the form should keep Meeting room in North Clinic:\n%s", page)
	}
	if !strings.Contains(page, `class="field parent-field"`) {
		t.Error("the unit field should be marked parent-field")
	}
	res = w.e.Post(t, ana, "/settings/spaces", url.Values{"kind": {"unit"}, "name": {"East"}})
	if res.Header.Get("Location") != "/settings/spaces?kind=unit" {
		t.Errorf("adding a unit: to %q", res.Header.Get("Location"))
	}
	page = w.e.Get(t, ana, "/settings/spaces?kind=lounge&parent=x").Body
	if !strings.Contains(page, `value="unit" checked`) {
		t.Error("a kind that is none should leave the form at its default")
	}
}
