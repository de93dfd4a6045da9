package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
)

// fixture is a running Usher with its account administrator signed in.
type fixture struct {
	*apptest.Env
	admin *http.Client
}

func newFixture(t *testing.T, o apptest.Options) *fixture {
	t.Helper()
	e := apptest.New(t, o)
	e.SetupAdmin(t)
	return &fixture{Env: e, admin: e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)}
}

// invite invites email as role through the form and returns the new user's id.
func (f *fixture) invite(t *testing.T, email, role string) int64 {
	t.Helper()
	res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {email}, "role": {role}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite %s: status %d\n%s", email, res.StatusCode, res.Body)
	}
	// Follow the redirect as a browser would, which takes the flash.
	if page := f.Get(t, f.admin, res.Header.Get("Location")); page.StatusCode != http.StatusOK {
		t.Fatalf("after inviting %s: status %d", email, page.StatusCode)
	}
	return f.UserID(t, email)
}

// mails delivers the outbox and returns what reached email so far.
func (f *fixture) mails(t *testing.T, email string) int {
	t.Helper()
	f.Deliver(t)
	return len(f.SMTP.To(email))
}

// allMail delivers the outbox and counts every message sent so far.
func (f *fixture) allMail(t *testing.T) int {
	t.Helper()
	f.Deliver(t)
	return len(f.SMTP.Messages())
}

// lastLink delivers the outbox and returns the path of the link in the
// newest email to email.
func (f *fixture) lastLink(t *testing.T, email string) string {
	t.Helper()
	f.Deliver(t)
	got := f.SMTP.To(email)
	if len(got) == 0 {
		t.Fatalf("no email reached %s", email)
	}
	link := apptest.Link(got[len(got)-1].Text)
	if link == "" {
		t.Fatalf("no link in the email to %s:\n%s", email, got[len(got)-1].Text)
	}
	return strings.TrimPrefix(link, f.URL)
}

