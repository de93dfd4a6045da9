package web_test

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
)

// Download CSV on Settings > Users (issue 17): the list's users, every
// page, as a spreadsheet reads them.

const utf8BOM = "\uFEFF"

var exportHeader = []string{"Name", "Email", "Status", "Roles", "Roles offered", "Invited by", "Invited at", "Invitation expires", "Joined", "Last sign-in", "Last invitation email"}

// exportFile is a downloaded users export: its rows after the headings,
// by email too.
type exportFile struct {
	header []string
	rows   [][]string
	body   string
}

func (x exportFile) emails() []string {
	var out []string
	for _, r := range x.rows {
		out = append(out, r[1])
	}
	return out
}

// row is the row of email (nil when the file has none).
func (x exportFile) row(email string) []string {
	for _, r := range x.rows {
		if r[1] == email {
			return r
		}
	}
	return nil
}

// cell is the cell of email's row under heading col (English headings).
func (x exportFile) cell(t *testing.T, email, col string) string {
	t.Helper()
	r := x.row(email)
	if r == nil {
		t.Fatalf("no row for %s in:\n%s", email, x.body)
	}
	i := slices.Index(exportHeader, col)
	if i < 0 {
		t.Fatalf("no column %q", col)
	}
	return r[i]
}

// downloadUsers gets the users export at path (from /settings/users.csv) and
// reads it as CSV, failing unless it is a well-formed download.
func downloadUsers(t *testing.T, e *apptest.Env, c *http.Client, path string, header ...string) exportFile {
	t.Helper()
	res := e.Get(t, c, path, header...)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d\n%s", path, res.StatusCode, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.HasPrefix(res.Body, utf8BOM) {
		t.Fatalf("the file does not start with a byte order mark: %q", res.Body[:min(len(res.Body), 20)])
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, utf8BOM)))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the file is not CSV: %v\n%s", err, res.Body)
	}
	if len(recs) == 0 {
		t.Fatalf("an empty file, not even headings")
	}
	return exportFile{header: recs[0], rows: recs[1:], body: res.Body}
}

// exportWorld is an account with a user of every kind the list tells apart.
type exportWorld struct {
	*fixture
	invitedAt, expiredAt, joinedAt time.Time
}

func newExportWorld(t *testing.T) exportWorld {
	t.Helper()
	f := newFixture(t, apptest.Options{SMTP: true})
	w := exportWorld{fixture: f}
	// An invitation left to expire, the first thing done.
	w.expiredAt = f.Clock.Now()
	f.invite(t, "ex@example.com", "member")
	f.mails(t, "ex@example.com")
	f.Clock.Advance(8 * 24 * time.Hour)
	f.signInAgain(t)

	w.joinedAt = f.Clock.Now()
	f.invite(t, "zoe@example.com", "admin")
	f.acceptAs(t, f.lastLink(t, "zoe@example.com"), "Zoë Ångström")
	f.invite(t, "hyper@example.com", "member")
	f.acceptAs(t, f.lastLink(t, "hyper@example.com"), `=HYPERLINK("http://x")`)
	gone := f.invite(t, "de@example.com", "member")
	f.acceptAs(t, f.lastLink(t, "de@example.com"), "Dee Parted")
	f.Deactivate(t, gone)

	f.Clock.Advance(time.Hour)
	w.invitedAt = f.Clock.Now()
	f.SMTP.RefuseRcpt("bo@example.com", 550, "5.1.1 bo@example.com: no such user")
	f.SMTP.RefuseRcpt("cy@example.com", 451, "4.7.1 Greylisted, try again later")
	for _, em := range []string{"bo@example.com", "cy@example.com", "di@example.com"} {
		f.invite(t, em, "member")
	}
	f.Deliver(t)
	f.invite(t, "wy@example.com", "member") // not sent yet
	return w
}

