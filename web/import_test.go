package web_test

import (
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/spaces"
)

const (
	importPage    = "/settings/users/import"
	importConfirm = "/settings/users/import/confirm"
)

// previewRow is one row of the preview table as a person sees it.
type previewRow struct {
	line        int
	text        string // the row's text: line, email, name, roles, outcome
	box, ticked bool   // it has an Include checkbox; it is ticked
}

var (
	previewRowRE = regexp.MustCompile(`(?s)<tr[^>]*\bdata-line="(\d+)"[^>]*>(.*?)</tr>`)
	lineBoxRE    = regexp.MustCompile(`<input[^>]*\bname="line"[^>]*>`)
	checkedRE    = regexp.MustCompile(`\schecked[\s/>=]`)
	dataFieldRE  = regexp.MustCompile(`<input type="hidden" name="data" value="([^"]*)"`)
)

// previewRows are the preview table's rows, in the page's order.
func previewRows(body string) []previewRow {
	var out []previewRow
	for _, m := range previewRowRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		r := previewRow{line: n, text: text(m[2])}
		if box := lineBoxRE.FindString(m[2]); box != "" {
			r.box = true
			r.ticked = checkedRE.MatchString(box)
			if !strings.Contains(box, `value="`+m[1]+`"`) {
				r.text += " [checkbox of another line: " + box + "]"
			}
		}
		out = append(out, r)
	}
	return out
}

// checkPreview fails unless the preview's rows are want, in order: the
// same lines with the same checkboxes, each row's text containing its
// want's text.
func checkPreview(t *testing.T, body string, want []previewRow) {
	t.Helper()
	got := previewRows(body)
	if len(got) != len(want) {
		t.Fatalf("preview has %d rows, want %d:\n%+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.line != w.line || g.box != w.box || g.ticked != w.ticked || !strings.Contains(g.text, w.text) {
			t.Errorf("row %d: line %d box %t ticked %t %q\nwant line %d box %t ticked %t, text with %q", i, g.line, g.box, g.ticked, g.text, w.line, w.box, w.ticked, w.text)
		}
	}
}

// previewData is the file a preview carries to its confirmation (the
// hidden data field, as the page has it).
func previewData(t *testing.T, body string) string {
	t.Helper()
	m := dataFieldRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the preview has no data field:\n%s", body)
	}
	return html.UnescapeString(m[1])
}

// confirmForm is the preview's form posted with lines ticked.
func confirmForm(data string, lines ...int) url.Values {
	f := url.Values{"data": {data}}
	for _, n := range lines {
		f.Add("line", strconv.Itoa(n))
	}
	return f
}

func b64(csv string) string { return base64.StdEncoding.EncodeToString([]byte(csv)) }

// sentSince delivers the outbox and counts the emails each recipient got
// after the first n messages.
func sentSince(t *testing.T, e *apptest.Env, n int) map[string]int {
	t.Helper()
	e.Deliver(t)
	got := map[string]int{}
	for _, m := range e.SMTP.Messages()[n:] {
		for _, to := range m.To {
			got[strings.ToLower(to)]++
		}
	}
	return got
}

func checkSent(t *testing.T, got map[string]int, want ...string) {
	t.Helper()
	w := map[string]int{}
	for _, e := range want {
		w[e] = 1
	}
	if fmt.Sprint(got) != fmt.Sprint(w) {
		t.Errorf("emails sent: %v, want one each to %v", got, want)
	}
}

var tableSizeRE = regexp.MustCompile(`(?m)^== (\w+) .*$`)

// rowsOf is the cell snapshot of tg without the tables' sizes: the rows
// of the person at tg's address (their user, grants, invitations, offered
// roles, history and emails), which an import that invites someone else
// leaves as they were.
func (w *clinic) rowsOf(t *testing.T, tg authzTarget) string {
	t.Helper()
	return tableSizeRE.ReplaceAllString(w.cellSnapshot(t, tg), "== $1")
}

