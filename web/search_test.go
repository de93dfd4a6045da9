package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/usherhq/usher/internal/apptest"
)

var (
	searchTabs  = []string{"", "active", "invited", "expired", "deactivated"}
	searchSorts = []string{"name", "email", "status", "joined", "created"}
)

// searchPath is the users list address for a search on a tab, sorted.
func searchPath(q, tab, sort string, desc bool) string {
	v := url.Values{"q": {q}, "sort": {sort}}
	if tab != "" {
		v.Set("status", tab)
	}
	if desc {
		v.Set("dir", "desc")
	}
	return "/settings/users?" + v.Encode()
}

// A search for text no name or email can hold (a NUL, other control
// characters, bytes that are not UTF-8) answers the list on every tab and
// sort, as a page and as the results htmx swaps in, and finds what the
// rest of the text finds.
//
// ASVS 5.0: V2.2.1 (input validated before it reaches a query), V16.5.3
// (no internal error from what a client sends).
func TestSearchAnyText(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	f.invite(t, "bo@example.com", "member")
	for _, q := range []string{"a\x00b", "\x00", "b\x00", "An\x00a", "a\x01\x02\x1b[31m\x7fb", "a\u0085\u009bb", "a\xff\xfeb", "\x00\x00\x00\x00"} {
		for _, tab := range searchTabs {
			for _, sort := range searchSorts {
				for _, desc := range []bool{false, true} {
					path := searchPath(q, tab, sort, desc)
					if res := f.Get(t, f.admin, path); res.StatusCode != http.StatusOK {
						t.Errorf("%s: status %d\n%s", path, res.StatusCode, res.Body)
					}
					if res := f.Get(t, f.admin, path, "HX-Request", "true", "HX-Target", "users-results"); res.StatusCode != http.StatusOK {
						t.Errorf("%s (htmx): status %d\n%s", path, res.StatusCode, res.Body)
					}
				}
			}
		}
	}
	if res := f.Get(t, f.admin, searchPath("An\x00a", "", "name", false)); !listsUser(res.Body, apptest.AdminEmail) || listsUser(res.Body, "bo@example.com") {
		t.Errorf("a search for An\\x00a should find Ana Admin alone:\n%s", res.Body)
	}
}

// Whatever is searched for, on any tab and sort, the users list answers
// 200, as a page or as the results htmx swaps in.
//
// ASVS 5.0: V2.2.1, V16.5.3.
func FuzzUsersSearch(f *testing.F) {
	for i, q := range []string{"ana", "Ana Admin", "bo@", "a", "%", `"`, `a"b`, "élodie", "ana OR bo", "NEAR(a b)", "a\x00b"} {
		f.Add(q, uint8(i), uint8(i*3))
	}
	e := apptest.New(f, apptest.Options{})
	e.SetupAdmin(f)
	admin := e.SignIn(f, apptest.AdminEmail, apptest.AdminPassword)
	f.Fuzz(func(t *testing.T, q string, tab, sort uint8) {
		path := searchPath(q, searchTabs[int(tab)%len(searchTabs)], searchSorts[int(sort)%len(searchSorts)], sort >= 128)
		var header []string
		if tab >= 128 {
			header = []string{"HX-Request", "true", "HX-Target", "users-results"}
		}
		if res := e.Get(t, admin, path, header...); res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d\n%s", path, res.StatusCode, res.Body)
		}
	})
}
