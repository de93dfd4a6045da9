package browser_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
)

// Settings > Users after in-place actions, on a phone, and the menus
// (issue 14).

// invitePending invites each address as a member through the services.
func invitePending(t *testing.T, e *apptest.Env, emails ...string) {
	t.Helper()
	ctx := context.Background()
	actor := invitations.Actor{User: e.User(t, e.UserID(t, apptest.AdminEmail)), Access: e.AdminAccess(t)}
	account, err := e.App.Users.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, em := range emails {
		if _, err := e.App.Invitations.Invite(ctx, actor, invitations.InviteInput{Email: em, Offered: []spaces.Grant{{SpaceID: account.ID, Role: spaces.Member}}}); err != nil {
			t.Fatalf("invite %s: %v", em, err)
		}
	}
}

// rowCount is the number of rows the list shows.
func (p *Person) rowCount() int {
	p.t.Helper()
	return eval[int](p, `document.querySelectorAll("table.users tbody tr").length`)
}

// An htmx cancel brings the tabs and "Showing" up to date with the rows
// left (the steps: All 5 / Invited 2 and "Showing 1–5 of 5" above
// 4 rows).
func TestListCountsFollowCancel(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	invitePending(t, e, "cara@example.com", "dan@example.com", "eve@example.com", "finn@example.com")
	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.open("/settings/users")
	if got := admin.text(".tabs"); !strings.Contains(got, "All 5") || !strings.Contains(got, "Invited 4") {
		t.Fatalf("before: the tabs say %q", got)
	}
	eval[int](admin, `window.__marker = 1`)
	admin.openMenu("dan@example.com")
	admin.choose("dan@example.com", "Cancel invitation")
	admin.confirm("Cancel invitation")
	admin.waitBanner("Invitation for dan@example.com cancelled.")
	if !eval[bool](admin, `window.__marker === 1`) {
		t.Error("the cancel loaded a new page; it should update the list in place")
	}
	if n := admin.rowCount(); n != 4 {
		t.Errorf("after the cancel the list has %d rows, want 4", n)
	}
	if got := admin.text(".tabs"); !strings.Contains(got, "All 4") || !strings.Contains(got, "Invited 3") {
		t.Errorf("after the cancel the tabs say %q, want All 4 and Invited 3", got)
	}
	if got := admin.text(".pagination p"); got != "Showing 1–4 of 4" {
		t.Errorf("after the cancel the list says %q, want Showing 1–4 of 4", got)
	}

	// An action whose row stays: the counts follow out of band.
	admin.openMenu("eve@example.com")
	admin.choose("eve@example.com", "Deactivate user")
	admin.confirm("Deactivate user")
	admin.waitBanner("eve@example.com was deactivated and signed out everywhere.")
	if got := admin.text(".tabs"); !strings.Contains(got, "Invited 2") || !strings.Contains(got, "Deactivated 1") {
		t.Errorf("after deactivating the tabs say %q, want Invited 2 and Deactivated 1", got)
	}
	if got := admin.status("eve@example.com"); got != "Deactivated" {
		t.Errorf("eve's row says %q after deactivating", got)
	}
}

// Send new invitation on the Invitation expired tab turns the row Invited:
// it leaves the tab, and the banner says where it went.
func TestListRenewLeavesExpiredTab(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	invitePending(t, e, "gus@example.com", "hana@example.com")
	e.Clock.Advance(8 * 24 * time.Hour)
	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.open("/settings/users?status=expired")
	if got := admin.rowEmails(); len(got) != 2 {
		t.Fatalf("the Invitation expired tab lists %q", got)
	}
	admin.openMenu("gus@example.com")
	admin.choose("gus@example.com", "Send new invitation")
	admin.waitBanner("A new invitation will be sent to gus@example.com. They are now under Invited.")
	if got := admin.rowEmails(); len(got) != 1 || got[0] != "hana@example.com" {
		t.Errorf("after Send new invitation the Invitation expired tab lists %q, want hana alone", got)
	}
	if got := admin.text(".tabs"); !strings.Contains(got, "Invited 1") || !strings.Contains(got, "Invitation expired 1") {
		t.Errorf("the tabs say %q, want Invited 1 and Invitation expired 1", got)
	}
	if got := admin.text(".pagination p"); got != "Showing 1–1 of 1" {
		t.Errorf("the tab says %q, want Showing 1–1 of 1", got)
	}
	if got := admin.path() + eval[string](admin, `location.search`); got != "/settings/users?status=expired" {
		t.Errorf("the page moved to %s", got)
	}
}