func countRows(t *testing.T, e *apptest.Env, table string) int {
	t.Helper()
	var n int
	if err := e.App.DB.R.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The account administrator uploads a file with new people, one already
// invited, one whose invitation expired, an active user and a mistake:
// the preview says each one's outcome (the mistake first, with its line),
// ticks only the new people, and changes nothing; confirming with one new
// person unticked and the resend and the new invitation ticked sends
// exactly those four emails, one each, as one job whose result is the
// banner, with an activity row per person.
func TestImportPreviewThenConfirm(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	expired := w.invite(t, w.admin, w.email("expired"), memberOf(w.wa1))
	w.e.Clock.Advance(8 * 24 * time.Hour) // past the 7 days of an invitation
	pending := w.invite(t, w.admin, w.email("pending"), memberOf(w.wa1))
	w.e.Clock.Advance(2 * time.Minute) // past the resend cooldown
	admin := w.signIn(t, apptest.AdminEmail)
	new1, new2, new3 := w.email("new"), w.email("new"), w.email("new")
	csv := "email,name,role,space\n" +
		new1 + ",New One,member,Waiting Area 1\n" + // 2
		new2 + ",New Two,Administrator,North Clinic\n" + // 3
		new2 + ",,member,South Waiting Area\n" + // 4: line 3's second role
		new3 + ",,member,Meeting Room 1\n" + // 5
		pending.Email + ",,member,Waiting Area 1\n" + // 6
		expired.Email + ",,member,Waiting Area 1\n" + // 7
		moEmail + ",,member,Waiting Area 2\n" + // 8
		"not-an-address,,member,Waiting Area 1\n" // 9
	mails, before, mark := w.mails(t), w.snapshot(t), lastActivity(t, w.e)
	moRoles := w.roles(t, w.mo)

	res := w.e.PostFile(t, admin, importPage, "people.csv", []byte(csv))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d\n%s", res.StatusCode, res.Body)
	}
	if page := text(res.Body); !strings.Contains(page, "3 will be invited, 2 already invited, 1 already users, 1 with mistakes.") {
		t.Errorf("preview counts:\n%s", page)
	}
	checkPreview(t, res.Body, []previewRow{
		{9, "“not-an-address” is not an email address.", false, false},
		{2, new1 + " New One Member of Waiting Area 1 Will be invited", true, true},
		{3, "Will be invited", true, true},
		{5, new3, true, true},
		{6, pending.Email + " Member of Waiting Area 1 Already invited: resend their invitation?", true, false},
		{7, expired.Email + " Member of Waiting Area 1 Invitation expired: send a new one?", true, false},
		{8, moEmail + " Member of Waiting Area 2 Already a user: nothing happens", false, false},
	})
	if r := previewRows(res.Body); len(r) > 2 && (!strings.Contains(r[2].text, "North Clinic") || !strings.Contains(r[2].text, "South Waiting Area")) {
		t.Errorf("line 3 does not show both of New Two's roles (line 4 merged into it): %q", r[2].text)
	}
	data := previewData(t, res.Body)
	if got, err := base64.StdEncoding.DecodeString(data); err != nil || string(got) != csv {
		t.Errorf("the data field is not the file uploaded (%v):\n%q", err, got)
	}
	// Nothing is sent, kept or logged before the confirmation.
	if after := w.snapshot(t); after != before {
		t.Fatalf("the preview changed something:\n%s", clinicDiff(before, after))
	}
	if got := sentSince(t, w.e, mails); len(got) != 0 {
		t.Errorf("the preview sent email: %v", got)
	}
	if n := countRows(t, w.e, "bulk_jobs"); n != 0 {
		t.Errorf("the preview made %d jobs", n)
	}
	if l := activitySince(t, w.e, mark); len(l) != 0 {
		t.Errorf("the preview wrote %d activity rows (%s first)", len(l), l[0].Kind)
	}

	// Confirmed with New Two unticked, the resend and the renewal ticked.
	res = w.e.Post(t, admin, importConfirm, confirmForm(data, 2, 5, 6, 7))
	w.mustFlash(t, admin, res, "4 invitation emails sent from the file.")
	checkSent(t, sentSince(t, w.e, mails), new1, new3, pending.Email, expired.Email)
	if w.exists(t, new2) {
		t.Errorf("%s (unticked) was invited", new2)
	}
	if got := w.roles(t, w.mo); !slices.Equal(got, moRoles) {
		t.Errorf("Mo's roles changed from %v to %v", moRoles, got)
	}
	var jobs int
	var action string
	if err := w.e.App.DB.R.QueryRow(`SELECT count(*), max(action) FROM bulk_jobs`).Scan(&jobs, &action); err != nil || jobs != 1 || action != "import" {
		t.Errorf("%d jobs (%q), want 1 import (%v)", jobs, action, err)
	}
	got := map[string][]string{}
	for _, l := range activitySince(t, w.e, mark) {
		got[string(l.Kind)] = append(got[string(l.Kind)], l.SubjectEmail)
		if l.ActorID != w.admin.ID {
			t.Errorf("activity %s by %d, want Ana (%d)", l.Kind, l.ActorID, w.admin.ID)
		}
	}
	for kind, want := range map[activity.Kind][]string{
		activity.InvitationSent:    {new1, new3},
		activity.InvitationResent:  {pending.Email},
		activity.InvitationRenewed: {expired.Email},
		activity.BulkFinished:      {""},
	} {
		if g := got[string(kind)]; !slices.Equal(g, want) {
			t.Errorf("activity %s about %q, want %q", kind, g, want)
		}
		delete(got, string(kind))
	}
	if len(got) != 0 {
		t.Errorf("other activity: %v", got)
	}
}

