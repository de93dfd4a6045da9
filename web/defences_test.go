package web_test

// The attacks of issue 7 tried against the running server, each refused.
// SECURITY.md lists every defence with the test that proves it; the tests
// already elsewhere (security_test.go, accept_test.go, authz_test.go,
// handlers_test.go) are not repeated here. Each test names its OWASP ASVS
// 5.0 requirements.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/invitations"
)

// memberPassword is the password acceptAs sets.
const memberPassword = "a long enough passphrase"

// argon2Memory is what one argon2id run allocates (OWASP's 19 MiB). The
// tests that must see "one run" or "no run" count allocated bytes, which
// does not depend on timing.
const argon2Memory = 19 << 20

// allocated returns how many bytes the process allocated while do ran.
func allocated(do func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	do()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// syncBuffer collects log lines written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// isSignedIn reports whether c still has a good session: /profile answers
// 200 when signed in and sends to the sign-in page otherwise.
func isSignedIn(t *testing.T, e *apptest.Env, c *http.Client) bool {
	t.Helper()
	res := e.Get(t, c, "/profile")
	switch {
	case res.StatusCode == http.StatusOK:
		return true
	case res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login"):
		return false
	}
	t.Fatalf("/profile: status %d location %q", res.StatusCode, res.Header.Get("Location"))
	return false
}

// member invites email as a member, accepts as name and returns the new
// user's id and a client signed in as them.
func (f *fixture) member(t *testing.T, email, name string) (int64, *http.Client) {
	t.Helper()
	id := f.invite(t, email, "member")
	return id, f.acceptAs(t, f.copyLink(t, id), name)
}

// tokenOf is the token part of a link or link path.
func tokenOf(link string) string { return link[strings.LastIndex(link, "/")+1:] }

var retryRE = regexp.MustCompile(`Too many attempts\. Wait (\d+) minutes?, then try again\.`)

// want429 checks a rate-limited answer: 429, a sentence saying when to
// try again, and a Retry-After in seconds that says the same.
func want429(t *testing.T, what string, res apptest.Response) {
	t.Helper()
	m := retryRE.FindStringSubmatch(text(res.Body))
	if res.StatusCode != http.StatusTooManyRequests || m == nil {
		t.Errorf("%s: status %d, want 429 with a sentence saying when to try again\n%.600s", what, res.StatusCode, text(res.Body))
		return
	}
	mins, _ := strconv.Atoi(m[1])
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || secs < 1 || (secs+59)/60 != mins {
		t.Errorf("%s: Retry-After %q, but the page says %d minute(s)", what, res.Header.Get("Retry-After"), mins)
	}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// checkHeaders checks the headers every response carries.
func checkHeaders(t *testing.T, what string, res apptest.Response, noReferrer, hsts bool) {
	t.Helper()
	h := res.Header
	csp := h.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("%s: Content-Security-Policy %q lacks %s", what, csp, d)
		}
	}
	for _, name := range []string{"script-src", "style-src", "default-src"} {
		if v, ok := directive(csp, name); ok && (strings.Contains(v, "'unsafe-inline'") || strings.Contains(v, "*")) {
			t.Errorf("%s: %s %q allows inline or any source", what, name, v)
		}
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", what, got)
	}
	rp := h.Get("Referrer-Policy")
	if (noReferrer && rp != "no-referrer") || rp == "" || rp == "unsafe-url" || rp == "no-referrer-when-downgrade" {
		t.Errorf("%s: Referrer-Policy %q (no-referrer wanted: %v)", what, rp, noReferrer)
	}
	sts := h.Get("Strict-Transport-Security")
	if hsts != (sts != "") {
		t.Errorf("%s: Strict-Transport-Security %q, want it only over https", what, sts)
	}
	if hsts {
		var age int
		if _, err := fmt.Sscanf(sts, "max-age=%d", &age); err != nil || age < 31536000 {
			t.Errorf("%s: Strict-Transport-Security %q, want max-age of a year or more", what, sts)
		}
	}
}

// bigForm is a form of about 100 KB, past the 64 KB body limit.
func bigForm() url.Values {
	return url.Values{"email": {"eve@example.com"}, "name": {strings.Repeat("x", 100<<10)}, "password": {memberPassword}, "role": {"member"}}
}

