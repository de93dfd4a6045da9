package browser_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
)

// seedPeople adds n active members of the account, Person 000 to Person
// n-1, and three whose names hold "zo": each invited by the administrator
// and joining, through the services.
func seedPeople(t *testing.T, e *apptest.Env, n int) {
	t.Helper()
	ctx := context.Background()
	actor := invitations.Actor{User: e.User(t, e.UserID(t, apptest.AdminEmail)), Access: e.AdminAccess(t)}
	account, err := e.App.Users.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Zoë Adams", "Zora Brown", "Enzo Conti"}
	for i := range n {
		names = append(names, fmt.Sprintf("Person %03d", i))
	}
	for _, name := range names {
		email := strings.ToLower(strings.NewReplacer(" ", ".", "ë", "e").Replace(name)) + "@example.org"
		inv, err := e.App.Invitations.Invite(ctx, actor, invitations.InviteInput{Email: email, Name: name, Offered: []spaces.Grant{{SpaceID: account.ID, Role: spaces.Member}}})
		if err != nil {
			t.Fatalf("invite %s: %v", email, err)
		}
		token := strings.TrimPrefix(e.App.Invitations.LinkFor(inv.Nonce), e.URL+"/invite/")
		if _, err := e.App.Invitations.Accept(ctx, token, invitations.AcceptInput{Name: name, Password: password}); err != nil {
			t.Fatalf("%s accepting: %v", email, err)
		}
	}
}

// rowEmails are the emails of the rows the list shows.
func (p *Person) rowEmails() []string {
	p.t.Helper()
	return eval[[]string](p, `[...document.querySelectorAll("table.users tbody .user-email")].map(e => e.textContent.trim())`)
}

// Settings > Users at scale, as an administrator uses it: search as they
// type (in place, the address bookmarkable, Back undoing it) and without
// JavaScript, a status tab, the next page.
func TestUsersListSearchTabsPages(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	seedPeople(t, e, 120) // 124 users with the administrator
	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.invite(bo, "Bo Berg", "member") // 125, one Invited

	admin.open("/settings/users")
	if got := admin.text(".pagination p"); got != "Showing 1–50 of 125" {
		t.Fatalf("the first page says %q", got)
	}
	eval[int](admin, `window.__marker = 1`)
	admin.do("type zo in the search", chromedp.SendKeys(chromedp.CSS("#q"), "zo"))
	admin.waitFor("the address to hold the search", `location.search === "?q=zo"`)
	admin.waitFor("three rows", `document.querySelectorAll("table.users tbody tr").length === 3`)
	for _, em := range admin.rowEmails() {
		if !strings.Contains(em, "zo") {
			t.Errorf("searching zo lists %s", em)
		}
	}
	if !eval[bool](admin, `window.__marker === 1`) {
		t.Error("searching loaded a new page; it should narrow the list in place")
	}
	if got := admin.text(".tabs"); !strings.Contains(got, "All 3") || !strings.Contains(got, "Active 3") {
		t.Errorf("the tabs' counts should follow the search: %q", got)
	}
	admin.do("go back", chromedp.NavigateBack())
	admin.waitFor("the whole list again", `location.search === "" && document.querySelectorAll("table.users tbody tr").length === 50`)

	// The address of a search opens it, as a bookmark would.
	admin.open("/settings/users?q=enzo")
	if got := admin.rowEmails(); len(got) != 1 || got[0] != "enzo.conti@example.org" {
		t.Errorf("opening ?q=enzo lists %q", got)
	}

	// A status tab.
	admin.open("/settings/users")
	admin.navigateBy("open the Invited tab", chromedp.Click(chromedp.CSS(`.tabs a[href="/settings/users?status=invited"]`)))
	admin.waitFor("the Invited tab", `location.search === "?status=invited"`)
	if got := admin.rowEmails(); len(got) != 1 || got[0] != bo {
		t.Errorf("the Invited tab lists %q, want only %s", got, bo)
	}
	if got := admin.text(`.tabs [aria-current="page"]`); got != "Invited 1" {
		t.Errorf("the current tab says %q", got)
	}

	// The next page.
	admin.open("/settings/users")
	admin.navigateBy("follow Next", chromedp.Click(chromedp.CSS(`.pagination a[rel="next"]`)))
	admin.waitFor("page 2", `location.search === "?page=2"`)
	if got := admin.text(".pagination p"); got != "Showing 51–100 of 125" {
		t.Errorf("page 2 says %q", got)
	}
	if got := admin.text(`.pagination [aria-current="page"]`); !strings.Contains(got, "2") {
		t.Errorf("the current page link says %q", got)
	}

	// Without JavaScript the search is a form like any other.
	plain := b.personWithoutJS()
	plain.signIn(apptest.AdminEmail, apptest.AdminPassword)
	plain.open("/settings/users")
	plain.do("type zo", chromedp.SendKeys(chromedp.CSS("#q"), "zo"))
	plain.navigateBy("press Search", chromedp.Click(button("Search")))
	plain.waitFor("the search's address", `location.search === "?q=zo"`)
	if got := plain.rowEmails(); len(got) != 3 {
		t.Errorf("without JavaScript, searching zo lists %q", got)
	}
}

