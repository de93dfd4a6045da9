package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/sessions"
	"github.com/usherhq/usher/internal/spaces"
)

const (
	firefoxWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
	safariIPhone   = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)

// signInWith signs email in from a browser that says ua.
func signInWith(t *testing.T, e *apptest.Env, email, password, ua string) *http.Client {
	t.Helper()
	c := e.Client(t)
	res := e.Post(t, c, "/login", url.Values{"email": {email}, "password": {password}}, "User-Agent", ua)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d", email, res.StatusCode)
	}
	return c
}

// sessionsOf are user id's sessions as the database holds them.
func sessionsOf(t *testing.T, e *apptest.Env, id int64) []sessions.Session {
	t.Helper()
	list, err := e.App.Sessions.Mine(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// banner follows res's redirect with c and returns the banner's text.
func banner(t *testing.T, e *apptest.Env, c *http.Client, res apptest.Response) string {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("want a redirect, got %d\n%s", res.StatusCode, text(res.Body))
	}
	return text(e.Get(t, c, res.Header.Get("Location")).Body)
}

// Two browsers signed in as one person: the profile lists both, this
// device marked; ending the other from this one signs it out at its next
// request, and this one stays signed in.
func TestEndOneSessionFromAnother(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	bo, _ := f.member(t, "bo@example.com", "Bo Berg")
	laptop := signInWith(t, f.Env, "bo@example.com", memberPassword, firefoxWindows)
	phone := signInWith(t, f.Env, "bo@example.com", memberPassword, safariIPhone)

	page := text(f.Get(t, laptop, "/profile").Body)
	for _, want := range []string{"Firefox on Windows", "Safari on iPhone", "This device", "End all other sessions"} {
		if !strings.Contains(page, want) {
			t.Errorf("the profile does not say %q:\n%s", want, page)
		}
	}
	if n := strings.Count(page, "This device"); n != 1 {
		t.Errorf("%d sessions marked as this device, want 1", n)
	}
	var phoneID int64
	for _, s := range sessionsOf(t, f.Env, bo) {
		if s.Browser.OS == "iPhone" {
			phoneID = s.ID
		}
	}
	if phoneID == 0 {
		t.Fatal("no session from the iPhone")
	}
	res := f.Post(t, laptop, fmt.Sprintf("/profile/sessions/%d/end", phoneID), nil)
	if got := banner(t, f.Env, laptop, res); !strings.Contains(got, "The session was ended.") {
		t.Errorf("banner after ending a session:\n%s", got)
	}
	if isSignedIn(t, f.Env, phone) {
		t.Error("the ended session still works")
	}
	if !isSignedIn(t, f.Env, laptop) {
		t.Error("the browser that ended the other session was signed out")
	}
	// Twice (a double click): the session is gone already.
	if res := f.Post(t, laptop, fmt.Sprintf("/profile/sessions/%d/end", phoneID), nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("ending an ended session: status %d, want 404", res.StatusCode)
	}
}

// End all other sessions signs out every other browser of the person,
// says how many, and leaves this one and other people alone.
func TestEndAllOtherSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	_, here := f.member(t, "bo@example.com", "Bo Berg")
	others := []*http.Client{f.SignIn(t, "bo@example.com", memberPassword), f.SignIn(t, "bo@example.com", memberPassword)}

	res := f.Post(t, here, "/profile/sessions/others/end", nil)
	if got := banner(t, f.Env, here, res); !strings.Contains(got, "2 other sessions were ended.") {
		t.Errorf("banner:\n%s", got)
	}
	for i, c := range others {
		if isSignedIn(t, f.Env, c) {
			t.Errorf("other session %d still works", i)
		}
	}
	if !isSignedIn(t, f.Env, here) || !isSignedIn(t, f.Env, f.admin) {
		t.Error("this session, or another person's, ended")
	}
	res = f.Post(t, here, "/profile/sessions/others/end", nil)
	if got := banner(t, f.Env, here, res); !strings.Contains(got, "There were no other sessions to end.") {
		t.Errorf("banner with nothing to end:\n%s", got)
	}
}