// acceptAs accepts the invitation at path and returns the new user's client.
func (f *fixture) acceptAs(t *testing.T, path, name string) *http.Client {
	t.Helper()
	c := f.Client(t)
	res := f.Post(t, c, path, url.Values{"name": {name}, "password": {"a long enough passphrase"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept %s: status %d\n%s", path, res.StatusCode, res.Body)
	}
	return c
}

// snapshot is everything an action could change about a user, as text.
// Under the services: "changed nothing" is about the rows themselves,
// columns no page shows included.
func (f *fixture) snapshot(t *testing.T, id int64) string {
	t.Helper()
	var b strings.Builder
	dump := func(query string, args ...any) {
		rows, err := f.App.DB.R.QueryContext(context.Background(), query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%v\n", vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	dump(`SELECT id, email, name, password_hash, activated_at, deactivated_at, invite_expires_at, session_version FROM users WHERE id = ?`, id)
	dump(`SELECT id, state, sent_at, expires_at, hex(token_hash), ended_at, superseded_by, reminded_at FROM invitations WHERE user_id = ? ORDER BY id`, id)
	dump(`SELECT count(*) FROM invitation_events WHERE invitation_id IN (SELECT id FROM invitations WHERE user_id = ?)`, id)
	dump(`SELECT count(*) FROM outbox`)
	dump(`SELECT space_id, role FROM role_grants WHERE user_id = ? ORDER BY space_id`, id)
	return b.String()
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// text is what a person reads in an HTML body: tags dropped, entities
// decoded, spaces collapsed.
func text(body string) string {
	body = strings.ReplaceAll(body, "<wbr>", "") // a place to break a line, inside a word
	return strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(body, " "))), " ")
}

// signInAgain starts a new administrator session, as needed after the
// clock jumps past the session timeouts.
func (f *fixture) signInAgain(t *testing.T) {
	t.Helper()
	f.admin = f.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
}

var rowRE = regexp.MustCompile(`(?s)<tr id="user-(\d+)".*?</tr>`)

// rowOf returns the <tr> of user id in an HTML body, or "".
func rowOf(body string, id int64) string {
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		if m[1] == strconv.FormatInt(id, 10) {
			return m[0]
		}
	}
	return ""
}

var actionsRE = regexp.MustCompile(`data-actions="([^"]*)"`)

// offers reports whether a row's menu has the action named key (the last
// part of its URL: "resend", "edit"…). The browser makes the menu from
// the row's data-actions and the page's #menu-items template.
func offers(row, key string) bool {
	m := actionsRE.FindStringSubmatch(row)
	return m != nil && slices.Contains(strings.Fields(m[1]), key)
}

type status string

const (
	invited     status = "invited"
	expired     status = "expired"
	active      status = "active"
	deactivated status = "deactivated"
)

// Every row action in every status, with htmx and without JavaScript.
func TestRowActionsByStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})

	type want struct {
		ok      bool
		status  int    // for a refusal with htmx (or JSON)
		message string // the banner, %s being the email
	}
	cases := []struct {
		action string
		st     status
		want   want
	}{
		{"link", invited, want{true, 200, "Invitation link copied."}},
		{"link", expired, want{false, 409, "The invitation for %s has expired, so its link no longer works. Send a new invitation instead."}},
		{"link", active, want{false, 409, "%s has no pending invitation."}},
		{"link", deactivated, want{false, 409, "%s is deactivated. Activate the user before acting on their invitation."}},

		{"resend", invited, want{true, 200, "Invitation link will be resent to %s."}},
		{"resend", expired, want{false, 409, "The invitation for %s has expired. Send a new invitation instead."}},
		{"resend", active, want{false, 409, "%s has no pending invitation."}},
		{"resend", deactivated, want{false, 409, "%s is deactivated. Activate the user before acting on their invitation."}},

		{"renew", invited, want{false, 409, "The invitation for %s has not expired yet. Resend it instead."}},
		{"renew", expired, want{true, 200, "A new invitation will be sent to %s."}},
		{"renew", active, want{false, 409, "%s has no pending invitation."}},
		{"renew", deactivated, want{false, 409, "%s is deactivated. Activate the user before acting on their invitation."}},

		{"cancel", invited, want{true, 200, "Invitation for %s cancelled."}},
		{"cancel", expired, want{true, 200, "Invitation for %s cancelled."}},
		{"cancel", active, want{false, 409, "%s has no pending invitation."}},
		{"cancel", deactivated, want{false, 409, "%s is deactivated. Activate the user before acting on their invitation."}},
	}
	paths := []string{"htmx", "nojs"}
	emailOf := func(action string, st status, path string) string {
		return fmt.Sprintf("%s-%s-%s@example.com", action, st, path)
	}

	// Expired invitations first, then a week later the live ones.
	ids := map[string]int64{}
	for _, c := range cases {
		for _, p := range paths {
			if c.st == expired {
				em := emailOf(c.action, c.st, p)
				ids[em] = f.invite(t, em, "member")
			}
		}
	}
	f.Clock.Advance(8 * 24 * time.Hour)
	f.signInAgain(t)
	for _, c := range cases {
		for _, p := range paths {
			em := emailOf(c.action, c.st, p)
			switch c.st {
			case invited, deactivated:
				ids[em] = f.invite(t, em, "member")
			}
			if c.st == deactivated {
				f.Deactivate(t, ids[em])
			}
		}
	}
	// One active user serves every refused action on an active row.
	const activeEmail = "active@example.com"
	f.invite(t, activeEmail, "member")
	f.acceptAs(t, f.lastLink(t, activeEmail), "Ada Active")
	activeID := f.UserID(t, activeEmail)
	// Past the resend cooldown of the invitations just sent.
	f.Clock.Advance(2 * time.Minute)

	list := f.Get(t, f.admin, "/settings/users?status=")
	for em, id := range ids {
		if rowOf(list.Body, id) == "" {
			t.Fatalf("the list should show a row for %s", em)
		}
	}

	const back = "/settings/users?status=invited"
	for _, c := range cases {
		for _, p := range paths {
			t.Run(c.action+"/"+string(c.st)+"/"+p, func(t *testing.T) {
				em, id := emailOf(c.action, c.st, p), ids[emailOf(c.action, c.st, p)]
				if c.st == active {
					em, id = activeEmail, activeID
				}
				msg := c.want.message
				if strings.Contains(msg, "%s") {
					msg = fmt.Sprintf(msg, em)
				}
				mailsBefore := f.mails(t, em)
				linkBefore := ""
				if mailsBefore > 0 {
					linkBefore = f.lastLink(t, em)
				}
				before := f.snapshot(t, id)
				path := fmt.Sprintf("/settings/users/%d/%s", id, c.action)
				form := url.Values{"return": {back}}

				var res apptest.Response
				switch {
				case p == "htmx" && c.action == "link":
					// The copy script asks for JSON with fetch.
					res = f.Post(t, f.admin, path, form, "Accept", "application/json")
				case p == "htmx":
					res = f.Post(t, f.admin, path, form, apptest.HTMX...)
				default:
					res = f.Post(t, f.admin, path, form)
				}

				if !c.want.ok {
					checkRefused(t, f, res, p, c.action, c.want.status, msg, back)
					if after := f.snapshot(t, id); after != before {
						t.Errorf("a refused %s changed the user:\nbefore %s\nafter  %s", c.action, before, after)
					}
					if n := f.mails(t, em); n != mailsBefore {
						t.Errorf("a refused %s sent %d email(s)", c.action, n-mailsBefore)
					}
					return
				}

				switch {
				case c.action == "link" && p == "htmx":
					var got struct{ Link, Message string }
					if res.StatusCode != 200 || json.Unmarshal([]byte(res.Body), &got) != nil {
						t.Fatalf("copy link: status %d body %s", res.StatusCode, res.Body)
					}
					if got.Message != msg || strings.TrimPrefix(got.Link, f.URL) != linkBefore {
						t.Errorf("copy link = %+v, want the emailed link %s and %q", got, linkBefore, msg)
					}
				case c.action == "link":
					// Without JavaScript: a page with the link to copy by hand.
					if res.StatusCode != 200 || !strings.Contains(res.Body, f.URL+linkBefore) {
						t.Errorf("copy link without JavaScript: status %d, want the page with the link\n%s", res.StatusCode, res.Body)
					}
				case p == "htmx":
					if res.StatusCode != 200 {
						t.Fatalf("status %d\n%s", res.StatusCode, res.Body)
					}
					row := rowOf(res.Body, id)
					if c.action == "cancel" {
						if row != "" {
							t.Errorf("a cancelled never-joined user should leave the list, got row:\n%s", row)
						}
					} else if row == "" {
						t.Errorf("the htmx answer should carry the row <tr id=\"user-%d\">:\n%s", id, res.Body)
					}
					checkOOBBanner(t, res.Body, "success", msg)
				default:
					checkFlash(t, f, res, back, "success", msg)
				}
				if c.action == "link" {
					if after := f.snapshot(t, id); after != before {
						t.Errorf("copying the link changed the user:\nbefore %s\nafter  %s", before, after)
					}
				}

				// The effect on email.
				n := f.mails(t, em)
				switch c.action {
				case "link", "cancel":
					if n != mailsBefore {
						t.Errorf("%s sent %d email(s), want none", c.action, n-mailsBefore)
					}
				case "resend", "renew":
					if n != mailsBefore+1 {
						t.Fatalf("%s sent %d email(s), want 1", c.action, n-mailsBefore)
					}
					link := f.lastLink(t, em)
					if c.action == "resend" && link != linkBefore {
						t.Errorf("resend should send the same link: %s, then %s", linkBefore, link)
					}
					if c.action == "renew" && link == linkBefore {
						t.Errorf("a new invitation should carry a new link")
					}
				}
				if c.action == "cancel" && f.UserID(t, em) != 0 {
					t.Errorf("a cancelled never-joined user should be gone")
				}
			})
		}
	}
}

