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

// A bulk action larger than a request does at once, as an administrator
// sees it: the quick cleanup of Invitation expired asks first, then the
// list shows the job's progress, which the banner asks for again every
// two seconds as the sender's rounds do it a batch at a time; the result
// replaces it, and the list under it is brought up to date.
func TestBulkJobProgressInBrowser(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true, Env: map[string]string{"USHER_SEND_LIMIT": "10000"}})
	e.SetupAdmin(t)
	ctx := context.Background()
	actor := invitations.Actor{User: e.User(t, e.UserID(t, apptest.AdminEmail)), Access: e.AdminAccess(t)}
	acc, err := e.App.Users.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 250
	var emails []string
	for i := range n {
		emails = append(emails, fmt.Sprintf("ward%03d@example.org", i))
	}
	if _, err := e.App.Invitations.InviteMany(ctx, actor, emails, "", []spaces.Grant{{SpaceID: acc.ID, Role: spaces.Member}}, ""); err != nil {
		t.Fatal(err)
	}
	e.Deliver(t)
	sent := len(e.SMTP.Messages())
	e.Clock.Advance(8 * 24 * time.Hour)

	b := newBrowser(t, e)
	p := b.person()
	p.signIn(apptest.AdminEmail, apptest.AdminPassword)
	p.open("/settings/users?status=expired")
	p.do("Send new invitations to all", chromedp.Click(`.cleanup button[value=renew]`))
	p.waitFor("the confirmation", `!!document.querySelector("dialog[open]")`)
	if got := p.text("dialog"); !strings.Contains(got, "Send new invitations to 250 people whose invitations expired?") || !strings.Contains(got, "This runs in the background") {
		t.Fatalf("the confirmation says %q", got)
	}
	p.navigateBy("confirming", chromedp.Click(`dialog button[type=submit]`))
	p.waitFor("the progress", `!!document.querySelector(".bulk-job progress")`)
	if got := p.text(".bulk-job"); !strings.Contains(got, "Send new invitation: 0 of 250 done.") {
		t.Fatalf("the progress says %q", got)
	}
	e.Deliver(t) // one round: one batch
	p.waitFor("the progress after a round", `document.querySelector(".bulk-job").textContent.includes("100 of 250 done")`)
	if v := eval[string](p, `document.querySelector(".bulk-job progress").getAttribute("value")`); v != "100" {
		t.Errorf("the progress bar is at %s, want 100", v)
	}
	e.Deliver(t)
	e.Deliver(t)
	p.waitFor("the result", `document.querySelector(".bulk-job").textContent.includes("250 new invitations sent.")`)
	p.waitFor("the list brought up to date", `document.querySelector("#users-results").textContent.includes("No users match")`)
	if got := len(e.SMTP.Messages()) - sent; got != n {
		t.Errorf("%d emails after the job, want %d", got, n)
	}
	p.navigateBy("Dismiss", chromedp.Click(`.bulk-job button`))
	if eval[bool](p, `!!document.querySelector(".bulk-job")`) {
		t.Errorf("the result is still shown after Dismiss")
	}
}
