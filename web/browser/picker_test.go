package browser_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// clinics fills the account, through the services, with units clinics
// ("Clinic 01", …), each holding a Waiting Area and rooms Room 1, Room
// 2…: units × (rooms + 2) spaces. It returns the ids by "Clinic 07" and
// "Clinic 07/Room 3".
func clinics(t *testing.T, e *apptest.Env, admin users.User, units, rooms int) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	ids := map[string]int64{}
	create := func(access *spaces.Access, kind spaces.Kind, parent int64, name, key string) {
		t.Helper()
		sp, err := e.App.Spaces.Create(ctx, access, kind, parent, name)
		if err != nil {
			t.Fatalf("create %s: %v", key, err)
		}
		ids[key] = sp.ID
	}
	access := e.AdminAccess(t)
	for i := 1; i <= units; i++ {
		name := fmt.Sprintf("Clinic %02d", i)
		create(access, spaces.Unit, 0, name, name)
	}
	access = e.AdminAccess(t) // administering the new units too
	for i := 1; i <= units; i++ {
		unit := fmt.Sprintf("Clinic %02d", i)
		create(access, spaces.WaitingArea, ids[unit], "Waiting Area", unit+"/Waiting Area")
		for r := 1; r <= rooms; r++ {
			name := fmt.Sprintf("Room %d", r)
			create(access, spaces.MeetingRoom, ids[unit], name, unit+"/"+name)
		}
	}
	return ids
}

// joined is someone who accepted, through the services, an invitation
// from admin to grants.
func joined(t *testing.T, e *apptest.Env, admin users.User, email, name string, grants ...spaces.Grant) int64 {
	t.Helper()
	ctx := context.Background()
	actor := invitations.Actor{User: admin, Access: e.AdminAccess(t)}
	inv, err := e.App.Invitations.Invite(ctx, actor, invitations.InviteInput{Email: email, Name: name, Offered: grants})
	if err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
	link := e.App.Invitations.LinkFor(inv.Nonce)
	if _, err := e.App.Invitations.Accept(ctx, link[strings.LastIndex(link, "/")+1:], invitations.AcceptInput{Name: name, Password: password}); err != nil {
		t.Fatalf("accept for %s: %v", email, err)
	}
	return inv.UserID
}

// pickerSite is an account of 500 spaces (50 clinics of a waiting area
// and 8 rooms) with Mo, a member of two of them, and its administrator
// signed in.
func pickerSite(t *testing.T) (*apptest.Env, *Person, map[string]int64, int64) {
	t.Helper()
	e := apptest.New(t, apptest.Options{SMTP: true})
	admin := e.SetupAdmin(t)
	ids := clinics(t, e, admin, 50, 8)
	if n := len(ids); n != 500 {
		t.Fatalf("seeded %d spaces, want 500", n)
	}
	mo := joined(t, e, admin, moEmail, "Mo Member",
		spaces.Grant{SpaceID: ids["Clinic 01"], Role: spaces.Member},
		spaces.Grant{SpaceID: ids["Clinic 02/Waiting Area"], Role: spaces.Member})
	p := newBrowser(t, e).person()
	p.signIn(apptest.AdminEmail, apptest.AdminPassword)
	return e, p, ids, mo
}

const moEmail = "mo@example.com"

// focusID is the id of the focused element.
func (p *Person) focusID() string { return eval[string](p, `document.activeElement.id`) }

// tabUntil presses Tab until expr (about document.activeElement) holds.
func (p *Person) tabUntil(what, expr string) {
	p.t.Helper()
	for range 40 {
		if eval[bool](p, expr) {
			return
		}
		p.do("Tab", chromedp.KeyEvent(kb.Tab))
	}
	p.t.Fatalf("40 Tabs never reached %s; focus is on %q", what, eval[string](p, `document.activeElement.outerHTML.slice(0, 200)`))
}

// search types q into the roles picker's combobox, which has the focus,
// and waits for the count of matches it announces.
func (p *Person) search(q, count string) {
	p.t.Helper()
	p.do("type "+q, chromedp.KeyEvent(q))
	p.waitFor("the listbox to show "+count, `(() => {
		const c = document.querySelector('[role="combobox"]');
		return c.getAttribute("aria-expanded") === "true" && !document.getElementById(c.getAttribute("aria-controls")).hidden &&
			document.getElementById("role-search-status").textContent === `+js(count)+`
	})()`)
}