// checkRefused checks a refused action's answer: with htmx, the status and
// an error banner out of band with the page left alone; without
// JavaScript, a redirect back and the error banner once.
func checkRefused(t *testing.T, f *fixture, res apptest.Response, path, action string, status int, msg, back string) {
	t.Helper()
	switch {
	case path == "htmx" && action == "link":
		var got struct{ Message string }
		if res.StatusCode != status || json.Unmarshal([]byte(res.Body), &got) != nil || got.Message != msg {
			t.Errorf("refused copy: status %d body %s, want %d and %q", res.StatusCode, res.Body, status, msg)
		}
	case path == "htmx":
		if res.StatusCode != status {
			t.Errorf("status %d, want %d\n%s", res.StatusCode, status, res.Body)
		}
		if got := res.Header.Get("HX-Reswap"); got != "none" {
			t.Errorf("HX-Reswap = %q, want none (leave the row as it is)", got)
		}
		if strings.Contains(res.Body, "<tr") {
			t.Errorf("a refusal should not send a row:\n%s", res.Body)
		}
		checkOOBBanner(t, res.Body, "error", msg)
	default:
		// Without JavaScript every refusal, copy included, comes back to
		// the list with the error banner.
		checkFlash(t, f, res, back, "error", msg)
	}
}

var oobRE = regexp.MustCompile(`(?s)<div data-hx-swap-oob="innerHTML:#banner">(.*?)</div>\s*$`)

func checkOOBBanner(t *testing.T, body, kind, msg string) {
	t.Helper()
	m := oobRE.FindStringSubmatch(body)
	if m == nil {
		t.Errorf("want an hx-swap-oob banner at the end of:\n%s", body)
		return
	}
	if !strings.Contains(m[1], "banner-"+kind) || !strings.Contains(text(m[1]), msg) {
		t.Errorf("want a %s banner %q, got:\n%s", kind, msg, m[1])
	}
}

// checkFlash follows a no-JS post's redirect and checks the banner shows
// on the next page, once.
func checkFlash(t *testing.T, f *fixture, res apptest.Response, back, kind, msg string) {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != back {
		t.Fatalf("status %d location %q, want 303 to %s\n%s", res.StatusCode, res.Header.Get("Location"), back, res.Body)
	}
	page := f.Get(t, f.admin, back)
	if page.StatusCode != 200 || !strings.Contains(text(page.Body), msg) || !strings.Contains(page.Body, "banner-"+kind) {
		t.Errorf("the page after the redirect should show the %s banner %q:\n%s", kind, msg, page.Body)
	}
	if again := f.Get(t, f.admin, back); strings.Contains(text(again.Body), msg) {
		t.Errorf("the banner %q should show once, not again on reload", msg)
	}
}