// Another site's post of a file or of a confirmation is refused before it
// does anything; the same confirmation from Usher's own page goes through.
func TestImportCrossSiteRefused(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	admin := w.signIn(t, apptest.AdminEmail)
	newbie := w.email("new")
	csv := []byte("email,role,space\n" + newbie + ",member,Waiting Area 1\n")
	pre := w.e.PostFile(t, admin, importPage, "a.csv", csv)
	form := confirmForm(previewData(t, pre.Body), 2)
	mails, before := w.mails(t), w.snapshot(t)

	for name, header := range map[string][]string{
		"cross-site":                    {"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"},
		"Origin only, no fetch headers": {"Origin", "https://evil.example", "Sec-Fetch-Site", ""},
	} {
		for _, res := range []apptest.Response{
			w.e.PostFile(t, admin, importPage, "a.csv", csv, header...),
			w.e.Post(t, admin, importConfirm, form, header...),
		} {
			if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, "This request came from another site, so it was refused.") {
				t.Errorf("%s %s: %d, want 403 saying so\n%.300s", name, res.Request.URL.Path, res.StatusCode, res.Body)
			}
			if strings.Contains(res.Body, newbie) {
				t.Errorf("%s %s: the answer shows the file", name, res.Request.URL.Path)
			}
		}
	}
	if after := w.snapshot(t); after != before {
		t.Fatalf("a cross-site post changed something:\n%s", clinicDiff(before, after))
	}
	if got := sentSince(t, w.e, mails); len(got) != 0 {
		t.Errorf("a cross-site post sent email: %v", got)
	}
	if n := countRows(t, w.e, "bulk_jobs"); n != 0 {
		t.Errorf("a cross-site post made %d jobs", n)
	}

	res := w.e.Post(t, admin, importConfirm, form)
	w.mustFlash(t, admin, res, "1 invitation email sent from the file.")
	checkSent(t, sentSince(t, w.e, mails), newbie)
}