// The All tab, every column of every kind of row: what the list says, in
// the list's order, times exact.
func TestUsersExportAll(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	res := w.Get(t, w.admin, "/settings/users.csv")
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="usher-users-all-2026-12-01.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q: a file of people must not be kept by caches", cc)
	}
	x := downloadUsers(t, w.Env, w.admin, "/settings/users.csv")
	if !slices.Equal(x.header, exportHeader) {
		t.Errorf("headings %q, want %q", x.header, exportHeader)
	}
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	joined, invited, expired := ts(w.joinedAt), ts(w.invitedAt), ts(w.expiredAt)
	want := [][]string{
		// Formulas stay text: an apostrophe before the =.
		{`'=HYPERLINK("http://x")`, "hyper@example.com", "Active", "Member", "", "Ana Admin", joined, "", joined, joined, ""},
		// Created by the setup page: invited by nobody.
		{"Ana Admin", "ana@example.com", "Active", "Administrator", "", "", "", "", ts(apptest.Start), joined, ""},
		{"", "bo@example.com", "Invited", "", "Member", "Ana Admin", invited, ts(w.invitedAt.Add(7 * 24 * time.Hour)), "", "", "Not delivered: 550 5.1.1 bo@example.com: no such user"},
		{"", "cy@example.com", "Invited", "", "Member", "Ana Admin", invited, ts(w.invitedAt.Add(7 * 24 * time.Hour)), "", "", "Not delivered yet, retrying: 451 4.7.1 Greylisted, try again later"},
		// Deactivated: the roles they held, nothing of an invitation.
		{"Dee Parted", "de@example.com", "Deactivated", "Member", "", "Ana Admin", joined, "", joined, joined, ""},
		{"", "di@example.com", "Invited", "", "Member", "Ana Admin", invited, ts(w.invitedAt.Add(7 * 24 * time.Hour)), "", "", "Delivered"},
		{"", "ex@example.com", "Invitation expired", "", "Member", "Ana Admin", expired, ts(w.expiredAt.Add(7 * 24 * time.Hour)), "", "", "Delivered"},
		{"", "wy@example.com", "Invited", "", "Member", "Ana Admin", invited, ts(w.invitedAt.Add(7 * 24 * time.Hour)), "", "", "Waiting to be sent"},
		{"Zoë Ångström", "zoe@example.com", "Active", "Administrator", "", "Ana Admin", joined, "", joined, joined, ""},
	}
	if !slices.EqualFunc(x.rows, want, slices.Equal[[]string]) {
		t.Errorf("rows:\n%q\nwant:\n%q", x.rows, want)
	}
	// The bytes themselves: UTF-8 accents, and the formula quoted whole
	// with its apostrophe inside the quotes.
	for _, raw := range []string{"\r\nZoë Ångström,zoe@example.com,", "\r\n\"'=HYPERLINK(\"\"http://x\"\")\",hyper@example.com,"} {
		if !strings.Contains(x.body, raw) {
			t.Errorf("the file lacks %q:\n%s", raw, x.body)
		}
	}
}

// Each tab, a search and an order: the users the list shows there, all of
// them, in its order; the file is named after the tab.
func TestUsersExportTabsAndSearch(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	// Zoë signs in again later than anyone.
	w.Clock.Advance(time.Minute)
	w.SignIn(t, "zoe@example.com", "a long enough passphrase")
	for _, c := range []struct {
		query, file string
		want        []string
	}{
		{"?status=active", "active", []string{"hyper@example.com", "ana@example.com", "zoe@example.com"}},
		{"?status=invited", "invited", []string{"bo@example.com", "cy@example.com", "di@example.com", "wy@example.com"}},
		{"?status=expired", "expired", []string{"ex@example.com"}},
		{"?status=deactivated", "deactivated", []string{"de@example.com"}},
		{"?status=undelivered", "undelivered", []string{"bo@example.com", "cy@example.com"}},
		{"?q=zo", "all", []string{"zoe@example.com"}},
		{"?q=%C3%85ngstr%C3%B6m", "all", []string{"zoe@example.com"}}, // Ångström
		{"?q=example&status=invited&sort=email&dir=desc", "invited", []string{"wy@example.com", "di@example.com", "cy@example.com", "bo@example.com"}},
		{"?sort=signin&dir=desc&status=active", "active", []string{"zoe@example.com", "hyper@example.com", "ana@example.com"}},
		// A page number is the list's, not the file's: every page.
		{"?status=invited&page=3", "invited", []string{"bo@example.com", "cy@example.com", "di@example.com", "wy@example.com"}},
		{"?q=nobody-here", "all", nil},
	} {
		t.Run(c.query, func(t *testing.T) {
			res := w.Get(t, w.admin, "/settings/users.csv"+c.query)
			if cd, want := res.Header.Get("Content-Disposition"), `attachment; filename="usher-users-`+c.file+`-2026-12-01.csv"`; cd != want {
				t.Errorf("Content-Disposition %q, want %q", cd, want)
			}
			x := downloadUsers(t, w.Env, w.admin, "/settings/users.csv"+c.query)
			if !slices.Equal(x.header, exportHeader) {
				t.Errorf("headings %q", x.header)
			}
			if got := x.emails(); !slices.Equal(got, c.want) {
				t.Errorf("users %q, want %q", got, c.want)
			}
		})
	}
}

