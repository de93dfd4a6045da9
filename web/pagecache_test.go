package web_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/apptest"
)

// otherProcess opens the fixture's database as another process would
// (`usher admin create` beside the server): its writes do not move the
// server's generation, which shows what the server kept.
func otherProcess(t *testing.T, f *fixture) *db.DB {
	t.Helper()
	d, err := db.Open(f.App.Config.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// The users list is kept between requests, and is never shown out of
// date: a write through the server, the next expiry, and the next minute
// each end what was kept; a hard reload makes it anew.
//
// ASVS 5.0: V7.4.2 (by analogy: nothing kept outlives a change).
func TestKeptUsersList(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	f.Clock.Advance(30 * time.Second) // expiries half way through a minute
	id := f.invite(t, "bo@example.com", "member")
	other := otherProcess(t, f)
	list := func(header ...string) string {
		t.Helper()
		res := f.Get(t, f.admin, "/settings/users", header...)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("list: status %d", res.StatusCode)
		}
		return res.Body
	}
	// Under the services, on purpose: a write that no service made still
	// ends what the server kept.
	rename := func(d *db.DB, name string) {
		t.Helper()
		if _, err := d.W.Exec(`UPDATE users SET name = ? WHERE id = ?`, name, id); err != nil {
			t.Fatal(err)
		}
	}

	pages := f.App.Web.KeptPagesGiven
	list()
	hits := pages()
	list()
	if pages() != hits+1 {
		t.Fatal("the list was made anew: nothing is kept")
	}
	list("Cache-Control", "no-cache")
	if pages() != hits+1 {
		t.Error("a hard reload (Cache-Control: no-cache) was given the kept list")
	}

	// Another process's write (a second usher serve, an operator's SQL)
	// shows at the very next request.
	rename(other, "Bo Other")
	if body := list(); !strings.Contains(body, "Bo Other") {
		t.Fatal("another process's write left the kept list")
	}

	// Any write through the server's database ends what was kept.
	rename(other, "Bo Again")
	list()
	rename(f.App.DB, "Bo Server")
	if body := list(); !strings.Contains(body, "Bo Server") {
		t.Error("a write through the server left the old list")
	}
	res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/edit", id), url.Values{"name": {"Bo Edited"}, "role": {"member"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: status %d\n%s", res.StatusCode, res.Body)
	}
	list() // takes the banner
	if body := list(); !strings.Contains(body, "Bo Edited") {
		t.Error("an edit left the old list")
	}

	// Kept again, then another process's write once more.
	list()
	hits = pages()
	list()
	if pages() != hits+1 {
		t.Fatal("the list was not kept after the edit")
	}
	rename(other, "Bo Later")
	if body := list(); !strings.Contains(body, "Bo Later") {
		t.Error("another process's write left the kept list")
	}

	// The invitation expires seven days after it was sent, half way
	// through a minute: the list kept ten seconds before says Invited,
	// the one at the expiry says expired, with the counts to match.
	expires := f.User(t, id).InviteExpiresAt
	f.Clock.Set(expires.Add(-10 * time.Second))
	f.signInAgain(t)
	list()
	if row := rowOf(list(), id); !strings.Contains(row, ">Invited<") {
		t.Fatalf("ten seconds before the expiry:\n%s", row)
	}
	f.Clock.Advance(10 * time.Second)
	body := list()
	if row := rowOf(body, id); !strings.Contains(row, ">Invitation expired<") {
		t.Errorf("at the expiry the kept row still shows:\n%s", row)
	}
	if !strings.Contains(text(body), "Invitation expired 1") {
		t.Errorf("at the expiry the tab counts are the kept ones:\n%s", text(body))
	}
}

