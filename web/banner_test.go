package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
)

// longAddresses are n distinct addresses of 39 characters.
func longAddresses(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("person.number.%02d@department.example.org", i+1)
	}
	return out
}

// queuedPerRecipient counts the outbox's emails to each recipient. Under
// the services: what counts is what was queued, before any delivery.
func queuedPerRecipient(t *testing.T, f *fixture) map[string]int {
	t.Helper()
	rows, err := f.App.DB.R.Query(`SELECT recipient, count(*) FROM outbox GROUP BY recipient`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var to string
		var n int
		if err := rows.Scan(&to, &n); err != nil {
			t.Fatal(err)
		}
		out[to] = n
	}
	return out
}

// wantOneEach checks that each of emails has exactly one email queued.
func wantOneEach(t *testing.T, f *fixture, what string, emails []string) {
	t.Helper()
	got := queuedPerRecipient(t, f)
	for _, em := range emails {
		if got[em] != 1 {
			t.Errorf("%s: %s has %d emails queued, want 1", what, em, got[em])
		}
	}
}

// Inviting 50 people with long addresses at once: the banner names a few
// and counts the rest, so it fits the session cookie, and the answer is
// the redirect, not an error after everything was sent. A second click
// within seconds is the same click: 303 again, nothing sent twice. The
// form's own messages about many addresses are bounded the same way.
//
// ASVS 5.0: V16.5.3 by analogy (fails gracefully: a committed action is
// never answered as failed).
func TestInviteFiftyLongAddresses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	emails := longAddresses(50)
	form := url.Values{"email": {strings.Join(emails, ", ")}, "role": {"member"}}
	want := "Invitations will be sent to person.number.01@department.example.org, person.number.02@department.example.org, person.number.03@department.example.org and 47 others."
	for _, click := range []string{"the post", "a second click 2 s later"} {
		res := f.Post(t, f.admin, "/settings/users/invite", form)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings/users" {
			t.Fatalf("%s: status %d to %q, want 303 to /settings/users\n%.800s", click, res.StatusCode, res.Header.Get("Location"), text(res.Body))
		}
		page := f.Get(t, f.admin, "/settings/users")
		if kind, msg := bannerOf(page.Body); kind != "success" || msg != want {
			t.Errorf("%s: the next page's banner is %s %q, want %q", click, kind, msg, want)
		}
		wantOneEach(t, f, click, emails)
		f.Clock.Advance(2 * time.Second)
	}
	if n := f.outbox(t); n != 50 {
		t.Errorf("%d emails queued, want 50", n)
	}

	// The same addresses with another role are already invited: the form
	// shows a box for the first few and one sentence for the rest.
	f.Clock.Advance(time.Minute)
	again := append(emails[:49:49], "newcomer@department.example.org")
	res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {strings.Join(again, ", ")}, "role": {"admin"}})
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("49 known and one new: status %d, want 409\n%.800s", res.StatusCode, text(res.Body))
	}
	body := text(res.Body)
	for _, want := range []string{
		"Invitation will be sent to newcomer@department.example.org.",
		"person.number.03@department.example.org already has a pending invitation",
		"person.number.04@department.example.org, person.number.05@department.example.org, person.number.06@department.example.org and 43 others also already have a pending invitation. Nothing was sent to them.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the form should say %q:\n%s", want, body)
		}
	}
	if n := strings.Count(res.Body, "Resend invitation link"); n != 3 {
		t.Errorf("%d Resend buttons on the form, want 3", n)
	}
	if n := f.outbox(t); n != 51 {
		t.Errorf("%d emails queued, want 51", n)
	}
}