// addRole adds, as Member, the one space the roles picker finds for q.
func (p *Person) addRole(q, count string) {
	p.t.Helper()
	p.do("focus Add a role", chromedp.Focus(chromedp.CSS("#role-search")))
	p.search(q, count)
	p.do("choose the first space found", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
	p.waitFor("the role added", `document.activeElement.matches("[data-role-list] select")`)
}

// With 500 spaces the Edit user dialog and the Invite user page stay
// shorter than a 1280×900 window, and a role is added from the keyboard
// alone: type part of the space's name, ArrowDown, Enter, choose the
// role, save.
func TestPickerWith500Spaces(t *testing.T) {
	t.Parallel()
	e, p, ids, mo := pickerSite(t)

	p.open("/settings/users/invite")
	if h := eval[float64](p, `document.documentElement.scrollHeight`); h >= 900 {
		t.Errorf("the Invite user page is %.0f px tall with 500 spaces; want it within one 900 px screen", h)
	}
	if n := eval[int](p, `document.querySelectorAll("#add_space option[value]:not([value=''])").length`); n != 501 {
		t.Errorf("the picker offers %d spaces; want the account and all 500", n)
	}

	// Edit user, opened from the row's menu by keyboard.
	p.open("/settings/users")
	btn := `document.querySelector(` + js(string(menuButton(moEmail))) + `)`
	p.tabUntil("the ••• of "+moEmail, `document.activeElement === `+btn)
	p.do("open the menu", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(menuList(moEmail)))
	for range 10 {
		if eval[string](p, `document.activeElement.textContent.trim()`) == "Edit user" {
			break
		}
		p.do("ArrowDown", chromedp.KeyEvent(kb.ArrowDown))
	}
	p.do("Enter on Edit user", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("dialog[open] #role-search")))
	dialogHeight := func() float64 {
		return eval[float64](p, `document.querySelector("dialog[open]").getBoundingClientRect().height`)
	}
	if h := dialogHeight(); h >= 900 {
		t.Errorf("the Edit user dialog is %.0f px tall with 500 spaces; want it within one 900 px screen", h)
	}
	given := func() []string {
		return eval[[]string](p, `[...document.querySelectorAll("dialog[open] [data-role-list] > li")].map(li => li.querySelector(".role-space").innerText.replace(/\s+/g, " ").trim() + ": " + li.querySelector("select").selectedOptions[0].text)`)
	}
	if got, want := given(), []string{"Clinic 01 Organisational unit: Member", "Clinic 02 Waiting Area Waiting area: Member"}; !slices.Equal(got, want) {
		t.Errorf("the dialog lists %q; want %q (a waiting area under its unit)", got, want)
	}

	p.tabUntil("the Add a role combobox", `document.activeElement.id === "role-search"`)
	p.search("17 room 4", "1 space matches.")
	if h := dialogHeight(); h >= 900 {
		t.Errorf("with its results open the Edit user dialog is %.0f px tall; want it within one 900 px screen", h)
	}
	room := strconv.FormatInt(ids["Clinic 17/Room 4"], 10)
	p.do("ArrowDown", chromedp.KeyEvent(kb.ArrowDown))
	if got := eval[string](p, `document.activeElement.getAttribute("aria-activedescendant")`); got != "role-option-"+room {
		t.Fatalf("ArrowDown should make Room 4 of Clinic 17 the active option; aria-activedescendant is %q", got)
	}
	if got := p.text(`[role="option"][aria-selected="true"]`); got != "Clinic 17\nRoom 4 Meeting room" {
		t.Errorf("the active option reads %q; want its unit above Room 4", got)
	}
	p.do("Enter", chromedp.KeyEvent(kb.Enter))
	if got := p.focusID(); got != "role_"+room {
		t.Fatalf("Enter should add the role and focus its role; focus is on #%s", got)
	}
	if eval[string](p, `document.getElementById("role-search").getAttribute("aria-expanded")`) != "false" || !eval[bool](p, `document.getElementById("role-search-list").hidden`) {
		t.Error("the listbox should close once a space is chosen")
	}
	if got := p.text("#role-search-status"); got != "Room 4 in Clinic 17 added as Member." {
		t.Errorf("the picker announces %q", got)
	}
	p.do("ArrowDown on the role", chromedp.KeyEvent(kb.ArrowDown))
	if got := eval[string](p, `document.activeElement.value`); got != "admin" {
		t.Fatalf("ArrowDown on the new role should choose Administrator; it is %q", got)
	}
	if got, want := given(), []string{"Clinic 01 Organisational unit: Member", "Clinic 02 Waiting Area Waiting area: Member", "Clinic 17 Room 4 Meeting room: Administrator"}; !slices.Equal(got, want) {
		t.Errorf("the dialog lists %q; want %q, in the tree's order", got, want)
	}

	// Escape closes the results and leaves the dialog open. Of many
	// matches, the first 50 show, and the page says so.
	p.tabUntil("the Add a role combobox", `document.activeElement.id === "role-search"`)
	p.search("room", "400 spaces match. The first 50 are shown.")
	if n := eval[int](p, `document.querySelectorAll('#role-search-list [role="option"]').length`); n != 50 {
		t.Errorf("the listbox shows %d options of 400; want the first 50", n)
	}
	if !eval[bool](p, `!document.querySelector("[data-combobox-more]").hidden`) {
		t.Error("the picker should say that only the first 50 are shown")
	}
	if h := dialogHeight(); h >= 900 {
		t.Errorf("with 50 results open the Edit user dialog is %.0f px tall; want it within one 900 px screen", h)
	}
	p.do("Escape", chromedp.KeyEvent(kb.Escape))
	if !eval[bool](p, `document.getElementById("role-search-list").hidden && !!document.querySelector("dialog[open]")`) {
		t.Fatal("Escape should close the results and keep the dialog open")
	}

	// Remove by keyboard: Clinic 01's role goes, and focus stays nearby.
	p.tabUntil("Remove of Clinic 01", `document.activeElement.name === "remove" && document.activeElement.value === `+js(strconv.FormatInt(ids["Clinic 01"], 10)))
	p.do("Enter on Remove", chromedp.KeyEvent(kb.Enter))
	if got := eval[string](p, `document.activeElement.name + " " + document.activeElement.value`); got != "remove "+strconv.FormatInt(ids["Clinic 02/Waiting Area"], 10) {
		t.Errorf("after Remove focus should be on the next role's Remove; it is on %q", got)
	}

	p.tabUntil("Save changes", `document.activeElement.textContent.trim() === "Save changes"`)
	p.do("Enter on Save changes", chromedp.KeyEvent(kb.Enter))
	p.waitBanner("Changes to " + moEmail + " saved.")
	var got []string
	for _, g := range e.Grants(t, mo) {
		got = append(got, g.Role.Label()+" of "+g.SpaceName)
	}
	slices.Sort(got)
	if want := []string{"Administrator of Room 4", "Member of Waiting Area"}; !slices.Equal(got, want) {
		t.Errorf("Mo holds %q; want %q", got, want)
	}
	if !slices.ContainsFunc(e.Grants(t, mo), func(g spaces.Grant) bool { return g.SpaceID == ids["Clinic 17/Room 4"] && g.Role == spaces.Admin }) {
		t.Errorf("Mo's new role is not in Room 4 of Clinic 17: %+v", e.Grants(t, mo))
	}
}