// HSTS is sent on every response when Usher is served over https, and
// never over plain http (where browsers ignore it and a mistaken setup
// would lock people out). Cookies are Secure over https.
//
// ASVS 5.0: V3.4.1 (HSTS), V3.3.1 (Secure cookies).
func TestHSTSOnlyOverHTTPS(t *testing.T) {
	t.Parallel()
	for _, https := range []bool{false, true} {
		t.Run(fmt.Sprintf("https=%v", https), func(t *testing.T) {
			o := apptest.Options{}
			if https {
				o.Env = map[string]string{"USHER_BASE_URL": "https://usher.example"}
			}
			e := apptest.New(t, o)
			e.SetupAdmin(t)
			c := e.Client(t)
			for what, res := range map[string]apptest.Response{
				"sign-in page":  e.Get(t, c, "/login"),
				"404 page":      e.Get(t, c, "/no/such/page"),
				"413 page":      e.Post(t, c, "/login", bigForm()),
				"static file":   e.Get(t, c, "/static/css/app.css"),
				"htmx fragment": e.Post(t, c, "/login", url.Values{"email": {"x@example.com"}, "password": {"wrong password!"}}, apptest.HTMX...),
				"cross-site":    e.Post(t, c, "/login", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"),
			} {
				checkHeaders(t, what, res, false, https)
			}
			res := e.Post(t, c, "/login", url.Values{"email": {apptest.AdminEmail}, "password": {apptest.AdminPassword}})
			checkHeaders(t, "sign-in", res, false, https)
			var session *http.Cookie
			for _, raw := range res.Header.Values("Set-Cookie") {
				if ck, err := http.ParseSetCookie(raw); err == nil && ck.Name == "usher_session" {
					session = ck
				}
			}
			if session == nil || session.Secure != https {
				t.Errorf("session cookie %+v: want Secure = %v", session, https)
			}
		})
	}
}

// The headers are on every kind of response, including those no handler
// wrote: a 413 from the body limit, a 405, a 429 and the error pages of a
// token URL, which keep Referrer-Policy: no-referrer so the token cannot
// leak in a Referer. (Pages, 404s, htmx fragments, JSON and static files
// are covered by TestSecurityHeaders.)
//
// ASVS 5.0: V3.4.3 (CSP), V3.4.4 (nosniff), V3.4.5 (Referrer-Policy),
// V3.4.6 (frame-ancestors), V14.2.1 (token in a URL kept from leaking).
func TestHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	id := f.invite(t, "bo@example.com", "member")
	link := f.copyLink(t, id)
	anon := f.Client(t)
	f.App.Web.SetRateLimit("badToken", 1, time.Hour)
	garbage := "/invite/" + randomToken()

	cases := []struct {
		name       string
		res        apptest.Response
		noReferrer bool
	}{
		{"413", f.Post(t, anon, "/login", bigForm()), false},
		{"413 signed in", f.Post(t, f.admin, "/settings/users/invite", bigForm()), false},
		{"413 htmx", f.Post(t, f.admin, "/settings/users/invite", bigForm(), apptest.HTMX...), false},
		{"405", f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/resend", id)), false},
		{"accept page", f.Get(t, anon, link), true},
		{"accept 422", f.Post(t, anon, link, url.Values{"name": {"Bo"}, "password": {"short"}}), true},
		{"accept 413", f.Post(t, anon, link, bigForm()), true},
		{"accept cross-site 403", f.Post(t, anon, link, nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"), true},
		{"accept 405", func() apptest.Response {
			req, _ := http.NewRequest(http.MethodDelete, f.URL+link, nil)
			res, err := anon.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return apptest.Response{Response: res}
		}(), true},
		{"garbage token 404", f.Get(t, anon, garbage), true},
		{"garbage token 429", f.Get(t, anon, garbage), true},
		{"setup 404", f.Get(t, anon, "/setup/"+randomToken()), true},
		{"copy link page", f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/link", id), nil), true},
	}
	for _, c := range cases {
		if c.res.StatusCode >= 500 {
			t.Errorf("%s: status %d", c.name, c.res.StatusCode)
		}
		checkHeaders(t, c.name, c.res, c.noReferrer, false)
	}
	for _, c := range cases[:3] {
		if c.res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: status %d, want 413", c.name, c.res.StatusCode)
		}
	}
}

// A body over 64 KB is refused with 413 and a sentence before any handler
// reads it; fields have bounded lengths and emails are parsed strictly.
//
// ASVS 5.0: V2.4.1 (excessive calls / costly resources), V2.2.1 (input
// validated: lengths and formats), V1.3.11 (nothing can reach a mail header).
func TestInputLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	before := f.outbox(t)
	res := f.Post(t, f.admin, "/settings/users/invite", bigForm())
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(text(res.Body), "The form sent more than Usher accepts.") {
		t.Errorf("100 KB invite: status %d, want 413 with a sentence\n%.400s", res.StatusCode, text(res.Body))
	}
	if f.UserID(t, "eve@example.com") != 0 || f.outbox(t) != before {
		t.Error("a 100 KB form was acted on")
	}
	if res := f.Post(t, f.Client(t), "/login", bigForm()); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("100 KB sign-in: status %d, want 413", res.StatusCode)
	}
	// Just under the limit is read as usual.
	small := url.Values{"email": {"eve@example.com"}, "name": {"Eve"}, "role": {"member"}, "padding": {strings.Repeat("x", 60<<10)}}
	if res := f.Post(t, f.admin, "/settings/users/invite", small); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a 60 KB invite: status %d, want 303", res.StatusCode)
	}

	for _, c := range []struct{ name, email, who string }{
		{"name of 201 characters", "ok1@example.com", strings.Repeat("n", 201)},
		{"name with a control character", "ok2@example.com", "Eve\x00Bcc"},
		{"email of 255 characters", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", "Eve"},
		{"display name", "Eve <eve2@example.com>", "Eve"},
		{"header in the address", "eve5@example.com\r\nBcc: x@example.com", "Eve"},
		{"control character", "eve6\x00@example.com", "Eve"},
	} {
		res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {c.email}, "name": {c.who}, "role": {"member"}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("invite with %s: status %d, want 422", c.name, res.StatusCode)
		}
	}
	if n := f.UserCount(t); n != 2 {
		t.Errorf("%d users after refused invitations, want 2 (admin, eve)", n)
	}
}

// Without a token there is nothing to forge, guess or leak in a query
// string: a cross-site post carrying every usual token name is refused all
// the same, and actions refuse GET, so a link or an <img> cannot trigger
// one. (Cross-site posts to every kind of action: TestCrossSiteRefused.)
//
// ASVS 5.0: V3.5.1 (request forgery), V3.5.3 (no state change on safe
// methods; Sec-Fetch-Site checked).
func TestCrossSiteNoTokenToPresent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	id := f.invite(t, "bo@example.com", "member")
	f.Clock.Advance(2 * time.Minute)
	snap, before := f.snapshot(t, id), f.outbox(t)
	path := fmt.Sprintf("/settings/users/%d/resend?csrf=x&_csrf=x&csrf_token=x&gorilla.csrf.Token=x", id)
	for name, h := range map[string][]string{
		"cross-site with token header":  {"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site", "X-CSRF-Token", "x"},
		"same-site (a sibling domain)":  {"Origin", "https://other.usher.example", "Sec-Fetch-Site", "same-site"},
		"Origin only, no fetch headers": {"Origin", "https://evil.example", "Sec-Fetch-Site", ""},
	} {
		if res := f.Post(t, f.admin, path, url.Values{"csrf": {"x"}, "_csrf": {"x"}}, h...); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, res.StatusCode)
		}
	}
	// GET on an action's address either is refused or shows a page that
	// asks before doing anything (cancel, delete, edit).
	for _, action := range []string{"resend", "renew", "cancel", "deactivate", "activate", "delete", "link", "edit", "invitation/remove"} {
		f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/%s", id, action))
	}
	f.Get(t, f.admin, "/logout")
	if !isSignedIn(t, f.Env, f.admin) {
		t.Error("GET /logout signed the administrator out")
	}
	if f.snapshot(t, id) != snap || f.outbox(t) != before {
		t.Error("a cross-site post or a GET changed something")
	}
}

