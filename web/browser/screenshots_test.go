package browser_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
)

// TestScreenshots writes PNGs of the main pages, filled with a realistic
// small account, for people to look at (go tool task screenshots). It
// checks only that the pages render and do not scroll sideways.
func TestScreenshots(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("USHER_SCREENSHOTS")
	if dir == "" {
		t.Skip("screenshots are written only when USHER_SCREENSHOTS=<dir> is set: go tool task screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	pending, pendingLink := seed(t, e)

	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)

	// Settings > Users at desktop width, light and dark.
	admin.open("/settings/users")
	admin.shot(dir, "users-1280-light", true)
	admin.media("dark")
	admin.open("/settings/users")
	admin.shot(dir, "users-1280-dark", true)
	admin.media("light")

	// An action's banner, and the menu of the last row (where it must open
	// upwards rather than be clipped).
	admin.open("/settings/users")
	admin.openMenu(pending)
	admin.choose(pending, "Resend invitation link")
	admin.waitBanner("Invitation link will be resent to " + pending + ".")
	admin.shot(dir, "users-1280-after-resend", false) // what the admin sees at that moment
	eval[chromedp.Void](admin, `window.scrollTo(0, 0)`)
	admin.shot(dir, "users-1280-banner", false)
	last := eval[string](admin, `[...document.querySelectorAll("table.users tbody tr")].filter(r => r.querySelector("[data-menu-button]")).pop().querySelector(".user-email").textContent.trim()`)
	admin.do("scroll to the end", chromedp.ScrollIntoView(menuButton(last)))
	admin.openMenu(last)
	admin.shot(dir, "users-1280-menu-last-row", false)
	admin.media("dark")
	admin.open("/settings/users")
	admin.do("scroll to the end", chromedp.ScrollIntoView(menuButton(last)))
	admin.openMenu(last)
	admin.shot(dir, "users-1280-menu-last-row-dark", false)
	admin.media("light")

	// The invite form, empty and with errors.
	admin.open("/settings/users/invite")
	admin.shot(dir, "invite-1280", true)
	admin.do("submit a bad address", chromedp.SendKeys(chromedp.CSS("#email"), "not an address"))
	admin.navigateBy("submit", chromedp.Click(button("Send invitation")))
	admin.shot(dir, "invite-1280-errors", true)

	// Phone width.
	admin.do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	admin.open("/settings/users")
	admin.overflow("Settings > Users at 375px")
	admin.shot(dir, "users-375", true)
	admin.openMenu(pending)
	admin.shot(dir, "users-375-menu", false)

	// What the invited person and a signed-out person see.
	guest := b.person()
	guest.open("/login")
	guest.shot(dir, "login-1280", false)
	guest.open(pendingLink)
	guest.shot(dir, "accept-1280", false)
	guest.media("dark")
	guest.open(pendingLink)
	guest.shot(dir, "accept-1280-dark", false)
	guest.media("light")
	guest.do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	guest.open(pendingLink)
	guest.overflow("the accept page at 375px")
	guest.shot(dir, "accept-375", true)

	// In German (issue 15): the invitee switches at the foot of the page,
	// the administrator on their profile.
	guest.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	guest.open(pendingLink)
	guest.chooseLanguage("#language-switch", ".language-switch button", "de")
	guest.shot(dir, "accept-de-1280", false)
	guest.do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	guest.open(pendingLink)
	guest.overflow("the German accept page at 375px")
	guest.shot(dir, "accept-de-375", true)
	admin.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	admin.open("/profile")
	admin.chooseLanguage("#language", ".profile-language button", "de")
	admin.open("/settings/users")
	admin.shot(dir, "users-de-1280", true)
	admin.media("dark")
	admin.open("/settings/users")
	admin.shot(dir, "users-de-1280-dark", true)
	admin.media("light")
	admin.do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	admin.open("/settings/users")
	admin.overflow("German Settings > Users at 375px")
	admin.shot(dir, "users-de-375", true)
}

// chooseLanguage picks lang in the select at sel and submits its form with
// the button at submit, then waits for the page in that language.
func (p *Person) chooseLanguage(sel, submit, lang string) {
	p.t.Helper()
	p.do("choose "+lang, chromedp.SetValue(chromedp.CSS(sel), lang),
		chromedp.Click(chromedp.CSS(submit)), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"]`)))
}

// seed fills the account with a dozen people in every status and returns
// one whose invitation is pending, with its link.
func seed(t *testing.T, e *apptest.Env) (email, link string) {
	t.Helper()
	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	invite := func(email, name, role string) {
		t.Helper()
		res := e.Post(t, admin, "/settings/users/invite", url.Values{"email": {email}, "name": {name}, "role": {role}})
		mustStatus(t, "invite "+email, res, http.StatusSeeOther)
	}
	accept := func(email, name string) {
		t.Helper()
		msgs := e.SMTP.To(email)
		link := linkIn(t, msgs[len(msgs)-1])
		token := link[strings.LastIndex(link, "/")+1:]
		if _, err := e.App.Invitations.Accept(context.Background(), token, invitations.AcceptInput{Name: name, Password: password}); err != nil {
			t.Fatalf("accept for %s: %v", email, err)
		}
	}

	// These three will have expired, the last one with a very long address.
	invite("noah.fischer@example.com", "Noah Fischer", "member")
	invite("priya.raman@example.com", "Priya Raman", "admin")
	invite("maximilian.konstantinopoulos@regional-operations.example.com", "Maximilian Alexander Konstantinopoulos-Papadakis", "member")
	e.Deliver(t)
	// Sessions end after 12 idle hours: sign in again after each jump.
	e.Clock.Advance(8 * 24 * time.Hour)
	admin = e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)

	invite("carmen.ortiz@example.com", "Carmen Ortiz", "member")
	invite("fatima.zahra@example.com", "", "member")
	e.Clock.Advance(2 * 24 * time.Hour)
	admin = e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	for _, p := range []struct{ email, name, role string }{
		{"jonas.weber@example.com", "Jonas Weber", "admin"},
		{"aiko.tanaka@example.com", "Aiko Tanaka", "member"},
		{"liam.obrien@example.com", "Liam O’Brien", "member"},
		{"olivia.brown@example.com", "Olivia Brown", "admin"},
		{"mateo.rossi@example.com", "Mateo Rossi", "member"},
		{"sofia.nowak@example.com", "Sofia Nowak", "member"},
		{"ethan.clarke@example.com", "Ethan Clarke", "member"},
	} {
		invite(p.email, p.name, p.role)
	}
	e.Deliver(t)
	for _, p := range []struct{ email, name string }{
		{"jonas.weber@example.com", "Jonas Weber"},
		{"aiko.tanaka@example.com", "Aiko Tanaka"},
		{"liam.obrien@example.com", "Liam O’Brien"},
		{"olivia.brown@example.com", "Olivia Brown"},
		{"ethan.clarke@example.com", "Ethan Clarke"},
	} {
		accept(p.email, p.name)
	}
	e.Clock.Advance(20 * time.Hour)
	admin = e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	ethan := e.UserID(t, "ethan.clarke@example.com")
	res := e.Post(t, admin, "/settings/users/"+strconv.FormatInt(ethan, 10)+"/deactivate", url.Values{"return": {"/settings/users"}})
	mustStatus(t, "deactivate ethan", res, http.StatusSeeOther)
	e.Clock.Advance(6 * time.Hour) // "Invited yesterday", and past every resend cooldown

	email = "sofia.nowak@example.com"
	msgs := e.SMTP.To(email)
	return email, linkIn(t, msgs[len(msgs)-1])
}

// media switches prefers-color-scheme for the pages the person opens next.
func (p *Person) media(scheme string) {
	p.t.Helper()
	if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		p.t.Fatalf("emulate %s: %v", scheme, err)
	}
}

// shot writes a PNG of the page (whole, or what the viewport shows).
func (p *Person) shot(dir, name string, full bool) {
	p.t.Helper()
	eval[bool](p, `document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise)
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		p.fail("screenshot "+name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("wrote %s", path)
}

// overflow fails when the page scrolls sideways, naming the widest culprits.
func (p *Person) overflow(what string) {
	p.t.Helper()
	wide := eval[[]string](p, `(() => {
		const w = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth <= w) return [];
		return [...document.querySelectorAll("body *")]
			.filter(el => el.getBoundingClientRect().right > w + 1)
			.slice(0, 8)
			.map(el => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).trim().split(/\s+/).join(".") : "") + " right=" + Math.round(el.getBoundingClientRect().right));
	})()`)
	if len(wide) > 0 {
		p.t.Errorf("%s scrolls sideways; too wide: %s", what, strings.Join(wide, ", "))
	}
}