// A "return" field can only send people back into the users list.
func TestReturnStaysOnSite(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	for i, ret := range []string{"https://evil.example", "//evil.example", "/\\evil.example", "https://evil.example/settings/users", "javascript:alert(1)", "/login", ""} {
		em := fmt.Sprintf("r%d@example.com", i)
		id := f.invite(t, em, "member")
		res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/cancel", id), url.Values{"return": {ret}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings/users" {
			t.Errorf("return=%q: status %d location %q, want 303 to /settings/users", ret, res.StatusCode, res.Header.Get("Location"))
		}
	}
	// A path inside the list, with its query, is kept.
	id := f.invite(t, "kept@example.com", "member")
	res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/cancel", id), url.Values{"return": {"/settings/users?q=kept&page=2"}})
	if got := res.Header.Get("Location"); got != "/settings/users?q=kept&page=2" {
		t.Errorf("location %q, want the list page the post came from", got)
	}
	// The no-JavaScript pages pass such a return on in their links with
	// its query escaped, so "&page=2" is not taken for a parameter of
	// the link itself.
	id = f.invite(t, "links@example.com", "member")
	ret := "/settings/users?q=links&page=2"
	page := f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/actions?return=%s", id, url.QueryEscape(ret)))
	want := fmt.Sprintf("/settings/users/%d/cancel?return=%s", id, url.QueryEscape(ret))
	if !strings.Contains(page.Body, `href="`+want+`"`) {
		t.Errorf("the actions page does not link to %s\n%s", want, page.Body)
	}
}

// Resend is a reminder with the same link whose expiry restarts.
func TestResendSameLinkRestartsExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	id := f.invite(t, "bo@example.com", "member")
	first := f.lastLink(t, "bo@example.com")

	// Within the cooldown a resend is refused, saying when it can go.
	res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/resend", id), nil, apptest.HTMX...)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("HX-Reswap") != "none" || res.Header.Get("Retry-After") != "60" {
		t.Fatalf("resend within a minute: status %d, want 429\n%s", res.StatusCode, res.Body)
	}
	checkOOBBanner(t, res.Body, "error", "The invitation to bo@example.com was sent moments ago. You can resend it in 60 seconds.")
	f.Clock.Advance(45 * time.Second)
	res = f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/resend", id), nil, apptest.HTMX...)
	if got := res.Header.Get("Retry-After"); got != "15" {
		t.Errorf("45 seconds into the cooldown: Retry-After %q, want 15", got)
	}
	res = f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/resend", id), url.Values{"return": {"/settings/users"}})
	checkFlash(t, f, res, "/settings/users", "error", "You can resend it in 15 seconds.")
	if n := f.mails(t, "bo@example.com"); n != 1 {
		t.Fatalf("refused resends sent email: %d messages", n)
	}

	f.Clock.Advance(3 * 24 * time.Hour)
	f.signInAgain(t)
	res = f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/resend", id), nil, apptest.HTMX...)
	if res.StatusCode != 200 {
		t.Fatalf("resend: status %d\n%s", res.StatusCode, res.Body)
	}
	if !strings.Contains(text(rowOf(res.Body, id)), "Expires") {
		t.Errorf("the row should show the new expiry:\n%s", res.Body)
	}
	if n := f.mails(t, "bo@example.com"); n != 2 {
		t.Fatalf("want 2 emails after a resend, got %d", n)
	}
	if second := f.lastLink(t, "bo@example.com"); second != first {
		t.Fatalf("resend sent a different link: %s, then %s", first, second)
	}
	// Eight days after the first email, five after the reminder: still good.
	f.Clock.Advance(5 * 24 * time.Hour)
	f.signInAgain(t)
	page := f.Get(t, f.Client(t), first)
	if page.StatusCode != 200 || !strings.Contains(page.Body, "Join "+apptest.AccountName) {
		t.Fatalf("the resent link should be valid 7 days from the resend:\n%s", page.Body)
	}
	row := rowOf(f.Get(t, f.admin, "/settings/users").Body, id)
	if !strings.Contains(row, ">Invited<") {
		t.Errorf("the row should still say Invited:\n%s", row)
	}
}

// Send new invitation: a new link; the old one stops working at once.
func TestRenewNewLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	id := f.invite(t, "bo@example.com", "member")
	old := f.lastLink(t, "bo@example.com")
	f.Clock.Advance(8 * 24 * time.Hour)
	f.signInAgain(t)

	page := f.Get(t, f.Client(t), old)
	if !strings.Contains(page.Body, "This invitation has expired") {
		t.Fatalf("an expired link should say so:\n%s", page.Body)
	}
	res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/renew", id), nil, apptest.HTMX...)
	if res.StatusCode != 200 {
		t.Fatalf("renew: status %d\n%s", res.StatusCode, res.Body)
	}
	checkOOBBanner(t, res.Body, "success", "A new invitation will be sent to bo@example.com.")
	if row := rowOf(res.Body, id); !strings.Contains(row, ">Invited<") {
		t.Errorf("after a new invitation the row should say Invited:\n%s", row)
	}
	fresh := f.lastLink(t, "bo@example.com")
	if fresh == old {
		t.Fatal("a new invitation must carry a new link")
	}
	for _, c := range []struct{ path, want string }{
		{old, "This invitation is no longer valid"},
		{fresh, "Join " + apptest.AccountName},
	} {
		if page := f.Get(t, f.Client(t), c.path); !strings.Contains(page.Body, c.want) {
			t.Errorf("GET %s: want %q\n%s", c.path, c.want, page.Body)
		}
	}
	// The old link cannot be accepted either.
	res = f.Post(t, f.Client(t), old, url.Values{"name": {"Bo"}, "password": {"a long enough passphrase"}})
	if res.StatusCode != http.StatusConflict {
		t.Errorf("accepting the superseded link: status %d, want 409", res.StatusCode)
	}
}

