package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/smtptest"
)

// An English-speaking administrator invites Jonas in German through the
// form: his invitation, his reminder and the new invitation after it
// expired come in German over SMTP, the link opens the accept page in
// German, and once he joined Usher speaks German to him; the
// administrator keeps English throughout.
func TestGermanInviteeEndToEnd(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true, Env: map[string]string{"USHER_REMIND_BEFORE": "48h"}})
	e.SetupAdmin(t)
	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	const jonas = "jonas@example.com"

	form := e.Get(t, admin, "/settings/users/invite", "Accept-Language", "en-US")
	if !strings.Contains(form.Body, `name="language"`) || pageLang(form.Body) != "en" {
		t.Fatal("the invite form should be English with a language for the invitee")
	}
	res := e.Post(t, admin, "/settings/users/invite", url.Values{"email": {jonas}, "role": {"member"}, "language": {"de"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("inviting Jonas in German: %d\n%s", res.StatusCode, res.Body)
	}
	e.Deliver(t)
	mails := e.SMTP.To(jonas)
	if len(mails) != 1 {
		t.Fatalf("Jonas got %d emails", len(mails))
	}
	first := mails[0]
	germanMail(t, "the invitation", first, "Ana Admin hat Sie eingeladen", "Montag, 30. November 2026 um 09:00 Uhr UTC")

	// Two days before it expires, the reminder: German too, the same link.
	e.Clock.Advance(5*24*time.Hour + time.Hour)
	e.Deliver(t)
	if mails = e.SMTP.To(jonas); len(mails) != 2 {
		t.Fatalf("Jonas got %d emails, want the invitation and the reminder", len(mails))
	}
	germanMail(t, "the reminder", mails[1], "Erinnerung", "Montag, 30. November 2026 um 09:00 Uhr UTC")
	if a, b := apptest.Link(first.Text), apptest.Link(mails[1].Text); a == "" || a != b {
		t.Errorf("the reminder's link %q, the invitation's %q", b, a)
	}

	// Expired, the administrator sends a new one: German again.
	e.Clock.Advance(3 * 24 * time.Hour)
	id := e.UserID(t, jonas)
	admin = e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword) // a week on: a new session
	res = e.Post(t, admin, "/settings/users/"+strconv.FormatInt(id, 10)+"/renew", url.Values{"return": {"/settings/users"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sending a new invitation: %d", res.StatusCode)
	}
	e.Deliver(t)
	if mails = e.SMTP.To(jonas); len(mails) != 3 {
		t.Fatalf("Jonas got %d emails, want a new invitation too", len(mails))
	}
	renewed := mails[2]
	germanMail(t, "the new invitation", renewed, "neue Einladung", "2026 um")
	if s := [...]string{first.Header("Subject"), mails[1].Header("Subject"), renewed.Header("Subject")}; s[0] == s[1] || s[1] == s[2] || s[0] == s[2] {
		t.Errorf("the three emails should have subjects of their own: %q", s)
	}

	// The link opens the accept page in German, though his browser asks
	// for English.
	link := strings.TrimPrefix(apptest.Link(renewed.Text), e.URL)
	guest := e.Client(t)
	page := e.Get(t, guest, link, "Accept-Language", "en-US")
	if pageLang(page.Body) != "de" || !strings.Contains(page.Body, "Acme Clinics beitreten") {
		t.Fatalf("the accept page should be German:\n%s", page.Body)
	}
	res = e.Post(t, guest, link, url.Values{"name": {"Jonas"}, "password": {clinicPassword}}, "Accept-Language", "en-US")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("joining: %d\n%s", res.StatusCode, res.Body)
	}
	home := e.Get(t, guest, res.Header.Get("Location"), "Accept-Language", "en-US")
	if pageLang(home.Body) != "de" || !strings.Contains(home.Body, "Willkommen, Jonas. Ihr Konto ist eingerichtet.") {
		t.Errorf("after joining Jonas should see Usher in German:\n%s", home.Body)
	}
	if list := e.Get(t, admin, "/settings/users", "Accept-Language", "en-US"); pageLang(list.Body) != "en" || !strings.Contains(list.Body, "Active") {
		t.Error("the administrator should keep English")
	}
}

// germanMail checks a message is German: its subject and both parts, its
// HTML part says lang="de", and the English of the invitation is not in it.
func germanMail(t *testing.T, what string, m smtptest.Message, subject, date string) {
	t.Helper()
	if s := m.Header("Subject"); !strings.Contains(s, subject) {
		t.Errorf("%s: subject %q, want it to contain %q", what, s, subject)
	}
	if !strings.Contains(m.Text, date) || !strings.Contains(m.HTML, date) {
		t.Errorf("%s: both parts should give the date as %q:\n%s", what, date, m.Text)
	}
	if !strings.Contains(m.HTML, `lang="de"`) {
		t.Errorf("%s: the HTML part should say lang=\"de\"", what)
	}
	for _, english := range []string{"invited you", "Hello", "The link works until", "If you were not expecting", "Roles offered", "Member"} {
		if strings.Contains(m.Text, english) || strings.Contains(m.HTML, english) {
			t.Errorf("%s: English left: %q\n%s", what, english, m.Text)
		}
	}
}
