package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/apptest"
)

// badNames are what a name must not smuggle into pages and email
// subjects: a direction override and isolate, which show the text after
// them in another order, invisible characters, and a line separator. Each
// comes with the words the refusal uses for it.
var badNames = []struct{ name, in, says string }{
	{"right-to-left override", "Eve\u202emoc.elpmaxe@ana", "an invisible character that changes the order of the text around it (U+202E)"},
	{"right-to-left isolate", "Eve \u2067Ana\u2069", "an invisible character that changes the order of the text around it (U+2067)"},
	{"zero-width space", "Ev\u200be", "an invisible character (U+200B)"},
	{"byte order mark", "\ufeffEve", "an invisible character (U+FEFF)"},
	{"line separator", "Eve\u2028Bcc: x@example.com", "a line break"},
}

// Every form that takes a name refuses these characters with a sentence on
// the field that says which, and stores nothing and sends nothing: the
// first-run setup (account and administrator), the accept form, Invite
// user, Edit user (with and without htmx) and creating and renaming a
// space. (`usher admin create` and `usher demo`: cmd/usher
// TestAdminCreateRefusesInvisibleCharacters.)
//
// ASVS 5.0: V2.2.1, V1.3.11
func TestNamesRefuseInvisibleCharacters(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	for _, bad := range badNames {
		for _, form := range []struct {
			field, what string
			values      url.Values
		}{
			{"account", "account name", url.Values{"account": {bad.in}, "email": {apptest.AdminEmail}, "name": {apptest.AdminName}, "password": {apptest.AdminPassword}}},
			{"name", "name", url.Values{"account": {apptest.AccountName}, "email": {apptest.AdminEmail}, "name": {bad.in}, "password": {apptest.AdminPassword}}},
		} {
			res := e.Post(t, e.Client(t), "/setup/"+e.App.SetupToken, form.values)
			want := fmt.Sprintf("The %s contains %s. Type it again.", form.what, bad.says)
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(res.Body), want) {
				t.Errorf("setup with a %s in the %s: status %d, want 422 saying %q\n%s", bad.name, form.what, res.StatusCode, want, text(res.Body))
			}
		}
	}
	var n int
	// Under the services: a refused setup leaves nothing at all, and no
	// service counts users or spaces before there is an account.
	if err := e.App.DB.R.QueryRow(`SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM spaces)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("refused setups left %d users and spaces, err %v", n, err)
	}

	w := newClinic(t)
	pending := w.invite(t, w.admin, "pat@example.com", memberOf(w.room))
	acceptPath := w.linkPath(t, pending.ID)
	ana := w.signIn(t, apptest.AdminEmail)
	forms := []struct {
		name, path, what string
		client           func() *http.Client
		form             func(bad string) url.Values
		header           []string
	}{
		{"accept", acceptPath, "name", func() *http.Client { return w.e.Client(t) },
			func(bad string) url.Values { return url.Values{"name": {bad}, "password": {clinicPassword}} }, nil},
		{"invite", "/settings/users/invite", "name", func() *http.Client { return ana },
			func(bad string) url.Values {
				return url.Values{"email": {"eve@example.com"}, "name": {bad}, "role_" + cid(w.room): {"member"}}
			}, nil},
		{"edit", clinicUserPath(w.mo, "/edit"), "name", func() *http.Client { return ana },
			func(bad string) url.Values { return url.Values{"name": {bad}} }, nil},
		{"edit (htmx)", clinicUserPath(w.mo, "/edit"), "name", func() *http.Client { return ana },
			func(bad string) url.Values { return url.Values{"name": {bad}} }, apptest.HTMX},
		{"create a space", "/settings/spaces", "space name", func() *http.Client { return ana },
			func(bad string) url.Values { return url.Values{"kind": {"unit"}, "name": {bad}} }, nil},
		{"rename a space", "/settings/spaces/" + cid(w.north) + "/rename", "space name", func() *http.Client { return ana },
			func(bad string) url.Values { return url.Values{"name": {bad}} }, nil},
	}
	for _, f := range forms {
		for _, bad := range badNames {
			w.unchanged(t, f.name+" with a "+bad.name, func() {
				res := w.e.Post(t, f.client(), f.path, f.form(bad.in), f.header...)
				want := fmt.Sprintf("The %s contains %s. Type it again.", f.what, bad.says)
				if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(res.Body), want) {
					t.Errorf("%s with a %s: status %d, want 422 saying %q\n%s", f.name, bad.name, res.StatusCode, want, text(res.Body))
				}
			})
		}
	}
}