// Changing the password ends every other session of that user at once and
// keeps this one, in a fresh session. A failed attempt ends nothing.
//
// ASVS 5.0: V7.4.3 (terminate other sessions after a password change),
// V6.2.3 (current password required).
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	_, here := f.member(t, "bo@example.com", "Bo Berg")
	there := f.SignIn(t, "bo@example.com", memberPassword)

	res := f.Post(t, here, "/profile/password", url.Values{"current": {"not my password"}, "new": {"a brand new passphrase"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !isSignedIn(t, f.Env, there) {
		t.Fatalf("a wrong current password: status %d, and the other session must live on", res.StatusCode)
	}
	res = f.Post(t, here, "/profile/password", url.Values{"current": {memberPassword}, "new": {"a brand new passphrase"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: status %d\n%s", res.StatusCode, text(res.Body))
	}
	if !isSignedIn(t, f.Env, here) {
		t.Error("the browser that changed the password was signed out")
	}
	if isSignedIn(t, f.Env, there) {
		t.Error("another browser of the same user is still signed in after a password change")
	}
	if r := f.Post(t, f.Client(t), "/login", url.Values{"email": {"bo@example.com"}, "password": {memberPassword}}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password: status %d, want 401", r.StatusCode)
	}
	f.SignIn(t, "bo@example.com", "a brand new passphrase")
	if !isSignedIn(t, f.Env, f.admin) {
		t.Error("another user's session ended")
	}
}

// Deactivating or deleting a user ends all of their sessions at once, and
// activating them again does not bring an old session back: a stolen
// cookie stays dead.
//
// ASVS 5.0: V7.4.2 (terminate all sessions when an account is disabled or
// deleted), V7.2.1 (every request's session checked on the server).
func TestDeactivateAndDeleteEndSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	bo, boHere := f.member(t, "bo@example.com", "Bo Berg")
	boThere := f.SignIn(t, "bo@example.com", memberPassword)

	if res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/deactivate", bo), nil, apptest.HTMX...); res.StatusCode != http.StatusOK {
		t.Fatalf("deactivate: status %d", res.StatusCode)
	}
	if res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/activate", bo), nil, apptest.HTMX...); res.StatusCode != http.StatusOK {
		t.Fatalf("activate: status %d", res.StatusCode)
	}
	for name, c := range map[string]*http.Client{"first browser": boHere, "second browser": boThere} {
		if isSignedIn(t, f.Env, c) {
			t.Errorf("%s: a session from before the deactivation works again after activation", name)
		}
	}
	f.SignIn(t, "bo@example.com", memberPassword) // activated: signing in again works

	// Deleting ends the sessions, and they stay ended even when the next
	// user created is given the same row id and the same session version.
	cy, cyClient := f.member(t, "cy@example.com", "Cy Cole")
	if res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/delete", cy), nil, apptest.HTMX...); res.StatusCode != http.StatusOK {
		t.Fatalf("delete: status %d", res.StatusCode)
	}
	jar := cyClient.Jar // a copy of the deleted user's cookie, kept by an attacker
	stolen := &http.Client{Jar: jar, CheckRedirect: cyClient.CheckRedirect}
	cookies := jar.Cookies(mustURL(t, f.URL))
	if isSignedIn(t, f.Env, cyClient) {
		t.Error("a deleted user is still signed in")
	}
	jar.SetCookies(mustURL(t, f.URL), cookies) // put the stolen cookie back
	dee, _ := f.member(t, "dee@example.com", "Dee Dunn")
	if dee != cy {
		t.Logf("the new user got id %d, the deleted one had %d", dee, cy)
	}
	if isSignedIn(t, f.Env, stolen) {
		t.Errorf("a deleted user's old cookie signs in as the next user (id %d)", dee)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// A session ends after USHER_SESSION_IDLE (7 days by default) without a
// request, and USHER_SESSION_MAX (30 days) after sign-in however active
// it is: judged on the server from its row, by the fake clock.
//
// ASVS 5.0: V7.3.1 (inactivity timeout), V7.3.2 (absolute lifetime).
func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	e.SetupAdmin(t)
	const idle, absolute = 168 * time.Hour, 720 * time.Hour

	t.Run("idle", func(t *testing.T) {
		c := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
		for range 3 {
			e.Clock.Advance(idle - time.Minute)
			if !isSignedIn(t, e, c) {
				t.Fatal("a session used within the idle timeout ended")
			}
		}
		e.Clock.Advance(idle + time.Minute)
		if isSignedIn(t, e, c) {
			t.Error("a session idle for longer than USHER_SESSION_IDLE still works")
		}
	})
	t.Run("absolute", func(t *testing.T) {
		c := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
		start := e.Clock.Now()
		for e.Clock.Now().Sub(start) < absolute-idle {
			e.Clock.Advance(idle - time.Hour)
			if !isSignedIn(t, e, c) {
				t.Fatalf("an active session ended %s after sign-in", e.Clock.Now().Sub(start))
			}
		}
		e.Clock.Advance(start.Add(absolute + time.Minute).Sub(e.Clock.Now()))
		if isSignedIn(t, e, c) {
			t.Error("an active session still works longer than USHER_SESSION_MAX after sign-in")
		}
	})
	t.Run("configured", func(t *testing.T) {
		e := apptest.New(t, apptest.Options{Env: map[string]string{"USHER_SESSION_IDLE": "30m", "USHER_SESSION_MAX": "1h"}})
		e.SetupAdmin(t)
		c := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
		e.Clock.Advance(29 * time.Minute)
		if !isSignedIn(t, e, c) {
			t.Fatal("a session used within USHER_SESSION_IDLE=30m ended")
		}
		e.Clock.Advance(31 * time.Minute)
		if isSignedIn(t, e, c) {
			t.Error("a session idle for 31 minutes still works with USHER_SESSION_IDLE=30m")
		}
	})
}

// Signing in starts a fresh session: nothing from the browser's previous
// session (here another person's pending banner) carries over, and the
// absolute lifetime counts from this sign-in.
//
// ASVS 5.0: V7.2.4 (new session token on authentication).
func TestFreshSessionAtSignIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	f.member(t, "bo@example.com", "Bo Berg")
	shared := f.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	// The administrator invites without following the redirect: the banner
	// waits in the session.
	if res := f.Post(t, shared, "/settings/users/invite", url.Values{"email": {"secret-hire@example.com"}, "role": {"member"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite: status %d", res.StatusCode)
	}
	f.Clock.Advance(7*24*time.Hour - time.Hour)
	if res := f.Post(t, shared, "/login", url.Values{"email": {"bo@example.com"}, "password": {memberPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as Bo: status %d", res.StatusCode)
	}
	page := f.Get(t, shared, "/profile")
	if strings.Contains(page.Body, "secret-hire@example.com") || !strings.Contains(page.Body, "Bo Berg") {
		t.Errorf("the previous session's banner reached the next person:\n%s", text(page.Body))
	}
	f.Clock.Advance(2 * time.Hour) // past 7 days from the administrator's sign-in
	if !isSignedIn(t, f.Env, shared) {
		t.Error("the new session inherited the old one's start time")
	}
}

// Failures from other addresses never keep the owner out (issue 12,
// finding 1): an attacker failing for the administrator's email from 50
// addresses only makes every sign-in for that email wait, longer and
// longer up to a few seconds, the same for an email nobody has; the right
// password from a new address still signs in. One address repeating
// failures is refused, for that email only.
//
// ASVS 5.0: V6.3.1 (brute force and credential stuffing slowed without
// locking the owner out), V6.3.8 (the same answer for unknown emails),
// V2.4.1.
func TestSignInNotLockedOutByOthers(t *testing.T) {
	t.Parallel()
	f := &fixture{Env: apptest.New(t, apptest.Options{Env: map[string]string{"USHER_TRUSTED_PROXIES": "127.0.0.1"}})}
	f.SetupAdmin(t)
	free, _ := f.App.Web.RateLimit("loginEmail")
	pairLimit, period := f.App.Web.RateLimit("loginPair")
	try := func(email, password, addr string) apptest.Response {
		t.Helper()
		return f.Post(t, f.Client(t), "/login", url.Values{"email": {email}, "password": {password}}, "X-Forwarded-For", addr)
	}
	// fail fails n times for email and returns the waits asked for.
	fail := func(email string, n int, addr func(i int) string) []time.Duration {
		t.Helper()
		before := len(f.Clock.Slept())
		for i := range n {
			if res := try(email, "wrong password here", addr(i)); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("failure %d for %s from %s: status %d, want 401\n%.300s", i+1, email, addr(i), res.StatusCode, text(res.Body))
			}
		}
		return f.Clock.Slept()[before:]
	}
	signsIn := func(what, addr string) {
		t.Helper()
		c := f.Client(t)
		res := f.Post(t, c, "/login", url.Values{"email": {apptest.AdminEmail}, "password": {apptest.AdminPassword}}, "X-Forwarded-For", addr)
		if res.StatusCode != http.StatusSeeOther || !isSignedIn(t, f.Env, c) {
			t.Fatalf("%s: status %d, want 303 and a session\n%.300s", what, res.StatusCode, text(res.Body))
		}
	}

	delays := fail(apptest.AdminEmail, 50, func(i int) string { return fmt.Sprintf("203.0.113.%d", i+1) })
	if len(delays) != 50 {
		t.Fatalf("50 failures asked for %d waits", len(delays))
	}
	for i, d := range delays[:free] {
		if d != 0 {
			t.Errorf("failure %d waited %v; the first %d wait nothing", i+1, d, free)
		}
	}
	for i := free + 1; i < len(delays); i++ {
		if delays[i] < delays[i-1] {
			t.Errorf("failure %d waited %v, less than the one before (%v)", i+1, delays[i], delays[i-1])
		}
	}
	first, last := delays[free], delays[len(delays)-1]
	if first <= 0 || last < 4*first || last > 5*time.Second {
		t.Errorf("waits %v: want them to grow from a fraction of a second to a cap of a few seconds", delays)
	}

	signsIn("the owner from a new address after 50 failures from others", "198.51.100.7")
	if got := f.Clock.Slept(); got[len(got)-1] != last {
		t.Errorf("the owner waited %v, not the same as everyone signing in as them (%v)", got[len(got)-1], last)
	}

	// The waits depend on the failures for the email as typed, not on
	// whether an account has it.
	ghost := fail("nobody@example.com", free+3, func(i int) string { return fmt.Sprintf("192.0.2.%d", i+1) })
	if !slices.Equal(ghost, delays[:free+3]) {
		t.Errorf("an unknown email waited %v, the administrator's %v", ghost, delays[:free+3])
	}

	const repeat = "198.51.100.66"
	fail(apptest.AdminEmail, pairLimit, func(int) string { return repeat })
	res := try(apptest.AdminEmail, apptest.AdminPassword, repeat)
	want429(t, "the right password from the address that failed too often", res)
	if res := try("other@example.com", "wrong password here", repeat); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("another email from that address: status %d, want 401", res.StatusCode)
	}
	signsIn("the owner from another address while one is refused", "198.51.100.7")
	f.Clock.Advance(period)
	signsIn("the refused address after the window", repeat)
}

// Sign-in is limited per client address, across emails: failures past
// their limit are refused, the right password too, and so is any attempt
// past the attempt limit, successful ones counted. X-Forwarded-For is
// ignored when no proxy is trusted, so a client cannot pick a fresh
// address per attempt.
//
// ASVS 5.0: V6.3.1, V2.4.1, V4.1.3 (headers set by an intermediary cannot
// be set by the client), V15.3.4 (the real client address for rate limits).
func TestRateLimitSignInPerAddress(t *testing.T) {
	t.Parallel()
	f := &fixture{Env: apptest.New(t, apptest.Options{})}
	f.SetupAdmin(t)
	limit, _ := f.App.Web.RateLimit("loginIPFailed")
	pairLimit, _ := f.App.Web.RateLimit("loginPair")
	c := f.Client(t)
	for i := range limit {
		email := fmt.Sprintf("guess%d@example.com", i/pairLimit)
		res := f.Post(t, c, "/login", url.Values{"email": {email}, "password": {"wrong password here"}}, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, res.StatusCode)
		}
	}
	res := f.Post(t, c, "/login", url.Values{"email": {apptest.AdminEmail}, "password": {apptest.AdminPassword}}, "X-Forwarded-For", "198.51.100.250")
	want429(t, "a new email and a made-up X-Forwarded-For past the address's failure limit", res)

	g := &fixture{Env: apptest.New(t, apptest.Options{})}
	g.SetupAdmin(t)
	g.App.Web.SetRateLimit("loginIP", 3, 15*time.Minute)
	for i := range 3 {
		if res := g.Post(t, g.Client(t), "/login", url.Values{"email": {apptest.AdminEmail}, "password": {apptest.AdminPassword}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in %d: status %d, want 303", i+1, res.StatusCode)
		}
	}
	want429(t, "a sign-in past the address's attempt limit", g.Post(t, g.Client(t), "/login", url.Values{"email": {apptest.AdminEmail}, "password": {apptest.AdminPassword}}))
}

// Guessing the current password on the profile page is no faster than at
// sign-in: password changes count against the user's own email and
// address, so another user signing in from there is not held up.
//
// ASVS 5.0: V6.3.1, V6.2.3 (current password required), V2.4.1.
func TestRateLimitPasswordChange(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	pairLimit, _ := f.App.Web.RateLimit("loginPair")
	_, bo := f.member(t, "bo@example.com", "Bo Berg")
	for i := range pairLimit {
		if res := f.Post(t, bo, "/profile/password", url.Values{"current": {"not my password"}, "new": {"a brand new passphrase"}}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("change %d: status %d, want 422", i+1, res.StatusCode)
		}
	}
	want429(t, "a password change past the limit", f.Post(t, bo, "/profile/password", url.Values{"current": {memberPassword}, "new": {"a brand new passphrase"}}))
	f.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
}

// With USHER_TRUSTED_PROXIES, the address the trusted proxy saw is the
// client's: each client has its own limit, and what a client writes into
// X-Forwarded-For itself (left of the proxy's entry) is ignored.
//
// ASVS 5.0: V4.1.3, V15.3.4, V6.3.1.
func TestRateLimitTrustedProxy(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{Env: map[string]string{"USHER_TRUSTED_PROXIES": "127.0.0.1"}})
	f.App.Web.SetRateLimit("loginIP", 2, 15*time.Minute)
	c := f.Client(t)
	try := func(xff string) apptest.Response {
		h := []string{}
		if xff != "" {
			h = []string{"X-Forwarded-For", xff}
		}
		return f.Post(t, c, "/login", url.Values{"email": {"x@example.com"}, "password": {"wrong password here"}}, h...)
	}
	for i := range 2 {
		if res := try("203.0.113.7"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d from 203.0.113.7: status %d", i+1, res.StatusCode)
		}
	}
	want429(t, "third attempt from 203.0.113.7", try("203.0.113.7"))
	// The client claims another address; the proxy appends the real one.
	want429(t, "203.0.113.7 claiming to be 203.0.113.8", try("203.0.113.8, 203.0.113.7"))
	if res := try("203.0.113.8"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("another client behind the proxy: status %d, want 401", res.StatusCode)
	}
	if res := try(""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the proxy's own address: status %d, want 401", res.StatusCode)
	}
}

// IPv6 clients are counted by their /64, which one subscriber gets whole
// (issue 12, finding 6): 120 sign-ins from addresses rotating inside one
// /64 are refused past the address limit, exactly as from one IPv4
// address, while another /64 is not held up. An IPv4-mapped address counts
// as the IPv4 one. Guessed links and the accept form count the same way.
//
// ASVS 5.0: V6.3.1, V2.4.1, V15.3.4 (the real client address for rate
// limits).
func TestRateLimitIPv6ByNetwork(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{Env: map[string]string{"USHER_TRUSTED_PROXIES": "127.0.0.1"}})
	limit, _ := f.App.Web.RateLimit("loginIPFailed")
	pairLimit, _ := f.App.Web.RateLimit("loginPair")
	c := f.Client(t)
	login := func(email, password, addr string) apptest.Response {
		t.Helper()
		return f.Post(t, c, "/login", url.Values{"email": {email}, "password": {password}}, "X-Forwarded-For", addr)
	}
	// refusedAfter signs in wrongly 120 times, never too often for one
	// email, and returns how many were judged before the first 429.
	refusedAfter := func(addr func(i int) string) int {
		t.Helper()
		judged := -1
		for i := range 120 {
			res := login(fmt.Sprintf("guess%d@example.com", i/pairLimit), "wrong password here", addr(i))
			switch {
			case res.StatusCode == http.StatusUnauthorized && judged < 0:
			case res.StatusCode == http.StatusTooManyRequests && judged < 0:
				judged = i
				want429(t, "the first refused sign-in from "+addr(i), res)
			case res.StatusCode != http.StatusTooManyRequests:
				t.Fatalf("sign-in %d from %s: status %d after a 429", i+1, addr(i), res.StatusCode)
			}
		}
		return judged
	}
	v4 := refusedAfter(func(int) string { return "203.0.113.9" })
	v6 := refusedAfter(func(i int) string { return fmt.Sprintf("2001:db8:1:2:%x:%x::%x", i, 7*i, i+1) })
	if v4 != limit || v6 != v4 {
		t.Errorf("120 sign-ins: one IPv4 address refused after %d, one /64 after %d; want both after %d", v4, v6, limit)
	}
	want429(t, "an IPv4-mapped IPv6 address of the refused IPv4 one", login(apptest.AdminEmail, apptest.AdminPassword, "::ffff:203.0.113.9"))
	want429(t, "yet another address in the refused /64", login(apptest.AdminEmail, apptest.AdminPassword, "2001:db8:1:2:ffff:ffff:ffff:ffff"))
	if res := login(apptest.AdminEmail, apptest.AdminPassword, "2001:db8:1:3::1"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the next /64: status %d, want 303", res.StatusCode)
	}
	if res := login(apptest.AdminEmail, apptest.AdminPassword, "203.0.113.10"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the next IPv4 address: status %d, want 303", res.StatusCode)
	}

	guesses, _ := f.App.Web.RateLimit("badToken")
	for i := range guesses {
		if res := f.Get(t, c, "/invite/"+randomToken(), "X-Forwarded-For", fmt.Sprintf("2001:db8:5:6::%x", i+1)); res.StatusCode != http.StatusNotFound {
			t.Fatalf("guess %d: status %d, want 404", i+1, res.StatusCode)
		}
	}
	want429(t, "a guessed link from the same /64", f.Get(t, c, "/invite/"+randomToken(), "X-Forwarded-For", "2001:db8:5:6:1::1"))

	accepts, _ := f.App.Web.RateLimit("accept")
	link := f.copyLink(t, f.invite(t, "bo@example.com", "member"))
	for i := range accepts {
		if res := f.Post(t, c, link, url.Values{"name": {"Bo"}, "password": {"too short"}}, "X-Forwarded-For", fmt.Sprintf("2001:db8:7:8::%x", i+1)); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("accept %d: status %d, want 422", i+1, res.StatusCode)
		}
	}
	want429(t, "accepting from the same /64", f.Post(t, c, link, url.Values{"name": {"Bo"}, "password": {memberPassword}}, "X-Forwarded-For", "2001:db8:7:8:9::1"))
	if res := f.Post(t, c, link, url.Values{"name": {"Bo"}, "password": {memberPassword}}, "X-Forwarded-For", "2001:db8:7:9::1"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("accepting from the next /64: status %d, want 303", res.StatusCode)
	}
}

