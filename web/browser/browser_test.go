package browser_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/spaces"
)

const (
	bo       = "bo@example.com"
	password = "a long enough passphrase"
)

// invitationActions are the menu items that only a pending invitation has.
var invitationActions = []string{"Copy invitation link", "Resend invitation link", "Send new invitation", "Cancel invitation"}

// The whole life of an invitation as the two people involved live it: the
// administrator invites, copies the link, resends it; the invited person
// follows it, joins, and shows up Active.
func TestInvitationStory(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	b := newBrowser(t, e)
	admin := b.person()

	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.invite(bo, "Bo Berg", "member")
	if got := admin.status(bo); got != "Invited" {
		t.Fatalf("bo's status after the invite is %q, want Invited", got)
	}
	if line := offeredRoles(admin, bo); line != "Offered: Member" {
		t.Errorf("bo's Roles should say the role offered, got %q", line)
	}
	emailed := linkIn(t, delivered(t, e, bo, 1)[0])

	// Copy invitation link puts the emailed link on the clipboard.
	items := admin.openMenu(bo)
	if want := []string{"Copy invitation link", "Resend invitation link", "Cancel invitation"}; !containsAll(items, want) || slices.Contains(items, "Send new invitation") {
		t.Fatalf("an Invited row's menu has %q; want %q and no Send new invitation", items, want)
	}
	copied := func() string {
		clipboard.Lock()
		defer clipboard.Unlock()
		admin.choose(bo, "Copy invitation link")
		admin.waitBanner("Invitation link copied.")
		return eval[string](admin, `navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)
	}()
	if copied != emailed {
		t.Fatalf("the clipboard holds %q, want the emailed link %q", copied, emailed)
	}
	if open := eval[bool](admin, `!document.querySelector(`+js(string(menuList(bo)))+`).hidden`); open {
		t.Error("the menu should close once the link is copied")
	}

	// Resend, once the one-minute cooldown has passed, in place.
	e.Clock.Advance(2 * time.Minute)
	eval[int](admin, `window.__marker = 1`)
	admin.openMenu(bo)
	admin.choose(bo, "Resend invitation link")
	admin.waitBanner("Invitation link will be resent to " + bo + ".")
	if !eval[bool](admin, `window.__marker === 1`) {
		t.Fatal("Resend loaded a new page; it should update the row and banner in place")
	}
	if got := admin.status(bo); got != "Invited" {
		t.Fatalf("bo's status after the resend is %q, want Invited", got)
	}
	again := delivered(t, e, bo, 2)[1]
	if l := linkIn(t, again); l != emailed {
		t.Fatalf("the reminder carries %q; a resend must send the same link %q", l, emailed)
	}

	// The invited person, in a browser of their own.
	invitee := b.person()
	invitee.open(emailed)
	if h := invitee.h1(); h != "Join "+apptest.AccountName {
		t.Fatalf("the accept page's heading is %q", h)
	}
	invitee.do("fill the accept form",
		chromedp.Clear(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Bo Berg"),
		chromedp.SendKeys(chromedp.CSS("#password"), password))
	invitee.navigateBy("join", chromedp.Click(button("Join "+apptest.AccountName)))
	invitee.waitPath("/")
	invitee.open("/profile")
	if who := invitee.text(".whoami"); !strings.Contains(who, "Signed in as Bo Berg") {
		t.Fatalf("after joining the header says %q, want Signed in as Bo Berg", who)
	}
	if main := invitee.text("main"); !strings.Contains(main, bo) || !strings.Contains(main, "Member of "+apptest.AccountName) {
		t.Fatalf("the profile should show bo's email and role:\n%s", main)
	}

	// Back at the list: Active, and nothing left to do with an invitation.
	admin.open("/settings/users")
	if got := admin.status(bo); got != "Active" {
		t.Fatalf("bo's status after joining is %q, want Active", got)
	}
	if items := admin.menuLabels(bo); containsAny(items, invitationActions) {
		t.Fatalf("an Active row's menu still offers %q", items)
	}
}

// An expired invitation is renewed with a new link; the old one dies.
func TestExpiredInvitation(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.invite(bo, "Bo Berg", "member")
	old := linkIn(t, delivered(t, e, bo, 1)[0])

	// A week on, the session has ended too (its absolute lifetime is 7 days).
	e.Clock.Advance(8 * 24 * time.Hour)
	admin.open("/settings/users")
	if p := admin.path(); p != "/login" {
		t.Fatalf("8 days on, the admin's session should have ended; the list answered with %s", p)
	}
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	if got := admin.status(bo); got != "Invitation expired" {
		t.Fatalf("bo's status 8 days on is %q, want Invitation expired", got)
	}
	items := admin.openMenu(bo)
	if !slices.Contains(items, "Send new invitation") || containsAny(items, []string{"Copy invitation link", "Resend invitation link"}) {
		t.Fatalf("an expired row's menu has %q; want Send new invitation and no copy or resend", items)
	}
	admin.choose(bo, "Send new invitation")
	admin.waitBanner("A new invitation will be sent to " + bo + ".")
	if got := admin.status(bo); got != "Invited" {
		t.Fatalf("bo's row after Send new invitation says %q, want Invited", got)
	}
	renewed := linkIn(t, delivered(t, e, bo, 2)[1])
	if renewed == old {
		t.Fatal("Send new invitation must send a new link")
	}

	invitee := b.person()
	invitee.open(old)
	if h := invitee.h1(); h != "This invitation is no longer valid" {
		t.Fatalf("the old link's page says %q", h)
	}
	if n := eval[int](invitee, `document.querySelectorAll("#password").length`); n != 0 {
		t.Fatal("the old link's page must not offer the form")
	}
	invitee.open(renewed)
	if h := invitee.h1(); h != "Join "+apptest.AccountName {
		t.Fatalf("the new link's page says %q", h)
	}
	invitee.do("the new link shows the form", chromedp.WaitVisible(chromedp.CSS("#password")))
}

// Cancel asks first, in a modal dialog, then the row and the link go.
func TestCancelInvitation(t *testing.T) {
	t.Parallel()
	_, b, admin, link := invitedBo(t, true)

	admin.openMenu(bo)
	admin.choose(bo, "Cancel invitation")
	admin.do("the confirmation dialog opens", chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	if !eval[bool](admin, `document.querySelector("dialog[open]").matches(":modal")`) {
		t.Error("the confirmation should be a modal dialog")
	}
	if got := admin.status(bo); got != "Invited" {
		t.Fatalf("opening the dialog changed bo's status to %q", got)
	}
	admin.do("confirm", chromedp.Click(chromedp.Search(`//dialog[@open]//button[normalize-space()="Cancel invitation"]`)))
	admin.waitBanner("Invitation for " + bo + " cancelled.")
	admin.do("the dialog closes", chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	if got := admin.status(bo); got != "" {
		t.Fatalf("bo never joined, so the row should be gone; it says %q", got)
	}
	admin.open("/settings/users")
	if got := admin.status(bo); got != "" {
		t.Fatalf("after a reload bo is still listed as %q", got)
	}

	invitee := b.person()
	invitee.open(link)
	if h := invitee.h1(); h != "This invitation is no longer valid" {
		t.Fatalf("a cancelled link's page says %q", h)
	}
}

// Several people at once: the form takes their addresses together; an
// address already invited is said, not mailed again, while the new one is.
func TestInviteSeveral(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	send := func(addresses string) {
		t.Helper()
		admin.open("/settings/users/invite")
		admin.do("type the addresses", chromedp.SendKeys(chromedp.CSS("#email"), addresses))
		admin.navigateBy("send the invitations", chromedp.Click(button("Send invitation")))
	}
	send("cy@example.com, Dee@example.com")
	admin.waitPath("/settings/users")
	admin.waitBanner("Invitations will be sent to cy@example.com and dee@example.com.")
	for _, em := range []string{"cy@example.com", "dee@example.com"} {
		if got := admin.status(em); got != "Invited" {
			t.Errorf("%s is %q, want Invited", em, got)
		}
		delivered(t, e, em, 1)
	}

	e.Clock.Advance(time.Minute)
	send("dee@example.com eve@example.com")
	if h := admin.h1(); h != "Invite user" {
		t.Fatalf("with an address already invited, the page is %q; want the form again", h)
	}
	page := admin.text("main")
	for _, want := range []string{"Invitation will be sent to eve@example.com.", "dee@example.com already has a pending invitation"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page should say %q:\n%s", want, page)
		}
	}
	if got := eval[string](admin, `document.querySelector("#email").value`); got != "dee@example.com" {
		t.Errorf("the field keeps %q; want the address not sent", got)
	}
	delivered(t, e, "eve@example.com", 1)
	delivered(t, e, "dee@example.com", 1)
}

// The roles picker (WAI-ARIA combobox) and the menu (WAI-ARIA menu
// button) work from the keyboard alone: no mouse event anywhere in this
// test.
func TestKeyboardOnly(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	ctx := context.Background()
	north, err := e.App.Spaces.Create(ctx, e.AdminAccess(t), spaces.Unit, 0, "North Clinic")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Spaces.Create(ctx, e.AdminAccess(t), spaces.WaitingArea, north.ID, "Front Desk"); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, e)
	admin := b.person()

	admin.open("/login")
	admin.do("type the email", chromedp.SendKeys(chromedp.CSS("#email"), apptest.AdminEmail))
	admin.navigateBy("sign in with Enter", chromedp.SendKeys(chromedp.CSS("#password"), apptest.AdminPassword+kb.Enter))
	admin.waitPath("/settings/users")
	admin.open("/settings/users/invite")
	// Autofocus lands once the page has loaded, which a loaded machine
	// may report a moment after the navigation: wait for it, not a time.
	admin.waitFor("focus on the email field", `document.activeElement && document.activeElement.id === "email"`)
	if got := admin.focusID(); got != "email" {
		t.Fatalf("the Invite user page should start on the email field; focus is on #%s", got)
	}
	admin.do("type the email, Tab, type the name", chromedp.KeyEvent(bo), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("Bo Berg"))
	// Add a role: Tab to the picker's combobox, type, ArrowDown, Enter,
	// then ArrowDown on the role it added.
	admin.tabUntil("the Add a role combobox", `document.activeElement.id === "role-search"`)
	admin.search("front", "1 space matches.")
	admin.do("ArrowDown, Enter", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
	if !eval[bool](admin, `document.activeElement.matches("[data-role-list] select")`) {
		t.Fatalf("Enter should add the role and focus it; focus is on %q", eval[string](admin, `document.activeElement.outerHTML.slice(0, 120)`))
	}
	admin.do("ArrowDown on the role", chromedp.KeyEvent(kb.ArrowDown))
	// Enter in a text field sends the form, not the picker's first Remove.
	for range 20 {
		if admin.focusID() == "name" {
			break
		}
		admin.do("Shift+Tab", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	}
	admin.navigateBy("invite with Enter in the name", chromedp.KeyEvent(kb.Enter))
	admin.waitBanner("Invitation will be sent to " + bo + ".")
	if line := offeredRoles(admin, bo); line != "Offered: Member, Administrator of Front Desk" {
		t.Errorf("bo's offered roles are %q; want the account's Member and Administrator of Front Desk", line)
	}
	e.Clock.Advance(2 * time.Minute) // past the resend cooldown

	btn := `document.querySelector(` + js(string(menuButton(bo))) + `)`
	focused := func() string { return eval[string](admin, `document.activeElement.textContent.trim()`) }
	expanded := func() string { return eval[string](admin, btn+`.getAttribute("aria-expanded")`) }
	key := func(k, what string) { admin.do(what, chromedp.KeyEvent(k)) }

	// Tab from the top of the page to the row's ••• button.
	tabTo := func() {
		t.Helper()
		for range 60 {
			if eval[bool](admin, `document.activeElement === `+btn) {
				return
			}
			key(kb.Tab, "Tab")
		}
		t.Fatalf("60 Tabs never reached the ••• of %s; focus is on %q", bo, focused())
	}
	tabTo()
	key(kb.Enter, "Enter on the menu button")
	admin.do("the menu opens", chromedp.WaitVisible(menuList(bo)))
	if got := expanded(); got != "true" {
		t.Fatalf("aria-expanded = %q with the menu open", got)
	}
	if got := focused(); got != "Copy invitation link" {
		t.Fatalf("opening the menu should focus its first item; focus is on %q", got)
	}
	key(kb.ArrowDown, "ArrowDown")
	if got := focused(); got != "Resend invitation link" {
		t.Fatalf("ArrowDown should move to Resend invitation link; focus is on %q", got)
	}
	key(kb.Escape, "Escape")
	admin.do("the menu closes", chromedp.WaitNotVisible(menuList(bo)))
	if got := expanded(); got != "false" {
		t.Fatalf("aria-expanded = %q after Escape", got)
	}
	if !eval[bool](admin, `document.activeElement === `+btn) {
		t.Fatalf("Escape should return focus to the menu button; focus is on %q", focused())
	}

	key(kb.Enter, "Enter on the menu button again")
	admin.do("the menu opens", chromedp.WaitVisible(menuList(bo)))
	key(kb.ArrowDown, "ArrowDown")
	if got := focused(); got != "Resend invitation link" {
		t.Fatalf("focus is on %q, want Resend invitation link", got)
	}
	key(kb.Enter, "Enter on Resend invitation link")
	admin.waitBanner("Invitation link will be resent to " + bo + ".")
	delivered(t, e, bo, 2)

	// Cancel through the dialog, still by keyboard; the dialog's focus
	// starts on the safe choice. The resend replaced the row, so Tab back
	// to its new •••.
	tabTo()
	key(kb.Enter, "Enter on the menu button")
	admin.do("the menu opens", chromedp.WaitVisible(menuList(bo)))
	items := admin.menuLabels(bo)
	key(kb.End, "End")
	if got := focused(); got != items[len(items)-1] {
		t.Fatalf("End should reach the last item, %q; focus is on %q", items[len(items)-1], got)
	}
	key(kb.Home, "Home")
	for range items {
		if focused() == "Cancel invitation" {
			break
		}
		key(kb.ArrowDown, "ArrowDown")
	}
	if got := focused(); got != "Cancel invitation" {
		t.Fatalf("ArrowDown never reached Cancel invitation in %q; focus is on %q", items, got)
	}
	key(kb.Enter, "Enter on Cancel invitation")
	admin.do("the dialog opens", chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	if got := focused(); got != "Keep invitation" {
		t.Fatalf("the dialog should focus Keep invitation first; focus is on %q", got)
	}
	admin.do("Shift+Tab to the confirming button", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if got := focused(); got != "Cancel invitation" {
		t.Fatalf("focus is on %q, want the dialog's Cancel invitation", got)
	}
	key(kb.Enter, "Enter on the dialog's Cancel invitation")
	admin.waitBanner("Invitation for " + bo + " cancelled.")
	admin.do("the dialog closes", chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	if got := admin.status(bo); got != "" {
		t.Fatalf("the cancelled row should be gone; it says %q", got)
	}
}

// Without JavaScript the ••• is a link to a page of plain forms, and an
// action comes back to the list with its banner.
func TestWithoutJavaScript(t *testing.T) {
	t.Parallel()
	e, _, admin, link := invitedBo(t, false)
	e.Clock.Advance(2 * time.Minute)

	if eval[bool](admin, `document.documentElement.classList.contains("js")`) {
		t.Fatal("JavaScript ran; this test needs it off")
	}
	admin.do("the menu button is hidden", chromedp.WaitNotVisible(menuButton(bo)))
	actions := chromedp.CSS(`a.menu-button[aria-label="Actions for ` + bo + `"]`)
	admin.navigateBy("follow •••", chromedp.Click(actions))
	if h := admin.h1(); h != "Actions for "+bo {
		t.Fatalf("the actions page's heading is %q", h)
	}
	admin.navigateBy("post Resend invitation link", chromedp.Click(button("Resend invitation link")))
	admin.waitPath("/settings/users")
	admin.waitBanner("Invitation link will be resent to " + bo + ".")
	if l := linkIn(t, delivered(t, e, bo, 2)[1]); l != link {
		t.Fatalf("the reminder carries %q, want the same link %q", l, link)
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func containsAny(have, any []string) bool {
	for _, a := range any {
		if slices.Contains(have, a) {
			return true
		}
	}
	return false
}
