package browser_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/usherhq/usher/internal/apptest"
)

// Every page, in every state a person meets it, passes axe-core's WCAG 2.x
// A/AA and best-practice rules, in the light and the dark colour scheme.
func TestAccessibility(t *testing.T) {
	t.Parallel()
	axe := newAxeChecker(t)
	s := newCheckSite(t)
	b := newBrowser(t, s.e)
	defer axe.report()

	// First run: before anyone has set Usher up.
	guest := b.person()
	guest.open("/")
	axe.check(guest, "not set up yet")
	guest.open(s.setupPath)
	axe.check(guest, "setup")
	guest.navigateBy("submit an empty setup form", chromedp.Click(button("Create account")))
	axe.check(guest, "setup with errors")

	s.seed(t)

	// Signing in.
	guest.open("/login")
	axe.check(guest, "sign-in")
	guest.do("fill the sign-in form wrongly",
		chromedp.SendKeys(chromedp.CSS("#email"), apptest.AdminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), "not the password at all"))
	guest.navigateBy("sign in", chromedp.Click(button("Sign in")))
	axe.check(guest, "sign-in with an error")

	// The invited person: the accept page, its errors, then their profile.
	invitee := b.person()
	invitee.open(s.validLink)
	axe.check(invitee, "accept, valid link")
	invitee.do("choose a short password", chromedp.SendKeys(chromedp.CSS("#password"), "short"))
	invitee.navigateBy("join", chromedp.Click(button("Join "+apptest.AccountName)))
	axe.check(invitee, "accept with errors")
	invitee.do("choose a good password", chromedp.SendKeys(chromedp.CSS("#password"), password))
	invitee.navigateBy("join", chromedp.Click(button("Join "+apptest.AccountName)))
	invitee.waitPath("/")
	axe.check(invitee, "home, member")
	invitee.open("/profile")
	axe.check(invitee, "profile, member")
	invitee.open("/settings/users")
	axe.check(invitee, "a member at an admin page")

	// Links that no longer work, and a page that does not exist.
	visitor := b.person()
	visitor.open(s.acceptedLink)
	axe.check(visitor, "accept, already accepted")
	visitor.open(s.expiredLink)
	axe.check(visitor, "accept, expired link")
	visitor.navigateBy("ask for a new invitation", chromedp.Click(button("Ask for a new invitation")))
	axe.check(visitor, "accept, expired, renewal asked")
	visitor.open(s.cancelledLink)
	axe.check(visitor, "accept, invalid link")
	visitor.open("/no-such-page")
	axe.check(visitor, "404, signed out")

	// The administrator.
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	for email, want := range map[string]string{
		apptest.AdminEmail:            "Active",
		"ivy.invited@example.com":     "Invited",
		"eli.expired@example.com":     "Invitation expired",
		"dan.deactivated@example.com": "Deactivated",
	} {
		if got := admin.status(email); got != want {
			t.Fatalf("the users list shows %s as %q, want %q", email, got, want)
		}
	}
	axe.check(admin, "users, every status")
	const ivy = "ivy.invited@example.com"
	admin.openMenu(ivy)
	axe.check(admin, "users, menu open")
	admin.choose(ivy, "Manage invitation")
	admin.do("the Manage invitation dialog opens", chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	axe.check(admin, "Manage invitation dialog")
	admin.do("close the dialog", chromedp.Click(chromedp.CSS("dialog[open] [data-close-dialog]")), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	admin.openMenu(ivy)
	admin.choose(ivy, "Cancel invitation")
	admin.do("the confirmation dialog opens", chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	axe.check(admin, "cancel confirmation dialog")
	admin.do("keep the invitation", chromedp.Click(chromedp.CSS("dialog[open] [data-close-dialog]")), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	const cy = "cy.active@example.com"
	admin.openMenu(cy)
	admin.choose(cy, "Edit user")
	admin.do("the Edit user dialog opens", chromedp.WaitVisible(chromedp.CSS("dialog[open] #role-search")))
	axe.check(admin, "Edit user dialog")
	admin.do("focus Add a role", chromedp.Focus(chromedp.CSS("#role-search")))
	admin.search("sales", "3 spaces match.")
	admin.do("ArrowDown", chromedp.KeyEvent(kb.ArrowDown))
	axe.check(admin, "Edit user dialog, space search open")
	admin.do("close the search and the dialog", chromedp.KeyEvent(kb.Escape), chromedp.Click(chromedp.CSS("dialog[open] [data-close-dialog]")), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	admin.openMenu(ivy)
	admin.choose(ivy, "Deactivate user")
	admin.do("the confirmation dialog opens", chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	axe.check(admin, "deactivate confirmation dialog")
	admin.do("keep the user", chromedp.Click(chromedp.CSS("dialog[open] [data-close-dialog]")), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	admin.open("/settings/users?q=nobody-here")
	axe.check(admin, "users, nothing found")
	// On a phone: the tabs wrap, the sort control shows.
	admin.do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	admin.open("/settings/users")
	axe.check(admin, "users at 375 px")
	admin.do("desktop viewport", chromedp.EmulateViewport(1280, 900))

	admin.open("/settings/users/invite")
	axe.check(admin, "invite")
	admin.do("focus Add a role", chromedp.Focus(chromedp.CSS("#role-search")))
	admin.search("room", "1 space matches.")
	admin.do("ArrowDown", chromedp.KeyEvent(kb.ArrowDown))
	axe.check(admin, "invite, space search open")
	admin.do("Enter", chromedp.KeyEvent(kb.Enter))
	axe.check(admin, "invite, role added")
	admin.open("/settings/users/invite")
	admin.do("type a bad address", chromedp.SendKeys(chromedp.CSS("#email"), "not an address"))
	admin.navigateBy("send the invitation", chromedp.Click(button("Send invitation")))
	axe.check(admin, "invite with errors")

	for _, pg := range append(s.adminPages(t), checkPage{"404, signed in", "/settings/nothing-here"}) {
		admin.open(pg.path)
		axe.check(admin, pg.name)
	}

	admin.open(spacePath(s.sales, ""))
	admin.do("open Remove from this space", chromedp.Click(chromedp.Search(`//a[starts-with(normalize-space(), "Remove from this space")]`)),
		chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	axe.check(admin, "remove from space confirmation dialog")
	// The mail server refusing connections (issue 14): the account-wide
	// notice, the row's note with its reason shown, the Not delivered tab;
	// then, the server mended, a delivery in Manage invitation's history.
	d := newDeliverySite(t)
	failing := newBrowser(t, d.e).person()
	failing.signIn(apptest.AdminEmail, apptest.AdminPassword)
	for _, pg := range d.pages() {
		failing.open(pg.path)
		axe.check(failing, pg.name)
	}
	failing.open("/settings/users")
	failing.do("focus the delivery note", chromedp.Focus(chromedp.CSS(".col-status .tip")))
	axe.check(failing, "users, a delivery note's reason shown")
	for _, pg := range d.mended(t) {
		failing.open(pg.path)
		axe.check(failing, pg.name)
	}
}

// checkPage is a page the checkers open, by name.
type checkPage struct{ name, path string }

// adminPages are the pages an account administrator opens, beyond the
// users list and the invite form, that both checkers look at.
func (s *checkSite) adminPages(t *testing.T) []checkPage {
	return []checkPage{
		{"Manage invitation page", userPath(s.invited, "/invitation")},
		{"actions page (no JavaScript)", userPath(s.invited, "/actions")},
		{"cancel confirmation page", userPath(s.invited, "/cancel")},
		{"edit user", userPath(s.active, "/edit")},
		{"delete user confirmation", userPath(s.deactivated, "/delete")},
		{"deactivate user confirmation", userPath(s.active, "/deactivate")},
		{"users, a page past the end", "/settings/users?page=9999"},
		{"spaces", "/settings/spaces"},
		{"spaces, adding a meeting room", "/settings/spaces?kind=meeting_room&parent=" + strconv.FormatInt(s.sales, 10)},
		{"space page", spacePath(s.sales, "")},
		{"space page, searched", spacePath(s.sales, "?q=cy")},
		{"space page, nothing found", spacePath(s.sales, "?q=nobody-here")},
		{"remove from space confirmation page", spacePath(s.sales, "/people/"+strconv.FormatInt(s.active, 10)+"/remove")},
		{"meeting room page", spacePath(s.room, "")},
		{"rename space", spacePath(s.sales, "/rename")},
		{"delete space confirmation", spacePath(s.sales, "/delete")},
		{"mailbox", "/dev/mailbox"},
		{"mailbox, searched", "/dev/mailbox?q=ivy"},
		{"mailbox, nothing found", "/dev/mailbox?q=nobody-here"},
		{"mailbox message", "/dev/mailbox/" + strconv.FormatInt(s.mailID(t), 10)},
		{"profile, administrator", "/profile"},
		{"user's page, with sessions", userPath(s.active, "")},
		{"user's page, never signed in", userPath(s.invited, "")},
		{"end all sessions confirmation", userPath(s.active, "/sessions/end")},
		{"activity", "/settings/activity"},
		{"activity, a person and a kind", "/settings/activity?person=ivy&kind=invitation.sent"},
		{"activity, nobody matches", "/settings/activity?person=nobody-here"},
		{"activity, nothing matches", "/settings/activity?kind=signin.failed&from=2020-01-01&to=2020-01-02"},
		{"API tokens", "/settings/api-tokens"},
		{"webhooks", "/settings/webhooks"},
		{"webhook endpoint and its log", "/settings/webhooks/" + strconv.FormatInt(s.webhook, 10)},
		{"API documentation", "/api/v1/docs"},
		{"apps", "/settings/apps"},
		{"app page", "/settings/apps/" + strconv.FormatInt(s.app, 10)},
	}
}

// Every page's HTML, as the server sends it, has no errors by the Nu HTML
// Checker (the W3C's validator), in English and in German.
func TestHTMLValid(t *testing.T) {
	t.Parallel()
	h := newHTMLCollector(t)
	for _, lang := range []string{"en", "de"} {
		collectEveryPage(t, h, lang)
	}
	h.validate()
}

// collectEveryPage fetches every page in every state a person meets it, in
// an account speaking lang, into h.
func collectEveryPage(t *testing.T, h *htmlCollector, lang string) {
	t.Helper()
	h.lang = lang
	s := newCheckSiteIn(t, lang)
	e := s.e
	h.e = e

	guest := e.Client(t)
	h.get("not set up yet", guest, "/", http.StatusOK)
	h.get("setup", guest, s.setupPath, http.StatusOK)
	h.post("setup with errors", guest, s.setupPath, url.Values{"account": {""}, "email": {"nope"}}, http.StatusUnprocessableEntity)

	s.seed(t)

	h.get("sign-in", guest, "/login", http.StatusOK)
	h.post("sign-in with an error", guest, "/login", url.Values{"email": {apptest.AdminEmail}, "password": {"not the password at all"}}, http.StatusUnauthorized)
	h.get("accept, valid link", guest, s.validLink, http.StatusOK)
	h.post("accept with errors", guest, s.validLink, url.Values{"name": {"Jo Joining"}, "password": {"short"}}, http.StatusUnprocessableEntity)
	h.get("accept, already accepted", guest, s.acceptedLink, http.StatusOK)
	h.get("accept, expired link", guest, s.expiredLink, http.StatusOK)
	h.post("accept, expired, renewal asked", guest, s.expiredLink+"/renewal", url.Values{}, http.StatusOK)
	h.get("accept, invalid link", guest, s.cancelledLink, http.StatusOK)
	h.get("404, signed out", guest, "/no-such-page", http.StatusNotFound)
	h.get("forgot password", guest, "/forgot", http.StatusOK)
	h.post("forgot password with an error", guest, "/forgot", url.Values{"email": {"not an address"}}, http.StatusUnprocessableEntity)
	h.post("forgot password, sent", guest, "/forgot", url.Values{"email": {s.member}}, http.StatusOK)
	h.get("reset link that no longer works", guest, "/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", http.StatusNotFound)

	member := e.SignIn(t, s.member, password)
	h.get("home, member", member, "/", http.StatusOK)
	h.post("home, name with errors", member, "/profile/name", url.Values{"name": {""}}, http.StatusUnprocessableEntity)
	h.get("profile, member", member, "/profile", http.StatusOK)
	h.get("a member at an admin page", member, "/settings/users", http.StatusForbidden)
	collectTwoFactorPages(t, h, s.member, member)

	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	for _, pg := range append([]checkPage{
		{"users, every status", "/settings/users"},
		{"users, nothing found", "/settings/users?q=nobody-here"},
		{"invite", "/settings/users/invite"},
	}, s.adminPages(t)...) {
		h.get(pg.name, admin, pg.path, http.StatusOK)
	}
	h.get("404, signed in", admin, "/settings/nothing-here", http.StatusNotFound)
	h.get("activity, a bad date", admin, "/settings/activity?from=2026-13-45", http.StatusUnprocessableEntity)
	h.post("invite with errors", admin, "/settings/users/invite", url.Values{"email": {"not an address"}}, http.StatusUnprocessableEntity)
	h.post("API tokens, a form with errors", admin, "/settings/api-tokens", url.Values{"name": {""}, "days": {"30"}}, http.StatusUnprocessableEntity)
	h.post("API tokens, a new token shown once", admin, "/settings/api-tokens", url.Values{"name": {"CRM"}, "days": {"30"}, "scope": {"users:read"}}, http.StatusCreated)
	h.post("apps, a form with errors", admin, "/settings/apps", url.Values{"name": {""}, "kind": {"server"}, "redirect_uris": {"http://rota.example.com/"}}, http.StatusUnprocessableEntity)
	h.post("apps, a new app's secret", admin, "/settings/apps", url.Values{"name": {"Payroll"}, "kind": {"server"}, "redirect_uris": {"https://payroll.example.com/cb"}}, http.StatusCreated)
	h.post("webhooks, a form with errors", admin, "/settings/webhooks", url.Values{"url": {"http://localhost/x"}}, http.StatusUnprocessableEntity)
	h.post("webhooks, a new endpoint's secret", admin, "/settings/webhooks", url.Values{"url": {"https://hooks.invalid/usher"}, "event": {"user.deleted"}}, http.StatusCreated)
	sales, room := strconv.FormatInt(s.sales, 10), strconv.FormatInt(s.room, 10)
	h.post("invite, role added (no JavaScript)", admin, "/settings/users/invite", url.Values{"email": {"pat@example.com"}, "add": {"1"}, "add_space": {room}, "add_role": {"admin"}}, http.StatusOK)
	h.post("invite, Add without a space (no JavaScript)", admin, "/settings/users/invite", url.Values{"email": {"pat@example.com"}, "add": {"1"}, "add_space": {""}, "add_role": {"member"}}, http.StatusUnprocessableEntity)
	h.post("edit user, role removed (no JavaScript)", admin, userPath(s.active, "/edit"), url.Values{"name": {"Cy Active"}, "roles_shown": {"1"}, "role_" + sales: {"member"}, "remove": {sales}}, http.StatusOK)
	h.post("invitation link page (no JavaScript)", admin, userPath(s.invited, "/link"), url.Values{"return": {"/settings/users"}}, http.StatusOK)
	h.post("spaces with errors", admin, "/settings/spaces", url.Values{"kind": {"unit"}, "name": {""}}, http.StatusUnprocessableEntity)
	h.post("change password with errors", admin, "/profile/password", url.Values{"current": {"wrong"}, "password": {"short"}}, http.StatusUnprocessableEntity)
	e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword) // another session to end
	h.post("profile, other sessions ended", admin, "/profile/sessions/others/end", url.Values{}, http.StatusOK)
	h.post("user's page, sessions ended", admin, userPath(s.active, "/sessions/end"), url.Values{}, http.StatusOK)
	collectBulkPages(t, h, s, admin)

	// What htmx fetches is a fragment (a dialog, a row, the results), not a
	// document: it must not be validated as one.
	for _, f := range []struct{ path, target string }{
		{userPath(s.invited, "/cancel"), "dialog-slot"},
		{userPath(s.active, "/deactivate"), "dialog-slot"},
		{userPath(s.invited, "/invitation"), "dialog-slot"},
		{spacePath(s.sales, "/people/"+strconv.FormatInt(s.active, 10)+"/remove"), "dialog-slot"},
		{"/settings/users?q=ivy", "users-results"},
	} {
		res := e.Get(t, admin, f.path, append(apptest.HTMX, "HX-Target", f.target)...)
		mustStatus(t, "htmx's GET "+f.path, res, http.StatusOK)
		if isDocument(res.Body) {
			t.Errorf("htmx's GET %s answered a whole page, not a fragment", f.path)
		}
	}

	// The mail server refusing connections, then mended (issue 14).
	d := newDeliverySiteIn(t, lang)
	failing := d.e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	check := func(pages []checkPage) {
		for _, pg := range pages {
			h.add(pg.name, pg.path, d.e.Get(t, failing, pg.path), http.StatusOK)
		}
	}
	check(d.pages())
	check(d.mended(t))

}