// Cancel: the row leaves the list and the link dies, even under a form
// opened before the cancel.
func TestCancelKillsLink(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	id := f.invite(t, "bo@example.com", "member")
	link := f.lastLink(t, "bo@example.com")

	invitee := f.Client(t)
	if page := f.Get(t, invitee, link); !strings.Contains(page.Body, `name="password"`) {
		t.Fatalf("the accept form should show before the cancel:\n%s", page.Body)
	}
	confirm := f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/cancel", id), apptest.HTMX...)
	if !strings.Contains(confirm.Body, "<dialog") || !strings.Contains(confirm.Body, "Cancel invitation") {
		t.Errorf("the confirmation should be a dialog:\n%s", confirm.Body)
	}
	res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/cancel", id), nil, apptest.HTMX...)
	if res.StatusCode != 200 {
		t.Fatalf("cancel: status %d\n%s", res.StatusCode, res.Body)
	}
	list := f.Get(t, f.admin, "/settings/users")
	if strings.Contains(list.Body, "bo@example.com") || rowOf(list.Body, id) != "" {
		t.Errorf("a cancelled never-joined user should leave the list")
	}
	if page := f.Get(t, f.Client(t), link); !strings.Contains(page.Body, "This invitation is no longer valid") {
		t.Errorf("a cancelled link should say it is no longer valid:\n%s", page.Body)
	}
	res = f.Post(t, invitee, link, url.Values{"name": {"Bo"}, "password": {"a long enough passphrase"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "no longer valid") {
		t.Errorf("posting a form opened before the cancel: status %d, want 409 no longer valid\n%s", res.StatusCode, res.Body)
	}
	if id := f.UserID(t, "bo@example.com"); id != 0 {
		t.Errorf("nobody should have joined: bo@example.com is user %d", id)
	}
	if prof := f.Get(t, invitee, "/profile"); prof.StatusCode != http.StatusSeeOther {
		t.Errorf("the invitee should not be signed in: /profile status %d", prof.StatusCode)
	}
	if n := f.mails(t, "bo@example.com"); n != 1 {
		t.Errorf("cancel sent email: %d messages", n)
	}
}

// The ••• menu offers exactly SPEC's actions for each status.
func TestMenuPerStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	expiredID := f.invite(t, "old@example.com", "member")
	f.Clock.Advance(8 * 24 * time.Hour)
	f.signInAgain(t)
	invitedID := f.invite(t, "new@example.com", "admin")
	deactID := f.invite(t, "gone@example.com", "member")
	f.Deactivate(t, deactID)
	f.acceptAs(t, f.lastLink(t, "new@example.com"), "Nina New")
	pendingID := f.invite(t, "pending@example.com", "member")

	// SPEC §2's table, row by row.
	labels := []string{"Copy invitation link", "Resend invitation link", "Send new invitation", "Manage invitation",
		"Cancel invitation", "Edit user", "Deactivate user", "Activate user", "Delete user"}
	keys := map[string]string{"Copy invitation link": "link", "Resend invitation link": "resend", "Send new invitation": "renew",
		"Manage invitation": "invitation", "Cancel invitation": "cancel", "Edit user": "edit", "Deactivate user": "deactivate",
		"Activate user": "activate", "Delete user": "delete"}
	cases := []struct {
		name   string
		id     int64
		email  string
		status string
		has    []string
	}{
		{"invited", pendingID, "pending@example.com", "Invited",
			[]string{"Copy invitation link", "Resend invitation link", "Manage invitation", "Cancel invitation", "Edit user", "Deactivate user", "Delete user"}},
		{"expired", expiredID, "old@example.com", "Invitation expired",
			[]string{"Send new invitation", "Manage invitation", "Cancel invitation", "Edit user", "Deactivate user", "Delete user"}},
		{"active", invitedID, "new@example.com", "Active", []string{"Edit user", "Deactivate user", "Delete user"}},
		{"deactivated", deactID, "gone@example.com", "Deactivated", []string{"Edit user", "Activate user", "Delete user"}},
	}
	list := f.Get(t, f.admin, "/settings/users")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			row := rowOf(list.Body, c.id)
			if row == "" {
				t.Fatalf("no row for %s in:\n%s", c.email, list.Body)
			}
			if !strings.Contains(row, ">"+c.status+"<") {
				t.Errorf("row status: want %q in\n%s", c.status, row)
			}
			if !strings.Contains(row, `aria-label="Actions for `+c.email+`"`) {
				t.Errorf("the menu should be labelled Actions for %s", c.email)
			}
			// The no-JS actions page offers the same.
			page := f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/actions", c.id))
			for _, l := range labels {
				want := false
				for _, h := range c.has {
					want = want || h == l
				}
				if got := offers(row, keys[l]); got != want {
					t.Errorf("the %s row offers %q = %v, want %v", c.name, l, got, want)
				}
				if got := strings.Contains(page.Body, ">"+l+"<"); got != want {
					t.Errorf("the %s actions page offers %q = %v, want %v", c.name, l, got, want)
				}
			}
		})
	}
	// The page's template has an item for each, which app.js copies.
	tpl, _, _ := strings.Cut(list.Body[strings.Index(list.Body, `<template id="menu-items">`)+1:], "</template>")
	for _, l := range labels {
		item := regexp.MustCompile(`<li role="none" data-action="` + keys[l] + `">.*?</li>`).FindString(tpl)
		if !strings.Contains(item, ">"+l+"<") || !strings.Contains(item, "/settings/users/{id}/"+keys[l]) {
			t.Errorf("the menu template's %s item is %q", keys[l], item)
		}
	}
	// Whatever else the administrator's own row offers, it has no invitation.
	self := rowOf(list.Body, f.UserID(t, apptest.AdminEmail))
	for _, l := range labels[:5] {
		if offers(self, keys[l]) {
			t.Errorf("the administrator's own row offers %q", l)
		}
	}
	if line := text(rowOf(list.Body, pendingID)); !strings.Contains(line, "Offered: Member") || !strings.Contains(line, "Expires in 7 days") {
		t.Errorf("an invited row should say the role offered and the expiry:\n%s", line)
	}
}

