package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/apptest"
)

// The whole life of one invitation over HTTP, with the email read from a
// real SMTP server.
func TestInviteEmailAccept(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)

	res := e.Post(t, admin, "/settings/users/invite", url.Values{"email": {"Bo@Example.com"}, "name": {"Bo"}, "role": {"member"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite: status %d\n%s", res.StatusCode, res.Body)
	}
	e.Deliver(t)
	got := e.SMTP.To("bo@example.com")
	if len(got) != 1 {
		t.Fatalf("want 1 email to bo@example.com, got %d", len(got))
	}
	link := apptest.Link(got[0].Text)
	if link == "" || !strings.Contains(got[0].HTML, link) {
		t.Fatalf("the email's text and HTML parts should both carry the link; text:\n%s", got[0].Text)
	}

	list := e.Get(t, admin, "/settings/users")
	if !strings.Contains(list.Body, "bo@example.com") || !strings.Contains(list.Body, "Invited") {
		t.Fatalf("the list should show bo as Invited:\n%s", list.Body)
	}
	if strings.Contains(list.Body, strings.TrimPrefix(link, e.URL)) {
		t.Fatal("the list HTML must not contain the invitation link")
	}

	invitee := e.Client(t)
	path := strings.TrimPrefix(link, e.URL)
	page := e.Get(t, invitee, path)
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "Join "+apptest.AccountName) {
		t.Fatalf("accept page: status %d\n%s", page.StatusCode, page.Body)
	}
	if rp := page.Header.Get("Referrer-Policy"); rp != "no-referrer" {
		t.Fatalf("accept page Referrer-Policy = %q, want no-referrer", rp)
	}
	res = e.Post(t, invitee, path, url.Values{"name": {"Bo Berg"}, "password": {"a long enough passphrase"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("accept: status %d location %q\n%s", res.StatusCode, res.Header.Get("Location"), res.Body)
	}
	prof := e.Get(t, invitee, "/profile")
	if !strings.Contains(prof.Body, "Bo Berg") || !strings.Contains(prof.Body, "Member of "+apptest.AccountName) {
		t.Fatalf("profile after accepting:\n%s", prof.Body)
	}
	again := e.Get(t, invitee, path)
	if !strings.Contains(again.Body, "already joined") {
		t.Fatalf("an accepted link should point to sign in:\n%s", again.Body)
	}
}
