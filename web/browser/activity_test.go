package browser_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
)

// An administrator narrows Settings > Activity to a person and a kind with
// the filter form, comes to a person's activity from their page by its
// link, and downloads the log as a CSV file that holds what the page
// showed. The page passes axe-core in each state.
func TestActivityLog(t *testing.T) {
	t.Parallel()
	axe := newAxeChecker(t)
	defer axe.report()
	e := apptest.New(t, apptest.Options{})
	ana := e.SetupAdmin(t)
	ctx := context.Background()
	access := func() invitations.Actor {
		a, err := e.App.Users.Access(ctx, ana)
		if err != nil {
			t.Fatal(err)
		}
		return invitations.Actor{User: ana, Access: a}
	}
	sales, err := e.App.Spaces.Create(ctx, access().Access, spaces.Unit, 0, "Sales")
	if err != nil {
		t.Fatal(err)
	}
	room, err := e.App.Spaces.Create(ctx, access().Access, spaces.MeetingRoom, sales.ID, "Room 4")
	if err != nil {
		t.Fatal(err)
	}
	invite := func(email string, sps ...spaces.Space) invitations.Invitation {
		t.Helper()
		var offered []spaces.Grant
		for _, sp := range sps {
			offered = append(offered, spaces.Grant{SpaceID: sp.ID, Role: spaces.Member})
		}
		inv, err := e.App.Invitations.Invite(ctx, access(), invitations.InviteInput{Email: email, Offered: offered})
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	wes := invite("wes@example.com", room, sales)
	invite("zoe@example.com", sales)
	if _, _, err := e.App.Invitations.RemoveRoles(ctx, access(), wes.UserID, []int64{sales.ID}); err != nil {
		t.Fatal(err)
	}
	const (
		invited = "Ana Admin invited wes@example.com as Member of Room 4, Member of Sales"
		removed = "Ana Admin removed Member of Sales from wes@example.com's invitation"
	)

	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.navigateBy("open Activity in the nav", chromedp.Click(chromedp.Search(`//nav//a[normalize-space()="Activity"]`)))
	admin.waitPath("/settings/activity")
	sentences := func() []string {
		return eval[[]string](admin, `[...document.querySelectorAll(".activity-sentence")].map(e => e.textContent)`)
	}
	if got := sentences(); len(got) != 8 || got[0] != "Ana Admin signed in" || got[1] != removed {
		t.Fatalf("the whole log: %q", got)
	}
	axe.check(admin, "activity")
	admin.do("open the details of the newest entry", chromedp.Click(chromedp.CSS("tbody tr:first-child summary")))
	axe.check(admin, "activity, details open")

	// Filter by a person and a kind.
	admin.do("fill the filters",
		chromedp.SendKeys(chromedp.CSS("#person"), "wes@example.com"),
		chromedp.SetValue(chromedp.CSS("#kind"), "invitation.sent"))
	admin.navigateBy("filter", chromedp.Click(button("Filter")))
	if q := eval[string](admin, `location.search`); q != "?person=wes%40example.com&kind=invitation.sent&space=&from=&to=" {
		t.Errorf("the address holds %q", q)
	}
	if got := sentences(); len(got) != 1 || got[0] != invited {
		t.Errorf("filtered by wes and Invitation sent: %q", got)
	}
	if got := admin.text("#activity-person"); got != "Showing the activity of wes@example.com." {
		t.Errorf("the person note says %q", got)
	}
	if got := eval[string](admin, `document.querySelector("#kind").selectedOptions[0].textContent`); got != "Invitation sent" {
		t.Errorf("the kind filter shows %q", got)
	}
	axe.check(admin, "activity, a person and a kind")

	// From the person's page, by its link.
	admin.open(userPath(wes.UserID, ""))
	admin.navigateBy("follow the activity link", chromedp.Click(chromedp.Search(`//a[normalize-space()="See all activity for wes@example.com"]`)))
	admin.waitPath("/settings/activity")
	if got := eval[string](admin, `document.querySelector("#person").value`); got != "wes@example.com" {
		t.Errorf("the person filter holds %q", got)
	}
	if got := sentences(); strings.Join(got, "|") != removed+"|"+invited {
		t.Errorf("wes's activity: %q", got)
	}

	// Download the CSV of what the page shows.
	body := admin.download(t, "Download CSV", "usher-activity-2026-11-23.csv")
	body, ok := strings.CutPrefix(body, "\uFEFF")
	if !ok {
		t.Errorf("the file has no byte order mark: %q", body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the file is not CSV: %v\n%s", err, body)
	}
	if len(rows) != 3 || rows[0][0] != "Time (UTC)" || rows[0][8] != "What happened" {
		t.Fatalf("the file holds %q", rows)
	}
	for i, want := range [][]string{
		{"invitation.roles_removed", "Ana Admin", apptest.AdminEmail, "", "wes@example.com", "Sales", "", removed},
		{"invitation.sent", "Ana Admin", apptest.AdminEmail, "", "wes@example.com", "Room 4; Sales", "", invited},
	} {
		if got := rows[i+1][1:9]; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("row %d: %q, want %q", i+1, got, want)
		}
	}

	// A filter that makes no sense: said in the banner, the form kept.
	admin.open("/settings/activity?person=wes%40example.com&from=2026-02-30")
	if got := admin.text("#banner .banner-error .banner-body p"); got != "Enter dates as year-month-day, for example 2026-12-02." {
		t.Errorf("the banner says %q", got)
	}
	if got := eval[string](admin, `document.querySelector("#person").value`); got != "wes@example.com" {
		t.Errorf("after a bad date, the person filter holds %q", got)
	}
	axe.check(admin, "activity, a bad date")
}

// download clicks the link named label, which downloads a file named
// filename, and returns the file's content once the browser has it all.
func (p *Person) download(t *testing.T, label, filename string) string {
	t.Helper()
	dir := t.TempDir()
	events := true
	id := chromedp.FromContext(p.ctx).BrowserContextID
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, BrowserContextID: id, DownloadPath: dir, EventsEnabled: &events,
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorDefault, BrowserContextID: id})
	})
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	// The browser's events: other tests' downloads too, told apart by the
	// file's name and then its id.
	begun := make(chan string, 8)
	done := make(chan string, 8)
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *browser.EventDownloadWillBegin:
			if ev.SuggestedFilename == filename {
				select {
				case begun <- ev.GUID:
				default:
				}
			}
		case *browser.EventDownloadProgress:
			if ev.State == browser.DownloadProgressStateCompleted || ev.State == browser.DownloadProgressStateCanceled {
				select {
				case done <- ev.GUID + " " + string(ev.State):
				default:
				}
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	p.do("click "+label, chromedp.Click(chromedp.Search(`//a[normalize-space()=`+xq(label)+`]`)))
	wait, stop := context.WithTimeout(ctx, stepTimeout)
	defer stop()
	var guid string
	select {
	case guid = <-begun:
	case <-wait.Done():
		p.fail("download "+filename, wait.Err())
	}
	for {
		select {
		case d := <-done:
			g, state, _ := strings.Cut(d, " ")
			if g != guid {
				continue
			}
			if state != string(browser.DownloadProgressStateCompleted) {
				p.fail("download "+filename, os.ErrClosed)
			}
			b, err := os.ReadFile(filepath.Join(dir, guid))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		case <-wait.Done():
			p.fail("download "+filename, wait.Err())
		}
	}
}