// Deactivating a pending user kills their link and every invitation
// action; activating restores the status they had.
func TestDeactivateActivateInvited(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	id := f.invite(t, "bo@example.com", "member")
	link := f.lastLink(t, "bo@example.com")
	f.Clock.Advance(2 * time.Minute)

	res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/deactivate", id), nil, apptest.HTMX...)
	if res.StatusCode != http.StatusOK || !strings.Contains(rowOf(res.Body, id), ">Deactivated<") {
		t.Fatalf("deactivate: status %d\n%s", res.StatusCode, res.Body)
	}
	if page := f.Get(t, f.Client(t), link); !strings.Contains(page.Body, "This invitation is no longer valid") {
		t.Errorf("a deactivated user's link should not work:\n%s", page.Body)
	}
	if res := f.Post(t, f.Client(t), link, url.Values{"name": {"Bo"}, "password": {"a long enough passphrase"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("accepting as a deactivated user: status %d, want 409", res.StatusCode)
	}
	for _, a := range []string{"link", "resend", "renew", "cancel"} {
		res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/%s", id, a), nil, apptest.HTMX...)
		if res.StatusCode != http.StatusConflict || !strings.Contains(text(res.Body), "Activate the user") {
			t.Errorf("%s on a deactivated user: status %d, want 409 asking to activate\n%s", a, res.StatusCode, res.Body)
		}
	}
	res = f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/activate", id), nil, apptest.HTMX...)
	row := rowOf(res.Body, id)
	if res.StatusCode != http.StatusOK || !strings.Contains(row, ">Invited<") || !offers(row, "resend") {
		t.Fatalf("activate should restore Invited with its actions: status %d\n%s", res.StatusCode, res.Body)
	}
	if page := f.Get(t, f.Client(t), link); !strings.Contains(page.Body, `name="password"`) {
		t.Errorf("after activating, the link should work again:\n%s", page.Body)
	}
	if n := f.mails(t, "bo@example.com"); n != 1 {
		t.Errorf("deactivating and activating sent %d email(s)", n-1)
	}
}

// The Invite user form.
func TestInviteForm(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})

	t.Run("invalid emails", func(t *testing.T) {
		for _, em := range []string{"", " , ;", "not-an-email", "Ana <a@b.c>", "a@b.c, d@", "a@b.c\r\nBcc: x@evil.example", strings.Repeat("a", 250) + "@b.cd",
			"ok@example.com, " + strings.Repeat("a", 250) + "@b.cd", "ok@example.com, zo\u202ee@example.com"} {
			before := f.allMail(t)
			res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {em}, "role": {"member"}})
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%q: status %d, want 422", em, res.StatusCode)
				continue
			}
			if !strings.Contains(res.Body, `class="error-summary"`) || !strings.Contains(res.Body, `href="#email"`) {
				t.Errorf("%q: want an error summary linking to #email:\n%s", em, res.Body)
			}
			if f.allMail(t) != before {
				t.Errorf("%q: an invalid address sent email", em)
			}
		}
		if n := f.UserCount(t); n != 1 {
			t.Errorf("invalid addresses created users: %d users", n)
		}
	})

	t.Run("bad role", func(t *testing.T) {
		res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"role@example.com"}, "role": {"owner"}})
		if res.StatusCode != http.StatusUnprocessableEntity || f.UserID(t, "role@example.com") != 0 {
			t.Errorf("an unknown role: status %d, want 422 and nobody invited", res.StatusCode)
		}
	})

	t.Run("double submit", func(t *testing.T) {
		form := url.Values{"email": {"Twice@Example.com"}, "role": {"member"}}
		for i := range 2 {
			res := f.Post(t, f.admin, "/settings/users/invite", form)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("submit %d: status %d\n%s", i+1, res.StatusCode, res.Body)
			}
			f.Clock.Advance(2 * time.Second)
		}
		if n := f.mails(t, "twice@example.com"); n != 1 {
			t.Errorf("a double submit sent %d emails, want 1", n)
		}
		// The same address at once with another role is not the same
		// click: it is an address already invited, as Member.
		res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"twice@example.com"}, "role": {"admin"}})
		if res.StatusCode != http.StatusConflict || !strings.Contains(text(res.Body), "twice@example.com already has a pending invitation") {
			t.Errorf("the same address with another role within seconds: status %d, want 409 offering a resend\n%s", res.StatusCode, text(res.Body))
		}
		if n := f.mails(t, "twice@example.com"); n != 1 {
			t.Errorf("%d emails, want 1", n)
		}
	})

	t.Run("pending address", func(t *testing.T) {
		id := f.invite(t, "pend@example.com", "member")
		f.Clock.Advance(time.Minute)
		for _, em := range []string{"pend@example.com", "PEND@example.COM"} {
			res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {em}, "role": {"member"}})
			if res.StatusCode != http.StatusConflict {
				t.Fatalf("%s: status %d, want 409", em, res.StatusCode)
			}
			body := text(res.Body)
			if !strings.Contains(body, "pend@example.com already has a pending invitation") || !strings.Contains(body, "Resend invitation link") ||
				!strings.Contains(res.Body, fmt.Sprintf(`action="/settings/users/%d/resend"`, id)) {
				t.Errorf("%s: want the offer to resend:\n%s", em, res.Body)
			}
		}
		if n := f.mails(t, "pend@example.com"); n != 1 {
			t.Errorf("re-inviting a pending address sent email: %d messages", n)
		}
	})

	t.Run("several addresses", func(t *testing.T) {
		res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"Cy@example.com, dee@example.com;cy@example.com\n eve@example.com"}, "role": {"member"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("three addresses: status %d\n%s", res.StatusCode, res.Body)
		}
		checkFlash(t, f, res, "/settings/users", "success", "Invitations will be sent to cy@example.com, dee@example.com and eve@example.com.")
		for _, em := range []string{"cy@example.com", "dee@example.com", "eve@example.com"} {
			if n := f.mails(t, em); n != 1 {
				t.Errorf("%s got %d emails, want 1", em, n)
			}
		}

		before := f.allMail(t)
		res = f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"fay@example.com, gus@example.com"}, "name": {"Fay"}, "role": {"member"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `href="#name"`) || f.allMail(t) != before || f.UserID(t, "fay@example.com") != 0 {
			t.Errorf("a name with several addresses: status %d, want 422 on the name and nothing sent\n%s", res.StatusCode, res.Body)
		}
		var many []string
		for i := range 51 {
			many = append(many, fmt.Sprintf("p%d@example.com", i))
		}
		res = f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {strings.Join(many, ",")}, "role": {"member"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(res.Body), "at most 50") || f.allMail(t) != before {
			t.Errorf("51 addresses: status %d, want 422 and nothing sent\n%s", res.StatusCode, text(res.Body))
		}

		// Some known: the others are sent; the page says which, offers to
		// resend the pending one, and keeps the address not sent.
		f.Clock.Advance(time.Minute)
		res = f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"hal@example.com, dee@example.com, ana@example.com"}, "role": {"member"}})
		if res.StatusCode != http.StatusConflict {
			t.Fatalf("with known addresses: status %d, want 409\n%s", res.StatusCode, res.Body)
		}
		body := text(res.Body)
		for _, want := range []string{"Invitation will be sent to hal@example.com.", "dee@example.com already has a pending invitation", "ana@example.com is already a user (Active)"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page should say %q:\n%s", want, body)
			}
		}
		if !strings.Contains(res.Body, `value="dee@example.com, ana@example.com"`) {
			t.Errorf("the field should keep the addresses not sent:\n%s", res.Body)
		}
		if f.mails(t, "hal@example.com") != 1 || f.mails(t, "dee@example.com") != 1 {
			t.Errorf("hal got %d emails (want 1), dee %d (want 1, from before)", f.mails(t, "hal@example.com"), f.mails(t, "dee@example.com"))
		}
	})

	t.Run("existing users", func(t *testing.T) {
		gone := f.invite(t, "gone@example.com", "member")
		f.Deactivate(t, gone)
		f.Clock.Advance(time.Minute)
		for _, c := range []struct{ email, status string }{
			{"ANA@example.com", "Active"},
			{"gone@example.com", "Deactivated"},
		} {
			before := f.allMail(t)
			res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {c.email}, "role": {"member"}})
			lower := strings.ToLower(c.email)
			if res.StatusCode != http.StatusConflict {
				t.Fatalf("%s: status %d, want 409", c.email, res.StatusCode)
			}
			body := text(res.Body)
			if !strings.Contains(body, lower+" is already a user ("+c.status+")") ||
				!strings.Contains(res.Body, `href="/settings/users?q=`+url.QueryEscape(lower)+`"`) {
				t.Errorf("%s: want the user named with a link to their row:\n%s", c.email, res.Body)
			}
			if f.allMail(t) != before {
				t.Errorf("%s: inviting a known user sent email", c.email)
			}
		}
	})
}

