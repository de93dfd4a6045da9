package browser_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
)

// spaceSite is an account with the unit North Clinic (its Waiting Area
// and Meeting Room 1) and South Clinic, many members in North Clinic,
// and people to sign in as.
type spaceSite struct {
	e           *apptest.Env
	north       int64
	south       int64
	waiting     int64
	room        int64
	admin       invitations.Actor
	northPath   string
	unaEmail    string // Administrator of North Clinic
	memberEmail string // Member of the waiting area and of South Clinic
}

// newSpaceSite seeds the account with members people in North Clinic,
// through the services.
func newSpaceSite(t *testing.T, members int) *spaceSite {
	t.Helper()
	ctx := context.Background()
	e := apptest.New(t, apptest.Options{Env: map[string]string{"USHER_SEND_LIMIT": "100000"}})
	admin := e.SetupAdmin(t)
	s := &spaceSite{e: e, unaEmail: "una@example.com", memberEmail: "kim@example.com"}
	actor := func() invitations.Actor {
		a, err := e.App.Users.Access(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		return invitations.Actor{User: admin, Access: a}
	}
	space := func(kind spaces.Kind, parent int64, name string) int64 {
		t.Helper()
		sp, err := e.App.Spaces.Create(ctx, actor().Access, kind, parent, name)
		if err != nil {
			t.Fatal(err)
		}
		return sp.ID
	}
	s.north = space(spaces.Unit, 0, "North Clinic")
	s.south = space(spaces.Unit, 0, "South Clinic")
	s.waiting = space(spaces.WaitingArea, s.north, "Waiting Area")
	s.room = space(spaces.MeetingRoom, s.north, "Meeting Room 1")
	s.admin = actor()
	s.northPath = "/settings/spaces/" + strconv.FormatInt(s.north, 10)
	s.join(t, s.unaEmail, "Una Unit", spaces.Grant{SpaceID: s.north, Role: spaces.Admin})
	s.join(t, "olu@example.com", "Olu Okafor", spaces.Grant{SpaceID: s.north, Role: spaces.Admin})
	s.join(t, s.memberEmail, "Kim Park", spaces.Grant{SpaceID: s.waiting, Role: spaces.Member}, spaces.Grant{SpaceID: s.south, Role: spaces.Member})
	names := []string{"Amara", "Bruno", "Chen", "Dalia", "Emil", "Farah", "Goran", "Hana", "Ivo", "Jana"}
	for i := range members {
		s.join(t, fmt.Sprintf("member%02d@example.org", i), fmt.Sprintf("%s Member %02d", names[i%len(names)], i), spaces.Grant{SpaceID: s.north, Role: spaces.Member})
	}
	s.join(t, "zed@example.org", "Zed Lindqvist", spaces.Grant{SpaceID: s.north, Role: spaces.Member})
	if _, err := e.App.Invitations.Invite(ctx, s.admin, invitations.InviteInput{Email: "pat@example.org", Name: "Pat Pending", Offered: []spaces.Grant{{SpaceID: s.north, Role: spaces.Member}}}); err != nil {
		t.Fatal(err)
	}
	return s
}

// join invites email and accepts as name, through the services.
func (s *spaceSite) join(t *testing.T, email, name string, grants ...spaces.Grant) {
	t.Helper()
	ctx := context.Background()
	inv, err := s.e.App.Invitations.Invite(ctx, s.admin, invitations.InviteInput{Email: email, Offered: grants})
	if err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
	link := s.e.App.Invitations.LinkFor(inv.Nonce)
	if _, err := s.e.App.Invitations.Accept(ctx, link[strings.LastIndex(link, "/")+1:], invitations.AcceptInput{Name: name, Password: password}); err != nil {
		t.Fatalf("accept for %s: %v", email, err)
	}
}

// removeLink is the Remove from this space link of email's entry.
func removeLink(email string) chromedp.Search {
	return chromedp.Search(`//li[.//div[@class="user-email"][normalize-space()=` + xq(email) + `]]//a[starts-with(normalize-space(), "Remove from this space")]`)
}

// A space's page with many members: numbered pages, a search that finds
// one person, their name linking to them in the users list, and Remove
// from this space asked in a modal dialog (Keep leaves them, focus back
// on the link), the search kept after the removal.
func TestSpacePageSearchPagesRemove(t *testing.T) {
	t.Parallel()
	s := newSpaceSite(t, 60)
	b := newBrowser(t, s.e)
	p := b.person()
	p.signIn(apptest.AdminEmail, apptest.AdminPassword)
	p.open(s.northPath)
	if h := p.h1(); h != "People in North Clinic" {
		t.Fatalf("the page's heading is %q", h)
	}

	// Page numbers.
	p.navigateBy("go to page 2 of the members", chromedp.Click(chromedp.Search(`//nav[@aria-label="Members pages"]//a[normalize-space()="Page 2"]`)))
	if got := eval[string](p, `location.search`); got != "?members=2" {
		t.Errorf("page 2's address: %q", got)
	}
	if got := p.text(`section[aria-labelledby="h-Members"] .pagination p`); got != "Showing 51–62 of 62" {
		t.Errorf("page 2 says %q", got)
	}
	if cur := eval[string](p, `document.querySelector('nav[aria-label="Members pages"] [aria-current="page"]').textContent`); cur != "Page 2" {
		t.Errorf("the current page reads %q", cur)
	}

	// Search.
	p.do("search for lindq", chromedp.SendKeys(chromedp.CSS("#q"), "lindq"))
	p.navigateBy("submit the search", chromedp.Click(button("Search")))
	if got := peopleIn(p, "Members"); len(got) != 1 || got[0] != "zed@example.org" {
		t.Fatalf("searching lindq lists %q, want Zed alone", got)
	}
	if got := peopleIn(p, "Administrators"); len(got) != 0 {
		t.Errorf("no administrator matches lindq, yet %q are listed", got)
	}
	if got := p.text(`section[aria-labelledby="h-Administrators"] p`); got != "No administrators match “lindq”." {
		t.Errorf("the empty section says %q", got)
	}
	searched := eval[string](p, `location.pathname + location.search`)

	// The name links to the person in the users list.
	p.navigateBy("follow Zed's name", chromedp.Click(chromedp.Search(`//div[@class="user-name"]/a[normalize-space()="Zed Lindqvist"]`)))
	p.waitPath("/settings/users")
	if got := p.status("zed@example.org"); got != "Active" || eval[int](p, `document.querySelectorAll("table.users tbody tr").length`) != 1 {
		t.Errorf("the users list should show Zed alone, Active; Zed's status %q", got)
	}
	p.open(searched)

	// Remove from this space: a modal dialog; Keep changes nothing.
	p.do("ask to remove Zed", chromedp.Click(removeLink("zed@example.org")), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	if !eval[bool](p, `document.querySelector("dialog[open]").matches(":modal")`) {
		t.Error("the confirmation should be a modal <dialog>")
	}
	if h := p.text("dialog[open] h2"); h != "Remove Zed Lindqvist from North Clinic?" {
		t.Errorf("the dialog asks %q", h)
	}
	p.do("keep Zed", chromedp.Click(chromedp.Search(`//dialog[@open]//button[normalize-space()="Keep Zed Lindqvist"]`)), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	if !eval[bool](p, `document.activeElement.matches("a[href*='/remove']")`) {
		t.Errorf("after Keep, focus is on %q, want the Remove link", eval[string](p, `document.activeElement.outerHTML.slice(0, 120)`))
	}
	if got := peopleIn(p, "Members"); len(got) != 1 {
		t.Fatalf("Keep removed Zed: %q", got)
	}
	p.do("ask again", chromedp.Click(removeLink("zed@example.org")), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	p.confirm("Remove from this space")
	p.waitBanner("Zed Lindqvist removed from North Clinic.")
	p.do("the dialog closes", chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	if got := peopleIn(p, "Members"); len(got) != 0 {
		t.Errorf("after the removal the search lists %q", got)
	}
	if got := eval[string](p, `location.pathname + location.search`); got != searched {
		t.Errorf("the page moved to %q", got)
	}
	p.open(s.northPath)
	if got := p.text(`section[aria-labelledby="h-Members"] .pagination p`); got != "Showing 1–50 of 61" {
		t.Errorf("after the removal the members say %q", got)
	}
}

// Without JavaScript, Remove from this space asks on a page of its own
// and comes back to the space's page with the banner.
func TestSpacePageRemoveWithoutJS(t *testing.T) {
	t.Parallel()
	s := newSpaceSite(t, 3)
	b := newBrowser(t, s.e)
	p := b.personWithoutJS()
	p.signIn(apptest.AdminEmail, apptest.AdminPassword)
	p.open(s.northPath)
	p.navigateBy("ask to remove Olu", chromedp.Click(removeLink("olu@example.com")))
	if h := p.h1(); h != "Remove Olu Okafor from North Clinic?" {
		t.Fatalf("the confirmation page asks %q", h)
	}
	p.navigateBy("confirm", chromedp.Click(button("Remove from this space")))
	p.waitPath(s.northPath)
	p.waitBanner("Olu Okafor removed from North Clinic.")
	if got := peopleIn(p, "Administrators"); len(got) != 1 || got[0] != s.unaEmail {
		t.Errorf("North Clinic's administrators are %q, want Una alone", got)
	}
	// A pending invitee's offer leaves the invitation, which offered
	// nothing else: it is cancelled.
	p.navigateBy("ask to remove Pat", chromedp.Click(removeLink("pat@example.org")))
	if body := p.text("main"); !strings.Contains(body, "Their invitation offers nothing else, so it will be cancelled") {
		t.Errorf("the confirmation for Pat says:\n%s", body)
	}
	p.navigateBy("confirm", chromedp.Click(button("Remove from this space")))
	p.waitBanner("Invitation for pat@example.org cancelled: it offered nothing else.")
}

// Add a space asks for the unit only when the kind needs one, and after
// each add keeps the kind (and the unit) for the next: with JavaScript
// and without.
func TestAddSpaceForm(t *testing.T) {
	t.Parallel()
	s := newSpaceSite(t, 0)
	b := newBrowser(t, s.e)
	for name, p := range map[string]*Person{"with JavaScript": b.person(), "without JavaScript": b.personWithoutJS()} {
		t.Run(name, func(t *testing.T) {
			p.t = t
			p.signIn(apptest.AdminEmail, apptest.AdminPassword)
			p.open("/settings/spaces")
			visible := func() bool { return eval[bool](p, `document.querySelector("#parent").checkVisibility()`) }
			if visible() {
				t.Error("with Organisational unit chosen, In organisational unit shows")
			}
			p.do("choose Meeting room", chromedp.Click(chromedp.CSS(`input[name="kind"][value="meeting_room"]`)))
			if !visible() {
				t.Fatal("with Meeting room chosen, In organisational unit is hidden")
			}
			room := "Room " + strings.ReplaceAll(name, " ", "-")
			p.do("fill the form",
				chromedp.SetValue(chromedp.CSS("#parent"), strconv.FormatInt(s.south, 10)),
				chromedp.SendKeys(chromedp.CSS("#name"), room))
			p.navigateBy("add the space", chromedp.Click(button("Add space")))
			p.waitBanner("Meeting room " + room + " was added.")
			if !eval[bool](p, `document.querySelector('input[name="kind"][value="meeting_room"]').checked`) || !visible() {
				t.Error("after the add, Meeting room should still be chosen, with its unit")
			}
			if got := eval[string](p, `document.querySelector("#parent").value`); got != strconv.FormatInt(s.south, 10) {
				t.Errorf("the unit after the add: %q, want South Clinic", got)
			}
			if got := eval[string](p, `document.querySelector("#name").value`); got != "" {
				t.Errorf("the name after the add: %q, want empty", got)
			}
			p.do("choose Organisational unit", chromedp.Click(chromedp.CSS(`input[name="kind"][value="unit"]`)))
			if visible() {
				t.Error("back on Organisational unit, In organisational unit shows")
			}
		})
	}
}

// A member lands on their home after accepting: their spaces, whom to ask
// about each (names and emails), and their name to change.
func TestMemberHomePage(t *testing.T) {
	t.Parallel()
	s := newSpaceSite(t, 0)
	ctx := context.Background()
	inv, err := s.e.App.Invitations.Invite(ctx, s.admin, invitations.InviteInput{Email: "lee@example.com", Offered: []spaces.Grant{{SpaceID: s.room, Role: spaces.Member}, {SpaceID: s.south, Role: spaces.Member}}})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s.e)
	p := b.person()
	p.open(s.e.App.Invitations.LinkFor(inv.Nonce))
	p.do("fill the accept form", chromedp.SendKeys(chromedp.CSS("#name"), "Lee"), chromedp.SendKeys(chromedp.CSS("#password"), password))
	p.navigateBy("join", chromedp.Click(button("Join "+apptest.AccountName)))
	p.waitPath("/")
	p.waitBanner("Welcome, Lee. Your account is ready.")
	if h := p.h1(); h != "Your spaces in "+apptest.AccountName {
		t.Errorf("home's heading is %q", h)
	}
	cards := eval[[]string](p, `[...document.querySelectorAll(".home-spaces > li")].map(li => li.innerText.replace(/\s+/g, " ").trim())`)
	want := []string{
		"Meeting Room 1 Meeting room · You are Member Administered by the administrators of North Clinic: Olu Okafor olu@example.com Una Unit una@example.com",
		"South Clinic Organisational unit · You are Member Administered by the administrators of " + apptest.AccountName + ":",
	}
	if len(cards) != 2 || cards[0] != want[0] || !strings.HasPrefix(cards[1], want[1]) {
		t.Errorf("home lists:\n%s\nwant\n%s", strings.Join(cards, "\n"), strings.Join(want, "\n"))
	}
	if nav := p.text(`.site-nav [aria-current="page"]`); nav != "Your spaces" {
		t.Errorf("the current nav item is %q", nav)
	}
	p.do("change the name", chromedp.Clear(chromedp.CSS("#name")), chromedp.SendKeys(chromedp.CSS("#name"), "Lee Song"))
	p.navigateBy("save", chromedp.Click(button("Save name")))
	p.waitBanner("Your name is now Lee Song.")
	if who := p.text(".whoami"); !strings.Contains(who, "Signed in as Lee Song") {
		t.Errorf("the header says %q", who)
	}
}

// A unit administrator's first landing, after accepting, is the page they
// will use every time after: the users list.
func TestUnitAdminLandsOnUsers(t *testing.T) {
	t.Parallel()
	s := newSpaceSite(t, 0)
	inv, err := s.e.App.Invitations.Invite(context.Background(), s.admin, invitations.InviteInput{Email: "ula@example.com", Offered: []spaces.Grant{{SpaceID: s.south, Role: spaces.Admin}}})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s.e)
	p := b.person()
	p.open(s.e.App.Invitations.LinkFor(inv.Nonce))
	p.do("fill the accept form", chromedp.SendKeys(chromedp.CSS("#name"), "Ula"), chromedp.SendKeys(chromedp.CSS("#password"), password))
	p.navigateBy("join", chromedp.Click(button("Join "+apptest.AccountName)))
	p.waitPath("/settings/users")
	p.waitBanner("Welcome, Ula. Your account is ready.")
	p.navigateBy("sign out", chromedp.Click(button("Sign out")))
	p.waitPath("/login")
	p.signInTo("ula@example.com", password, "/settings/users")
}

// Screenshots of a space's page with many members, at 1280 and 375 px,
// light and dark (USHER_SHOTS14=<dir>).
func TestSpacePageScreenshots(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("USHER_SHOTS14")
	if dir == "" {
		t.Skip("written only when USHER_SHOTS14=<dir> is set")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := newSpaceSite(t, 140)
	b := newBrowser(t, s.e)
	p := b.person()
	p.signIn(apptest.AdminEmail, apptest.AdminPassword)
	for _, scheme := range []string{"light", "dark"} {
		p.media(scheme)
		p.do("desktop viewport", chromedp.EmulateViewport(1280, 900))
		p.open(s.northPath + "?members=2")
		p.shot(dir, "d-space-1280-"+scheme, false)
		p.do("scroll to the members' pages", chromedp.ScrollIntoView(chromedp.CSS(`nav[aria-label="Members pages"]`)))
		p.shot(dir, "d-space-pages-1280-"+scheme, false)
		p.open(s.northPath + "?members=2")
		p.do("ask to remove", chromedp.Click(chromedp.Search(`(//section[@aria-labelledby="h-Members"]//a[starts-with(normalize-space(), "Remove from this space")])[3]`)), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
		p.shot(dir, "d-space-remove-1280-"+scheme, false)
		p.do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
		p.open(s.northPath + "?q=member+1")
		p.overflow("a space's page at 375px")
		p.shot(dir, "d-space-375-"+scheme, false)
	}
	p.media("light")
	m := b.person()
	m.signInTo(s.memberEmail, password, "/")
	m.shot(dir, "d-home-1280-light", true)
}