// A file Usher cannot take is refused on the upload form with what is
// wrong with it, and nothing happens: too large (whether or not it passes
// the route's body limit), not UTF-8, without an email column, more than
// 5,000 people, or no file at all.
func TestImportFileRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	line := "someone@example.com,Someone,member,Acme Clinics\n"
	big := func(size int) []byte {
		b := []byte("email,name,role,space\n")
		for len(b) < size {
			b = append(b, line...)
		}
		return b
	}
	var many strings.Builder
	many.WriteString("email,role,space\n")
	for i := range 5001 {
		fmt.Fprintf(&many, "p%d@example.com,member,Acme Clinics\n", i)
	}
	users, outbox := f.UserCount(t), f.outbox(t)
	for _, c := range []struct {
		name    string
		file    []byte
		want    string
		chunked bool
	}{
		{"over 2 MB", big(2<<20 + 100), "The file is larger than 2 MB. Split it into smaller files.", false},
		{"over the body limit", big(5 << 20), "The file is larger than 2 MB. Split it into smaller files.", false},
		{"over the body limit, no length", big(5 << 20), "The file is larger than 2 MB. Split it into smaller files.", true},
		{"Latin-1", []byte("email,name,role,space\nada@example.com,Ada,member,Acme Clinics\nj\xf6rg@example.com,J\xf6rg,member,Acme Clinics\n"),
			"Line 3 is not UTF-8 text. Save the file as “CSV UTF-8” and upload it again.", false},
		{"no email column", []byte("name,role,space\nAda,member,Acme Clinics\n"), "The first line must name the columns, one of them “email”.", false},
		{"5,001 people", []byte(many.String()), "The file has more than 5,000 people. Split it into smaller files.", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := postFileMaybeChunked(t, f, importPage, c.file, c.chunked)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", res.StatusCode)
			}
			if !strings.Contains(res.Body, `<p class="field-error" id="file-error">`+html.EscapeString(c.want)+`</p>`) {
				t.Errorf("the upload form does not say %q:\n%s", c.want, text(res.Body))
			}
			if !strings.Contains(res.Body, `name="file" type="file"`) || strings.Contains(res.Body, `name="data"`) {
				t.Errorf("not the upload form again")
			}
		})
	}
	// No file in the form.
	req := f.Post(t, f.admin, importPage, url.Values{"x": {"1"}})
	if req.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text(req.Body), "Choose a CSV file to upload.") {
		t.Errorf("no file: %d\n%s", req.StatusCode, text(req.Body))
	}
	if f.UserCount(t) != users || f.outbox(t) != outbox || countRows(t, f.Env, "bulk_jobs") != 0 {
		t.Error("a refused file changed something")
	}
	// The account still takes a good file afterwards.
	if res := f.PostFile(t, f.admin, importPage, "ok.csv", big(100)); res.StatusCode != http.StatusOK || !strings.Contains(text(res.Body), "1 will be invited") {
		t.Errorf("a good file after the refusals: %d\n%s", res.StatusCode, text(res.Body))
	}
}