// Actions on users that do not exist answer 404, never 500.
func TestRowActionsUnknownUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	for _, id := range []string{"0", "-1", "abc", "999999", "99999999999999999999", "1e3", "%20"} {
		for _, c := range []struct{ method, path string }{
			{"POST", "link"}, {"POST", "resend"}, {"POST", "renew"}, {"POST", "cancel"}, {"GET", "cancel"}, {"GET", "actions"},
		} {
			for _, hx := range [][]string{nil, apptest.HTMX} {
				path := "/settings/users/" + id + "/" + c.path
				var res apptest.Response
				if c.method == "GET" {
					res = f.Get(t, f.admin, path, hx...)
				} else {
					res = f.Post(t, f.admin, path, url.Values{"return": {"/settings/users"}}, hx...)
				}
				if res.StatusCode != http.StatusNotFound {
					t.Errorf("%s %s (htmx %v): status %d, want 404", c.method, path, hx != nil, res.StatusCode)
				}
			}
		}
	}
	// The administrator's own row has no invitation to act on.
	self := f.UserID(t, apptest.AdminEmail)
	res := f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/cancel", self), nil, apptest.HTMX...)
	if res.StatusCode != http.StatusConflict {
		t.Errorf("cancelling the admin's own (absent) invitation: status %d, want 409", res.StatusCode)
	}
}

