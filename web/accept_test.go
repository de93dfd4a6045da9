package web_test

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
)

// Tokens that match nothing answer 404, never 500, whatever their shape.
func TestAcceptGarbageTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	tokens := map[string]string{
		"empty":              "",
		"10 KB":              strings.Repeat("A", 10<<10),
		"not base64":         "!!!",
		"not base64, 43":     strings.Repeat("!", 43),
		"valid length":       base64.RawURLEncoding.EncodeToString(random),
		"padded":             base64.URLEncoding.EncodeToString(random),
		"standard alphabet":  strings.Repeat("+/", 21) + "A",
		"encoded dots":       "%2e%2e%2fsetup",
		"NUL":                "%00",
		"unicode":            "%C3%A9t%C3%A9",
		"path in the token":  "a/b",
		"query in the token": "x?token=y",
	}
	for name, tok := range tokens {
		t.Run(name, func(t *testing.T) {
			path := "/invite/" + tok
			get := f.Get(t, f.Client(t), path)
			if get.StatusCode != http.StatusNotFound {
				t.Errorf("GET: status %d, want 404\n%.500s", get.StatusCode, get.Body)
			}
			post := f.Post(t, f.Client(t), path, url.Values{"name": {"X"}, "password": {"a long enough passphrase"}})
			if post.StatusCode != http.StatusNotFound && post.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("POST: status %d, want 404\n%.500s", post.StatusCode, post.Body)
			}
		})
	}
	if n := f.UserCount(t); n != 1 {
		t.Errorf("garbage tokens created users: %d", n)
	}
}

