package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
)

var deliveryRowRE = regexp.MustCompile(`(?s)<tr id="[^"]*">.*?</tr>`)

// listedUser is the users list's row for email, unescaped.
func deliveryRow(t *testing.T, e *apptest.Env, c *http.Client, email string) string {
	t.Helper()
	list := e.Get(t, c, "/settings/users")
	if list.StatusCode != http.StatusOK {
		t.Fatalf("users list: status %d", list.StatusCode)
	}
	for _, row := range deliveryRowRE.FindAllString(list.Body, -1) {
		if strings.Contains(row, email) {
			return html.UnescapeString(row)
		}
	}
	t.Fatalf("no row for %s in:\n%s", email, list.Body)
	return ""
}

func deliveryInvite(t *testing.T, e *apptest.Env, c *http.Client, email string) {
	t.Helper()
	res := e.Post(t, c, "/settings/users/invite", url.Values{"email": {email}, "role": {"member"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite %s: status %d\n%s", email, res.StatusCode, res.Body)
	}
}

// TestDeliveryStatusOnTheRow: the users list tells an administrator what
// became of an invitation's email, and Resend stays on the menu.
func TestDeliveryStatusOnTheRow(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	e.SMTP.RefuseRcpt("bo@example.com", 550, "5.1.1 bo@example.com: no such user")
	e.SMTP.RefuseRcpt("cy@example.com", 451, "4.7.1 Greylisted, try again later")
	deliveryInvite(t, e, admin, "bo@example.com")
	deliveryInvite(t, e, admin, "cy@example.com")
	deliveryInvite(t, e, admin, "di@example.com")
	e.Deliver(t)

	bo := deliveryRow(t, e, admin, "bo@example.com")
	const reply = "550 5.1.1 bo@example.com: no such user"
	checkDeliveryNote(t, "rejected", bo, "Email not delivered", reply)
	if strings.Contains(bo, "retrying") {
		t.Errorf("rejected: a message that failed for good is not retried:\n%s", bo)
	}

	cy := deliveryRow(t, e, admin, "cy@example.com")
	checkDeliveryNote(t, "greylisted", cy, "Not delivered yet — retrying", "451 4.7.1 Greylisted, try again later")
	if strings.Contains(cy, "Email not delivered") {
		t.Errorf("greylisted: the row should say it is retried:\n%s", cy)
	}

	// The Not delivered tab holds both, and says how many.
	list := e.Get(t, admin, "/settings/users?status=undelivered")
	if got := text(list.Body); !strings.Contains(got, "Not delivered 2") || strings.Contains(got, "di@example.com") ||
		!strings.Contains(got, "bo@example.com") || !strings.Contains(got, "cy@example.com") {
		t.Errorf("the Not delivered tab should count and list bo and cy only:\n%s", got)
	}
	di := deliveryRow(t, e, admin, "di@example.com")
	if strings.Contains(di, "retrying") || strings.Contains(di, "Email not delivered") {
		t.Errorf("delivered: the row should say nothing about delivery:\n%s", di)
	}
	for name, row := range map[string]string{"bo": bo, "cy": cy, "di": di} {
		if !offers(row, "resend") {
			t.Errorf("%s: Resend invitation link should stay on the menu:\n%s", name, row)
		}
	}

	// The server takes Cy's message at the retry: the row clears.
	e.SMTP.RefuseRcpt("cy@example.com", 0, "")
	e.Clock.Advance(time.Minute)
	e.Deliver(t)
	if cy := deliveryRow(t, e, admin, "cy@example.com"); strings.Contains(cy, "retrying") {
		t.Errorf("after the retry went through, the row still says it is retried:\n%s", cy)
	}
	if n := len(e.SMTP.To("cy@example.com")); n != 1 {
		t.Errorf("cy received %d emails, want 1", n)
	}

	// Resending to Bo after the address was fixed at the server clears it too.
	e.SMTP.RefuseRcpt("bo@example.com", 0, "")
	e.Clock.Advance(time.Minute)
	res := e.Post(t, admin, "/settings/users/"+deliveryUserID(t, bo)+"/resend", url.Values{})
	if res.StatusCode >= 400 {
		t.Fatalf("resend: status %d\n%s", res.StatusCode, res.Body)
	}
	if bo := deliveryRow(t, e, admin, "bo@example.com"); strings.Contains(bo, "Email not delivered") {
		t.Errorf("after a resend the row should no longer report the old failure:\n%s", bo)
	}
	e.Deliver(t)
	if n := len(e.SMTP.To("bo@example.com")); n != 1 {
		t.Errorf("bo received %d emails, want the resent one", n)
	}
}

// checkDeliveryNote fails unless row's status cell says label, with the
// server's reply in a tooltip that describes a focusable note.
func checkDeliveryNote(t *testing.T, name, row, label, reply string) {
	t.Helper()
	status := row[strings.Index(row, `<td class="col-status">`):]
	status = status[:strings.Index(status, "</td>")]
	id := deliveryUserID(t, row)
	note := `<span class="tip" tabindex="0" aria-describedby="user-` + id + `-delivery">` + label + `</span>`
	tip := `<span class="tip-text" role="tooltip" id="user-` + id + `-delivery" lang="en">` + reply + `</span>`
	if !strings.Contains(status, note) || !strings.Contains(status, tip) {
		t.Errorf("%s: the status should say %q, focusable, described by the reply %q:\n%s", name, label, reply, status)
	}
}

var deliveryRowIDRE = regexp.MustCompile(`<tr id="user-(\d+)"`)

func deliveryUserID(t *testing.T, row string) string {
	t.Helper()
	m := deliveryRowIDRE.FindStringSubmatch(row)
	if m == nil {
		t.Fatalf("no user id in row:\n%s", row)
	}
	return m[1]
}

// TestDeliveryReminderBeforeExpiry: with USHER_REMIND_BEFORE set, the
// running app reminds the invitee once, with the same link.
func TestDeliveryReminderBeforeExpiry(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true, Env: map[string]string{"USHER_REMIND_BEFORE": "48h"}})
	e.SetupAdmin(t)
	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	deliveryInvite(t, e, admin, "bo@example.com")
	e.Deliver(t)
	e.Clock.Advance(5*24*time.Hour - time.Minute)
	e.Deliver(t)
	if n := len(e.SMTP.To("bo@example.com")); n != 1 {
		t.Fatalf("bo received %d emails before the reminder was due, want 1", n)
	}
	e.Clock.Advance(time.Minute)
	e.Deliver(t)
	e.Clock.Advance(time.Hour)
	e.Deliver(t)
	got := e.SMTP.To("bo@example.com")
	if len(got) != 2 {
		t.Fatalf("bo received %d emails, want the invitation and one reminder", len(got))
	}
	if a, b := apptest.Link(got[0].Text), apptest.Link(got[1].Text); a == "" || a != b {
		t.Errorf("the reminder's link %q, the invitation's %q: want the same", b, a)
	}
	if s := got[1].Header("Subject"); !strings.HasPrefix(s, "Reminder:") {
		t.Errorf("subject %q", s)
	}
}