// Una administers North Clinic. Lines of hers that give roles outside it
// are flagged with their reason; people outside her spaces read as
// already users; ticking those lines on a forged confirmation does
// nothing for them, and nobody outside her spaces is touched. (A role
// above her own cannot be written: administering a space is the top role
// there, and a space she does not administer is unknown to her file.)
func TestImportSpaceAdminOutsideTheirSpaces(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	southPending := w.invite(t, w.admin, w.email("south"), memberOf(w.southWA))
	mixedExpired := w.invite(t, w.admin, w.email("mixed"), memberOf(w.wa1), memberOf(w.southWA))
	w.e.Clock.Advance(8 * 24 * time.Hour)
	una := w.signIn(t, unaEmail)
	ok, south, top := w.email("ok"), w.email("x"), w.email("y")
	csv := "email,role,space\n" +
		ok + ",member,Waiting Area 1\n" + // 2
		south + ",member,South Waiting Area\n" + // 3
		top + ",Administrator,Acme Clinics\n" + // 4
		southPending.Email + ",member,Waiting Area 1\n" + // 5
		mixedExpired.Email + ",member,Waiting Area 1\n" + // 6
		apptest.AdminEmail + ",Administrator,North Clinic\n" // 7
	outside := []authzTarget{{email: southPending.Email, space: w.southWA}, {email: mixedExpired.Email, space: w.southWA}, {email: apptest.AdminEmail, space: w.acct}}
	mails, before := w.mails(t), w.snapshot(t)
	var snaps []string
	for _, tg := range outside {
		snaps = append(snaps, w.rowsOf(t, tg))
	}

	res := w.e.PostFile(t, una, importPage, "north.csv", []byte(csv))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d\n%s", res.StatusCode, res.Body)
	}
	checkPreview(t, res.Body, []previewRow{
		{3, "There is no space “South Waiting Area” that you can invite people to.", false, false},
		{4, "There is no space “Acme Clinics” that you can invite people to.", false, false},
		{2, "Will be invited", true, true},
		{5, "Already a user: nothing happens", false, false},
		{6, "Already a user: nothing happens", false, false},
		{7, "Already a user: nothing happens", false, false},
	})
	if strings.Contains(res.Body, "of South Waiting Area") || strings.Contains(res.Body, "of Acme Clinics") {
		t.Errorf("the preview shows roles outside Una's spaces")
	}
	data := previewData(t, res.Body)

	// Only the lines that cannot be done: no job, the preview again.
	res = w.e.Post(t, una, importConfirm, confirmForm(data, 3, 4, 5, 6, 7))
	if res.StatusCode != http.StatusOK || !strings.Contains(text(res.Body), "None of the selected people can be changed this way.") {
		t.Errorf("a confirmation of only the refused lines: %d\n%s", res.StatusCode, text(res.Body))
	}
	if after := w.snapshot(t); after != before {
		t.Fatalf("a confirmation of only the refused lines changed something:\n%s", clinicDiff(before, after))
	}

	// Every line ticked: only line 2 is done.
	res = w.e.Post(t, una, importConfirm, confirmForm(data, 2, 3, 4, 5, 6, 7))
	w.mustFlash(t, una, res, "1 invitation email sent from the file.")
	checkSent(t, sentSince(t, w.e, mails), ok)
	for _, email := range []string{south, top} {
		if w.exists(t, email) {
			t.Errorf("%s was invited", email)
		}
	}
	for i, tg := range outside {
		if after := w.rowsOf(t, tg); after != snaps[i] {
			t.Errorf("%s changed:\n%s", tg.email, clinicDiff(snaps[i], after))
		}
	}
	if g := w.e.Grants(t, w.e.UserID(t, ok)); len(g) != 0 {
		t.Errorf("the invitee already holds roles: %v", g)
	}
}

// The same confirmation posted twice (a double click) is one job: both
// answers say what it did, and each person gets one email.
func TestImportDoubleConfirm(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	admin := w.signIn(t, apptest.AdminEmail)
	a, b := w.email("a"), w.email("b")
	pre := w.e.PostFile(t, admin, importPage, "two.csv", []byte("email,role,space\n"+a+",member,Waiting Area 1\n"+b+",member,Room 1\n"+
		b+",member,Meeting Room 1\n"))
	checkPreview(t, pre.Body, []previewRow{
		{3, "There is no space “Room 1” that you can invite people to.", false, false},
		{2, a, true, true},
		{4, b, true, true},
	})
	form := confirmForm(previewData(t, pre.Body), 2, 4)
	mails := w.mails(t)

	first := w.e.Post(t, admin, importConfirm, form)
	second := w.e.Post(t, admin, importConfirm, form)
	if first.StatusCode != http.StatusSeeOther {
		t.Fatalf("first click: %d\n%s", first.StatusCode, first.Body)
	}
	w.mustFlash(t, admin, second, "2 invitation emails sent from the file.")
	checkSent(t, sentSince(t, w.e, mails), a, b)
	if n := countRows(t, w.e, "bulk_jobs"); n != 1 {
		t.Errorf("%d jobs after a double click, want 1", n)
	}
	var invs int
	if err := w.e.App.DB.R.QueryRow(`SELECT count(*) FROM invitations WHERE user_id IN (SELECT id FROM users WHERE email IN (?, ?))`, a, b).Scan(&invs); err != nil || invs != 2 {
		t.Errorf("%d invitations for the two, want 2 (%v)", invs, err)
	}
}