// The accept form is limited per client address; while limited, even a
// correct form is refused and the invitation stays pending.
//
// ASVS 5.0: V2.4.1, V6.3.1.
func TestRateLimitAcceptForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	limit, period := f.App.Web.RateLimit("accept")
	id := f.invite(t, "bo@example.com", "member")
	link := f.copyLink(t, id)
	c := f.Client(t)
	for i := range limit {
		if res := f.Post(t, c, link, url.Values{"name": {"Bo"}, "password": {"too short"}}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: status %d, want 422", i+1, res.StatusCode)
		}
	}
	res := f.Post(t, c, link, url.Values{"name": {"Bo"}, "password": {memberPassword}})
	want429(t, "accept past the limit", res)
	if isSignedIn(t, f.Env, c) {
		t.Fatal("accepted past the limit")
	}
	f.Clock.Advance(period)
	if res := f.Post(t, c, link, url.Values{"name": {"Bo"}, "password": {memberPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after the window: status %d, want 303", res.StatusCode)
	}
}

// Guessing links is slow: garbage tokens count per client address, and
// past the limit every unknown token gets 429 (a real link still opens).
//
// ASVS 5.0: V2.4.1, V6.4.1 (activation codes not guessable in practice).
func TestRateLimitGarbageTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	limit, period := f.App.Web.RateLimit("badToken")
	link := f.copyLink(t, f.invite(t, "bo@example.com", "member"))
	c := f.Client(t)
	for i := range limit {
		path := "/invite/" + randomToken()
		var res apptest.Response
		if i%2 == 0 {
			res = f.Get(t, c, path)
		} else {
			res = f.Post(t, c, path, url.Values{"name": {"Eve"}, "password": {memberPassword}})
		}
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("guess %d: status %d, want 404", i+1, res.StatusCode)
		}
	}
	want429(t, "a guess past the limit", f.Get(t, c, "/invite/"+randomToken()))
	if res := f.Get(t, c, link); res.StatusCode != http.StatusOK {
		t.Errorf("a real link while limited: status %d, want 200", res.StatusCode)
	}
	f.Clock.Advance(period)
	if res := f.Get(t, c, "/invite/"+randomToken()); res.StatusCode != http.StatusNotFound {
		t.Errorf("after the window: status %d, want 404", res.StatusCode)
	}
}

