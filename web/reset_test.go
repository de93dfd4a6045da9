package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/smtptest"
)

var resetLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/reset/[A-Za-z0-9_-]+`)

// forgot posts the Forgot password form from a fresh, signed-out browser.
func (f *fixture) forgot(t *testing.T, email string) apptest.Response {
	t.Helper()
	return f.Post(t, f.Client(t), "/forgot", url.Values{"email": {email}})
}

// newMail delivers the outbox and returns what reached email since it
// had seen before messages.
func (f *fixture) newMail(t *testing.T, email string, before int) []smtptest.Message {
	t.Helper()
	f.Deliver(t)
	return f.SMTP.To(email)[before:]
}

// resetPath is the path of the reset link in m ("" for none).
func (f *fixture) resetPath(m smtptest.Message) string {
	return strings.TrimPrefix(resetLinkRE.FindString(m.Text), f.URL)
}

// setPassword posts a new password to a reset link from a fresh browser.
func (f *fixture) setPassword(t *testing.T, path, password string) (apptest.Response, *http.Client) {
	t.Helper()
	c := f.Client(t)
	return f.Post(t, c, path, url.Values{"password": {password}}), c
}

// Forgot password answers a known and an unknown address with the same
// bytes: status, headers (but Date) and body, and the work behind both is
// the same (the form is kept; the sender's round decides).
func TestForgotSameAnswerForAnyAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	f.member(t, "bo@example.com", "Bo Member")
	f.invite(t, "pending@example.com", "member")
	seen := f.mails(t, "bo@example.com")
	f.Clock.Advance(2 * time.Minute) // past the resend cooldown
	dump := func(res apptest.Response) string {
		h := res.Header.Clone()
		h.Del("Date")
		var b strings.Builder
		b.WriteString(strconv.Itoa(res.StatusCode) + "\n")
		_ = h.Write(&b)
		return b.String() + "\n" + res.Body
	}
	want := dump(f.forgot(t, "nobody@example.com"))
	for _, email := range []string{"bo@example.com", "BO@example.com ", "pending@example.com", apptest.AdminEmail} {
		if got := dump(f.forgot(t, email)); got != want {
			t.Errorf("%s: the answer differs from an unknown address's:\n%s\n---\n%s", email, got, want)
		}
	}
	if !strings.Contains(want, "Check your email") || !strings.HasPrefix(want, "200\n") {
		t.Errorf("the answer is not the sent page:\n%.800s", want)
	}
	if strings.Contains(want, "nobody@example.com") {
		t.Error("the answer repeats the address")
	}
	if got := f.newMail(t, "nobody@example.com", 0); len(got) != 0 {
		t.Errorf("an unknown address got %d emails", len(got))
	}
	if got := f.newMail(t, "bo@example.com", seen); len(got) != 1 || f.resetPath(got[0]) == "" {
		t.Errorf("bo got %d emails, want 1 with a reset link (the second form, a moment later, sends none)", len(got))
	}
}

// A reset link works once; it dies after its hour, when a newer one is
// sent, and when the password changes on the profile. Every dead link gets
// the same page. A used link signs the person in afresh and ends their
// other sessions.
func TestResetLinkSingleUse(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	_, old := f.member(t, "bo@example.com", "Bo Member")
	seen := f.mails(t, "bo@example.com")
	ask := func() string {
		t.Helper()
		f.Clock.Advance(2 * time.Minute) // past the cooldown
		f.forgot(t, "bo@example.com")
		got := f.newMail(t, "bo@example.com", seen)
		seen += len(got)
		if len(got) != 1 || f.resetPath(got[0]) == "" {
			t.Fatalf("got %d emails, want one reset link", len(got))
		}
		return f.resetPath(got[0])
	}
	dead := func(what, path string) {
		t.Helper()
		for _, res := range []apptest.Response{f.Get(t, f.Client(t), path), f.Post(t, f.Client(t), path, url.Values{"password": {"another fine passphrase"}})} {
			if res.StatusCode != http.StatusNotFound || !strings.Contains(text(res.Body), "This link no longer works") || !strings.Contains(res.Body, `href="/forgot"`) {
				t.Errorf("%s: status %d, want the dead link page\n%.500s", what, res.StatusCode, text(res.Body))
			}
			if res.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("%s: Referrer-Policy %q", what, res.Header.Get("Referrer-Policy"))
			}
		}
	}

	link := ask()
	if res := f.Get(t, f.Client(t), link); res.StatusCode != http.StatusOK || !strings.Contains(text(res.Body), "Choose a new password for bo@example.com") {
		t.Fatalf("the link's page: status %d\n%.500s", res.StatusCode, text(res.Body))
	}
	if res, _ := f.setPassword(t, link, "password"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a short password: status %d, want 422", res.StatusCode)
	}
	res, c := f.setPassword(t, link, "a brand new passphrase")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("setting the password: status %d\n%.500s", res.StatusCode, text(res.Body))
	}
	if page := f.Get(t, c, "/profile"); page.StatusCode != http.StatusOK {
		t.Errorf("after the reset, the profile answers %d: not signed in", page.StatusCode)
	}
	if page := f.Get(t, old, "/profile"); page.StatusCode == http.StatusOK {
		t.Error("the session from before the reset still works")
	}
	f.SignIn(t, "bo@example.com", "a brand new passphrase")
	if got := f.newMail(t, "bo@example.com", seen); len(got) != 1 || !strings.Contains(got[0].Header("Subject"), "was changed") {
		t.Errorf("after the reset: %d emails, want the password changed one", len(got))
	} else {
		seen++
	}
	dead("used twice", link)

	expired := ask()
	f.Clock.Advance(time.Hour)
	dead("after its hour", expired)

	first := ask()
	second := ask()
	dead("after a newer one", first)
	if res := f.Get(t, f.Client(t), second); res.StatusCode != http.StatusOK {
		t.Errorf("the newer link: status %d", res.StatusCode)
	}

	unused := ask()
	bo := f.SignIn(t, "bo@example.com", "a brand new passphrase")
	if res := f.Post(t, bo, "/profile/password", url.Values{"current": {"a brand new passphrase"}, "new": {"yet another passphrase"}}, "User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("changing the password on the profile: status %d", res.StatusCode)
	}
	dead("after a change on the profile", unused)
	if got := f.newMail(t, "bo@example.com", seen); len(got) != 1 || !strings.Contains(got[0].Text, "Firefox on Linux") {
		t.Errorf("after the profile change: %d emails, want one naming Firefox on Linux", len(got))
	}
	dead("unknown", "/reset/"+randomToken())
}

// A pending invitee who asks gets their invitation again, the same link
// with the same expiry, counted as a resend; never a reset link. An
// expired invitee and a deactivated user get nothing.
func TestForgotInviteeAndOthers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	pending := f.invite(t, "pending@example.com", "member")
	link := f.lastLink(t, "pending@example.com")
	var expires int64
	row := func(id int64) (int64, int) {
		t.Helper()
		var n int
		if err := f.App.DB.R.QueryRow(`SELECT expires_at, (SELECT count(*) FROM invitation_events e WHERE e.invitation_id = i.id AND e.kind = 'resent') FROM invitations i WHERE user_id = ?`, id).Scan(&expires, &n); err != nil {
			t.Fatal(err)
		}
		return expires, n
	}
	before, _ := row(pending)
	f.Clock.Advance(2 * time.Minute)
	f.forgot(t, "pending@example.com")
	got := f.newMail(t, "pending@example.com", 1)
	if len(got) != 1 || strings.TrimPrefix(apptest.Link(got[0].Text), f.URL) != link || f.resetPath(got[0]) != "" {
		t.Fatalf("the invitee got %d emails, want their invitation again with the same link", len(got))
	}
	if after, resent := row(pending); after != before || resent != 1 {
		t.Errorf("expiry %d → %d, resends %d; want the same expiry and one resend", before, after, resent)
	}
	f.forgot(t, "pending@example.com") // within the cooldown: nothing
	if got := f.newMail(t, "pending@example.com", 2); len(got) != 0 {
		t.Errorf("a second ask within the cooldown sent %d emails", len(got))
	}

	expired := f.invite(t, "late@example.com", "member")
	lateSeen := f.mails(t, "late@example.com")
	f.Clock.Advance(8 * 24 * time.Hour)
	f.signInAgain(t)
	snap := f.snapshot(t, expired)
	f.forgot(t, "late@example.com")
	if got := f.newMail(t, "late@example.com", lateSeen); len(got) != 0 {
		t.Errorf("an expired invitee got %d emails", len(got))
	}
	if after := f.snapshot(t, expired); after != snap {
		t.Errorf("an expired invitee's ask changed their rows:\n%s\n---\n%s", snap, after)
	}

	gone, _ := f.member(t, "gone@example.com", "Gone Away")
	f.Deactivate(t, gone)
	seen := f.mails(t, "gone@example.com")
	f.Clock.Advance(2 * time.Minute)
	f.forgot(t, "gone@example.com")
	if got := f.newMail(t, "gone@example.com", seen); len(got) != 0 {
		t.Errorf("a deactivated user got %d emails", len(got))
	}
	var left int
	if err := f.App.DB.R.QueryRow(`SELECT count(*) FROM password_reset_requests`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d forms left unanswered (%v)", left, err)
	}
}

// Forgot password is limited per address and per network, with the same
// answer for known and unknown addresses at the limit.
func TestForgotRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	f.member(t, "bo@example.com", "Bo Member")
	var known, unknown apptest.Response
	for range 4 {
		known = f.forgot(t, "bo@example.com")
		unknown = f.forgot(t, "nobody@example.com")
	}
	want429(t, "a known address past its limit", known)
	want429(t, "an unknown address past its limit", unknown)
	if known.Body != unknown.Body {
		t.Error("the limit's answer differs between a known and an unknown address")
	}
	for i := range 30 {
		f.forgot(t, "someone"+strconv.Itoa(i)+"@example.com")
	}
	want429(t, "a network past its limit", f.forgot(t, "fresh@example.com"))
	f.Clock.Advance(16 * time.Minute)
	if res := f.forgot(t, "fresh@example.com"); res.StatusCode != http.StatusOK {
		t.Errorf("after the window: status %d", res.StatusCode)
	}
}

// An administrator sends a reset link from the row: to an active user
// they manage, not to an invitee, not past their role ceiling.
func TestSendResetRowAction(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	bo, _ := f.member(t, "bo@example.com", "Bo Member")
	seen := f.mails(t, "bo@example.com")
	res := f.rowPost(t, bo, "reset", "/settings/users")
	if !strings.Contains(text(res.Body), "A password reset link will be sent to bo@example.com.") {
		t.Errorf("banner:\n%.500s", text(res.Body))
	}
	got := f.newMail(t, "bo@example.com", seen)
	if len(got) != 1 || f.resetPath(got[0]) == "" || !strings.Contains(got[0].Text, apptest.AdminName+", an administrator of") {
		t.Fatalf("bo got %d emails, want a reset link naming the administrator", len(got))
	}
	if r, _ := f.setPassword(t, f.resetPath(got[0]), "a brand new passphrase"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the administrator's link: status %d", r.StatusCode)
	}
	again := f.Post(t, f.admin, "/settings/users/"+strconv.FormatInt(bo, 10)+"/reset", url.Values{}, apptest.HTMX...)
	if again.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a second click at once: status %d, want 429", again.StatusCode)
	}
	var events int
	if err := f.App.DB.R.QueryRow(`SELECT count(*) FROM invitation_events WHERE kind = 'reset_sent'`).Scan(&events); err != nil || events != 1 {
		t.Errorf("history lines: %d (%v), want 1", events, err)
	}

	invitee := f.invite(t, "pending@example.com", "member")
	pendingSeen := f.mails(t, "pending@example.com")
	if r := f.Post(t, f.admin, "/settings/users/"+strconv.FormatInt(invitee, 10)+"/reset", url.Values{}, apptest.HTMX...); r.StatusCode != http.StatusConflict {
		t.Errorf("an invitee: status %d, want 409", r.StatusCode)
	}
	if got := f.newMail(t, "pending@example.com", pendingSeen); len(got) != 0 {
		t.Errorf("the invitee got %d emails", len(got))
	}
}

// A unit's administrator sends reset links to the people of their unit,
// and reaches no one above them.
func TestSendResetRoleCeiling(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	una := w.signIn(t, unaEmail)
	post := func(c *http.Client, id int64) int {
		return w.e.Post(t, c, "/settings/users/"+strconv.FormatInt(id, 10)+"/reset", url.Values{}, apptest.HTMX...).StatusCode
	}
	before := w.mails(t)
	if st := post(una, w.mo.ID); st != http.StatusOK {
		t.Errorf("Una on Mo: status %d, want 200", st)
	}
	if n := w.mails(t); n != before+1 {
		t.Errorf("Una on Mo: %d emails, want 1", n-before)
	}
	walt := w.signIn(t, waltEmail)
	for _, c := range []struct {
		who string
		c   *http.Client
		id  int64
	}{{"Una on the account administrator", una, w.admin.ID}, {"Walt on Una", walt, w.una.ID}} {
		if st := post(c.c, c.id); st == http.StatusOK || st == http.StatusSeeOther {
			t.Errorf("%s: status %d, want refused", c.who, st)
		}
	}
	if n := w.mails(t); n != before+1 {
		t.Errorf("refused actions sent %d emails", n-before-1)
	}
}

// The user's page has the same Send password reset link as the row's
// menu, for active users only, and comes back to the page with the banner.
func TestSendResetFromTheUsersPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	bo, _ := f.member(t, "bo@example.com", "Bo Member")
	page := "/settings/users/" + strconv.FormatInt(bo, 10)
	res := f.Get(t, f.admin, page)
	mustStatusCode(t, "Bo's page", res, http.StatusOK)
	form := `<form method="post" action="` + page + `/reset">`
	if !strings.Contains(res.Body, form) || !strings.Contains(res.Body, ">Send password reset link</button>") {
		t.Fatalf("Bo's page has no reset button:\n%s", res.Body)
	}
	seen := f.mails(t, "bo@example.com")
	sent := f.Post(t, f.admin, page+"/reset", url.Values{"return": {page}})
	if sent.StatusCode != http.StatusSeeOther || sent.Header.Get("Location") != page {
		t.Fatalf("sending from the page: status %d, to %q", sent.StatusCode, sent.Header.Get("Location"))
	}
	if back := f.Get(t, f.admin, page); !strings.Contains(text(back.Body), "A password reset link will be sent to bo@example.com.") {
		t.Errorf("back on the page, no banner:\n%.600s", text(back.Body))
	}
	if got := f.newMail(t, "bo@example.com", seen); len(got) != 1 || f.resetPath(got[0]) == "" {
		t.Errorf("bo got %d emails, want one reset link", len(got))
	}

	invitee := f.invite(t, "pending@example.com", "member")
	if res := f.Get(t, f.admin, "/settings/users/"+strconv.FormatInt(invitee, 10)); strings.Contains(res.Body, "/reset\">") {
		t.Error("an invitee's page offers a reset link")
	}
}