// parallelPosts sends form to path once per client, all at once, and
// returns the statuses.
func parallelPosts(t *testing.T, f *fixture, clients []*http.Client, path string, form url.Values, header ...string) []int {
	t.Helper()
	statuses := make([]int, len(clients))
	errs := make([]error, len(clients))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, c := range clients {
		done.Add(1)
		go func() {
			defer done.Done()
			req, err := http.NewRequest(http.MethodPost, f.URL+path, strings.NewReader(form.Encode()))
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", f.URL)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			for j := 0; j+1 < len(header); j += 2 {
				req.Header.Set(header[j], header[j+1])
			}
			start.Wait()
			res, err := c.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	start.Done()
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	return statuses
}

func count(statuses []int) map[int]int {
	m := map[int]int{}
	for _, s := range statuses {
		m[s]++
	}
	return m
}

// Many clicks at once, by one administrator or several, never send an
// email twice.
func TestParallelClicks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	admins := make([]*http.Client, 10)
	for i := range admins {
		admins[i] = f.admin // one browser, clicking again and again
	}

	got := count(parallelPosts(t, f, admins, "/settings/users/invite", url.Values{"email": {"bo@example.com"}, "role": {"member"}}))
	if got[http.StatusSeeOther]+got[http.StatusConflict] != len(admins) || got[http.StatusSeeOther] == 0 {
		t.Errorf("10 invites at once: statuses %v, want 303 (the click and its repeats) or 409", got)
	}
	if n := f.mails(t, "bo@example.com"); n != 1 {
		t.Errorf("10 invites at once sent %d emails, want 1", n)
	}

	id := f.UserID(t, "bo@example.com")
	f.Clock.Advance(2 * time.Minute)
	got = count(parallelPosts(t, f, admins, fmt.Sprintf("/settings/users/%d/resend", id), nil, apptest.HTMX...))
	if got[http.StatusOK] != 1 || got[http.StatusTooManyRequests] != len(admins)-1 {
		t.Errorf("10 resends at once: statuses %v, want one 200 and the rest 429", got)
	}
	if n := f.mails(t, "bo@example.com"); n != 2 {
		t.Errorf("10 resends at once sent %d emails, want 1", n-1)
	}

	f.Clock.Advance(8 * 24 * time.Hour)
	f.signInAgain(t)
	for i := range admins {
		admins[i] = f.admin
	}
	got = count(parallelPosts(t, f, admins, fmt.Sprintf("/settings/users/%d/renew", id), nil, apptest.HTMX...))
	if got[http.StatusOK] != 1 || got[http.StatusConflict] != len(admins)-1 {
		t.Errorf("10 new invitations at once: statuses %v, want one 200 and the rest 409", got)
	}
	if n := f.mails(t, "bo@example.com"); n != 3 {
		t.Errorf("10 new invitations at once sent %d emails, want 1", n-2)
	}
	got = count(parallelPosts(t, f, admins, fmt.Sprintf("/settings/users/%d/cancel", id), nil, apptest.HTMX...))
	if got[http.StatusOK] != 1 || got[http.StatusConflict]+got[http.StatusNotFound] != len(admins)-1 {
		t.Errorf("10 cancels at once: statuses %v, want one 200 and the rest 409 or 404", got)
	}
	if f.UserID(t, "bo@example.com") != 0 {
		t.Error("the cancelled invitee is still there")
	}
}

// Page numbers from the address that make no sense, or would overflow an
// offset, answer a page, never an error.
func TestListPageNumbers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	for _, p := range []string{"0", "-3", "abc", "1e3", "9223372036854775807", "99999999999999999999"} {
		res := f.Get(t, f.admin, "/settings/users?page="+p)
		if res.StatusCode != http.StatusOK {
			t.Errorf("page=%s: status %d", p, res.StatusCode)
			continue
		}
		first := p == "0" || p == "-3" || p == "abc" || p == "1e3" || p == "99999999999999999999"
		if got := rowOf(res.Body, f.UserID(t, apptest.AdminEmail)) != ""; got != first {
			t.Errorf("page=%s lists the administrator: %v, want %v", p, got, first)
		}
	}
}
