package browser_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
)

// A unit administrator invites someone to a waiting area and a meeting
// room of their unit, takes the meeting room off the invitation in the
// Manage invitation dialog, and the invitee joins as a member of the
// waiting area only.
func TestUnitAdminInvitesToWaitingArea(t *testing.T) {
	t.Parallel()
	const (
		una   = "una@example.com"
		ivy   = "ivy@example.com"
		north = "North Clinic"
	)
	e := apptest.New(t, apptest.Options{SMTP: true})
	admin := e.SetupAdmin(t)
	ctx := context.Background()
	access, err := e.App.Users.Access(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	space := func(kind spaces.Kind, parent int64, name string) int64 {
		t.Helper()
		sp, err := e.App.Spaces.Create(ctx, access, kind, parent, name)
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return sp.ID
	}
	unit := space(spaces.Unit, 0, north)
	space(spaces.Unit, 0, "South Clinic")
	wa := space(spaces.WaitingArea, unit, "Waiting Area 2")
	room := space(spaces.MeetingRoom, unit, "Meeting Room 1")

	// Una joins as Administrator of North Clinic, without the browser.
	if access, err = e.App.Users.Access(ctx, admin); err != nil { // the tree has grown
		t.Fatal(err)
	}
	inv, err := e.App.Invitations.Invite(ctx, invitations.Actor{User: admin, Access: access}, invitations.InviteInput{Email: una, Offered: []spaces.Grant{{SpaceID: unit, Role: spaces.Admin}}})
	if err != nil {
		t.Fatal(err)
	}
	link, _, err := e.App.Invitations.Link(ctx, invitations.Actor{User: admin, Access: access}, inv.UserID)
	if err != nil {
		t.Fatal(err)
	}
	res := e.Post(t, e.Client(t), strings.TrimPrefix(link, e.URL), url.Values{"name": {"Una Unit"}, "password": {password}})
	mustStatus(t, "Una joins", res, http.StatusSeeOther)

	b := newBrowser(t, e)
	p := b.person()
	p.signIn(una, password)

	// Invite user: Member of the waiting area and of the meeting room.
	p.navigateBy("click Invite user", chromedp.Click(button("Invite user")))
	if h := p.h1(); h != "Invite user" {
		t.Fatalf("the Invite user page's heading is %q", h)
	}
	offered := eval[[]string](p, `[...document.querySelectorAll("#add_space option[value]:not([value=''])")].map(o => "role_" + o.value)`)
	if want := []string{sel(unit), sel(wa), sel(room)}; !containsAll(offered, want) || len(offered) != len(want) {
		t.Fatalf("the form offers roles in %q; a North Clinic administrator should see exactly %q", offered, want)
	}
	p.do("fill the invite form",
		chromedp.SendKeys(chromedp.CSS("#email"), ivy),
		chromedp.SendKeys(chromedp.CSS("#name"), "Ivy Green"))
	p.addRole("waiting area 2", "1 space matches.")
	p.addRole("meeting room", "1 space matches.")
	p.navigateBy("send the invitation", chromedp.Click(button("Send invitation")))
	p.waitPath("/settings/users")
	p.waitBanner("Invitation will be sent to " + ivy + ".")
	line := offeredRoles(p, ivy)
	if !strings.Contains(line, "Member of Meeting Room 1") || !strings.Contains(line, "Member of Waiting Area 2") {
		t.Fatalf("Ivy's row should name both roles offered, got %q", line)
	}

	// Manage invitation: a real <dialog>; tick the meeting room, remove,
	// confirm.
	p.openMenu(ivy)
	p.choose(ivy, "Manage invitation")
	p.do("the Manage invitation dialog opens", chromedp.WaitVisible(chromedp.CSS("dialog[open] #manage-title")))
	if !eval[bool](p, `document.querySelector("dialog[open]").matches(":modal")`) {
		t.Error("Manage invitation should be a modal <dialog>")
	}
	if h := p.text("dialog[open] #manage-title"); h != "Manage invitation" {
		t.Fatalf("the dialog's title is %q", h)
	}
	// The confirmation step is swapped in by htmx; until htmx has settled
	// it, a click on its button would post it as a plain page.
	eval[bool](p, `window.__settled = 0; document.addEventListener("htmx:afterSettle", () => window.__settled++); true`)
	p.do("tick Member of Meeting Room 1",
		chromedp.Click(chromedp.CSS(`dialog[open] input[name="space"][value="`+strconv.FormatInt(room, 10)+`"]`)),
		chromedp.Click(chromedp.Search(`//dialog[@open]//button[normalize-space()="Remove roles"]`)))
	p.waitText("dialog[open]", "Remove these roles from the invitation?")
	p.waitFor("htmx to settle the confirmation step", `window.__settled > 0`)
	if step := p.text("dialog[open] #manage-body ul"); step != "Member of Meeting Room 1" {
		t.Fatalf("the confirmation lists %q, want only Member of Meeting Room 1", step)
	}
	if got := offeredRoles(p, ivy); got != line {
		t.Fatalf("asking for confirmation already changed the row: %q", got)
	}
	p.do("confirm Remove roles", chromedp.Click(chromedp.Search(`//dialog[@open]//button[contains(@class, "button-danger")][normalize-space()="Remove roles"]`)))
	p.waitBanner("Roles removed from the invitation for " + ivy + ".")
	p.do("the dialog closes", chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	if got := offeredRoles(p, ivy); got != "Offered: Member of Waiting Area 2" {
		t.Fatalf("after removing the meeting room the row says %q", got)
	}

	// The invitee, in a browser of their own, follows the emailed link.
	invitee := b.person()
	invitee.open(linkIn(t, delivered(t, e, ivy, 1)[0]))
	if h := invitee.h1(); h != "Join "+apptest.AccountName {
		t.Fatalf("the accept page's heading is %q", h)
	}
	if main := invitee.text("main"); strings.Contains(main, "Meeting Room") {
		t.Errorf("the accept page still offers the meeting room:\n%s", main)
	}
	invitee.do("fill the accept form",
		chromedp.Clear(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Ivy Green"),
		chromedp.SendKeys(chromedp.CSS("#password"), password))
	invitee.navigateBy("join", chromedp.Click(button("Join "+apptest.AccountName)))
	invitee.waitPath("/")
	invitee.open("/profile")
	if main := invitee.text("main"); !strings.Contains(main, "Member of Waiting Area 2") || strings.Contains(main, "Meeting Room") {
		t.Fatalf("Ivy's profile should show Member of Waiting Area 2 only:\n%s", main)
	}

	// Una sees Ivy active, a member of the waiting area only.
	p.open("/settings/users")
	if got := p.status(ivy); got != "Active" {
		t.Fatalf("Ivy's status is %q, want Active", got)
	}
	if got := eval[string](p, `(() => { const r = `+rowJS(ivy)+`; return r ? r.querySelector(".col-roles").innerText.trim() : "" })()`); got != "Member of Waiting Area 2" {
		t.Errorf("Ivy's roles in the list: %q", got)
	}
	p.open("/settings/spaces/" + strconv.FormatInt(wa, 10))
	if got := peopleIn(p, "Members"); !containsAll(got, []string{ivy}) {
		t.Errorf("Waiting Area 2's members are %q; Ivy should be one", got)
	}
	p.open("/settings/spaces/" + strconv.FormatInt(room, 10))
	if got := append(peopleIn(p, "Members"), peopleIn(p, "Administrators")...); containsAny(got, []string{ivy}) {
		t.Errorf("Meeting Room 1's page lists Ivy: %q", got)
	}
}

func sel(spaceID int64) string { return "role_" + strconv.FormatInt(spaceID, 10) }

// offeredRoles is what the Roles column of email's row says the pending
// invitation offers ("Offered: …"; "" for none).
func offeredRoles(p *Person, email string) string {
	p.t.Helper()
	return eval[string](p, `(() => { const r = `+rowJS(email)+`; const l = r && r.querySelector(".col-roles .offered"); return l ? l.innerText.replace(/\s+/g, " ").trim() : "" })()`)
}

// peopleIn lists the emails in a section (Administrators or Members) of a
// space's page.
func peopleIn(p *Person, section string) []string {
	p.t.Helper()
	return eval[[]string](p, `(() => { const s = document.querySelector(`+js("section[aria-labelledby='h-"+section+"']")+`); return s ? [...s.querySelectorAll(".user-email")].map(e => e.textContent.trim()) : [] })()`)
}
