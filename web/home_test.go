package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/spaces"
)

// A member lands on their home, after accepting and after signing in: it
// lists their spaces with whom to ask about each (the space's own
// administrators, else its unit's), and lets them change their own name.
func TestMemberHome(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	u := w.invite(t, w.admin, "kim@example.com", memberOf(w.wa2), memberOf(w.wa1))
	res, kim := w.accept(t, w.linkPath(t, u.ID), "Kim")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("accepting as a member: status %d to %q, want their home /", res.StatusCode, res.Header.Get("Location"))
	}
	home := w.e.Get(t, kim, "/")
	mustStatusCode(t, "a member's home", home, http.StatusOK)
	text := clinicText(home.Body)
	for _, want := range []string{
		"Welcome, Kim. Your account is ready.",
		"Your spaces in Acme Clinics",
		"Waiting Area 1 Waiting area · You are Member Administered by the administrators of North Clinic: Una Unit una@example.com",
		"Waiting Area 2 Waiting area · You are Member Administered by: Walt Waiting walt@example.com",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("home should say %q:\n%s", want, text)
		}
	}
	if !strings.Contains(home.Body, `href="mailto:una@example.com"`) {
		t.Error("an administrator's email should be a mailto link")
	}

	signedIn := w.e.Client(t)
	res = w.e.Post(t, signedIn, "/login", url.Values{"email": {"kim@example.com"}, "password": {clinicPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Errorf("signing in: to %q", res.Header.Get("Location"))
	}

	res = w.e.Post(t, kim, "/profile/name", url.Values{"name": {"\u202e"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `href="#name"`) {
		t.Errorf("a bad name: status %d, want 422 pointing at the field", res.StatusCode)
	}
	res = w.e.Post(t, kim, "/profile/name", url.Values{"name": {"Kim Park"}})
	w.mustFlash(t, kim, res, "Your name is now Kim Park.")
	if got := w.e.User(t, u.ID).Name; got != "Kim Park" {
		t.Errorf("name %q", got)
	}
	if !strings.Contains(w.e.Get(t, kim, "/").Body, "Signed in as <strong>Kim Park</strong>") {
		t.Error("the header should say the new name")
	}
}

// An administrator of a unit lands on the page they work in, the users
// list, the first time (after accepting) as every time after.
func TestUnitAdminLanding(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	u := w.invite(t, w.admin, "ula@example.com", spaces.Grant{SpaceID: w.south, Role: spaces.Admin})
	res, c := w.accept(t, w.linkPath(t, u.ID), "Ula")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings/users" {
		t.Fatalf("accepting as a unit administrator: status %d to %q, want /settings/users", res.StatusCode, res.Header.Get("Location"))
	}
	if kind, msg := bannerOf(w.e.Get(t, c, "/settings/users").Body); kind != "success" || msg != "Welcome, Ula. Your account is ready." {
		t.Errorf("banner %s %q on the users list", kind, msg)
	}
	res = w.e.Post(t, w.e.Client(t), "/login", url.Values{"email": {"ula@example.com"}, "password": {clinicPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("signing in: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := w.e.Get(t, c, "/"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings/users" {
		t.Errorf("/ for a unit administrator: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}