// TestManageInvitationSaysWhatHappened: Manage invitation says when the
// person was invited and, apart, when the link was last resent, all from
// one moment; a delivery reads "Accepted by the mail server" with the
// server's reply in a detail; the actions and history lines use the
// menu's names.
func TestManageInvitationSaysWhatHappened(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	deliveryInvite(t, e, admin, "tom@example.com")
	id := deliveryUserID(t, deliveryRow(t, e, admin, "tom@example.com"))
	e.Clock.Advance(20 * time.Second)
	e.Deliver(t)
	e.Clock.Advance(3 * time.Minute)
	manage := func() string {
		t.Helper()
		res := e.Get(t, admin, "/settings/users/"+id+"/invitation", apptest.HTMX...)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("Manage invitation: status %d", res.StatusCode)
		}
		return res.Body
	}
	body := manage()
	got := text(body)
	for _, want := range []string{"Invited 3 minutes ago , expires in 7 days", "Accepted by the mail server", "Resend invitation link"} {
		if !strings.Contains(got, want) {
			t.Errorf("Manage invitation should say %q:\n%s", want, got)
		}
	}
	for _, wrong := range []string{"just now", "Sent ", "Email delivered", "Send reminder"} {
		if strings.Contains(got, wrong) {
			t.Errorf("Manage invitation says %q:\n%s", wrong, got)
		}
	}
	if !regexp.MustCompile(`<details class="history-detail"><summary>Server's reply</summary>\s*<code lang="en">250 [^<]+</code></details>`).MatchString(body) {
		t.Errorf("the server's reply should be a detail of the delivery line:\n%s", body)
	}

	res := e.Post(t, admin, "/settings/users/"+id+"/resend", url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("resend: status %d", res.StatusCode)
	}
	e.Clock.Advance(time.Minute)
	got = text(manage())
	for _, want := range []string{"Invited 4 minutes ago , link resent 1 minute ago , expires in 7 days", "Invitation link resent by Ana Admin (same link)"} {
		if !strings.Contains(got, want) {
			t.Errorf("after a resend, Manage invitation should say %q:\n%s", want, got)
		}
	}
}

