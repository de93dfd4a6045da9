package browser_test

// Working on many people at once (issue 18), as an administrator does it:
// ticking rows with the keyboard, every row of a view, the no-JavaScript
// form, and a CSV import with a preview.

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// ward is an account with people to work on, set up through the services.
type ward struct {
	e       *apptest.Env
	account spaces.Space
}

func newWard(t *testing.T) *ward {
	t.Helper()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	acc, err := e.App.Users.Account(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &ward{e: e, account: acc}
}

func (w *ward) actor(t *testing.T) invitations.Actor {
	t.Helper()
	return invitations.Actor{User: w.e.User(t, w.e.UserID(t, apptest.AdminEmail)), Access: w.e.AdminAccess(t)}
}

// invite invites each of emails as a member of the account, and delivers
// the invitations.
func (w *ward) invite(t *testing.T, emails ...string) {
	t.Helper()
	res, err := w.e.App.Invitations.InviteMany(context.Background(), w.actor(t), emails, "", []spaces.Grant{{SpaceID: w.account.ID, Role: spaces.Member}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sent) != len(emails) {
		t.Fatalf("invited %d of %d people (known: %v)", len(res.Sent), len(emails), res.Known)
	}
	w.e.Deliver(t)
}

// join invites email and accepts the invitation: an active user.
func (w *ward) join(t *testing.T, email, name string) {
	t.Helper()
	ctx := context.Background()
	inv, err := w.e.App.Invitations.Invite(ctx, w.actor(t), invitations.InviteInput{Email: email, Name: name, Offered: []spaces.Grant{{SpaceID: w.account.ID, Role: spaces.Member}}})
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(w.e.App.Invitations.LinkFor(inv.Nonce), w.e.URL+"/invite/")
	if _, err := w.e.App.Invitations.Accept(ctx, token, invitations.AcceptInput{Name: name, Password: password}); err != nil {
		t.Fatalf("%s accepts: %v", email, err)
	}
	w.e.Deliver(t)
}

// sentSince delivers the outbox and counts the emails each recipient got
// after the SMTP server's first n messages.
func (w *ward) sentSince(t *testing.T, n int) map[string]int {
	t.Helper()
	w.e.Deliver(t)
	got := map[string]int{}
	for _, m := range w.e.SMTP.Messages()[n:] {
		for _, to := range m.To {
			got[strings.ToLower(to)]++
		}
	}
	return got
}

// emailsWith are the emails of the users of status, as the services list
// them, sorted.
func (w *ward) emailsWith(t *testing.T, st users.Status) []string {
	t.Helper()
	page, err := w.e.App.Users.List(context.Background(), w.e.AdminAccess(t), users.ListFilter{Status: st, PerPage: 1000, Now: w.e.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range page.Rows {
		out = append(out, l.Email)
	}
	slices.Sort(out)
	return out
}

// oneEach is want as sentSince counts it: one email to each.
func oneEach(want ...string) map[string]int {
	m := map[string]int{}
	for _, e := range want {
		m[e] = 1
	}
	return m
}

// ---- The selection, as the page shows it ----

// rowBox is the selection checkbox of email's row.
func rowBox(email string) chromedp.CSS {
	return chromedp.CSS(`input[data-bulk-row][aria-label="Select ` + email + `"]`)
}

// tickByKeyboard focuses email's checkbox and presses Space, as a person
// without a mouse does.
func (p *Person) tickByKeyboard(email string) {
	p.t.Helper()
	p.do("Space on the checkbox of "+email, chromedp.Focus(rowBox(email)), chromedp.KeyEvent(" "))
	if !eval[bool](p, `document.activeElement.matches(`+js(string(rowBox(email)))+`) && document.activeElement.checked`) {
		p.t.Fatalf("Space did not tick the focused checkbox of %s", email)
	}
}

// focused is the text of the element that has the focus.
func (p *Person) focused() string {
	p.t.Helper()
	return eval[string](p, `(document.activeElement ? document.activeElement.textContent : "").trim()`)
}

// barActions are the labels of the selection bar's actions a person can
// see now.
func (p *Person) barActions() []string {
	p.t.Helper()
	return eval[[]string](p, `[...document.querySelectorAll("#bulk-form [data-bulk-action]")].filter(b => !b.hidden && b.getClientRects().length > 0).map(b => b.textContent.trim())`)
}

// barButton is the selection bar's button of an action.
func barButton(action string) chromedp.CSS {
	return chromedp.CSS(`#bulk-form button[name="action"][value="` + action + `"]`)
}

// waitCount waits until the bar's count says want.
func (p *Person) waitCount(want string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("the bar to say %q", want), `document.querySelector("[data-bulk-count]").textContent.trim() === `+js(want))
}

// confirmButton is the confirmation's button (in the open dialog, or on
// the confirmation page) labelled label.
func confirmButton(label string) chromedp.Search {
	return chromedp.Search(`//form[@action="/settings/users/bulk/run"]//button[@type="submit"][normalize-space()=` + xq(label) + `]`)
}

// The administrator ticks three of six invited people with the keyboard:
// the bar, a live region, counts them and offers what applies to them;
// Cancel invitation asks in a dialog with the count (Escape leaves it,
// back on the button), confirmed with the keyboard too, and the banner
// says what was done. The three leave the list and the services; the others
// are as they were, and nobody is emailed.
func TestBulkSelectThreeAndCancel(t *testing.T) {
	t.Parallel()
	w := newWard(t)
	var all []string
	for i := 1; i <= 6; i++ {
		all = append(all, fmt.Sprintf("nurse%d@example.org", i))
	}
	w.invite(t, all...)
	picked, kept := []string{all[0], all[2], all[5]}, []string{all[1], all[3], all[4]}
	mails := len(w.e.SMTP.Messages())

	p := newBrowser(t, w.e).person()
	p.signIn(apptest.AdminEmail, apptest.AdminPassword)
	if got := p.text("[data-bulk-count]"); got != "No one selected." {
		t.Errorf("before any tick the bar says %q, want %q", got, "No one selected.")
	}
	if got := p.barActions(); len(got) != 0 {
		t.Errorf("before any tick the bar offers %q, want nothing", got)
	}
	// The count is announced: the bar's count is a polite live region.
	if got := eval[string](p, `document.querySelector("[data-bulk-count]").getAttribute("aria-live") || ""`); got != "polite" {
		t.Errorf("the bar's count has aria-live=%q, want polite", got)
	}
	if got := eval[string](p, `document.getElementById("bulk-form").getAttribute("aria-label") || ""`); got != "Act on several users at once" {
		t.Errorf("the bar's form is labelled %q", got)
	}

	p.tickByKeyboard(picked[0])
	p.waitCount("1 selected.")
	p.tickByKeyboard(picked[1])
	p.tickByKeyboard(picked[2])
	p.waitCount("3 selected.")
	if got := eval[bool](p, `(() => { const h = document.querySelector("[data-bulk-page]"); return h.indeterminate && !h.checked })()`); !got {
		t.Errorf("with 3 of 7 rows ticked the header's checkbox is not shown as partly ticked")
	}
	// What applies to invited people, in the bar's order; not Send new
	// invitation (for expired ones) nor Activate.
	if got, want := p.barActions(), []string{"Resend invitation link", "Cancel invitation", "Deactivate", "Delete"}; !slices.Equal(got, want) {
		t.Errorf("the bar offers %q, want %q", got, want)
	}

	// Enter on the bar's button opens the dialog, on its safe choice;
	// Escape closes it, back on the button, the selection kept.
	openDialog := func() {
		t.Helper()
		p.do("Enter on Cancel invitation", chromedp.Focus(barButton("cancel")), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
		if got := p.focused(); got != "Go back" {
			t.Errorf("the dialog opens with the focus on %q, want Go back", got)
		}
	}
	openDialog()
	p.do("Escape", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	if !eval[bool](p, `document.activeElement.matches(`+js(string(barButton("cancel")))+`)`) {
		t.Errorf("after Escape the focus is on %q, not the bar's Cancel invitation", p.focused())
	}
	p.waitCount("3 selected.")
	openDialog()
	if got, want := p.text("dialog[open] h2"), "Cancel invitations?"; got != want {
		t.Errorf("the dialog's heading is %q, want %q", got, want)
	}
	if got, want := p.text("dialog[open] #bulk-confirm-body"), "Cancel the invitations of 3 people? Their links stop working at once; those who never joined leave the list."; got != want {
		t.Errorf("the dialog says %q, want %q", got, want)
	}
	if p.text("dialog[open] .bulk-skips") != "" {
		t.Errorf("the dialog lists skips for a selection it all applies to: %q", p.text("dialog[open] .bulk-skips"))
	}
	// Nothing is done before the confirmation.
	if got := w.emailsWith(t, users.Invited); !slices.Equal(got, all) {
		t.Fatalf("before the confirmation the invited are %q, want %q", got, all)
	}
	p.do("Shift+Tab", chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if got := p.focused(); got != "Cancel 3 invitations" {
		t.Fatalf("Shift+Tab from Go back reaches %q, want the confirming button", got)
	}
	p.navigateBy("Enter on Cancel 3 invitations", chromedp.KeyEvent(kb.Enter))
	p.waitPath("/settings/users")
	p.waitBanner("3 invitations cancelled.")

	for _, email := range picked {
		if p.status(email) != "" {
			t.Errorf("%s is still in the list, %q", email, p.status(email))
		}
		if id := w.e.UserID(t, email); id != 0 {
			t.Errorf("%s (cancelled, never joined) is still user %d", email, id)
		}
	}
	for _, email := range kept {
		if got := p.status(email); got != "Invited" {
			t.Errorf("%s shows %q, want Invited", email, got)
		}
	}
	if got := w.emailsWith(t, users.Invited); !slices.Equal(got, kept) {
		t.Errorf("after the cancel the invited are %q, want %q", got, kept)
	}
	if got := w.sentSince(t, mails); len(got) != 0 {
		t.Errorf("cancelling emailed %v", got)
	}
	if got := p.text("[data-bulk-count]"); got != "No one selected." {
		t.Errorf("after the cancel the bar says %q", got)
	}
}

// More people whose invitations expired than a page holds, besides a
// pending invitee and an active user: on Invitation expired, the header's
// checkbox ticks the page, "Select all N users matching this view" every
// page of it, and Send new invitation, once confirmed, sends each expired
// person exactly one new invitation, and nobody else anything.
func TestBulkSelectAllExpiredAndRenew(t *testing.T) {
	t.Parallel()
	w := newWard(t)
	// Over one page (users.PerPage), under what a request does at once (no
	// job: web's inlineMax is two batches).
	n := users.PerPage + 10
	var expired []string
	for i := range n {
		expired = append(expired, fmt.Sprintf("pupil%03d@example.org", i))
	}
	w.invite(t, expired...)
	w.e.Clock.Advance(8 * 24 * time.Hour) // past the 7 days of an invitation
	const pending, active = "pending@example.org", "active@example.org"
	w.invite(t, pending)
	w.join(t, active, "Al Active")
	mails := len(w.e.SMTP.Messages())

	p := newBrowser(t, w.e).person()
	p.signIn(apptest.AdminEmail, apptest.AdminPassword)
	p.open("/settings/users?status=expired")
	if got := eval[int](p, `document.querySelectorAll("table.users tbody tr").length`); got != users.PerPage {
		t.Fatalf("the expired tab shows %d rows, want a full page of %d", got, users.PerPage)
	}
	p.do("tick the header's checkbox", chromedp.Click(chromedp.CSS("[data-bulk-page]")))
	p.waitCount(fmt.Sprintf("%d selected.", users.PerPage))
	if got := eval[int](p, `document.querySelectorAll("[data-bulk-row]:checked").length`); got != users.PerPage {
		t.Errorf("the header's checkbox ticked %d rows, want %d", got, users.PerPage)
	}
	allLabel := fmt.Sprintf("Select all %d users matching this view", n)
	if got := p.text(".bulk-all"); !strings.HasPrefix(got, allLabel) {
		t.Fatalf("the bar's every-page choice says %q, want %q…", got, allLabel)
	}
	p.do("tick "+allLabel, chromedp.Click(chromedp.CSS("[data-bulk-all]")))
	p.waitCount(fmt.Sprintf("All %d users matching this view are selected.", n))
	if got := p.barActions(); !slices.Contains(got, "Send new invitation") {
		t.Fatalf("the bar offers %q, without Send new invitation", got)
	}

	p.do("Send new invitation", chromedp.Click(barButton("renew")), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	want := fmt.Sprintf("Send new invitations to %d people whose invitations expired? Each gets a new link.", n)
	if got := p.text("dialog[open] #bulk-confirm-body"); got != want {
		t.Errorf("the dialog says %q, want %q", got, want)
	}
	if got := w.sentSince(t, mails); len(got) != 0 {
		t.Fatalf("emails sent before the confirmation: %v", got)
	}
	p.navigateBy("confirm", chromedp.Click(confirmButton(fmt.Sprintf("Send %d new invitations", n))))
	p.waitPath("/settings/users")
	p.waitBanner(fmt.Sprintf("%d new invitations sent.", n))

	if got := w.sentSince(t, mails); !maps.Equal(got, oneEach(expired...)) {
		var twice, missing, others []string
		for _, e := range expired {
			switch got[e] {
			case 0:
				missing = append(missing, e)
			case 1:
			default:
				twice = append(twice, e)
			}
			delete(got, e)
		}
		for e := range got {
			others = append(others, e)
		}
		t.Errorf("emails after the confirmation: %d expired people got none (%v), %d more than one (%v), others got some: %v", len(missing), missing, len(twice), twice, others)
	}
	if got := w.emailsWith(t, users.Expired); len(got) != 0 {
		t.Errorf("%d people are still expired: %v", len(got), got)
	}
	if got := w.emailsWith(t, users.Invited); len(got) != n+1 || !slices.Contains(got, pending) {
		t.Errorf("%d people invited after the renewal, want %d (with %s)", len(got), n+1, pending)
	}
	// Each new link works.
	for _, e := range []string{expired[0], expired[n-1]} {
		m := w.e.SMTP.To(e)
		link := apptest.Link(m[len(m)-1].Text)
		v, err := w.e.App.Invitations.Lookup(context.Background(), strings.TrimPrefix(link, w.e.URL+"/invite/"))
		if err != nil || v.Link != invitations.LinkValid {
			t.Errorf("%s's new link %s is %v (%v), want valid", e, link, v.Link, err)
		}
	}
}

// importCSV writes a CSV file for the upload.
func importCSV(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ward7.csv")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// previewLine is a row of the import preview as a person reads it.
type previewLine struct {
	Line    string `json:"line"`
	Email   string `json:"email"`
	Outcome string `json:"outcome"`
	Invalid bool   `json:"invalid"`
	Box     bool   `json:"box"`
	Ticked  bool   `json:"ticked"`
}

func (p *Person) previewLines() []previewLine {
	p.t.Helper()
	return eval[[]previewLine](p, `[...document.querySelectorAll("table.import tbody tr")].map(r => {
		const c = r.querySelectorAll("td"), box = r.querySelector('input[type="checkbox"][name="line"]');
		return {line: c[1].innerText.trim(), email: c[2].innerText.trim(), outcome: c[5].innerText.trim(),
			invalid: r.classList.contains("import-invalid") && c[5].classList.contains("field-error"),
			box: !!box, ticked: !!box && box.checked};
	})`)
}

// The administrator uploads a file of seven people, two with mistakes
// (an address that is none, a space that does not exist), on the Invite
// user page: the preview puts the two first, each with its line number
// and why, unticked and without a box; the five others are ticked. With
// one of them unticked, the confirmation invites the other four, one
// email each; nothing was sent or kept before it.
func TestImportCSVWithTwoBadLines(t *testing.T) {
	t.Parallel()
	w := newWard(t)
	ctx := context.Background()
	if _, err := w.e.App.Spaces.Create(ctx, w.e.AdminAccess(t), spaces.Unit, w.account.ID, "Ward 7"); err != nil {
		t.Fatal(err)
	}
	file := importCSV(t, "email,name,role,space\n"+
		"ada@example.org,Ada Lovelace,member,Ward 7\n"+ // 2
		"grace@example.org,Grace Hopper,admin,Ward 7\n"+ // 3
		"not-an-address,Nobody,member,Ward 7\n"+ // 4
		"edsger@example.org,,member,Ward 7\n"+ // 5: unticked
		"barbara@example.org,Barbara Liskov,member,Ward 7\n"+ // 6
		"ken@example.org,,member,Ward 99\n"+ // 7
		"frances@example.org,Frances Allen,member,Ward 7\n") // 8
	people := w.e.UserCount(t)

	p := newBrowser(t, w.e).person()
	p.signIn(apptest.AdminEmail, apptest.AdminPassword)
	p.open("/settings/users/invite")
	p.navigateBy("Import from a CSV file", chromedp.Click(button("Import from a CSV file")))
	p.waitPath("/settings/users/import")
	if got := p.h1(); got != "Import users from a CSV file" {
		t.Fatalf("the import page's heading is %q", got)
	}
	p.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}))
	p.navigateBy("Preview", chromedp.Click(button("Preview")))
	if got := p.h1(); got != "What the file would do" {
		t.Fatalf("after the upload the heading is %q", got)
	}
	if got, want := p.text("main"), "5 will be invited, 0 already invited, 0 already users, 2 with mistakes."; !strings.Contains(got, want) {
		t.Errorf("the preview does not say %q:\n%s", want, got)
	}
	got := p.previewLines()
	want := []previewLine{
		{Line: "4", Email: "not-an-address", Outcome: "“not-an-address” is not an email address.", Invalid: true},
		{Line: "7", Email: "ken@example.org", Outcome: "There is no space “Ward 99” that you can invite people to.", Invalid: true},
		{Line: "2", Email: "ada@example.org", Outcome: "Will be invited", Box: true, Ticked: true},
		{Line: "3", Email: "grace@example.org", Outcome: "Will be invited", Box: true, Ticked: true},
		{Line: "5", Email: "edsger@example.org", Outcome: "Will be invited", Box: true, Ticked: true},
		{Line: "6", Email: "barbara@example.org", Outcome: "Will be invited", Box: true, Ticked: true},
		{Line: "8", Email: "frances@example.org", Outcome: "Will be invited", Box: true, Ticked: true},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the preview's lines:\n%+v\nwant:\n%+v", got, want)
	}
	if label := eval[string](p, `document.querySelector('input[name="line"][value="5"]').getAttribute("aria-label")`); label != "Include line 5 (edsger@example.org)" {
		t.Errorf("line 5's checkbox is labelled %q", label)
	}
	// Nothing is sent or kept before the confirmation.
	if got := w.sentSince(t, 0); len(got) != 0 {
		t.Fatalf("the preview sent email: %v", got)
	}
	if got := w.e.UserCount(t); got != people {
		t.Fatalf("the preview made %d users", got-people)
	}

	p.do("untick line 5", chromedp.Click(chromedp.CSS(`input[name="line"][value="5"]`)))
	if eval[bool](p, `document.querySelector('input[name="line"][value="5"]').checked`) {
		t.Fatal("line 5 is still ticked")
	}
	p.navigateBy("Send the invitations", chromedp.Click(button("Send the invitations")))
	p.waitPath("/settings/users")
	p.waitBanner("4 invitation emails sent from the file.")

	invited := []string{"ada@example.org", "barbara@example.org", "frances@example.org", "grace@example.org"}
	if got := w.sentSince(t, 0); !maps.Equal(got, oneEach(invited...)) {
		t.Errorf("emails after the confirmation: %v, want one each to %v", got, invited)
	}
	if got := w.emailsWith(t, users.Invited); !slices.Equal(got, invited) {
		t.Errorf("invited after the import: %v, want %v", got, invited)
	}
	for _, email := range invited {
		if got := p.status(email); got != "Invited" {
			t.Errorf("%s shows %q in the list, want Invited", email, got)
		}
	}
	if got := p.text("main"); !strings.Contains(got, "Member of Ward 7") || !strings.Contains(got, "Administrator of Ward 7") {
		t.Errorf("the list does not show the file's roles:\n%s", got)
	}
}

// Without JavaScript the bar is a form with every action as a submit
// button and the rows' checkboxes in it: ticking two invited people and
// an active user and pressing Resend invitation link gives a confirmation
// page (no dialog) that counts the two and says why it skips the third;
// confirming shows the result in the banner, and each of the two gets
// one email.
func TestBulkWithoutJavaScript(t *testing.T) {
	t.Parallel()
	w := newWard(t)
	const ida, ivo, al, other = "ida@example.org", "ivo@example.org", "al@example.org", "other@example.org"
	w.invite(t, ida, ivo, other)
	w.join(t, al, "Al Active")
	w.e.Clock.Advance(2 * time.Minute) // past the resend cooldown
	mails := len(w.e.SMTP.Messages())

	p := newBrowser(t, w.e).personWithoutJS()
	p.signIn(apptest.AdminEmail, apptest.AdminPassword)
	if got, want := p.barActions(), []string{"Resend invitation link", "Send new invitation", "Cancel invitation", "Deactivate", "Activate", "Delete"}; !slices.Equal(got, want) {
		t.Errorf("without JavaScript the bar offers %q, want every action %q", got, want)
	}
	if got := p.text("[data-bulk-count]"); got != "Tick people in the list, then choose what to do with them." {
		t.Errorf("without JavaScript the bar says %q", got)
	}
	if eval[bool](p, `document.querySelector("[data-bulk-page]").getClientRects().length > 0`) {
		t.Errorf("without JavaScript the header's checkbox (which does nothing) is shown")
	}
	for _, email := range []string{ida, ivo, al} {
		p.do("tick "+email, chromedp.Click(rowBox(email)))
	}
	p.navigateBy("Resend invitation link", chromedp.Click(barButton("resend")))
	p.waitPath("/settings/users/bulk")
	if eval[bool](p, `!!document.querySelector("dialog")`) {
		t.Errorf("without JavaScript the confirmation is a dialog")
	}
	if got := p.h1(); got != "Resend invitation links?" {
		t.Errorf("the confirmation page's heading is %q", got)
	}
	if got, want := p.text("#bulk-confirm-body"), "Resend the invitation link to 2 people? Each gets the same link again, valid for the full period from now."; got != want {
		t.Errorf("the confirmation says %q, want %q", got, want)
	}
	if got, want := p.text(".bulk-skips"), "1 of the selected is skipped: they are active."; got != want {
		t.Errorf("the confirmation's skips: %q, want %q", got, want)
	}
	if got := w.sentSince(t, mails); len(got) != 0 {
		t.Fatalf("emails sent before the confirmation: %v", got)
	}
	p.navigateBy("Resend 2 links", chromedp.Click(confirmButton("Resend 2 links")))
	p.waitPath("/settings/users")
	p.waitBanner("2 invitation links resent. 1 skipped: they are active.")
	if got := w.sentSince(t, mails); !maps.Equal(got, oneEach(ida, ivo)) {
		t.Errorf("emails after the confirmation: %v, want one each to %s and %s", got, ida, ivo)
	}
	for email, want := range map[string]string{ida: "Invited", ivo: "Invited", other: "Invited", al: "Active"} {
		if got := p.status(email); got != want {
			t.Errorf("%s shows %q, want %q", email, got, want)
		}
	}

	// Go back, on the confirmation page, is a link to the list; nothing
	// is done.
	for _, email := range []string{ida, ivo} {
		p.do("tick "+email, chromedp.Click(rowBox(email)))
	}
	p.navigateBy("Cancel invitation", chromedp.Click(barButton("cancel")))
	p.navigateBy("Go back", chromedp.Click(button("Go back")))
	p.waitPath("/settings/users")
	if got := w.emailsWith(t, users.Invited); !slices.Equal(got, []string{ida, ivo, other}) {
		t.Errorf("after Go back the invited are %v", got)
	}
}

// ---- The page checkers ----

// The pages of bulk work pass axe-core (WCAG 2.x A/AA and best practices,
// light and dark): the bar with rows ticked, the confirmation dialogs
// open, the quick cleanups, the no-JavaScript confirmation page, and the
// import's upload form, refused, and preview with mistakes. What only the
// script makes (the ticked bar, an open dialog) the Nu HTML Checker reads
// as the browser holds it; the pages the server sends are in TestHTMLValid
// (collectBulkPages), in English and German.
func TestBulkAccessibility(t *testing.T) {
	t.Parallel()
	axe := newAxeChecker(t)
	h := newHTMLCollector(t)
	s := newCheckSite(t)
	s.seed(t)
	h.e, h.lang = s.e, "en"
	admin := newBrowser(t, s.e).person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	defer axe.report()

	const ivy, jo = "ivy.invited@example.com", "jo.joining@example.com"
	admin.tickByKeyboard(ivy)
	admin.tickByKeyboard(jo)
	admin.waitCount("2 selected.")
	axe.check(admin, "users, two rows ticked")
	h.addDOM(admin, "users, two rows ticked")
	admin.do("Cancel invitation", chromedp.Click(barButton("cancel")), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	axe.check(admin, "bulk confirmation dialog")
	h.addDOM(admin, "bulk confirmation dialog")
	admin.do("Go back", chromedp.Click(chromedp.CSS("dialog[open] [data-close-dialog]")), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	// With an active user ticked too, whom a resend skips.
	admin.tickByKeyboard("cy.active@example.com")
	admin.do("Resend invitation link", chromedp.Click(barButton("resend")), chromedp.WaitVisible(chromedp.CSS("dialog[open] .bulk-skips")))
	axe.check(admin, "bulk confirmation dialog with skips")
	admin.do("Go back", chromedp.Click(chromedp.CSS("dialog[open] [data-close-dialog]")), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))

	admin.open("/settings/users?status=expired")
	axe.check(admin, "users, Invitation expired with quick cleanups")
	admin.do("Send new invitations to all", chromedp.Click(chromedp.CSS(`.cleanup button[value=renew]`)), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	axe.check(admin, "quick cleanup confirmation dialog")
	h.addDOM(admin, "quick cleanup confirmation dialog")
	admin.do("Go back", chromedp.Click(chromedp.CSS("dialog[open] [data-close-dialog]")), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))

	// The confirmation page a browser without JavaScript gets: the bar's
	// form posted as such a browser posts it (no htmx), with the action
	// its button would have given.
	admin.open("/settings/users")
	admin.tickByKeyboard(ivy)
	admin.tickByKeyboard("cy.active@example.com")
	admin.navigateBy("post the bar's form without htmx", chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.getElementById("bulk-form"), a = document.createElement("input");
		a.type = "hidden"; a.name = "action"; a.value = "cancel";
		f.append(a);
		HTMLFormElement.prototype.submit.call(f);
	})()`))
	admin.waitPath("/settings/users/bulk")
	if got := admin.h1(); got != "Cancel invitations?" {
		t.Fatalf("the no-JavaScript confirmation's heading is %q", got)
	}
	if got := admin.text(".bulk-skips"); got != "1 of the selected is skipped: they are active." {
		t.Errorf("the no-JavaScript confirmation's skips: %q", got)
	}
	axe.check(admin, "bulk confirmation page (no JavaScript)")

	// The import: the upload form, refused, and a preview with mistakes.
	admin.open("/settings/users/import")
	axe.check(admin, "import, upload")
	admin.do("choose a file without an email column", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{importCSV(t, "name,role\nAda,member\n")}))
	admin.navigateBy("Preview", chromedp.Click(button("Preview")))
	if got := admin.text("#file-error"); got != "The first line must name the columns, one of them “email”." {
		t.Fatalf("the refused upload says %q", got)
	}
	axe.check(admin, "import, upload refused")
	admin.do("choose a file with mistakes", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{importCSV(t, importWithMistakes)}))
	admin.navigateBy("Preview", chromedp.Click(button("Preview")))
	if n := eval[int](admin, `document.querySelectorAll("tr.import-invalid").length`); n != 3 {
		t.Fatalf("the preview shows %d lines with mistakes, want 3", n)
	}
	axe.check(admin, "import, preview with mistakes")
	h.validate()
}

// importWithMistakes is a file for the checkSite's spaces: people to
// invite, one already invited, one already a user, and three mistakes.
const importWithMistakes = "email,name,role,space\n" +
	"new.one@example.com,New One,member,Sales\n" +
	"new.two@example.com,,admin,Room 4\n" +
	"ivy.invited@example.com,,member,Sales\n" +
	"cy.active@example.com,,member,Sales\n" +
	"not-an-address,,member,Sales\n" +
	"new.three@example.com,,member,Nowhere\n" +
	"new.one@example.com,,member,Sales\n"

// collectBulkPages adds to h the pages of bulk work as the server sends
// them to admin, on s (seeded): the tab with the quick cleanups, the
// confirmation page without JavaScript (with skips, and refused), and the
// import's upload form, refused, and its preview with mistakes.
func collectBulkPages(t *testing.T, h *htmlCollector, s *checkSite, admin *http.Client) {
	t.Helper()
	e := s.e
	id := func(v int64) string { return strconv.FormatInt(v, 10) }
	h.get("users, Invitation expired with quick cleanups", admin, "/settings/users?status=expired", http.StatusOK)
	h.post("bulk confirmation page (no JavaScript)", admin, "/settings/users/bulk", url.Values{"action": {"cancel"}, "id": {id(s.invited), id(s.active)}, "return": {"/settings/users"}}, http.StatusOK)
	h.post("quick cleanup confirmation page (no JavaScript)", admin, "/settings/users/bulk", url.Values{"action": {"renew"}, "all": {"1"}, "status": {"expired"}, "return": {"/settings/users?status=expired"}}, http.StatusOK)
	h.post("bulk confirmation page, nothing to do", admin, "/settings/users/bulk", url.Values{"action": {"activate"}, "id": {id(s.invited)}, "return": {"/settings/users"}}, http.StatusOK)
	if last := h.pages[len(h.pages)-1].body; !strings.Contains(last, `class="banner banner-error" role="alert"`) {
		t.Fatalf("activating an invited person (%s) is not refused on the confirmation page:\n%s", h.lang, last)
	}
	h.get("import, upload", admin, "/settings/users/import", http.StatusOK)
	h.add("import, upload refused", "/settings/users/import", uploadFile(t, e, admin, "name,role\nAda,member\n"), http.StatusUnprocessableEntity)
	preview := uploadFile(t, e, admin, importWithMistakes)
	if n := strings.Count(preview.Body, `class="import-invalid"`); n != 3 {
		t.Fatalf("the import preview (%s) shows %d lines with mistakes, want 3:\n%s", h.lang, n, preview.Body)
	}
	h.add("import, preview with mistakes", "/settings/users/import", preview, http.StatusOK)
}

// uploadFile posts csv as the import form's file, as a same-origin browser
// would.
func uploadFile(t *testing.T, e *apptest.Env, c *http.Client, csv string) apptest.Response {
	t.Helper()
	return e.PostFile(t, c, "/settings/users/import", "people.csv", []byte(csv))
}