// An expired link says so and lets the invitee ask for a new invitation,
// which emails the inviter once.
func TestAcceptExpiredAskForNew(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	id := f.invite(t, "bo@example.com", "member")
	link := f.lastLink(t, "bo@example.com")

	// Before it expires, it cannot be "renewed" this way.
	c := f.Client(t)
	if res := f.Post(t, c, link+"/renewal", nil); res.StatusCode != http.StatusConflict {
		t.Errorf("asking to renew a valid link: status %d, want 409", res.StatusCode)
	}

	f.Clock.Advance(8 * 24 * time.Hour)
	page := f.Get(t, c, link)
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "This invitation has expired") ||
		!strings.Contains(page.Body, ">Ask for a new invitation<") || !strings.Contains(page.Body, `action="`+link+`/renewal"`) {
		t.Fatalf("expired page: status %d\n%s", page.StatusCode, page.Body)
	}
	if got := page.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q on a page whose URL holds a token", got)
	}
	res := f.Post(t, c, link, url.Values{"name": {"Bo"}, "password": {"a long enough passphrase"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "This invitation has expired") {
		t.Errorf("accepting an expired link: status %d, want 409 and the expired page", res.StatusCode)
	}
	adminMail := f.mails(t, apptest.AdminEmail)

	for i := range 2 {
		res := f.Post(t, c, link+"/renewal", nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != link {
			t.Fatalf("ask %d: status %d location %q", i+1, res.StatusCode, res.Header.Get("Location"))
		}
		page := f.Get(t, c, link)
		if !strings.Contains(text(page.Body), "We let "+apptest.AdminName+" know") || strings.Contains(page.Body, ">Ask for a new invitation<") {
			t.Errorf("ask %d: the page should say the request was sent:\n%s", i+1, page.Body)
		}
		if n := f.mails(t, apptest.AdminEmail); n != adminMail+1 {
			t.Errorf("ask %d: the inviter got %d email(s), want exactly 1", i+1, n-adminMail)
		}
	}
	got := f.SMTP.To(apptest.AdminEmail)
	if msg := got[len(got)-1]; !strings.Contains(msg.Text, "bo@example.com") {
		t.Errorf("the request should name the invitee:\n%s", msg.Text)
	}
	f.signInAgain(t)
	row := text(rowOf(f.Get(t, f.admin, "/settings/users").Body, id))
	if !strings.Contains(row, "New invitation requested") {
		t.Errorf("the expired row should show the request:\n%s", row)
	}
	if n := f.mails(t, "bo@example.com"); n != 1 {
		t.Errorf("asking sent the invitee %d more email(s)", n-1)
	}
}

// The accept form reads only name and password; the invitation decides
// the email and the roles.
func TestAcceptIgnoresPostedFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	id := f.invite(t, "bo@example.com", "member")
	link := f.lastLink(t, "bo@example.com")
	invitee := f.Client(t)

	for _, c := range []struct{ password, want string }{
		{"elevenchars", "Use at least 12 characters"},
		{"1qaz2wsx3edc", "one of the most commonly used"},
		{"", "Use at least 12 characters"},
	} {
		res := f.Post(t, invitee, link, url.Values{"name": {"Bo Berg"}, "password": {c.password}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(res.Body), c.want) ||
			!strings.Contains(res.Body, `href="#password"`) || !strings.Contains(res.Body, `value="Bo Berg"`) {
			t.Errorf("password %q: status %d, want 422 saying %q, linking to #password and keeping the name\n%s", c.password, res.StatusCode, c.want, res.Body)
		}
	}
	if res := f.Post(t, invitee, link, url.Values{"name": {"  "}, "password": {"a long enough passphrase"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a blank name: status %d, want 422", res.StatusCode)
	}

	res := f.Post(t, invitee, link, url.Values{
		"name": {"Bo Berg"}, "password": {"a long enough passphrase"},
		"email": {"mallory@evil.example"}, "role": {"admin"}, "roles": {"admin"}, "space": {"1"}, "space_id": {"1"}, "user_id": {"1"},
	})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("accept: status %d location %q\n%s", res.StatusCode, res.Header.Get("Location"), res.Body)
	}
	if email := f.User(t, id).Email; email != "bo@example.com" {
		t.Errorf("the user's email is %q, want the invited bo@example.com", email)
	}
	var roles []string
	for _, g := range f.Grants(t, id) {
		roles = append(roles, string(g.Role))
	}
	if len(roles) != 1 || roles[0] != "member" {
		t.Errorf("roles after accepting = %v, want only the offered member", roles)
	}
	if f.UserID(t, "mallory@evil.example") != 0 {
		t.Error("a posted email made a user")
	}
	prof := f.Get(t, invitee, "/profile")
	if !strings.Contains(prof.Body, "Welcome, Bo Berg") || !strings.Contains(prof.Body, "Member of "+apptest.AccountName) {
		t.Errorf("profile after accepting:\n%s", prof.Body)
	}
	if res := f.Get(t, invitee, "/settings/users"); res.StatusCode != http.StatusForbidden {
		t.Errorf("the new member reaches Settings > Users: status %d", res.StatusCode)
	}

	// The link is spent: it points to sign-in and refuses another post.
	if page := f.Get(t, f.Client(t), link); !strings.Contains(page.Body, "already joined") || !strings.Contains(page.Body, `href="/login"`) {
		t.Errorf("an accepted link should point to sign in:\n%s", page.Body)
	}
	again := f.Post(t, f.Client(t), link, url.Values{"name": {"Eve"}, "password": {"another long passphrase"}})
	if again.StatusCode != http.StatusConflict {
		t.Errorf("accepting twice: status %d, want 409", again.StatusCode)
	}
	if name := f.User(t, id).Name; name != "Bo Berg" {
		t.Errorf("a second accept renamed the user to %q", name)
	}
}

// Twenty people posting the same link at once: one joins, the rest are told.
func TestAcceptParallelOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	id := f.invite(t, "bo@example.com", "member")
	link := f.lastLink(t, "bo@example.com")
	// Opening the page, as mail scanners do, never spends the link.
	for range 3 {
		if page := f.Get(t, f.Client(t), link); !strings.Contains(page.Body, `name="password"`) {
			t.Fatalf("the accept form should show:\n%s", page.Body)
		}
	}

	const n = 20
	clients := make([]*http.Client, n)
	for i := range clients {
		clients[i] = f.Client(t)
	}
	statuses := parallelPosts(t, f, clients, link, url.Values{"name": {"Bo"}, "password": {"a long enough passphrase"}})
	won := -1
	for i, st := range statuses {
		switch st {
		case http.StatusSeeOther:
			if won >= 0 {
				t.Errorf("posts %d and %d both accepted the link", won, i)
			}
			won = i
		case http.StatusConflict, http.StatusTooManyRequests:
		default:
			t.Errorf("post %d: status %d, want 303, 409 or 429", i, st)
		}
	}
	if won < 0 {
		t.Fatalf("no post accepted the link: %v", statuses)
	}
	// Under the services: twenty racing accepts must leave exactly one of
	// each row, which no service counts.
	var users, grants, accepted int
	_ = f.App.DB.R.QueryRow(`SELECT count(*) FROM users WHERE email = 'bo@example.com' AND activated_at IS NOT NULL`).Scan(&users)
	_ = f.App.DB.R.QueryRow(`SELECT count(*) FROM role_grants WHERE user_id = ?`, id).Scan(&grants)
	_ = f.App.DB.R.QueryRow(`SELECT count(*) FROM invitations WHERE user_id = ? AND state = 'accepted'`, id).Scan(&accepted)
	if users != 1 || grants != 1 || accepted != 1 {
		t.Errorf("after 20 accepts: %d active users, %d grants, %d accepted invitations; want 1 each", users, grants, accepted)
	}
	for i, c := range clients {
		signedIn := f.Get(t, c, "/profile").StatusCode == http.StatusOK
		if signedIn != (i == won) {
			t.Errorf("client %d signed in = %v; only the winner should be", i, signedIn)
		}
	}
}

// An administrator who opens someone else's link and accepts it is signed
// out of their own account first: the sessions are never merged.
func TestAcceptWhileSignedInAsSomeoneElse(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	f.invite(t, "bo@example.com", "member")
	link := f.lastLink(t, "bo@example.com")

	if page := f.Get(t, f.admin, link); page.StatusCode != http.StatusOK {
		t.Fatalf("the admin opening the link: status %d", page.StatusCode)
	}
	res := f.Post(t, f.admin, link, url.Values{"name": {"Bo Berg"}, "password": {"a long enough passphrase"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: status %d\n%s", res.StatusCode, res.Body)
	}
	if res := f.Get(t, f.admin, "/settings/users"); res.StatusCode != http.StatusForbidden {
		t.Errorf("after accepting, the browser still reaches Settings > Users: status %d", res.StatusCode)
	}
	prof := f.Get(t, f.admin, "/profile")
	if !strings.Contains(prof.Body, "Signed in as <strong>Bo Berg</strong>") || strings.Contains(prof.Body, apptest.AdminName) {
		t.Errorf("the browser should now be Bo's alone:\n%s", prof.Body)
	}
	if res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"x@example.com"}, "role": {"admin"}}); res.StatusCode != http.StatusForbidden || f.UserID(t, "x@example.com") != 0 {
		t.Errorf("the merged session could still invite: status %d", res.StatusCode)
	}
}