// Deactivate ends the person's session at once; Activate gives the user
// back; Delete removes them; and an administrator can neither deactivate
// nor delete herself, nor, as the last account administrator, step down.
func TestDeactivateActivateDelete(t *testing.T) {
	t.Parallel()
	e, b, admin, link := invitedBo(t, true)
	member := b.person()
	member.open(link)
	member.do("fill the accept form", chromedp.SendKeys(chromedp.CSS("#password"), password))
	member.navigateBy("join", chromedp.Click(button("Join "+apptest.AccountName)))
	member.waitPath("/")

	admin.open("/settings/users")
	admin.openMenu(bo)
	admin.choose(bo, "Deactivate user")
	admin.confirm("Deactivate user")
	admin.waitBanner(bo + " was deactivated and signed out everywhere.")
	if got := admin.status(bo); got != "Deactivated" {
		t.Fatalf("after Deactivate, bo's row says %q", got)
	}
	member.open("/profile")
	if got := member.path(); got != "/login" {
		t.Fatalf("a deactivated user's next page is %s; their session should have ended", got)
	}

	admin.openMenu(bo)
	admin.choose(bo, "Activate user")
	admin.waitBanner(bo + " was activated.")
	if got := admin.status(bo); got != "Active" {
		t.Fatalf("after Activate, bo's row says %q", got)
	}
	member.signInTo(bo, password, "/")

	admin.openMenu(bo)
	admin.choose(bo, "Delete user")
	admin.confirm("Delete user")
	admin.waitBanner(bo + " was deleted.")
	if got := admin.status(bo); got != "" {
		t.Fatalf("after Delete, bo is still listed as %q", got)
	}
	member.open("/profile")
	if got := member.path(); got != "/login" {
		t.Fatalf("a deleted user's next page is %s", got)
	}

	// On her own row: she can neither deactivate nor delete herself (her
	// menu does not offer it, see TestOwnMenu), nor, as the last account
	// administrator, make herself a member.
	refused := func(what, want string) {
		t.Helper()
		admin.waitFor(what+" refused", `(() => { const b = document.querySelector("#banner .banner-error"); return !!b && b.textContent.includes(`+js(want)+`) })()`)
		if got := admin.status(apptest.AdminEmail); got != "Active" {
			t.Errorf("after a refused %s, the administrator's row says %q", what, got)
		}
	}
	admin.open("/settings/users")
	admin.openMenu(apptest.AdminEmail)
	admin.choose(apptest.AdminEmail, "Edit user")
	admin.do("make herself a member",
		chromedp.WaitVisible(chromedp.CSS("dialog[open]")),
		chromedp.Click(chromedp.CSS(`dialog[open] input[name="role"][value="member"]`)),
		chromedp.Click(chromedp.Search(`//dialog[@open]//button[normalize-space()="Save changes"]`)))
	refused("Edit user", "is the last account administrator")
	e.Clock.Advance(time.Minute)
	admin.open("/settings/users")
	if got := admin.status(apptest.AdminEmail); got != "Active" {
		t.Errorf("after a reload the administrator's row says %q", got)
	}
	roles := eval[string](admin, `(() => { const r = `+rowJS(apptest.AdminEmail)+`; return r ? r.querySelector(".col-roles").textContent.trim() : "" })()`)
	if roles != "Administrator" {
		t.Errorf("after the refused demotion her roles say %q", roles)
	}
}