// New invitations are limited per administrator per hour (a brake on a
// stolen session spamming strangers); another administrator is not held
// up. (The per-invitation resend cooldown: TestResendSameLinkRestartsExpiry.)
//
// ASVS 5.0: V2.4.1, V2.3.2 (business limits).
func TestRateLimitInvitesPerAdmin(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{Env: map[string]string{"USHER_SEND_LIMIT": "3"}})
	if _, err := f.App.Users.CreateAdmin(t.Context(), apptest.AccountName, "cy@example.com", "Cy Admin", apptest.AdminPassword); err != nil {
		t.Fatal(err)
	}
	other := f.SignIn(t, "cy@example.com", apptest.AdminPassword)
	for i := range 3 {
		f.invite(t, fmt.Sprintf("p%d@example.com", i), "member")
	}
	before := f.outbox(t)
	res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"p3@example.com"}, "role": {"member"}})
	wantBudget429(t, "the fourth invitation within the hour", res)
	htmx := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"p3@example.com"}, "role": {"member"}}, apptest.HTMX...)
	wantBudget429(t, "the fourth invitation with htmx", htmx)
	if f.UserID(t, "p3@example.com") != 0 || f.outbox(t) != before {
		t.Error("a limited invitation was created or queued")
	}
	if res := f.Post(t, other, "/settings/users/invite", url.Values{"email": {"p3@example.com"}, "role": {"member"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("another administrator: status %d, want 303", res.StatusCode)
	}
	f.Clock.Advance(time.Hour)
	f.signInAgain(t)
	if res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"p4@example.com"}, "role": {"member"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("an hour later: status %d, want 303", res.StatusCode)
	}
}