// Without JavaScript the picker is plain controls: a <select> of spaces
// grouped by unit, a role, Add; each Remove and Add comes back with the
// form as it would be, and Send invitation sends exactly that.
func TestPickerWithoutJavaScript(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	admin := e.SetupAdmin(t)
	ids := clinics(t, e, admin, 3, 2)
	p := newBrowser(t, e).personWithoutJS()
	p.signIn(apptest.AdminEmail, apptest.AdminPassword)
	p.open("/settings/users/invite")
	if !eval[bool](p, `getComputedStyle(document.querySelector("[data-combobox]")).display === "none"`) {
		t.Error("the combobox needs JavaScript; without it, it should not show")
	}
	if got := eval[[]string](p, `[...document.querySelectorAll("#add_space optgroup")].map(g => g.label + ": " + [...g.children].map(o => o.text).join(", "))`); !slices.Equal(got, []string{
		"Account: " + apptest.AccountName + " (account)",
		"Clinic 01: Clinic 01 (organisational unit), Room 1 (meeting room), Room 2 (meeting room), Waiting Area (waiting area)",
		"Clinic 02: Clinic 02 (organisational unit), Room 1 (meeting room), Room 2 (meeting room), Waiting Area (waiting area)",
		"Clinic 03: Clinic 03 (organisational unit), Room 1 (meeting room), Room 2 (meeting room), Waiting Area (waiting area)",
	}) {
		t.Errorf("the spaces are grouped as %q", got)
	}
	room := strconv.FormatInt(ids["Clinic 02/Room 2"], 10)
	p.do("fill the form",
		chromedp.SendKeys(chromedp.CSS("#email"), bo),
		chromedp.SetValue(chromedp.CSS("#add_space"), room),
		chromedp.SetValue(chromedp.CSS("#add_role"), "admin"))
	p.navigateBy("Add role", chromedp.Click(button("Add role")))
	// Autofocus lands once the new page has loaded, which a loaded
	// machine may report a moment after the navigation: wait for it.
	p.waitFor("focus on the new role", `document.activeElement && document.activeElement.id === "role_`+room+`"`)
	if got := p.focusID(); got != "role_"+room {
		t.Errorf("after Add the focus should be on the new role; it is on #%s", got)
	}
	if got := eval[string](p, `document.getElementById("role_`+room+`").value + " " + document.getElementById("email").value`); got != "admin "+bo {
		t.Errorf("after Add the form holds %q", got)
	}
	acct, err := e.App.Users.Account(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	account := strconv.FormatInt(acct.ID, 10)
	p.navigateBy("Remove the account's role", chromedp.Click(chromedp.CSS(`button[name="remove"][value="`+account+`"]`)))
	if got := eval[[]string](p, `[...document.querySelectorAll("[data-role-list] select")].map(s => s.id)`); !slices.Equal(got, []string{"role_" + room}) {
		t.Fatalf("after Remove the form lists %q; want Room 2 of Clinic 02 only", got)
	}
	p.navigateBy("send", chromedp.Click(button("Send invitation")))
	p.waitBanner("Invitation will be sent to " + bo + ".")
	if line := offeredRoles(p, bo); line != "Offered: Administrator of Room 2" {
		t.Errorf("bo's offered roles are %q; want Administrator of Room 2 only", line)
	}
}

// TestPickerScreenshots writes Edit user with 37 spaces (as in the
// issue), at 1280 and 375 px, light and dark, with the search open, to
// $USHER_SCREENSHOTS (c-*.png).
func TestPickerScreenshots(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("USHER_SCREENSHOTS")
	if dir == "" {
		t.Skip("screenshots are written only when USHER_SCREENSHOTS=<dir> is set")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := apptest.New(t, apptest.Options{SMTP: true})
	admin := e.SetupAdmin(t)
	ids := clinics(t, e, admin, 4, 7) // 4 × 9 = 36, and the account: 37
	joined(t, e, admin, moEmail, "Mo Member",
		spaces.Grant{SpaceID: ids["Clinic 01"], Role: spaces.Admin},
		spaces.Grant{SpaceID: ids["Clinic 02/Waiting Area"], Role: spaces.Member},
		spaces.Grant{SpaceID: ids["Clinic 03/Room 5"], Role: spaces.Member})
	p := newBrowser(t, e).person()
	p.signIn(apptest.AdminEmail, apptest.AdminPassword)
	for _, v := range []struct {
		name string
		w, h int64
	}{{"1280", 1280, 900}, {"375", 375, 812}} {
		for _, scheme := range []string{"light", "dark"} {
			p.do("viewport", chromedp.EmulateViewport(v.w, v.h, chromedp.EmulateScale(1)))
			p.media(scheme)
			p.open("/settings/users")
			p.openMenu(moEmail)
			p.choose(moEmail, "Edit user")
			p.do("the dialog opens", chromedp.WaitVisible(chromedp.CSS("dialog[open] #role-search")))
			p.shot(dir, "c-edit-"+v.name+"-"+scheme, false)
			p.do("focus the search", chromedp.Focus(chromedp.CSS("#role-search")))
			p.search("room", "28 spaces match.")
			p.do("ArrowDown", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowDown))
			p.shot(dir, "c-edit-"+v.name+"-"+scheme+"-search", false)
		}
	}
	p.media("light")

	// Without JavaScript: the Edit user page, with plain controls.
	plain := newBrowser(t, e).personWithoutJS()
	plain.signIn(apptest.AdminEmail, apptest.AdminPassword)
	plain.open("/settings/users/" + strconv.FormatInt(e.UserID(t, moEmail), 10) + "/edit")
	plain.shot(dir, "c-edit-page-nojs-1280-light", false)
}
