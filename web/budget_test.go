package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

var waitRE = regexp.MustCompile(`Wait (\d+) minutes?, then try again`)

// waitIn is the number of minutes a sentence asks to wait, or 0.
func waitIn(msg string) int {
	m := waitRE.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// wantBudget429 checks an answer refused by the send budget: 429, a
// sentence saying how long to wait, and a Retry-After that says the same.
func wantBudget429(t *testing.T, what string, res apptest.Response) {
	t.Helper()
	mins := waitIn(text(res.Body))
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if res.StatusCode != http.StatusTooManyRequests || mins == 0 || err != nil || secs < 1 || (secs+59)/60 != mins {
		t.Errorf("%s: status %d, Retry-After %q; want 429 and a sentence saying the same wait\n%.600s", what, res.StatusCode, res.Header.Get("Retry-After"), text(res.Body))
	}
}

// wantRefusedWait checks a refused htmx action: 429, an error banner out
// of band that says how long to wait, and a Retry-After that says the same.
// It returns the minutes said.
func wantRefusedWait(t *testing.T, what string, res apptest.Response) int {
	t.Helper()
	m := oobRE.FindStringSubmatch(res.Body)
	if res.StatusCode != http.StatusTooManyRequests || m == nil || !strings.Contains(m[1], "banner-error") {
		t.Errorf("%s: status %d, want 429 with an error banner\n%s", what, res.StatusCode, res.Body)
		return 0
	}
	mins := waitIn(text(m[1]))
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if mins == 0 || err != nil || secs < 1 || (secs+59)/60 != mins {
		t.Errorf("%s: the banner %q and Retry-After %q should say the same wait", what, text(m[1]), res.Header.Get("Retry-After"))
	}
	return mins
}

// wantFlashWait checks a refused no-JavaScript action: a redirect to back,
// whose page shows an error banner saying how long to wait. It returns the
// minutes said.
func wantFlashWait(t *testing.T, f *fixture, what string, res apptest.Response, back string) int {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != back {
		t.Errorf("%s: status %d to %q, want 303 to %s\n%s", what, res.StatusCode, res.Header.Get("Location"), back, res.Body)
		return 0
	}
	kind, msg := bannerOf(f.Get(t, f.admin, back).Body)
	mins := waitIn(msg)
	if kind != "error" || mins == 0 {
		t.Errorf("%s: banner %s %q, want an error saying how long to wait", what, kind, msg)
	}
	return mins
}

// formAction finds the action of the first form whose content up to label
// holds no other form.
func formAction(t *testing.T, body, label string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*>(?:(?:[^<]|<[^/]|</[^f])*?)` + regexp.QuoteMeta(label)).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form with a %q button in:\n%s", label, body)
	}
	return m[1]
}

// Every email an administrator's action sends counts against one budget
// per administrator: invitations, resends from the row (with and without
// htmx), from a space's page and from Manage invitation's "Resend invitation link",
// and new invitations after expiry. A form of several addresses that would
// go past it is refused whole. At the budget each of them is refused
// with a banner saying how long to wait, nothing is queued, and after that
// wait the action works. The budget is counted from the database, so a
// second Usher on the same data folder sees the same budget.
//
// ASVS 5.0: V2.4.1 (anti-automation: limits on how fast a function can be
// used), V2.3.2 (business logic limits enforced).
func TestSendBudgetCountsEveryEmail(t *testing.T) {
	t.Parallel()
	const limit = 5
	env := map[string]string{"USHER_SEND_LIMIT": strconv.Itoa(limit)}
	f := newFixture(t, apptest.Options{Env: env})
	ctx := context.Background()
	access, err := f.App.Users.Access(ctx, mustAdmin(t, f))
	if err != nil {
		t.Fatal(err)
	}
	unit, err := f.App.Spaces.Create(ctx, access, spaces.Unit, 0, "North")
	if err != nil {
		t.Fatal(err)
	}
	role := "role_" + strconv.FormatInt(unit.ID, 10)
	invite := func(emails ...string) {
		t.Helper()
		res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {strings.Join(emails, ", ")}, role: {"member"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("invite %v: status %d\n%s", emails, res.StatusCode, text(res.Body))
		}
		f.Get(t, f.admin, res.Header.Get("Location"))
	}

	invite("old@example.com")
	f.Clock.Advance(8 * 24 * time.Hour) // old's invitation has expired; its send is long gone
	f.signInAgain(t)
	invite("bo@example.com", "cy@example.com")
	f.Clock.Advance(2 * time.Minute) // past the resend cooldown
	// Four more would go past the budget: the form is refused whole.
	res := f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"d1@example.com, d2@example.com, d3@example.com, d4@example.com"}, role: {"member"}})
	wantBudget429(t, "a form going past the budget", res)
	if f.UserID(t, "d1@example.com") != 0 {
		t.Error("a form going past the budget invited some of its addresses")
	}
	invite("d1@example.com", "d2@example.com", "d3@example.com")
	old, bo := f.UserID(t, "old@example.com"), f.UserID(t, "bo@example.com")
	list := "/settings/users"
	space := "/settings/spaces/" + strconv.FormatInt(unit.ID, 10)
	resend := fmt.Sprintf("/settings/users/%d/resend", bo)
	renew := fmt.Sprintf("/settings/users/%d/renew", old)
	queued, sends := f.outbox(t), sendEvents(t, f)
	if sends != 6 {
		t.Fatalf("%d sends recorded, want 6", sends)
	}

	// bo and cy were sent 2 minutes ago: the budget has room again when
	// they are an hour old.
	const wait = 58
	check := func(what string, mins int) {
		t.Helper()
		if mins != 0 && mins != wait {
			t.Errorf("%s: says wait %d minutes, want %d", what, mins, wait)
		}
	}
	check("resend, row", wantFlashWait(t, f, "resend from the row", f.Post(t, f.admin, resend, url.Values{"return": {list}}), list))
	check("resend, row, htmx", wantRefusedWait(t, "resend from the row with htmx", f.Post(t, f.admin, resend, url.Values{"return": {list}}, apptest.HTMX...)))

	manage := f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/invitation?return=%s", bo, list))
	reminder := formAction(t, manage.Body, "Resend invitation link")
	check("reminder", wantFlashWait(t, f, "Resend invitation link in Manage invitation", f.Post(t, f.admin, reminder, url.Values{"return": {list}}), list))
	dialog := f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/invitation?return=%s", bo, list), apptest.HTMX...)
	reminder = formAction(t, dialog.Body, "Resend invitation link")
	check("reminder, htmx", wantRefusedWait(t, "Resend invitation link in the Manage invitation dialog", f.Post(t, f.admin, reminder, url.Values{"return": {list}}, apptest.HTMX...)))

	page := f.Get(t, f.admin, space)
	fromPage := formAction(t, page.Body, "bo@example.com</span></button>")
	check("resend, space page", wantFlashWait(t, f, "resend from the space's page", f.Post(t, f.admin, fromPage, url.Values{"return": {space}}), space))
	renewFromPage := formAction(t, page.Body, "old@example.com</span></button>")
	check("renew, space page", wantFlashWait(t, f, "new invitation from the space's page", f.Post(t, f.admin, renewFromPage, url.Values{"return": {space}}), space))
	check("renew, row", wantFlashWait(t, f, "new invitation from the row", f.Post(t, f.admin, renew, url.Values{"return": {list}}), list))
	check("renew, row, htmx", wantRefusedWait(t, "new invitation from the row with htmx", f.Post(t, f.admin, renew, url.Values{"return": {list}}, apptest.HTMX...)))

	res = f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"eve@example.com"}, role: {"member"}})
	if res.StatusCode != http.StatusTooManyRequests || waitIn(text(res.Body)) != wait {
		t.Errorf("invite: status %d, want 429 saying wait %d minutes\n%s", res.StatusCode, wait, text(res.Body))
	}
	if f.outbox(t) != queued || sendEvents(t, f) != sends || f.UserID(t, "eve@example.com") != 0 {
		t.Fatalf("at the budget, emails were queued: outbox %d → %d, sends %d → %d", queued, f.outbox(t), sends, sendEvents(t, f))
	}

	// A second Usher on the same data folder (another `usher serve`, or
	// this one restarted) counts the same sends.
	second := apptest.New(t, apptest.Options{Env: map[string]string{"USHER_DATA_DIR": f.App.Config.DataDir, "USHER_SEND_LIMIT": strconv.Itoa(limit)}})
	second.Clock.Set(f.Clock.Now())
	other := second.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	wantRefusedWait(t, "resend through a second Usher", second.Post(t, other, resend, url.Values{"return": {list}}, apptest.HTMX...))
	if f.outbox(t) != queued {
		t.Fatal("the second Usher queued an email past the budget")
	}

	// Once the wait said has passed, there is room for one more.
	f.Clock.Advance(wait * time.Minute)
	res = f.Post(t, f.admin, resend, url.Values{"return": {list}}, apptest.HTMX...)
	if res.StatusCode != http.StatusOK || f.outbox(t) != queued+1 {
		t.Errorf("resend after the wait: status %d, outbox %d → %d; want 200 and one more email\n%s", res.StatusCode, queued, f.outbox(t), res.Body)
	}
}

// mustAdmin is the account administrator the fixture signed in.
func mustAdmin(t *testing.T, f *fixture) users.User {
	t.Helper()
	u, err := f.App.Users.Get(context.Background(), f.UserID(t, apptest.AdminEmail))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// sendEvents counts the sends in the history: what the budget counts.
// Under the services: the budget reads these rows, and no service shows
// their number.
func sendEvents(t *testing.T, f *fixture) int {
	t.Helper()
	var n int
	err := f.App.DB.R.QueryRow(`SELECT count(*) FROM invitation_events WHERE kind IN (?, ?, ?)`, invitations.EvInvited, invitations.EvResent, invitations.EvRenewed).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