// The confirmation reads the file it is sent, not the one previewed: a
// data field edited to another file is checked again line by line, so
// that its roles outside the importer's spaces, and people outside them,
// are refused as they would be in a preview.
func TestImportConfirmChecksEditedData(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	southExpired := w.invite(t, w.admin, w.email("south"), memberOf(w.southWA))
	w.e.Clock.Advance(8 * 24 * time.Hour)
	southPending := w.invite(t, w.admin, w.email("south"), memberOf(w.southWA))
	w.e.Clock.Advance(2 * time.Minute) // past the resend cooldown
	una := w.signIn(t, unaEmail)
	ok, south, top, wide := w.email("ok"), w.email("x"), w.email("y"), w.email("w")
	pre := w.e.PostFile(t, una, importPage, "ok.csv", []byte("email,role,space\n"+ok+",member,Waiting Area 1\n"))
	if rows := previewRows(pre.Body); len(rows) != 1 {
		t.Fatalf("preview of the harmless file: %+v", rows)
	}
	forged := "email,role,space\n" +
		ok + ",member,Waiting Area 1\n" + // 2
		south + ",Administrator,South Waiting Area\n" + // 3
		top + ",Administrator,Acme Clinics\n" + // 4
		southPending.Email + ",member,Waiting Area 1\n" + // 5: a resend outside her spaces
		southExpired.Email + ",member,Waiting Area 1\n" // 6: a new invitation outside them
	wideForged := "email,Waiting Area 1,South Clinic\n" + wide + ",member,Administrator\n"
	outside := []authzTarget{{email: southPending.Email, space: w.southWA}, {email: southExpired.Email, space: w.southWA}}
	mails, before := w.mails(t), w.snapshot(t)
	var snaps []string
	for _, tg := range outside {
		snaps = append(snaps, w.rowsOf(t, tg))
	}

	// A whole file of what she may not do: refused, nothing kept.
	for _, c := range []struct {
		name, data string
		status     int
		want       string
	}{
		{"a space column outside her spaces", b64(wideForged), http.StatusUnprocessableEntity,
			"The column “South Clinic” is not a space you can invite people to."},
		{"only lines outside", b64("email,role,space\n" + top + ",Administrator,Acme Clinics\n" + southPending.Email + ",member,Waiting Area 1\n"),
			http.StatusOK, "None of the selected people can be changed this way."},
		{"not base64", "%%%", http.StatusUnprocessableEntity, "Choose a CSV file to upload."},
		{"not UTF-8", b64("email,role,space\nj\xf6rg@example.com,member,Waiting Area 1\n"), http.StatusUnprocessableEntity, "Line 2 is not UTF-8 text."},
	} {
		res := w.e.Post(t, una, importConfirm, confirmForm(c.data, 2, 3))
		if res.StatusCode != c.status || !strings.Contains(text(res.Body), c.want) {
			t.Errorf("%s: %d, want %d saying %q\n%s", c.name, res.StatusCode, c.status, c.want, text(res.Body))
		}
	}
	if after := w.snapshot(t); after != before {
		t.Fatalf("a refused forged confirmation changed something:\n%s", clinicDiff(before, after))
	}

	res := w.e.Post(t, una, importConfirm, confirmForm(b64(forged), 2, 3, 4, 5, 6))
	w.mustFlash(t, una, res, "1 invitation email sent from the file.")
	checkSent(t, sentSince(t, w.e, mails), ok)
	for _, email := range []string{south, top, wide} {
		if w.exists(t, email) {
			t.Errorf("%s was invited", email)
		}
	}
	for i, tg := range outside {
		if after := w.rowsOf(t, tg); after != snaps[i] {
			t.Errorf("%s changed:\n%s", tg.email, clinicDiff(snaps[i], after))
		}
	}
	var offered []string
	rows, err := w.e.App.DB.R.Query(`SELECT space_id || ':' || role FROM invitation_roles WHERE invitation_id IN
		(SELECT id FROM invitations WHERE user_id = ?) ORDER BY 1`, w.e.UserID(t, ok))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		offered = append(offered, s)
	}
	rows.Close()
	if want := []string{cid(w.wa1) + ":" + string(spaces.Member)}; !slices.Equal(offered, want) {
		t.Errorf("%s was offered %v, want %v", ok, offered, want)
	}
}