// A person reaches only their own sessions: another's session id is not
// found, and nothing ends; a member cannot open anyone's page.
func TestOnlyOwnSessions(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	bo, boClient := f.member(t, "bo@example.com", "Bo Berg")
	_, cy := f.member(t, "cy@example.com", "Cy Cole")
	boSession := sessionsOf(t, f.Env, bo)[0].ID

	if res := f.Post(t, cy, fmt.Sprintf("/profile/sessions/%d/end", boSession), nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("ending another person's session: status %d, want 404", res.StatusCode)
	}
	for _, bad := range []string{"0", "-1", "x", "99999999999999999999"} {
		if res := f.Post(t, cy, "/profile/sessions/"+bad+"/end", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("session id %q: status %d, want 404", bad, res.StatusCode)
		}
	}
	if !isSignedIn(t, f.Env, boClient) {
		t.Error("another person ended Bo's session")
	}
	if res := f.Get(t, cy, fmt.Sprintf("/settings/users/%d", bo)); res.StatusCode != http.StatusForbidden {
		t.Errorf("a member opening a user's page: status %d, want 403", res.StatusCode)
	}
	if res := f.Post(t, cy, fmt.Sprintf("/settings/users/%d/sessions/end", bo), nil); res.StatusCode != http.StatusForbidden || !isSignedIn(t, f.Env, boClient) {
		t.Errorf("a member ending a user's sessions: status %d, want 403 and nothing ended", res.StatusCode)
	}
	// One's own session is ended by signing out, not from the list.
	cySession := sessionsOf(t, f.Env, f.User(t, f.UserID(t, "cy@example.com")).ID)[0].ID
	if res := f.Post(t, cy, fmt.Sprintf("/profile/sessions/%d/end", cySession), nil); res.StatusCode != http.StatusConflict {
		t.Errorf("ending this device's session from the list: status %d, want 409", res.StatusCode)
	}
	// Another site cannot post the form.
	req, _ := http.NewRequest(http.MethodPost, f.URL+"/profile/sessions/others/end", nil)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := boClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site post: status %d, want 403", res.StatusCode)
	}
}

// An administrator sees a user's sessions and last sign-in on the user's
// page, is asked first, and ends them all; the banner says how many.
func TestAdministratorEndsAllSessionsOfUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	bo, first := f.member(t, "bo@example.com", "Bo Berg")
	second := signInWith(t, f.Env, "bo@example.com", memberPassword, firefoxWindows)
	page := f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d", bo))
	body := text(page.Body)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("the user's page: status %d", page.StatusCode)
	}
	for _, want := range []string{"Bo Berg", "bo@example.com", "Active", "Roles Member", "Last sign-in just now", "An unknown browser", "Firefox on Windows", "End all sessions"} {
		if !strings.Contains(body, want) {
			t.Errorf("the user's page does not say %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "This device") {
		t.Error("another person's session is marked as this device")
	}
	confirm := f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/sessions/end", bo))
	if confirm.StatusCode != http.StatusOK || !strings.Contains(text(confirm.Body), "End all sessions of Bo Berg?") {
		t.Fatalf("the confirmation: status %d\n%s", confirm.StatusCode, text(confirm.Body))
	}
	res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/sessions/end", bo), nil)
	if got := banner(t, f.Env, f.admin, res); !strings.Contains(got, "2 sessions of bo@example.com were ended.") || !strings.Contains(got, "Not signed in anywhere.") {
		t.Errorf("after ending them:\n%s", got)
	}
	for i, c := range []*http.Client{first, second} {
		if isSignedIn(t, f.Env, c) {
			t.Errorf("Bo's session %d still works", i)
		}
	}
	res = f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/sessions/end", bo), nil)
	if got := banner(t, f.Env, f.admin, res); !strings.Contains(got, "bo@example.com had no session to end.") {
		t.Errorf("again:\n%s", got)
	}
	if res := f.Get(t, f.admin, "/settings/users/999999"); res.StatusCode != http.StatusNotFound {
		t.Errorf("the page of nobody: status %d, want 404", res.StatusCode)
	}
}

// The user's page follows the row actions' rule: a space administrator
// sees the people of the spaces they administer, and nobody else, and
// ends no one else's sessions.
func TestUserPageForSpaceAdministrator(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	una, walt := w.signIn(t, unaEmail), w.signIn(t, waltEmail)
	moClient := w.signIn(t, moEmail)
	south, southClient := w.join(t, w.admin, "sol@example.com", "Sol South", spaces.Grant{SpaceID: w.southWA, Role: spaces.Member})

	if res := w.e.Get(t, una, clinicUserPath(w.mo, "")); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "Mo Member") {
		t.Errorf("North's administrator opening a North member's page: status %d", res.StatusCode)
	}
	for name, c := range map[string]*http.Client{"North's administrator": una, "Waiting Area 2's administrator": walt} {
		if res := w.e.Get(t, c, clinicUserPath(south, "")); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s opening a South member's page: status %d, want 404", name, res.StatusCode)
		}
		if res := w.e.Post(t, c, clinicUserPath(south, "/sessions/end"), nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s ending a South member's sessions: status %d, want 404", name, res.StatusCode)
		}
	}
	if !isSignedIn(t, w.e, southClient) {
		t.Error("a South member's session was ended by an administrator who cannot see them")
	}
	if res := w.e.Get(t, walt, clinicUserPath(w.mo, "")); res.StatusCode != http.StatusNotFound {
		t.Errorf("Waiting Area 2's administrator opening a North member's page: status %d, want 404", res.StatusCode)
	}
	res := w.e.Post(t, una, clinicUserPath(w.mo, "/sessions/end"), nil)
	if res.StatusCode != http.StatusSeeOther || isSignedIn(t, w.e, moClient) {
		t.Errorf("North's administrator ending a North member's sessions: status %d", res.StatusCode)
	}
}