// A failed sign-in costs one argon2id run whatever the reason: unknown
// email, not an email at all, no password yet, deactivated, or the wrong
// password. So the answer takes about the same time, as well as using the
// same words. The test counts allocated memory (19 MiB per run), which
// does not depend on timing. (The same words: TestSignInRevealsNothing.)
//
// ASVS 5.0: V6.3.8 (valid users cannot be deduced from failed attempts,
// by message, status or time).
//
// Not parallel: the allocation count is the whole process's.
func TestSignInSameWorkForAnyEmail(t *testing.T) {
	f := newFixture(t, apptest.Options{ProductionHasher: true})
	f.invite(t, "pending@example.com", "member")
	gone, _ := f.member(t, "gone@example.com", "Gone Away")
	f.Deactivate(t, gone)
	var bodies []string
	for _, email := range []string{apptest.AdminEmail, "nobody@example.com", "not an email", "pending@example.com", "gone@example.com"} {
		password := "wrong password here"
		if email == "gone@example.com" {
			password = memberPassword
		}
		var res apptest.Response
		n := allocated(func() {
			res = f.Post(t, f.Client(t), "/login", url.Values{"email": {email}, "password": {password}})
		})
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", email, res.StatusCode)
		}
		if n < argon2Memory {
			t.Errorf("%s: the sign-in allocated %d bytes, less than one argon2id run (%d): it answered faster", email, n, argon2Memory)
		}
		bodies = append(bodies, strings.ReplaceAll(text(res.Body), email, "EMAIL"))
	}
	for i, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("answer %d differs from the first:\n%s\n---\n%s", i+1, b, bodies[0])
		}
	}
}