// A member who administers nothing is refused every import page, as every
// other administrators' page refuses them; signed out, the pages ask to
// sign in. Nothing is previewed or sent.
func TestImportMembersRefused(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	mo := w.signIn(t, moEmail)
	newbie := w.email("new")
	csv := "email,role,space\n" + newbie + ",member,Waiting Area 1\n"
	mails, before := w.mails(t), w.snapshot(t)
	for _, c := range []struct {
		name string
		do   func(c *http.Client) apptest.Response
	}{
		{"upload form", func(c *http.Client) apptest.Response { return w.e.Get(t, c, importPage) }},
		{"example file", func(c *http.Client) apptest.Response { return w.e.Get(t, c, importPage+"/example.csv") }},
		{"preview", func(c *http.Client) apptest.Response { return w.e.PostFile(t, c, importPage, "a.csv", []byte(csv)) }},
		{"confirm", func(c *http.Client) apptest.Response { return w.e.Post(t, c, importConfirm, confirmForm(b64(csv), 2)) }},
	} {
		res := c.do(mo)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(text(res.Body), "Only administrators can manage users.") {
			t.Errorf("Mo, %s: %d, want 403 saying why\n%.300s", c.name, res.StatusCode, text(res.Body))
		}
		if strings.Contains(res.Body, newbie) || strings.Contains(res.Body, "Waiting Area") {
			t.Errorf("Mo, %s: the answer shows the file or the spaces", c.name)
		}
		res = c.do(w.e.Client(t))
		switch {
		case res.Request.Method == http.MethodGet && (res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login")):
			t.Errorf("signed out, %s: %d %s, want a redirect to sign in", c.name, res.StatusCode, res.Header.Get("Location"))
		case res.Request.Method == http.MethodPost && res.StatusCode != http.StatusUnauthorized:
			t.Errorf("signed out, %s: %d, want 401", c.name, res.StatusCode)
		}
	}
	if after := w.snapshot(t); after != before {
		t.Fatalf("a refused import changed something:\n%s", clinicDiff(before, after))
	}
	if got := sentSince(t, w.e, mails); len(got) != 0 {
		t.Errorf("a refused import sent email: %v", got)
	}
	if n := countRows(t, w.e, "bulk_jobs"); n != 0 {
		t.Errorf("a refused import made %d jobs", n)
	}
}

// postFileMaybeChunked posts file as the administrator's import, with its
// length hidden when chunked.
func postFileMaybeChunked(t *testing.T, f *fixture, path string, file []byte, chunked bool) apptest.Response {
	t.Helper()
	if chunked {
		return f.PostFileChunked(t, f.admin, path, "people.csv", file)
	}
	return f.PostFile(t, f.admin, path, "people.csv", file)
}