// A cookie copied before sign-out does not work after it: the session
// is a row on the server, and signing out deleted it.
func TestCopiedCookieAfterSignOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	u := mustURL(t, f.URL)
	stolen, _ := cookiejar.New(nil)
	stolen.SetCookies(u, f.admin.Jar.Cookies(u))
	if res := f.Post(t, f.admin, "/logout", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: status %d", res.StatusCode)
	}
	thief := &http.Client{Jar: stolen, CheckRedirect: f.admin.CheckRedirect}
	if isSignedIn(t, f.Env, thief) {
		t.Error("a cookie copied before sign-out still works after it")
	}
}

// Timed-out sessions are deleted by the background loop's purge; live
// ones stay.
func TestExpiredSessionsPurged(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	ctx := context.Background()
	count := func() int {
		var n int
		if err := f.App.DB.R.QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	f.Clock.Advance(100 * time.Hour)
	fresh := f.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	f.Clock.Advance(100 * time.Hour) // the first session is idle past 168h; the second is not
	next, err := f.App.Sessions.Produce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("%d sessions after the purge, want 1", n)
	}
	if want := f.Clock.Now().Add(sessions.PurgeEvery); !next.Equal(want) {
		t.Errorf("next purge at %s, want %s", next, want)
	}
	if !isSignedIn(t, f.Env, fresh) {
		t.Error("the purge ended a live session")
	}
	// The email sender's loop runs the purge with the reminders.
	f.Clock.Advance(200 * time.Hour)
	f.Deliver(t)
	if n := count(); n != 0 {
		t.Errorf("%d sessions after the sender's round, want 0", n)
	}
}

// last_seen_at is written at most every five minutes per session, so a
// busy page does not write on every request (each write empties the kept
// pages).
func TestLastSeenWrittenAtMostEveryFiveMinutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	seen := func() time.Time {
		return sessionsOf(t, f.Env, f.User(t, f.UserID(t, apptest.AdminEmail)).ID)[0].LastSeenAt
	}
	start := seen()
	f.Clock.Advance(4 * time.Minute)
	f.Get(t, f.admin, "/profile")
	if got := seen(); !got.Equal(start) {
		t.Errorf("last seen written after 4 minutes: %s", got)
	}
	f.Clock.Advance(time.Minute)
	f.Get(t, f.admin, "/profile")
	if got := seen(); !got.Equal(f.Clock.Now()) {
		t.Errorf("last seen %s after 5 minutes, want %s", got, f.Clock.Now())
	}
}

// Settings > Users has a Last sign-in column: "Never" for people who never
// signed in, sortable, those who never did after everyone who has.
func TestLastSignInColumn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	f.invite(t, "pending@example.com", "member")
	f.Clock.Advance(time.Hour)
	f.member(t, "bo@example.com", "Bo Berg") // accepting signs in
	f.Clock.Advance(time.Hour)
	f.member(t, "cy@example.com", "Cy Cole")
	f.Clock.Advance(time.Hour)
	f.SignIn(t, "bo@example.com", memberPassword)
	if got := f.User(t, f.UserID(t, "bo@example.com")).LastSignInAt; !got.Equal(f.Clock.Now()) {
		t.Errorf("Bo's last sign-in %s, want %s", got, f.Clock.Now())
	}

	order := func(path string) []string {
		t.Helper()
		body := f.Get(t, f.admin, path).Body
		var out []string
		rest := body
		for {
			i := strings.Index(rest, `<tr id="user-`)
			if i < 0 {
				break
			}
			rest = rest[i+1:]
			end := strings.Index(rest, "</tr>")
			row := strings.ReplaceAll(rest[:end], "<wbr>", "")
			for _, e := range []string{apptest.AdminEmail, "cy@example.com", "bo@example.com", "pending@example.com"} {
				if strings.Contains(row, e) {
					out = append(out, e)
				}
			}
		}
		return out
	}
	asc := order("/settings/users?sort=signin")
	want := []string{apptest.AdminEmail, "cy@example.com", "bo@example.com", "pending@example.com"}
	if strings.Join(asc, " ") != strings.Join(want, " ") {
		t.Errorf("by last sign-in: %v, want %v", asc, want)
	}
	desc := order("/settings/users?sort=signin&dir=desc")
	if strings.Join(desc, " ") != "pending@example.com bo@example.com cy@example.com "+apptest.AdminEmail {
		t.Errorf("by last sign-in, descending: %v", desc)
	}
	body := f.Get(t, f.admin, "/settings/users?sort=signin").Body
	if !regexp.MustCompile(`aria-sort="ascending"><a href="[^"]*sort=signin[^"]*">Last sign-in`).MatchString(body) {
		t.Errorf("the Last sign-in heading is not the sorted one:\n%s", body)
	}
	if n := strings.Count(text(body), "Never"); n != 1 {
		t.Errorf(`"Never" %d times, want once (the pending invitee)`, n)
	}
}