// The binary stores passwords at OWASP's argon2id cost. Every other test
// but the two above hashes at the cheapest cost (apptest's default), so
// this is the one that shows the wiring the binary uses.
//
// ASVS 5.0: V11.4.2.
func TestPasswordsHashedAtProductionCost(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{ProductionHasher: true})
	e.SetupAdmin(t)
	var hash string
	// Under the services: none of them hands out a password hash.
	if err := e.App.DB.R.QueryRow(`SELECT password_hash FROM users`).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("the administrator's password hash is %.40s…; want argon2id at 19 MiB, 2 passes, 1 lane", hash)
	}
}

// Passwords: more than 1,024 bytes is refused before any hashing (no
// argon2id run, so long inputs cannot be used to burn CPU and memory);
// 64 characters and more are accepted and work.
//
// ASVS 5.0: V6.2.9 (at least 64 characters permitted), V2.4.1 (costly
// resources), V6.2.8 (the password verified exactly as set).
//
// Not parallel: the allocation count is the whole process's.
func TestPasswordLengths(t *testing.T) {
	f := newFixture(t, apptest.Options{ProductionHasher: true})
	id := f.invite(t, "bo@example.com", "member")
	link := f.copyLink(t, id)
	c := f.Client(t)
	var res apptest.Response
	n := allocated(func() {
		res = f.Post(t, c, link, url.Values{"name": {"Bo"}, "password": {strings.Repeat("a", 1025)}})
	})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(res.Body), "Use at most 1024 characters.") {
		t.Errorf("a 1,025-byte password: status %d, want 422 with a sentence\n%.400s", res.StatusCode, text(res.Body))
	}
	if n >= argon2Memory {
		t.Errorf("refusing a 1,025-byte password allocated %d bytes: it was hashed", n)
	}
	n = allocated(func() {
		res = f.Post(t, f.Client(t), "/login", url.Values{"email": {apptest.AdminEmail}, "password": {strings.Repeat("a", 1025)}})
	})
	if res.StatusCode != http.StatusUnauthorized || n >= argon2Memory {
		t.Errorf("signing in with 1,025 bytes: status %d, %d bytes allocated; want 401 without hashing", res.StatusCode, n)
	}

	long := "correct horse battery staple, and a few more words to reach 64!!"
	if len(long) != 64 {
		t.Fatalf("the test password has %d characters", len(long))
	}
	if res := f.Post(t, c, link, url.Values{"name": {"Bo"}, "password": {long}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a 64-character password: status %d\n%s", res.StatusCode, text(res.Body))
	}
	f.SignIn(t, "bo@example.com", long)
	if res := f.Post(t, f.Client(t), "/login", url.Values{"email": {"bo@example.com"}, "password": {long[:63]}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the password less its last character: status %d, want 401 (no truncation)", res.StatusCode)
	}
}

// Links never reach the log, through every action on an invitation, with
// one documented exception: with no SMTP server, the built-in mailbox
// writes each email's link to the log so that the default run works end to
// end (SPEC §3). With SMTP configured, no line holds a link.
//
// ASVS 5.0: V16.2.5 (sensitive data not logged), V14.2.4.
func TestTokensNeverLogged(t *testing.T) {
	t.Parallel()
	for _, smtp := range []bool{true, false} {
		t.Run(fmt.Sprintf("smtp=%v", smtp), func(t *testing.T) {
			var log syncBuffer
			f := newFixture(t, apptest.Options{SMTP: smtp, Log: &log})
			tokens := map[string]bool{}
			seen := func(link string) string {
				tokens[tokenOf(link)] = true
				return link
			}

			id := f.invite(t, "bo@example.com", "member")
			link := seen(f.copyLink(t, id))
			page := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/link", id), nil) // no-JS copy page
			if !strings.Contains(page.Body, tokenOf(link)) {
				t.Fatalf("the copy page should show the link:\n%s", text(page.Body))
			}
			f.Clock.Advance(2 * time.Minute)
			if res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/resend", id), nil, apptest.HTMX...); res.StatusCode != http.StatusOK {
				t.Fatalf("resend: status %d", res.StatusCode)
			}
			anon := f.Client(t)
			f.Get(t, anon, link)
			f.Post(t, anon, link, url.Values{"name": {"Bo"}, "password": {"short"}})
			f.Clock.Advance(8 * 24 * time.Hour)
			f.signInAgain(t)
			f.Get(t, anon, link) // expired
			if res := f.Post(t, anon, link+"/renewal", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("ask for a new invitation: status %d", res.StatusCode)
			}
			if res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/renew", id), nil, apptest.HTMX...); res.StatusCode != http.StatusOK {
				t.Fatalf("renew: status %d", res.StatusCode)
			}
			newLink := seen(f.copyLink(t, id))
			f.Get(t, anon, link) // superseded
			f.Deliver(t)
			if smtp {
				for _, m := range f.SMTP.Messages() {
					if l := apptest.Link(m.Text); l != "" {
						seen(l)
					}
				}
			}
			if res := f.Post(t, anon, newLink, url.Values{"name": {"Bo"}, "password": {memberPassword}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("accept: status %d", res.StatusCode)
			}
			f.Get(t, anon, newLink) // accepted
			cancelled := f.invite(t, "cy@example.com", "member")
			cy := seen(f.copyLink(t, cancelled))
			f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/cancel", cancelled), nil, apptest.HTMX...)
			f.Get(t, anon, cy)
			f.Post(t, anon, cy, url.Values{"name": {"Cy"}, "password": {memberPassword}})
			f.Deliver(t)

			lines := strings.Split(log.String(), "\n")
			if len(lines) < 20 || !strings.Contains(log.String(), `path=/invite/:token`) {
				t.Fatalf("the log captured too little:\n%s", log.String())
			}
			mailboxLines := 0
			for _, line := range lines {
				for tok := range tokens {
					if !strings.Contains(line, tok) {
						continue
					}
					if !smtp && strings.Contains(line, `msg="email kept in the built-in mailbox (no SMTP server configured)"`) {
						mailboxLines++
						continue
					}
					t.Errorf("a link token in the log:\n%s", line)
				}
			}
			if !smtp && mailboxLines == 0 {
				t.Error("without SMTP, the built-in mailbox should log each email's link (SPEC §3)")
			}
		})
	}
}