// A client that does not follow redirects (a script, a browser tab that
// never loads the next page) and does one action after another: each
// answers 303, however many banners were never shown; one banner waits at
// most, the last one, and it shows once.
//
// ASVS 5.0: V16.5.3 by analogy (fails gracefully: a committed action is
// never answered as failed).
func TestBannersNeverPileUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	const n = 30
	var ids []int64
	for i := range n {
		email := fmt.Sprintf("person.number.%02d@department.example.org", i)
		res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {email}, "role": {"member"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("invitation %d without following the redirect: status %d\n%.600s", i+1, res.StatusCode, text(res.Body))
		}
		ids = append(ids, f.UserID(t, email))
	}
	f.Clock.Advance(2 * time.Minute)
	for _, action := range []string{"resend", "cancel"} {
		for i, id := range ids {
			res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/%s", id, action), url.Values{"return": {"/settings/users"}})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s %d without following the redirect: status %d\n%.600s", action, i+1, res.StatusCode, text(res.Body))
			}
		}
	}
	page := f.Get(t, f.admin, "/settings/users")
	want := fmt.Sprintf("Invitation for person.number.%02d@department.example.org cancelled.", n-1)
	if kind, msg := bannerOf(page.Body); kind != "success" || msg != want || strings.Count(page.Body, `class="banner banner-`) != 1 {
		t.Errorf("the page shows %d banners, the first %s %q; want one, %q", strings.Count(page.Body, `class="banner banner-`), kind, msg, want)
	}
	if again := f.Get(t, f.admin, "/settings/users"); strings.Contains(again.Body, `class="banner banner-`) {
		t.Errorf("a banner shows again on the page after:\n%s", again.Body)
	}
}

// When the session cannot be saved after an action was carried out (the
// banner's last way to the next page), the action still answers as done:
// this response shows the banner itself, with a link on, and the failure
// is logged. Accepting an invitation signs nobody in then, and drops the
// browser's old cookie.
//
// ASVS 5.0: V16.5.3 by analogy (fails gracefully: a committed action is
// never answered as failed).
func TestBannerShownWhenSessionCannotBeSaved(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	f := newFixture(t, apptest.Options{Log: &log})
	bo := f.invite(t, "bo@example.com", "member")
	cy := f.invite(t, "cy@example.com", "member")
	link := f.copyLink(t, cy)
	f.Clock.Advance(2 * time.Minute)
	f.Get(t, f.admin, "/settings/users") // the session's last seen, so no save is due
	f.App.Web.BreakSessionSaving()

	done := func(what string, res apptest.Response, next, want string) {
		t.Helper()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `href="`+next+`"`) {
			t.Errorf("%s: status %d, want 200 and a link on to %s\n%.800s", what, res.StatusCode, next, text(res.Body))
		}
		if kind, msg := bannerOf(res.Body); kind != "success" || msg != want {
			t.Errorf("%s: banner %s %q, want %q", what, kind, msg, want)
		}
	}
	emails := longAddresses(50)
	res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {strings.Join(emails, ", ")}, "role": {"member"}})
	done("inviting 50", res, "/settings/users", "Invitations will be sent to person.number.01@department.example.org, person.number.02@department.example.org, person.number.03@department.example.org and 47 others.")
	wantOneEach(t, f, "inviting 50", emails)

	res = f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/resend", bo), url.Values{"return": {"/settings/users?status=invited"}})
	done("resend", res, "/settings/users?status=invited", "Invitation link will be resent to bo@example.com.")

	visitor := f.Client(t)
	res = f.Post(t, visitor, link, url.Values{"name": {"Cy"}, "password": {"a long enough passphrase"}})
	done("accept", res, "/login", "Welcome, Cy. Your account is ready. Sign in to continue.")
	dropped := false
	for _, c := range res.Cookies() {
		dropped = dropped || c.Name == "usher_session" && c.MaxAge < 0
	}
	if !dropped {
		t.Errorf("accept: the response should drop the session cookie; Set-Cookie %q", res.Header.Values("Set-Cookie"))
	}
	if f.User(t, cy).ActivatedAt.IsZero() {
		t.Error("cy is not active after accepting")
	}
	if n := strings.Count(log.String(), "keeping a banner for the next page"); n != 2 {
		t.Errorf("the log has %d lines about banners not kept, want 2:\n%s", n, log.String())
	}
	if !strings.Contains(log.String(), "starting a session") {
		t.Errorf("the log does not say the session could not be started:\n%s", log.String())
	}
}
