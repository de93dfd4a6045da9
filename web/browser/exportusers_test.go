package browser_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/usherhq/usher/internal/apptest"
)

// allowDownloads saves what p downloads into a folder of the test's, under
// the names the server gives, until the test ends.
func (p *Person) allowDownloads() string {
	p.t.Helper()
	dir := p.t.TempDir()
	id := chromedp.FromContext(p.ctx).BrowserContextID
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, BrowserContextID: id,
	}); err != nil {
		p.t.Fatalf("allow downloads: %v", err)
	}
	// Before the tab goes back to the idle ones (cleanups run last first).
	p.t.Cleanup(func() {
		_, _ = chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorDefault, BrowserContextID: id})
	})
	return dir
}

// downloaded waits for the file name to be complete in dir and reads it.
func (p *Person) downloaded(dir, name string) string {
	p.t.Helper()
	path := filepath.Join(dir, name)
	deadline := time.Now().Add(stepTimeout)
	for {
		// Chromium writes into name.crdownload and renames it when done.
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dir)
			var have []string
			for _, e := range entries {
				have = append(have, e.Name())
			}
			p.t.Fatalf("no download %s after %s; the folder holds %q", name, stepTimeout, have)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Download CSV on Settings > Users saves the file of the tab and search on
// screen, every column as the list says it, accents whole.
func TestDownloadUsersCSV(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	b := newBrowser(t, e)
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.invite("zoe@example.com", "Zoë Ångström", "member")
	admin.invite("wes@example.com", "Wes Tern", "member")
	dir := admin.allowDownloads()

	// Searched: the link follows the search the list shows.
	admin.open("/settings/users?status=invited")
	admin.do("search for Zoë", chromedp.SendKeys(chromedp.CSS("#q"), "zoë"))
	admin.waitFor("the search's results", `document.querySelector("a[href^='/settings/users.csv']").getAttribute("href").includes("q=zo")`)
	admin.do("click Download CSV", chromedp.Click(button("Download CSV")))
	body := admin.downloaded(dir, "usher-users-invited-"+apptest.Start.Format(time.DateOnly)+".csv")
	if !strings.HasPrefix(body, "\uFEFF") {
		t.Fatalf("the file does not start with a byte order mark: %q", body[:min(len(body), 20)])
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, body)
	}
	wantHeader := []string{"Name", "Email", "Status", "Roles", "Roles offered", "Invited by", "Invited at", "Invitation expires", "Joined", "Last sign-in", "Last invitation email"}
	if len(recs) != 2 || !slices.Equal(recs[0], wantHeader) {
		t.Fatalf("want the headings and Zoë's row, got %q", recs)
	}
	at := apptest.Start.Format(time.RFC3339)
	want := []string{"Zoë Ångström", "zoe@example.com", "Invited", "", "Member", apptest.AdminName, at, apptest.Start.Add(e.App.Invitations.TTL()).Format(time.RFC3339), "", "", "Waiting to be sent"}
	if !slices.Equal(recs[1], want) {
		t.Errorf("Zoë's row %q, want %q", recs[1], want)
	}
}
