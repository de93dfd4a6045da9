package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/apptest"
)

// copyLink fetches a pending invitation's link as the copy script does and
// returns its path.
func (f *fixture) copyLink(t *testing.T, id int64) string {
	t.Helper()
	res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/link", id), nil, "Accept", "application/json")
	var got struct{ Link string }
	if res.StatusCode != http.StatusOK || json.Unmarshal([]byte(res.Body), &got) != nil || got.Link == "" {
		t.Fatalf("copy link: status %d\n%s", res.StatusCode, res.Body)
	}
	return strings.TrimPrefix(got.Link, f.URL)
}

// outbox counts the emails queued. Under the services: a refused request
// must queue none, delivered or not.
func (f *fixture) outbox(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.App.DB.R.QueryRow(`SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The first-run setup link works once, and only with the right token.
func TestSetupOnce(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	token := e.App.SetupToken
	if token == "" {
		t.Fatal("a fresh Usher should have a setup token")
	}
	c := e.Client(t)
	if res := e.Get(t, c, "/setup/wrong"+token[5:]); res.StatusCode != http.StatusNotFound {
		t.Errorf("wrong token: status %d, want 404", res.StatusCode)
	}
	if res := e.Post(t, c, "/setup/wrong", url.Values{"account": {"Evil"}, "email": {"eve@example.com"}, "name": {"Eve"}, "password": {"a long enough passphrase"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("posting with a wrong token: status %d, want 404", res.StatusCode)
	}
	page := e.Get(t, c, "/setup/"+token)
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, `name="account"`) || page.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("setup page: status %d, Referrer-Policy %q\n%s", page.StatusCode, page.Header.Get("Referrer-Policy"), page.Body)
	}
	form := url.Values{"account": {apptest.AccountName}, "email": {apptest.AdminEmail}, "name": {apptest.AdminName}, "password": {apptest.AdminPassword}}
	if res := e.Post(t, c, "/setup/"+token, url.Values{"account": {"Acme"}, "email": {"ana@example.com"}, "name": {"Ana"}, "password": {"short"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("setup with a short password: status %d, want 422", res.StatusCode)
	}
	res := e.Post(t, c, "/setup/"+token, form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings/users" {
		t.Fatalf("setup: status %d location %q\n%s", res.StatusCode, res.Header.Get("Location"), res.Body)
	}
	if list := e.Get(t, c, "/settings/users"); list.StatusCode != http.StatusOK || !strings.Contains(list.Body, apptest.AdminEmail) {
		t.Errorf("after setup the administrator should be signed in and listed: status %d", list.StatusCode)
	}
	for _, cl := range []*http.Client{c, e.Client(t)} {
		if res := e.Get(t, cl, "/setup/"+token); res.StatusCode != http.StatusNotFound {
			t.Errorf("the setup link after setup: status %d, want 404", res.StatusCode)
		}
		form.Set("email", "eve@example.com")
		if res := e.Post(t, cl, "/setup/"+token, form); res.StatusCode != http.StatusNotFound {
			t.Errorf("posting setup again: status %d, want 404", res.StatusCode)
		}
	}
	if n := e.UserCount(t); n != 1 {
		t.Errorf("setup made %d users, want 1", n)
	}
}

// A failed sign-in reads the same whether the email exists or not.
func TestSignInRevealsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	c := f.Client(t)
	wrongPassword := f.Post(t, c, "/login", url.Values{"email": {apptest.AdminEmail}, "password": {"not the password at all"}})
	unknown := f.Post(t, c, "/login", url.Values{"email": {"nobody@example.com"}, "password": {"not the password at all"}})
	if wrongPassword.StatusCode != unknown.StatusCode || wrongPassword.StatusCode != http.StatusUnauthorized {
		t.Errorf("statuses %d and %d, want 401 for both", wrongPassword.StatusCode, unknown.StatusCode)
	}
	a := strings.ReplaceAll(wrongPassword.Body, apptest.AdminEmail, "EMAIL")
	b := strings.ReplaceAll(unknown.Body, "nobody@example.com", "EMAIL")
	if a != b {
		t.Errorf("the answers differ:\n%s\n---\n%s", a, b)
	}
	if !strings.Contains(a, "The email or password is not right.") {
		t.Errorf("want the sign-in error sentence:\n%s", a)
	}
	if res := f.Get(t, c, "/settings/users"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a failed sign-in signed in: status %d", res.StatusCode)
	}
}

// Signing out ends this browser's session, and only it: the person's
// other browser stays signed in.
func TestSignOutEndsThisSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	other := f.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	if res := f.Get(t, other, "/settings/users"); res.StatusCode != http.StatusOK {
		t.Fatalf("second browser: status %d", res.StatusCode)
	}
	res := f.Post(t, f.admin, "/logout", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("sign out: status %d location %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := f.Get(t, f.admin, "/settings/users"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fsettings%2Fusers" {
		t.Errorf("this browser after sign-out: status %d location %q, want 303 to /login?next=…", res.StatusCode, res.Header.Get("Location"))
	}
	if res := f.Get(t, other, "/settings/users"); res.StatusCode != http.StatusOK {
		t.Errorf("the other browser after sign-out in this one: status %d, want 200", res.StatusCode)
	}
	// Signing in again works.
	f.signInAgain(t)
	if res := f.Get(t, f.admin, "/settings/users"); res.StatusCode != http.StatusOK {
		t.Errorf("signing in again: status %d", res.StatusCode)
	}
}

// Who reaches what: members and signed-out visitors are refused on the
// server, and nothing is sent for them.
func TestAccessControl(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{}) // the built-in mailbox
	memberID := f.invite(t, "mo@example.com", "member")
	f.acceptAs(t, f.copyLink(t, memberID), "Mo Member")
	member := f.SignIn(t, "mo@example.com", "a long enough passphrase")
	pending := f.invite(t, "bo@example.com", "member")
	f.Clock.Advance(2 * time.Minute) // past the resend cooldown
	before, snap := f.outbox(t), f.snapshot(t, pending)

	anon := f.Client(t)
	cases := []struct {
		name         string
		c            *http.Client
		method, path string
		status       int
		location     string
	}{
		{"member list", member, "GET", "/settings/users", 403, ""},
		{"member invite form", member, "GET", "/settings/users/invite", 403, ""},
		{"member invite", member, "POST", "/settings/users/invite", 403, ""},
		{"member resend", member, "POST", fmt.Sprintf("/settings/users/%d/resend", pending), 403, ""},
		{"member copy link", member, "POST", fmt.Sprintf("/settings/users/%d/link", pending), 403, ""},
		{"member cancel", member, "POST", fmt.Sprintf("/settings/users/%d/cancel", pending), 403, ""},
		{"member mailbox", member, "GET", "/dev/mailbox", 403, ""},
		{"member mailbox email HTML", member, "GET", "/dev/mailbox/1/html", 403, ""},
		{"member profile", member, "GET", "/profile", 200, ""},
		{"signed out list", anon, "GET", "/settings/users", 303, "/login?next=%2Fsettings%2Fusers"},
		{"signed out list query", anon, "GET", "/settings/users?status=invited", 303, "/login?next=%2Fsettings%2Fusers%3Fstatus%3Dinvited"},
		{"signed out mailbox", anon, "GET", "/dev/mailbox", 303, "/login?next=%2Fdev%2Fmailbox"},
		{"signed out mailbox email HTML", anon, "GET", "/dev/mailbox/1/html", 303, "/login?next=%2Fdev%2Fmailbox%2F1%2Fhtml"},
		{"signed out resend", anon, "POST", fmt.Sprintf("/settings/users/%d/resend", pending), 401, ""},
		{"signed out invite", anon, "POST", "/settings/users/invite", 401, ""},
		{"admin mailbox", f.admin, "GET", "/dev/mailbox", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var res apptest.Response
			if c.method == "GET" {
				res = f.Get(t, c.c, c.path)
			} else {
				res = f.Post(t, c.c, c.path, url.Values{"email": {"new@example.com"}, "role": {"admin"}}, apptest.HTMX...)
			}
			if res.StatusCode != c.status || res.Header.Get("Location") != c.location {
				t.Errorf("status %d location %q, want %d %q\n%.400s", res.StatusCode, res.Header.Get("Location"), c.status, c.location, res.Body)
			}
			if c.status == 403 && c.method == "POST" && !strings.Contains(res.Body, "hx-swap-oob") {
				t.Errorf("an htmx refusal should come as a banner:\n%s", res.Body)
			}
		})
	}
	if f.outbox(t) != before || f.snapshot(t, pending) != snap || f.UserID(t, "new@example.com") != 0 {
		t.Error("a refused request changed something or queued email")
	}
	// Deactivating the member ends their session and their sign-in.
	f.Deactivate(t, memberID)
	if res := f.Get(t, member, "/profile"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a deactivated member's session still works: /profile status %d", res.StatusCode)
	}
	if res := f.Post(t, f.Client(t), "/login", url.Values{"email": {"mo@example.com"}, "password": {"a long enough passphrase"}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a deactivated member signing in: status %d, want 401", res.StatusCode)
	}
	// The mailbox holds the invitation with its link for the administrator.
	box := f.Get(t, f.admin, "/dev/mailbox")
	if !strings.Contains(box.Body, "bo@example.com") {
		t.Errorf("the mailbox should list the invitation to bo:\n%s", box.Body)
	}
}

// With SMTP configured the built-in mailbox does not exist.
func TestMailboxOffWithSMTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	if res := f.Get(t, f.admin, "/dev/mailbox"); res.StatusCode != http.StatusNotFound {
		t.Errorf("mailbox with SMTP: status %d, want 404", res.StatusCode)
	}
	if res := f.Get(t, f.admin, "/dev/mailbox/1"); res.StatusCode != http.StatusNotFound {
		t.Errorf("mailbox message with SMTP: status %d, want 404", res.StatusCode)
	}
}

// Posts from another site are refused before they do anything.
func TestCrossSiteRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	id := f.invite(t, "bo@example.com", "member")
	link := f.lastLink(t, "bo@example.com")
	f.Clock.Advance(2 * time.Minute)
	before, snap := f.outbox(t), f.snapshot(t, id)

	crossSite := []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}
	noFetchMeta := []string{"Origin", "https://evil.example", "Sec-Fetch-Site", ""}
	for _, c := range []struct {
		name   string
		client *http.Client
		path   string
		form   url.Values
		header []string
	}{
		{"invite", f.admin, "/settings/users/invite", url.Values{"email": {"eve@example.com"}, "role": {"admin"}}, crossSite},
		{"invite, Origin only", f.admin, "/settings/users/invite", url.Values{"email": {"eve@example.com"}, "role": {"admin"}}, noFetchMeta},
		{"resend", f.admin, fmt.Sprintf("/settings/users/%d/resend", id), nil, crossSite},
		{"cancel", f.admin, fmt.Sprintf("/settings/users/%d/cancel", id), nil, crossSite},
		{"copy link", f.admin, fmt.Sprintf("/settings/users/%d/link", id), nil, append(crossSite, "Accept", "application/json")},
		{"accept", f.Client(t), link, url.Values{"name": {"Eve"}, "password": {"a long enough passphrase"}}, crossSite},
		{"sign out", f.admin, "/logout", nil, crossSite},
		{"sign in", f.Client(t), "/login", url.Values{"email": {apptest.AdminEmail}, "password": {apptest.AdminPassword}}, crossSite},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := f.Post(t, c.client, c.path, c.form, c.header...)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("status %d, want 403\n%.300s", res.StatusCode, res.Body)
			}
			if strings.Contains(res.Body, link) || strings.Contains(res.Header.Get("Set-Cookie"), "usher_session") {
				t.Errorf("a refused cross-site post answered with a link or a session")
			}
		})
	}
	if f.UserID(t, "eve@example.com") != 0 || f.outbox(t) != before || f.snapshot(t, id) != snap {
		t.Error("a cross-site post changed something")
	}
	if res := f.Get(t, f.admin, "/settings/users"); res.StatusCode != http.StatusOK {
		t.Errorf("a cross-site sign-out signed the administrator out: status %d", res.StatusCode)
	}
	if n := f.mails(t, "bo@example.com"); n != 1 {
		t.Errorf("a cross-site post sent email: %d messages", n)
	}
}

// Every kind of response carries the security headers, and cookies are
// HttpOnly and SameSite=Lax.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	id := f.invite(t, "bo@example.com", "member")
	link := f.copyLink(t, id)
	f.Clock.Advance(2 * time.Minute)
	anon := f.Client(t)

	cases := []struct {
		name string
		do   func() apptest.Response
	}{
		{"page", func() apptest.Response { return f.Get(t, f.admin, "/settings/users") }},
		{"login page", func() apptest.Response { return f.Get(t, anon, "/login") }},
		{"404 page", func() apptest.Response { return f.Get(t, anon, "/no/such/page") }},
		{"setup 404", func() apptest.Response { return f.Get(t, anon, "/setup/nope") }},
		{"403 page", func() apptest.Response {
			return f.Get(t, f.SignIn(t, apptest.AdminEmail, apptest.AdminPassword), "/settings/users/999/actions")
		}},
		{"redirect", func() apptest.Response { return f.Get(t, anon, "/settings/users") }},
		{"htmx fragment", func() apptest.Response {
			return f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/resend", id), nil, apptest.HTMX...)
		}},
		{"htmx results", func() apptest.Response {
			return f.Get(t, f.admin, "/settings/users?q=bo", "HX-Request", "true", "HX-Target", "users-results")
		}},
		{"htmx error", func() apptest.Response {
			return f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/renew", id), nil, apptest.HTMX...)
		}},
		{"JSON", func() apptest.Response {
			return f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/link", id), nil, "Accept", "application/json")
		}},
		{"static CSS", func() apptest.Response { return f.Get(t, anon, "/static/css/app.css") }},
		{"static JS", func() apptest.Response { return f.Get(t, anon, "/static/js/htmx.min.js?v=1") }},
		{"static 404", func() apptest.Response { return f.Get(t, anon, "/static/nope.js") }},
		{"accept page", func() apptest.Response { return f.Get(t, anon, link) }},
		{"mailbox", func() apptest.Response { return f.Get(t, f.admin, "/dev/mailbox") }},
		{"mailbox email", func() apptest.Response { return f.Get(t, f.admin, "/dev/mailbox/1") }},
		{"cross-site refusal", func() apptest.Response {
			return f.Post(t, f.admin, "/settings/users/invite", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		}},
		{"health", func() apptest.Response { return f.Get(t, anon, "/healthz") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := c.do()
			if res.StatusCode >= 500 {
				t.Fatalf("status %d", res.StatusCode)
			}
			h := res.Header
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", h.Get("X-Content-Type-Options"))
			}
			csp := h.Get("Content-Security-Policy")
			scripts, ok := directive(csp, "script-src")
			if !ok {
				scripts, ok = directive(csp, "default-src")
			}
			if !ok || strings.Contains(scripts, "'unsafe-inline'") || strings.Contains(scripts, "'unsafe-eval'") || strings.Contains(scripts, "*") {
				t.Errorf("scripts are not locked down: Content-Security-Policy %q", csp)
			}
			if d, ok := directive(csp, "frame-ancestors"); !ok || d == "*" {
				t.Errorf("Content-Security-Policy %q should forbid framing", csp)
			}
			if strings.HasPrefix(h.Get("Content-Type"), "text/html") && strings.Contains(res.Body, "<script>") {
				t.Errorf("an inline script:\n%s", res.Body)
			}
		})
	}
	if got := f.Get(t, anon, link).Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("accept page Referrer-Policy = %q", got)
	}
	copyRes := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/link", id), nil, "Accept", "application/json")
	if cc := copyRes.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("the copied link may be cached: Cache-Control %q", cc)
	}
	// Signed-in pages, kept by the server or made afresh, are for one
	// person: no shared cache may keep them.
	for _, h := range [][]string{nil, {"HX-Request", "true", "HX-Target", "users-results"}} {
		for range 2 {
			if cc := f.Get(t, f.admin, "/settings/users", h...).Header.Get("Cache-Control"); cc != "private, no-cache" {
				t.Errorf("the users list (headers %q): Cache-Control %q, want private, no-cache", h, cc)
			}
		}
	}
	if cc := f.Get(t, f.admin, "/static/css/app.css?v=1").Header.Get("Cache-Control"); !strings.Contains(cc, "public") {
		t.Errorf("versioned static files, signed in: Cache-Control %q, want public", cc)
	}

	// Every cookie Usher sets, signed in or not.
	var cookies []string
	login := f.Post(t, f.Client(t), "/login", url.Values{"email": {apptest.AdminEmail}, "password": {apptest.AdminPassword}})
	cookies = append(cookies, login.Header.Values("Set-Cookie")...)
	inv := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"cy@example.com"}, "role": {"member"}})
	cookies = append(cookies, inv.Header.Values("Set-Cookie")...)
	out := f.Post(t, f.SignIn(t, apptest.AdminEmail, apptest.AdminPassword), "/logout", nil)
	cookies = append(cookies, out.Header.Values("Set-Cookie")...)
	if len(cookies) < 3 {
		t.Fatalf("want cookies from sign-in, a flash and sign-out, got %q", cookies)
	}
	for _, raw := range cookies {
		c, err := http.ParseSetCookie(raw)
		if err != nil {
			t.Errorf("cookie %q: %v", raw, err)
			continue
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Errorf("cookie %s: HttpOnly %v SameSite %v Path %q; want HttpOnly, SameSite=Lax, Path=/", c.Name, c.HttpOnly, c.SameSite, c.Path)
		}
	}
}

// directive returns the value of one Content-Security-Policy directive.
func directive(csp, name string) (string, bool) {
	for _, d := range strings.Split(csp, ";") {
		fields := strings.Fields(d)
		if len(fields) > 0 && strings.EqualFold(fields[0], name) {
			return strings.Join(fields[1:], " "), true
		}
	}
	return "", false
}

// Names are text, never markup, wherever they appear.
func TestNamesEscaped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	const evil = `<script>alert(1)</script>`
	res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"x@example.com"}, "name": {evil}, "role": {"member"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite: status %d", res.StatusCode)
	}
	id := f.UserID(t, "x@example.com")
	link := f.copyLink(t, id)
	f.Clock.Advance(2 * time.Minute)
	for name, r := range map[string]apptest.Response{
		"list":        f.Get(t, f.admin, "/settings/users"),
		"search":      f.Get(t, f.admin, "/settings/users?q="+url.QueryEscape(evil)),
		"htmx row":    f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/resend", id), nil, apptest.HTMX...),
		"actions":     f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/actions", id)),
		"accept page": f.Get(t, f.Client(t), link),
		"mailbox":     f.Get(t, f.admin, "/dev/mailbox"),
	} {
		if strings.Contains(r.Body, "<script>alert") {
			t.Errorf("%s: the name went out as markup:\n%s", name, r.Body)
		}
		if name != "mailbox" && !strings.Contains(r.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: want the escaped name:\n%s", name, r.Body)
		}
	}
}

// A copy of the data folder (database and all) holds no working link.
func TestDatabaseHoldsNoLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{}) // the built-in mailbox keeps messages
	id := f.invite(t, "bo@example.com", "member")
	link := f.copyLink(t, id)
	token := link[strings.LastIndex(link, "/")+1:]
	f.Deliver(t)
	// The mailbox shows the link to the administrator...
	msg := f.Get(t, f.admin, "/dev/mailbox/1")
	if !strings.Contains(msg.Body, token) {
		t.Fatalf("the mailbox should show the emailed link:\n%s", msg.Body)
	}
	// ...but the database does not keep it. Under the services: the
	// write-ahead log goes into the main file first, as a backup would
	// have it.
	if _, err := f.App.DB.W.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	found := false
	err := filepath.WalkDir(f.App.Config.DataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if d.Name() == db.FileName {
			found = true
		}
		if bytes.Contains(b, []byte(token)) {
			t.Errorf("%s holds the link token", filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Errorf("no %s in the data folder; the test looked in the wrong place", db.FileName)
	}
}

// After sign-in, "next" can only lead somewhere on this site.
func TestSignInNextStaysOnSite(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	e.SetupAdmin(t)
	for _, c := range []struct{ next, want string }{
		{"/settings/users?status=invited", "/settings/users?status=invited"},
		{"/profile", "/profile"},
		{"", "/"},
		{"https://evil.example", "/"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		// Browsers drop tabs and newlines from a Location before parsing it.
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"\t//evil.example", "/"},
		{"javascript:alert(1)", "/"},
	} {
		// Round-trip by hand: the client would refuse to parse a bad Location.
		body := url.Values{"email": {apptest.AdminEmail}, "password": {apptest.AdminPassword}, "next": {c.next}}.Encode()
		req, err := http.NewRequest(http.MethodPost, e.URL+"/login", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.URL)
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != c.want {
			t.Errorf("next=%q: status %d location %q, want 303 to %q", c.next, res.StatusCode, res.Header.Get("Location"), c.want)
		}
		e.Clock.Advance(15 * time.Minute) // past the sign-in rate limit
	}
}