// One's own ••• menu has no Deactivate user or Delete user: the services
// refuse both, and actions that do not apply are absent (SPEC §2).
func TestOwnMenu(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	invitePending(t, e, bo)
	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.open("/settings/users")
	if other := admin.openMenu(bo); !strings.Contains(strings.Join(other, "|"), "Deactivate user|Delete user") {
		t.Errorf("bo's menu offers %q; it should still offer Deactivate user and Delete user", other)
	}
	admin.open("/settings/users")
	if own := admin.openMenu(apptest.AdminEmail); strings.Join(own, "|") != "Edit user" {
		t.Errorf("the administrator's own menu offers %q, want Edit user alone", own)
	}
	// Without JavaScript, the actions page is made from the same menu.
	plain := b.personWithoutJS()
	plain.signIn(apptest.AdminEmail, apptest.AdminPassword)
	plain.open("/settings/users")
	plain.navigateBy("open her own actions", chromedp.Click(chromedp.CSS(`a.menu-button[aria-label="Actions for `+apptest.AdminEmail+`"]`)))
	if got := plain.text("main"); strings.Contains(got, "Deactivate user") || strings.Contains(got, "Delete user") {
		t.Errorf("her own actions page offers what is refused:\n%s", got)
	}
}

// Deactivate user asks first, saying that their sessions end: a dialog
// with JavaScript (declining changes nothing), a page without.
func TestDeactivateAsksFirst(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	invitePending(t, e, bo)
	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.open("/settings/users")
	admin.openMenu(bo)
	admin.choose(bo, "Deactivate user")
	admin.do("the question opens", chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	if got := admin.text("dialog[open]"); !strings.Contains(got, "Deactivate "+bo+"?") || !strings.Contains(got, "signed out everywhere") {
		t.Errorf("the dialog says %q", got)
	}
	admin.do("decline", chromedp.Click(chromedp.Search(`//dialog[@open]//button[normalize-space()="Don't deactivate"]`)), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	if got := admin.status(bo); got != "Invited" {
		t.Errorf("after declining bo's row says %q", got)
	}
	admin.openMenu(bo)
	admin.choose(bo, "Deactivate user")
	admin.confirm("Deactivate user")
	admin.waitBanner(bo + " was deactivated and signed out everywhere.")

	// Without JavaScript: the actions page, then a page that asks.
	invitePending(t, e, "ida@example.com")
	plain := b.personWithoutJS()
	plain.signIn(apptest.AdminEmail, apptest.AdminPassword)
	plain.open("/settings/users")
	plain.navigateBy("open ida's actions", chromedp.Click(chromedp.CSS(`a.menu-button[aria-label="Actions for ida@example.com"]`)))
	plain.navigateBy("choose Deactivate user", chromedp.Click(button("Deactivate user")))
	if h := plain.h1(); h != "Deactivate ida@example.com?" {
		t.Fatalf("without JavaScript Deactivate user should ask on a page; the heading is %q", h)
	}
	if got := plain.text("main"); !strings.Contains(got, "signed out everywhere") {
		t.Errorf("the question should say their sessions end:\n%s", got)
	}
	plain.navigateBy("confirm", chromedp.Click(button("Deactivate user")))
	plain.waitPath("/settings/users")
	plain.waitBanner("ida@example.com was deactivated and signed out everywhere.")
}

// At 375 px: every tab is in view (they wrap), addresses break only after
// an @ or a dot, and a sort control (hidden at 1280 px, where the column
// headings sort) orders the list.
func TestListAt375(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	long := "maximilian.konstantinopoulos@northwindhealth.example"
	invitePending(t, e, long, "zed@example.com", "amy@example.com")
	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.open("/settings/users")
	if eval[bool](admin, `!!document.querySelector(".sort-control") && getComputedStyle(document.querySelector(".sort-control")).display !== "none"`) {
		t.Error("at 1280 px the column headings sort; the sort control should be hidden")
	}

	admin.do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	admin.open("/settings/users")
	admin.overflow("Settings > Users at 375px")
	hidden := eval[[]string](admin, `[...document.querySelectorAll(".tabs a")].filter(a => { const r = a.getBoundingClientRect(); return r.left < 0 || r.right > document.documentElement.clientWidth }).map(a => a.innerText)`)
	if len(hidden) > 0 {
		t.Errorf("at 375 px these tabs are out of view: %q", hidden)
	}
	// Where each address's lines break: after the characters that end them.
	breaks := eval[[]string](admin, `[...document.querySelectorAll("table.users tbody .user-email")].flatMap(el => {
		const out = [], chars = [];
		const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
		for (let n; (n = walk.nextNode()); ) for (let i = 0; i < n.length; i++) chars.push([n, i]);
		let top = null;
		chars.forEach(([n, i], k) => {
			const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
			const t = r.getClientRects()[0]; if (!t) return;
			if (top !== null && t.top > top + 2) { const [pn, pi] = chars[k - 1]; out.push(el.textContent.trim() + " after " + JSON.stringify(pn.data[pi])); }
			top = t.top;
		});
		return out;
	})`)
	if len(breaks) == 0 {
		t.Fatalf("%s fits one line at 375 px; the test needs an address that breaks", long)
	}
	for _, br := range breaks {
		if !strings.HasSuffix(br, `after "@"`) && !strings.HasSuffix(br, `after "."`) {
			t.Errorf("an address breaks mid-word: %s", br)
		}
	}

	// The sort control, without the column headings.
	if !eval[bool](admin, `getComputedStyle(document.querySelector(".sort-control")).display !== "none" && !!document.querySelector(".sort-control select#sort").offsetParent`) {
		t.Fatal("at 375 px there should be a sort control")
	}
	admin.do("sort by email, descending",
		chromedp.SetValue(chromedp.CSS("select#sort"), "email"),
		chromedp.SetValue(chromedp.CSS(`.sort-control select[name="dir"]`), "desc"))
	admin.navigateBy("press Sort", chromedp.Click(button("Sort")))
	admin.waitFor("the sorted list", `new URLSearchParams(location.search).get("sort") === "email"`)
	if got := admin.rowEmails(); len(got) != 4 || got[0] != "zed@example.com" || got[3] != "amy@example.com" {
		t.Errorf("sorted by email, descending, the list is %q", got)
	}
}

// TestListScreenshots writes the list at 1280 and 375 px, light and dark,
// when USHER_SCREENSHOTS names a folder (as TestScreenshots does).
func TestListScreenshots(t *testing.T) {
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
	pending, _ := seed(t, e)
	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	for _, width := range []int64{1280, 375} {
		name := "list-" + strconv.FormatInt(width, 10)
		if width == 375 {
			admin.do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
		}
		for _, scheme := range []string{"light", "dark"} {
			admin.media(scheme)
			admin.open("/settings/users")
			admin.shot(dir, name+"-"+scheme, true)
			if width == 375 {
				admin.shot(dir, name+"-"+scheme+"-top", false) // what a phone shows first
			}
		}
		admin.media("light")
	}
	// After an in-place action, the banner saying where the row went.
	admin.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
	admin.open("/settings/users?status=invited")
	admin.openMenu(pending)
	admin.choose(pending, "Deactivate user")
	admin.confirm("Deactivate user")
	admin.waitBanner(pending + " was deactivated and signed out everywhere. They are now under Deactivated.")
	admin.shot(dir, "list-1280-moved", false)

	// Many users: counts with separators, and a page past the end.
	many := apptest.New(t, apptest.Options{SMTP: true, Env: map[string]string{"USHER_SEND_LIMIT": "100000"}})
	many.SetupAdmin(t)
	var emails []string
	for i := range 1200 {
		emails = append(emails, fmt.Sprintf("person%04d@example.org", i))
	}
	invitePending(t, many, emails...)
	mb := newBrowser(t, many)
	big := mb.person()
	big.signIn(apptest.AdminEmail, apptest.AdminPassword)
	big.open("/settings/users?page=3")
	big.shot(dir, "list-1280-many", false)
	big.open("/settings/users?page=9999")
	big.shot(dir, "list-1280-past-the-end", false)
}
