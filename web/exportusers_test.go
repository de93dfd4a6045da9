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

const bom = "\uFEFF"

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

// download gets the users export at path (from /settings/users.csv) and
// reads it as CSV, failing unless it is a well-formed download.
func download(t *testing.T, e *apptest.Env, c *http.Client, path string, header ...string) exportFile {
	t.Helper()
	res := e.Get(t, c, path, header...)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d\n%s", path, res.StatusCode, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.HasPrefix(res.Body, bom) {
		t.Fatalf("the file does not start with a byte order mark: %q", res.Body[:min(len(res.Body), 20)])
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, bom)))
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
	zoe := f.invite(t, "zoe@example.com", "admin")
	f.acceptAs(t, f.lastLink(t, "zoe@example.com"), "Zoë Ångström")
	f.invite(t, "hyper@example.com", "member")
	f.acceptAs(t, f.lastLink(t, "hyper@example.com"), `=HYPERLINK("http://x")`)
	gone := f.invite(t, "de@example.com", "member")
	f.acceptAs(t, f.lastLink(t, "de@example.com"), "Dee Parted")
	f.Deactivate(t, gone)
	_ = zoe

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

func TestUsersExportDump(t *testing.T) {
	t.Parallel()
	w := newExportWorld(t)
	x := download(t, w.Env, w.admin, "/settings/users.csv")
	t.Logf("%s", x.body)
}
