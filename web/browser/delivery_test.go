package browser_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/usherhq/usher/internal/apptest"
)

// deliverySite is a running Usher whose mail server refuses connections:
// an administrator invited tom, and the sender has tried once.
type deliverySite struct {
	e   *apptest.Env
	tom int64
}

const deliveryTom = "tom@example.com"

func newDeliverySite(t *testing.T) *deliverySite { return newDeliverySiteIn(t, "en") }

// newDeliverySiteIn is newDeliverySite for an account speaking lang.
func newDeliverySiteIn(t *testing.T, lang string) *deliverySite {
	t.Helper()
	e := apptest.New(t, apptest.Options{SMTPDown: true, Env: map[string]string{"USHER_DEFAULT_LANGUAGE": lang}})
	e.SetupAdmin(t)
	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	res := e.Post(t, admin, "/settings/users/invite", map[string][]string{"email": {deliveryTom}, "role": {"member"}})
	mustStatus(t, "invite tom", res, 303)
	e.Clock.Advance(4 * time.Minute)
	e.Deliver(t) // refused
	return &deliverySite{e: e, tom: e.UserID(t, deliveryTom)}
}

// pages are the pages in the states a failing mail server makes, for the
// axe-core and Nu checkers.
func (d *deliverySite) pages() []checkPage {
	return []checkPage{
		{"users, mail outage and an email retrying", "/settings/users"},
		{"users, Not delivered tab", "/settings/users?status=undelivered"},
		{"Manage invitation page, email retrying", userPath(d.tom, "/invitation")},
		{"profile, administrator, mail outage", "/profile"},
	}
}

// mended starts the mail server and delivers tom's email: the pages then.
func (d *deliverySite) mended(t *testing.T) []checkPage {
	t.Helper()
	d.e.StartSMTP(t)
	d.e.Clock.Advance(time.Hour)
	delivered(t, d.e, deliveryTom, 1)
	return []checkPage{{"Manage invitation page, accepted by the mail server", userPath(d.tom, "/invitation")}}
}

// tipJS is the delivery note of email's row (the focusable text).
func tipJS(email string) string {
	return `(` + rowJS(email) + `)?.querySelector(".col-status .tip")`
}

// TestDeliveryFailureShown: with the mail server at a closed port, an
// administrator who invites someone sees, once the sender has tried, the
// account-wide notice naming the server and the reason, and the row's
// "Not delivered yet — retrying", whose reason is reached by keyboard
// (Tab to it shows it, Escape hides it) and read with it. Once the server
// works and takes the message, both go.
func TestDeliveryFailureShown(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTPDown: true})
	e.SetupAdmin(t)
	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.invite(deliveryTom, "Tom Tran", "member")
	if eval[bool](admin, `!!document.querySelector("#mail-outage")`) {
		t.Fatal("the notice shows before the sender tried")
	}
	e.Clock.Advance(26 * time.Minute) // 09:26
	e.Deliver(t)

	admin.open("/settings/users")
	notice := admin.text("#mail-outage")
	want := "Emails can't be sent: could not connect to the mail server " + e.SMTPAddr() + ": connection refused, since 09:26 UTC. Invitations are kept and go out when it works again."
	if notice != want {
		t.Errorf("the notice says %q, want %q", notice, want)
	}
	status := eval[string](admin, `(`+rowJS(deliveryTom)+`).querySelector(".col-status").innerText.trim()`)
	if !strings.Contains(status, "Not delivered yet — retrying") {
		t.Errorf("tom's status says %q, want Not delivered yet — retrying", status)
	}
	if got := eval[string](admin, `document.querySelector('.tabs a[href*="status=undelivered"]')?.innerText.trim() ?? ""`); got != "Not delivered 1" {
		t.Errorf("the Not delivered tab says %q, want \"Not delivered 1\"", got)
	}

	// The reason, by keyboard: Tab from the top of the page to the note.
	tip := tipJS(deliveryTom)
	shown := func() bool {
		return eval[bool](admin, `getComputedStyle(document.getElementById(`+tip+`.getAttribute("aria-describedby"))).display !== "none"`)
	}
	if shown() {
		t.Fatal("the reason shows before anyone asked for it")
	}
	for i := 0; ; i++ {
		if eval[bool](admin, `document.activeElement === `+tip) {
			break
		}
		if i == 60 {
			t.Fatalf("60 Tabs never reached tom's delivery note; focus is on %q", eval[string](admin, `document.activeElement.outerHTML.slice(0, 120)`))
		}
		admin.do("Tab", chromedp.KeyEvent(kb.Tab))
	}
	if !shown() {
		t.Error("focusing the note does not show the reason")
	}
	described := eval[string](admin, `document.getElementById(`+tip+`.getAttribute("aria-describedby")).textContent`)
	if !strings.Contains(described, "connection refused") || eval[string](admin, `document.getElementById(`+tip+`.getAttribute("aria-describedby")).getAttribute("role")`) != "tooltip" {
		t.Errorf("the note should be described by a tooltip with the reason; it is %q", described)
	}
	if dir := os.Getenv("USHER_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		admin.shot(dir, "a-notice-row-1280", false)
	}
	admin.do("Escape", chromedp.KeyEvent(kb.Escape))
	if shown() {
		t.Error("Escape should hide the reason")
	}
	if !eval[bool](admin, `document.activeElement === `+tip) {
		t.Error("Escape should leave focus on the note")
	}
	if dir := os.Getenv("USHER_SCREENSHOTS"); dir != "" {
		admin.do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
		admin.open("/settings/users")
		admin.overflow("Settings > Users with the notice at 375px")
		admin.do("focus the note", chromedp.Focus(chromedp.CSS(".col-status .tip")))
		admin.shot(dir, "a-notice-row-375", true)
		admin.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	}

	// Without JavaScript the reason shows on focus too.
	plain := b.personWithoutJS()
	plain.signIn(apptest.AdminEmail, apptest.AdminPassword)
	plain.do("focus the note", chromedp.Focus(chromedp.CSS(".col-status .tip")))
	if !eval[bool](plain, `getComputedStyle(document.querySelector(".col-status .tip-text")).display !== "none"`) {
		t.Error("without JavaScript, focusing the note does not show the reason")
	}

	// The mail server works again: the retry goes through, and both go.
	e.StartSMTP(t)
	e.Clock.Advance(40 * time.Second)
	delivered(t, e, deliveryTom, 1)
	admin.open("/settings/users")
	if eval[bool](admin, `!!document.querySelector("#mail-outage")`) {
		t.Errorf("the notice stays after the server took the message: %q", admin.text("#mail-outage"))
	}
	if eval[bool](admin, `!!`+tip) {
		t.Error("tom's row still has a delivery note after the message was delivered")
	}
	if eval[bool](admin, `!!document.querySelector('.tabs a[href*="status=undelivered"]')`) {
		t.Error("the Not delivered tab stays with nothing left undelivered")
	}
}