// The file speaks the viewer's language: headings, statuses, delivery.
func TestUsersExportInGerman(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	x := downloadUsers(t, w.Env, w.admin, "/settings/users.csv", "Accept-Language", "de")
	want := []string{"Name", "E-Mail", "Status", "Rollen", "Angebotene Rollen", "Eingeladen von", "Eingeladen am", "Einladung läuft ab", "Beigetreten", "Letzte Anmeldung", "Letzte Einladungs-E-Mail"}
	if !slices.Equal(x.header, want) {
		t.Errorf("headings %q, want %q", x.header, want)
	}
	for email, cells := range map[string][]string{
		"zoe@example.com": {"Aktiv", "Administrator"},
		"ex@example.com":  {"Einladung abgelaufen", "Zugestellt"},
		"bo@example.com":  {"Eingeladen", "Nicht zugestellt: 550 5.1.1 bo@example.com: no such user"},
		"wy@example.com":  {"Eingeladen", "Wartet auf den Versand"},
		"de@example.com":  {"Deaktiviert"},
	} {
		r := x.row(email)
		for _, c := range cells {
			if !slices.Contains(r, c) {
				t.Errorf("row of %s %q lacks %q", email, r, c)
			}
		}
	}
}

// Settings > Users links to the file of what it shows: the tab, search and
// order, not the page.
func TestUsersListLinksToExport(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	page := w.Get(t, w.admin, "/settings/users?q=example&status=invited&sort=email&dir=desc&page=1").Body
	want := `href="/settings/users.csv?dir=desc&amp;q=example&amp;sort=email&amp;status=invited">Download CSV</a>`
	if !strings.Contains(page, want) {
		t.Errorf("the list lacks %s", want)
	}
	// A search answered by htmx brings the link along.
	frag := w.Get(t, w.admin, "/settings/users?q=zo", "HX-Request", "true", "HX-Target", "users-results").Body
	if !strings.Contains(frag, `href="/settings/users.csv?q=zo">Download CSV</a>`) {
		t.Errorf("the search's results lack the link to their file:\n%s", frag)
	}
}

// A space administrator's file holds the people of their spaces only, and
// names no space outside them; a member and a stranger get no file.
func TestUsersExportScope(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	// In North (Una's) and South (Una's sibling): counted, not named.
	w.join(t, w.admin, "both@example.com", "Bea Both", memberOf(w.wa1), memberOf(w.southWA))
	w.invite(t, w.admin, "south@example.com", memberOf(w.south))
	w.invite(t, w.admin, "wa2@example.com", memberOf(w.wa2))
	w.mails(t)

	una := downloadUsers(t, w.e, w.signIn(t, unaEmail), "/settings/users.csv")
	if got, want := una.emails(), []string{"both@example.com", moEmail, unaEmail, "wa2@example.com", waltEmail}; !slices.Equal(got, want) {
		t.Errorf("Una's file holds %q, want %q", got, want)
	}
	if r := una.row("both@example.com"); r == nil || r[3] != "Member of Waiting Area 1 and 1 role elsewhere" {
		t.Errorf("Bea's row in Una's file: %q", r)
	}
	for _, outside := range []string{"South", "Acme", "south@example.com", apptest.AdminEmail} {
		if strings.Contains(una.body, outside) {
			t.Errorf("Una's file names %q:\n%s", outside, una.body)
		}
	}
	// Una administers nothing outside North, whatever the address asks.
	if got := downloadUsers(t, w.e, w.signIn(t, unaEmail), "/settings/users.csv?q=south").emails(); len(got) != 0 {
		t.Errorf("Una's search for south finds %q", got)
	}

	walt := downloadUsers(t, w.e, w.signIn(t, waltEmail), "/settings/users.csv")
	if got, want := walt.emails(), []string{"wa2@example.com", waltEmail}; !slices.Equal(got, want) {
		t.Errorf("Walt's file holds %q, want %q", got, want)
	}
	for _, outside := range []string{"North", "Waiting Area 1", "South", "Mo Member", "Una Unit"} {
		if strings.Contains(walt.body, outside) {
			t.Errorf("Walt's file names %q:\n%s", outside, walt.body)
		}
	}

	if res := w.e.Get(t, w.signIn(t, moEmail), "/settings/users.csv"); res.StatusCode != http.StatusForbidden || strings.Contains(res.Body, unaEmail) {
		t.Errorf("a member's download: status %d\n%s", res.StatusCode, res.Body)
	}
	res := w.e.Get(t, w.e.Client(t), "/settings/users.csv")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("signed out: status %d to %q, want the sign-in page", res.StatusCode, res.Header.Get("Location"))
	}
}