// TestInvitationEmailLooksLikeUsher: the invitation that reaches the
// SMTP server has an HTML part in the product's look (inline styles: the
// system font, a card, a button) that says what the role offered means,
// as does its plain-text part; the built-in mailbox shows the same.
func TestInvitationEmailLooksLikeUsher(t *testing.T) {
	t.Parallel()
	const meaning = "“Member” means you can sign in and use the places you are a member of."
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	deliveryInvite(t, e, admin, "tom@example.com")
	e.Deliver(t)
	got := e.SMTP.To("tom@example.com")
	if len(got) != 1 {
		t.Fatalf("tom received %d emails, want 1", len(got))
	}
	m := got[0]
	for _, want := range []string{"font-family:system-ui,", "border-radius:8px;padding:24px;", `style="display:inline-block;background:#2f4fc7;color:#ffffff;`, meaning} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("the HTML part lacks %q:\n%s", want, m.HTML)
		}
	}
	if !strings.Contains(m.Text, meaning) {
		t.Errorf("the text part lacks %q:\n%s", meaning, m.Text)
	}

	// The built-in mailbox keeps and shows the same parts.
	mb := apptest.New(t, apptest.Options{})
	mb.SetupAdmin(t)
	mbAdmin := mb.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	deliveryInvite(t, mb, mbAdmin, "tom@example.com")
	mb.Deliver(t)
	page := mb.Get(t, mbAdmin, "/dev/mailbox/1")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("mailbox message: status %d", page.StatusCode)
	}
	body := html.UnescapeString(page.Body)
	if !strings.Contains(body, meaning) || !strings.Contains(body, `<iframe class="mail-frame" title="HTML part of the email" sandbox src="/dev/mailbox/1/html">`) {
		t.Errorf("the mailbox should show the text part and frame the HTML part:\n%s", page.Body)
	}
	// The frame's own policy lets the email's inline styles apply (a
	// srcdoc frame took the page's, which refuses them), and nothing else.
	part := mb.Get(t, mbAdmin, "/dev/mailbox/1/html")
	if part.StatusCode != http.StatusOK || !strings.Contains(part.Body, "font-family:system-ui,") || !strings.Contains(html.UnescapeString(part.Body), meaning) {
		t.Errorf("the HTML part: status %d\n%s", part.StatusCode, part.Body)
	}
	if got := part.Header.Get("Content-Security-Policy"); !strings.Contains(got, "style-src 'unsafe-inline'") || !strings.Contains(got, "default-src 'none'") ||
		!strings.Contains(got, "sandbox") || !strings.Contains(got, "frame-ancestors 'self'") || strings.Contains(got, "script-src") {
		t.Errorf("the HTML part's policy is %q", got)
	}
	if part.Header.Get("Cache-Control") != "no-store" || part.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("the HTML part holds a link: Cache-Control %q, Referrer-Policy %q", part.Header.Get("Cache-Control"), part.Header.Get("Referrer-Policy"))
	}
	member := mb.Client(t)
	if res := mb.Get(t, member, "/dev/mailbox/1/html"); res.StatusCode == http.StatusOK {
		t.Error("the HTML part is shown to someone signed out")
	}
}