// Links appear only where the copy action reveals one: never in the users
// list, a row, the actions or manage pages, nor in error pages, which do
// not echo what was asked for.
//
// ASVS 5.0: V16.5.1 (generic error messages), V15.3.1 (only the fields
// needed), V14.2.6 (minimum sensitive data).
func TestTokensOnlyWhereMeant(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	id := f.invite(t, "bo@example.com", "member")
	link := f.copyLink(t, id)
	tok := tokenOf(link)
	f.Clock.Advance(2 * time.Minute)
	account, err := f.App.Users.Account(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	spaceID := account.ID
	for name, res := range map[string]apptest.Response{
		"users list":     f.Get(t, f.admin, "/settings/users"),
		"invited tab":    f.Get(t, f.admin, "/settings/users?status=invited"),
		"search":         f.Get(t, f.admin, "/settings/users?q=bo", "HX-Request", "true", "HX-Target", "users-results"),
		"row menu":       f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/actions", id)),
		"row after":      f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/resend", id), nil, apptest.HTMX...),
		"manage":         f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/invitation", id)),
		"edit":           f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/edit", id)),
		"cancel confirm": f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/cancel", id)),
		"space page":     f.Get(t, f.admin, fmt.Sprintf("/settings/spaces/%d", spaceID)),
		"profile":        f.Get(t, f.admin, "/profile"),
	} {
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", name, res.StatusCode)
		}
		if strings.Contains(res.Body, tok) {
			t.Errorf("%s holds the invitation link", name)
		}
	}

	// Error pages never echo the token that was asked for.
	anon := f.Client(t)
	garbage := randomToken()
	for name, res := range map[string]apptest.Response{
		"unknown link":       f.Get(t, anon, "/invite/"+garbage),
		"unknown link post":  f.Post(t, anon, "/invite/"+garbage, url.Values{"name": {"Eve"}, "password": {memberPassword}}),
		"unknown link htmx":  f.Get(t, anon, "/invite/"+garbage, apptest.HTMX...),
		"wrong setup link":   f.Get(t, anon, "/setup/"+garbage),
		"unknown link, JSON": f.Get(t, anon, "/invite/"+garbage, "Accept", "application/json"),
	} {
		if res.StatusCode != http.StatusNotFound || strings.Contains(res.Body, garbage) {
			t.Errorf("%s: status %d, echoes the token: %v", name, res.StatusCode, strings.Contains(res.Body, garbage))
		}
	}
	if res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/cancel", id), nil, apptest.HTMX...); res.StatusCode != http.StatusOK {
		t.Fatalf("cancel: status %d", res.StatusCode)
	}
	if res := f.Get(t, anon, link); strings.Contains(res.Body, "/invite/"+tok+"/renewal") || strings.Contains(res.Body, `action="/invite/`+tok+`"`) {
		t.Errorf("a cancelled link's page still offers a form on the link:\n%s", text(res.Body))
	}
}

// Invitation links are HMAC(key, purpose | nonce): a link made from the
// same nonce and key for any other purpose (such as a future password
// reset) does not open an invitation.
//
// ASVS 5.0: V6.4.1 (activation codes), V9.2.3 by analogy (a token is
// accepted only for the purpose it was issued for); see SECURITY.md.
func TestLinksArePurposeBound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	id := f.invite(t, "bo@example.com", "member")
	var nonce []byte
	// Under the services, as someone holding the database and the key
	// would: no service hands out a nonce.
	if err := f.App.DB.R.QueryRow(`SELECT token_nonce FROM invitations WHERE user_id = ?`, id).Scan(&nonce); err != nil {
		t.Fatal(err)
	}
	key, err := auth.Secret(f.App.Config.DataDir, "link", f.App.Config.LinkSecret)
	if err != nil {
		t.Fatal(err)
	}
	links := auth.NewLinks(key)
	anon := f.Client(t)
	if res := f.Get(t, anon, "/invite/"+links.Token(invitations.LinkPurpose, nonce)); res.StatusCode != http.StatusOK {
		t.Fatalf("the invitation's own link: status %d; the test derives links wrongly", res.StatusCode)
	}
	for _, purpose := range []string{"usher password reset link v1", "usher invitation link v2", ""} {
		if res := f.Get(t, anon, "/invite/"+links.Token(purpose, nonce)); res.StatusCode != http.StatusNotFound {
			t.Errorf("a %q link from the same nonce opens the invitation: status %d", purpose, res.StatusCode)
		}
	}
}