// Administrators asking for the same page at once, after a write, have
// it made once: the others wait for it and are given it (memo.claim;
// TestMemoClaim shows the waiting itself).
func TestKeptUsersListMadeOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	id := f.invite(t, "bo@example.com", "member")
	f.Get(t, f.admin, "/settings/users") // shows the invitation's banner, which is not kept
	other := otherProcess(t, f)
	if _, err := other.W.Exec(`UPDATE users SET name = 'Bo Renamed' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	made, given := f.App.Web.KeptPagesMade(), f.App.Web.KeptPagesGiven()
	const n = 8
	bodies := make([]string, n)
	fails := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.admin.Get(f.URL + "/settings/users")
			if err != nil {
				fails[i] = err
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", res.StatusCode)
			}
			bodies[i], fails[i] = string(b), err
		}()
	}
	wg.Wait()
	for i := range n {
		if fails[i] != nil {
			t.Fatal(fails[i])
		}
		if !strings.Contains(bodies[i], "Bo Renamed") || bodies[i] != bodies[0] {
			t.Fatalf("request %d was not given the page after the write", i)
		}
	}
	if m, g := f.App.Web.KeptPagesMade()-made, f.App.Web.KeptPagesGiven()-given; m != 1 || g != n-1 {
		t.Errorf("%d requests made the page %d times and were given it kept %d times; want 1 and %d", n, m, g, n-1)
	}
}

// A banner waiting in the session is shown, though nothing was written
// since the list was kept.
//
// ASVS 5.0: V8.2.2 (by analogy: one session's page is not another's).
func TestKeptUsersListShowsBanner(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	f.Get(t, f.admin, "/settings/users")
	admin := f.UserID(t, apptest.AdminEmail)
	before := f.App.DB.Generation()
	// Copying the link of someone with no invitation is refused, with a
	// banner, after reading only.
	res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/link", admin), url.Values{"return": {"/settings/users"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("copy link of an active user: status %d\n%s", res.StatusCode, res.Body)
	}
	if f.App.DB.Generation() != before {
		t.Fatal("the refusal wrote to the database; the test needs one that does not")
	}
	body := f.Get(t, f.admin, "/settings/users").Body
	if !strings.Contains(body, `class="banner banner-error"`) {
		t.Errorf("the banner is missing from the list:\n%s", body)
	}
	if body := f.Get(t, f.admin, "/settings/users").Body; strings.Contains(body, `class="banner banner-error"`) {
		t.Error("the banner was shown twice (kept with the list)")
	}
}

// Each administrator gets their own list: one's is never given to another.
//
// ASVS 5.0: V8.2.2 (by analogy).
func TestKeptUsersListPerAdministrator(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	f.invite(t, "cy@example.com", "admin")
	cy := f.acceptAs(t, invitePath(t, f, "cy@example.com"), "Cy Second")
	for range 2 { // made, then kept
		if ana := head(f.Get(t, f.admin, "/settings/users").Body); !strings.Contains(ana, apptest.AdminName) || strings.Contains(ana, "Cy Second") {
			t.Fatalf("Ana's list should name her, and only her, as signed in:\n%s", ana)
		}
		res := f.Get(t, cy, "/settings/users")
		if cy := head(res.Body); res.StatusCode != http.StatusOK || !strings.Contains(cy, "Cy Second") || strings.Contains(cy, apptest.AdminName) {
			t.Fatalf("Cy's list (status %d) should name him, and only him, as signed in:\n%s", res.StatusCode, cy)
		}
	}
}

// head is a page up to its main content: who is signed in, the navigation.
func head(body string) string {
	if i := strings.Index(body, "<main"); i > 0 {
		return body[:i]
	}
	return body
}

// invitePath is the path of the newest link emailed to email.
func invitePath(t *testing.T, f *fixture, email string) string {
	t.Helper()
	u, err := url.Parse(f.lastLink(t, email))
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// The list is gzipped for clients that ask, and the same page unpacked.
func TestUsersListGzip(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	f.invite(t, "bo@example.com", "member")
	get := func(encoding string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, f.URL+"/settings/users", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Encoding", encoding)
		tr := &http.Transport{DisableCompression: true}
		defer tr.CloseIdleConnections()
		c := *f.admin
		c.Transport = tr
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	read := func(res *http.Response) []byte {
		t.Helper()
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	plain := read(get("identity"))
	for _, enc := range []string{"gzip", "gzip, deflate, br, zstd", "br;q=1, gzip;q=0.5"} {
		for range 2 { // made, then kept
			res := get(enc)
			if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
				t.Fatalf("Accept-Encoding %q: Content-Encoding %q, Vary %q", enc, res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
			}
			zr, err := gzip.NewReader(bytes.NewReader(read(res)))
			if err != nil {
				t.Fatal(err)
			}
			unpacked, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(unpacked, plain) {
				t.Errorf("Accept-Encoding %q: the gzipped page differs from the plain one", enc)
			}
		}
	}
	for _, enc := range []string{"identity", "gzip;q=0", "deflate"} {
		res := get(enc)
		if got := res.Header.Get("Content-Encoding"); got != "" {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, got)
		}
		if b := read(res); !bytes.Equal(b, plain) {
			t.Errorf("Accept-Encoding %q: a different page", enc)
		}
	}
}

// The session check keeps what it read about the signed-in user too: a
// deactivation ends the session at the next request, whether made
// through the server (see TestDeactivateAndDeleteEndSessions) or written
// by another process.
//
// ASVS 5.0: V7.4.2.
func TestKeptSessionCheck(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	f.invite(t, "cy@example.com", "admin")
	cy := f.acceptAs(t, invitePath(t, f, "cy@example.com"), "Cy Second")
	status := func() int {
		t.Helper()
		return f.Get(t, cy, "/settings/users").StatusCode
	}
	if got := status(); got != http.StatusOK {
		t.Fatalf("Cy's list: status %d", got)
	}
	who := f.App.Web.KeptUsersGiven
	hits := who()
	if got := status(); got != http.StatusOK {
		t.Fatalf("Cy's list again: status %d", got)
	}
	if who() != hits+1 {
		t.Fatal("the session check read the user again with nothing changed: nothing is kept")
	}
	other := otherProcess(t, f)
	if _, err := other.W.Exec(`UPDATE users SET deactivated_at = ? WHERE email = 'cy@example.com'`, f.Clock.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != http.StatusSeeOther {
		t.Errorf("right after another process deactivated Cy: status %d, want a redirect to sign in", got)
	}
}
