package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

var (
	sentenceRE    = regexp.MustCompile(`<div class="activity-sentence">(.*?)</div>`)
	activityOlder = regexp.MustCompile(`<a href="([^"]*)" rel="next">`)
	activityNewer = regexp.MustCompile(`<a href="([^"]*)" rel="prev">`)
)

// activityPage is Settings > Activity at query as c sees it: its sentences
// in order, and the addresses of the older and newer pages.
type activityPage struct {
	res          apptest.Response
	sentences    []string
	older, newer string
}

func getActivity(t *testing.T, e *apptest.Env, c *http.Client, query string) activityPage {
	t.Helper()
	path := "/settings/activity"
	if query != "" {
		path += "?" + query
	}
	return readActivity(t, e.Get(t, c, path))
}

func readActivity(t *testing.T, res apptest.Response) activityPage {
	t.Helper()
	p := activityPage{res: res}
	for _, m := range sentenceRE.FindAllStringSubmatch(res.Body, -1) {
		p.sentences = append(p.sentences, html.UnescapeString(m[1]))
	}
	if m := activityOlder.FindStringSubmatch(res.Body); m != nil {
		p.older = html.UnescapeString(m[1])
	}
	if m := activityNewer.FindStringSubmatch(res.Body); m != nil {
		p.newer = html.UnescapeString(m[1])
	}
	return p
}

// activityCount is how many rows the log holds.
func activityCount(t *testing.T, e *apptest.Env) int {
	t.Helper()
	var n int
	if err := e.App.DB.R.QueryRow(`SELECT count(*) FROM activity`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// activityScene is the clinic after a week of work, all of it real
// actions: on Monday Ana invites 30 people to Meeting Room 1 and two Zeds
// to South Waiting Area; on Wednesday she cancels the 30 over HTTP and
// renames South Clinic to South EMEA.
type activityScene struct {
	*clinic
	ana    *http.Client
	batch  []users.User
	monday time.Time
}

func newActivityScene(t *testing.T) *activityScene {
	t.Helper()
	w := newClinic(t)
	s := &activityScene{clinic: w, monday: w.e.Clock.Now()}
	ctx := context.Background()
	for range 30 {
		s.batch = append(s.batch, w.invite(t, w.admin, w.email("batch"), memberOf(w.room)))
	}
	for _, name := range []string{"Zed One", "Zed Two"} {
		_, err := w.e.App.Invitations.Invite(ctx, w.actor(t, w.admin), invitations.InviteInput{
			Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com", Name: name, Offered: []spaces.Grant{memberOf(w.southWA)},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	w.e.Clock.Advance(48 * time.Hour)
	s.ana = w.signIn(t, apptest.AdminEmail)
	for _, u := range s.batch {
		w.mustFlash(t, s.ana, w.e.Post(t, s.ana, clinicUserPath(u, "/cancel"), nil), "Invitation for "+u.Email+" cancelled.")
	}
	res := w.e.Post(t, s.ana, "/settings/spaces/"+cid(w.south)+"/rename", url.Values{"name": {"South EMEA"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("rename: status %d\n%s", res.StatusCode, res.Body)
	}
	return s
}

// Newest first, 50 a page: Older walks down to the first entry, Newer
// walks back up to the very same first page, and every entry is on one
// page once.
func TestActivityPages(t *testing.T) {
	t.Parallel()
	s := newActivityScene(t)
	total := activityCount(t, s.e)
	if total <= 60 {
		t.Fatalf("the scene wrote %d rows; want more than 60", total)
	}
	first := getActivity(t, s.e, s.ana, "")
	mustStatusCode(t, "the log", first.res, http.StatusOK)
	if len(first.sentences) != 50 || first.older == "" || first.newer != "" {
		t.Fatalf("first page: %d rows, older %q, newer %q", len(first.sentences), first.older, first.newer)
	}
	if got, want := first.sentences[0], "Ana Admin renamed the space South Clinic to South EMEA"; got != want {
		t.Errorf("newest entry %q, want %q", got, want)
	}
	seen := slices.Clone(first.sentences)
	p := first
	for p.older != "" {
		p = readActivity(t, s.e.Get(t, s.ana, p.older))
		mustStatusCode(t, p.res.Request.URL.String(), p.res, http.StatusOK)
		if p.newer == "" {
			t.Fatalf("page %s has no Newer link", p.res.Request.URL)
		}
		seen = append(seen, p.sentences...)
	}
	if len(seen) != total {
		t.Errorf("the pages hold %d entries, the log %d", len(seen), total)
	}
	if last := seen[len(seen)-1]; last != "Ana Admin set up the account Acme Clinics" {
		t.Errorf("oldest entry %q", last)
	}
	// Back up from the last page, to the first.
	for p.newer != "" {
		p = readActivity(t, s.e.Get(t, s.ana, p.newer))
	}
	if !slices.Equal(p.sentences, first.sentences) || p.older != first.older {
		t.Errorf("Newer led back to a different first page:\n%q\nwant\n%q", p.sentences, first.sentences)
	}
}

// Each filter narrows the log to what it says, and the page says whom a
// person filter matched.
func TestActivityFilters(t *testing.T) {
	t.Parallel()
	s := newActivityScene(t)
	tests := []struct {
		name, query string
		count       int
		each        string // every sentence holds it
		note        string
	}{
		{"a person by email", "person=zed.one%40example.com", 1, "zed.one@example.com", "Showing the activity of Zed One (zed.one@example.com)."},
		// Invited, accepted, signed in (the email given up untried once
		// she had accepted is in the history only).
		{"a person by name", "person=Mo+Member", 3, "mo", "Showing the activity of Mo Member (mo@example.com)."},
		{"two people", "person=Zed", 2, "zed.", "“Zed” matches 2 people; showing the activity of all of them: Zed One (zed.one@example.com) and Zed Two (zed.two@example.com)."},
		{"a kind", "kind=invitation.cancelled", 30, "Ana Admin cancelled the invitation for batch-", ""},
		{"a kind and a person", "kind=invitation.sent&person=Zed+Two", 1, "Ana Admin invited zed.two@example.com as Member of South Waiting Area", ""},
		{"another kind and a person", "kind=invitation.cancelled&person=Zed+Two", 0, "", ""},
		{"a space", "space=" + cid(s.southWA), 3, "South Waiting Area", ""},
		// Ana signing in, her 30 cancellations, the rename.
		{"from a day", "from=" + s.monday.AddDate(0, 0, 2).Format("2006-01-02"), 32, "Ana Admin", ""},
		{"up to a day", "to=" + s.monday.Format("2006-01-02") + "&kind=invitation.cancelled", 0, "", ""},
		{"one day", "from=" + s.monday.Format("2006-01-02") + "&to=" + s.monday.Format("2006-01-02") + "&kind=invitation.sent", 35, "invited", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := getActivity(t, s.e, s.ana, tc.query)
			mustStatusCode(t, tc.query, p.res, http.StatusOK)
			var all []string
			for q := p; ; q = readActivity(t, s.e.Get(t, s.ana, q.older)) {
				all = append(all, q.sentences...)
				if q.older == "" {
					break
				}
			}
			if len(all) != tc.count {
				t.Errorf("%d entries, want %d:\n%s", len(all), tc.count, strings.Join(all, "\n"))
			}
			for _, st := range all {
				if !strings.Contains(strings.ToLower(st), strings.ToLower(tc.each)) {
					t.Errorf("entry %q does not hold %q", st, tc.each)
				}
			}
			if tc.note != "" && !strings.Contains(text(p.res.Body), tc.note) {
				t.Errorf("the page does not say %q:\n%s", tc.note, text(p.res.Body))
			}
			// The form shows the filters back, and the CSV link carries them.
			if !strings.Contains(p.res.Body, `href="/settings/activity.csv?`) {
				t.Errorf("the Download CSV link does not carry the filters")
			}
		})
	}

	none := getActivity(t, s.e, s.ana, "person=nobody-at-all")
	if len(none.sentences) != 0 || !strings.Contains(text(none.res.Body), "No one matches “nobody-at-all”.") {
		t.Errorf("a person nobody is: %d rows\n%s", len(none.sentences), text(none.res.Body))
	}
}

// Filters that make no sense are said in the error banner above the form,
// never a 500.
func TestActivityBadFilters(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	ana := w.signIn(t, apptest.AdminEmail)
	for query, want := range map[string]string{
		"kind=user.exploded":            "There is no such kind of event. Choose one from the list.",
		"after=yesterday":               "This page of the activity log cannot be found. Go back to the newest entries.",
		"before=12.-4":                  "This page of the activity log cannot be found. Go back to the newest entries.",
		"from=2026-13-45":               "Enter dates as year-month-day, for example 2026-12-02.",
		"from=2026-12-03&to=2026-12-01": "The start date must be before the end date.",
		"space=ten":                     "There is no such space. Choose one from the list.",
		"space=99999":                   "There is no such space. Choose one from the list.",
	} {
		paths := []string{"/settings/activity?", "/settings/activity.csv?"}
		if strings.Contains(query, "after=") || strings.Contains(query, "before=") {
			paths = paths[:1] // the export is the whole of the filters, without pages
		}
		for _, path := range paths {
			res := w.e.Get(t, ana, path+query)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s%s: status %d, want 422", path, query, res.StatusCode)
			}
			if kind, msg := bannerOf(res.Body); path == "/settings/activity?" && (kind != "error" || msg != want) {
				t.Errorf("%s%s: banner %s %q, want error %q", path, query, kind, msg, want)
			}
			if !strings.Contains(html.UnescapeString(res.Body), want) {
				t.Errorf("%s%s does not say %q", path, query, want)
			}
		}
	}
}

// A name is text on the page, whatever it holds.
func TestActivityEscapesNames(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	ana := w.signIn(t, apptest.AdminEmail)
	u := w.invite(t, w.admin, "mallory@example.com", memberOf(w.north))
	w.mustFlash(t, ana, w.e.Post(t, ana, clinicUserPath(u, "/edit"), url.Values{"name": {`<script>alert(1)</script>`}}), "Changes to mallory@example.com saved.")
	res := w.e.Get(t, ana, "/settings/activity?person=mallory%40example.com")
	mustStatusCode(t, "the log", res, http.StatusOK)
	if strings.Contains(res.Body, "<script>alert") {
		t.Fatalf("the name is markup on the page:\n%s", res.Body)
	}
	if !strings.Contains(res.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the name is not shown as text:\n%s", res.Body)
	}
}

// readCSV is an export's rows, after its byte order mark.
func readCSV(t *testing.T, res apptest.Response) [][]string {
	t.Helper()
	body, ok := strings.CutPrefix(res.Body, "\uFEFF")
	if !ok {
		t.Fatalf("the file does not start with a byte order mark: %q", res.Body[:min(20, len(res.Body))])
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV: %v\n%s", err, body)
	}
	return rows
}

// The CSV is the page's filters as a file a spreadsheet reads safely:
// UTF-8 with a BOM, a header, accents kept, formulas escaped, the sentence
// in the reader's language, the details as JSON.
func TestActivityCSV(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	ana := w.signIn(t, apptest.AdminEmail)
	u := w.invite(t, w.admin, "zoe@example.com", memberOf(w.north))
	w.mustFlash(t, ana, w.e.Post(t, ana, clinicUserPath(u, "/edit"), url.Values{"name": {"Zoë Ångström"}}), "Changes to zoe@example.com saved.")
	w.mustFlash(t, ana, w.e.Post(t, ana, clinicUserPath(u, "/edit"), url.Values{"name": {`=HYPERLINK("http://x")`}}), "Changes to zoe@example.com saved.")

	res := w.e.Get(t, ana, "/settings/activity.csv?person=zoe%40example.com")
	mustStatusCode(t, "the export", res, http.StatusOK)
	if got, want := res.Header.Get("Content-Disposition"), `attachment; filename="usher-activity-2026-11-23.csv"`; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	rows := readCSV(t, res)
	wantHeader := []string{"Time (UTC)", "Kind", "Actor name", "Actor email", "Subject name", "Subject email", "Spaces", "IP address", "What happened", "Details (JSON)"}
	if !slices.Equal(rows[0], wantHeader) {
		t.Errorf("header %q, want %q", rows[0], wantHeader)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want the header and 3:\n%q", len(rows), rows)
	}
	newest, accents, invited := rows[1], rows[2], rows[3]
	if newest[1] != "user.edited" || newest[4] != `'=HYPERLINK("http://x")` {
		t.Errorf("the formula is not escaped: %q", newest)
	}
	if want := `Ana Admin changed =HYPERLINK("http://x")'s name from “Zoë Ångström” to “=HYPERLINK("http://x")”`; newest[8] != want {
		t.Errorf("sentence %q, want %q", newest[8], want)
	}
	if !strings.Contains(accents[8], "Zoë Ångström") || !strings.Contains(accents[9], `"to":"Zoë Ångström"`) {
		t.Errorf("accents lost: %q", accents)
	}
	if invited[0] != "2026-11-23T09:00:00Z" || invited[1] != "invitation.sent" || invited[2] != "Ana Admin" || invited[3] != apptest.AdminEmail ||
		invited[5] != "zoe@example.com" || invited[6] != "North Clinic" || invited[8] != "Ana Admin invited zoe@example.com as Member of North Clinic" {
		t.Errorf("the invitation's row: %q", invited)
	}
	if newest[7] == "" {
		t.Errorf("the edit over HTTP has no IP: %q", newest)
	}

	// In German, the sentences and the header are German.
	de := w.e.Get(t, ana, "/settings/activity.csv?kind=invitation.sent&person=zoe%40example.com", "Accept-Language", "de")
	rows = readCSV(t, de)
	if rows[0][0] != "Zeit (UTC)" || len(rows) != 2 || rows[1][8] != "Ana Admin hat zoe@example.com als Mitglied von North Clinic eingeladen" {
		t.Errorf("in German: %q", rows)
	}

	// Nobody matches: the header alone.
	if rows := readCSV(t, w.e.Get(t, ana, "/settings/activity.csv?person=nobody-at-all")); len(rows) != 1 {
		t.Errorf("a person nobody is: %q", rows)
	}
}

// A unit administrator reads only what happened in their spaces, on the
// page and in the export; they may not pick a space outside theirs; a
// member and a stranger do not read the log at all.
func TestActivityScope(t *testing.T) {
	t.Parallel()
	s := newActivityScene(t)
	una := s.signIn(t, unaEmail)
	p := getActivity(t, s.e, una, "")
	mustStatusCode(t, "Una's log", p.res, http.StatusOK)
	var all []string
	for q := p; ; q = readActivity(t, s.e.Get(t, una, q.older)) {
		all = append(all, q.sentences...)
		if q.older == "" {
			break
		}
	}
	if len(all) < 30 {
		t.Errorf("Una reads %d entries, want her unit's (the 30 cancellations and more)", len(all))
	}
	for _, forbidden := range []string{"South", "Zed", "zed."} {
		if strings.Contains(p.res.Body, forbidden) {
			t.Errorf("Una's page names %q:\n%s", forbidden, text(p.res.Body))
		}
		for _, st := range all {
			if strings.Contains(st, forbidden) {
				t.Errorf("Una reads %q", st)
			}
		}
	}
	if !strings.Contains(p.res.Body, `<option value="`+cid(s.north)+`"`) || strings.Contains(p.res.Body, `<option value="`+cid(s.south)+`"`) {
		t.Errorf("Una's space filter does not offer exactly her spaces")
	}

	export := s.e.Get(t, una, "/settings/activity.csv")
	mustStatusCode(t, "Una's export", export, http.StatusOK)
	rows := readCSV(t, export)
	if len(rows)-1 != len(all) {
		t.Errorf("Una's export holds %d entries, her page %d", len(rows)-1, len(all))
	}
	for _, forbidden := range []string{"South", "Zed", "zed.", "Acme"} {
		if strings.Contains(export.Body, forbidden) {
			t.Errorf("Una's export names %q", forbidden)
		}
	}

	for _, path := range []string{"/settings/activity?space=" + cid(s.south), "/settings/activity.csv?space=" + cid(s.south), "/settings/activity?space=99999"} {
		res := s.e.Get(t, una, path)
		if res.StatusCode != http.StatusForbidden || strings.Contains(res.Body, "South") {
			t.Errorf("Una at %s: status %d, want 403 naming nothing", path, res.StatusCode)
		}
	}

	mo := s.signIn(t, moEmail)
	for _, path := range []string{"/settings/activity", "/settings/activity.csv"} {
		if res := s.e.Get(t, mo, path); res.StatusCode != http.StatusForbidden {
			t.Errorf("a member at %s: status %d, want 403", path, res.StatusCode)
		}
		res := s.e.Get(t, s.e.Client(t), path)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("signed out at %s: status %d to %q, want the sign-in page", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

// A user's page and Manage invitation link to the log filtered to them;
// the nav links to the log for administrators only.
func TestActivityLinks(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	ana := w.signIn(t, apptest.AdminEmail)
	u := w.invite(t, w.admin, "wes@example.com", memberOf(w.room))
	link := `<a href="/settings/activity?person=wes%40example.com">See all activity for wes@example.com</a>`
	for _, path := range []string{clinicUserPath(u, ""), clinicUserPath(u, "/invitation")} {
		res := w.e.Get(t, ana, path)
		mustStatusCode(t, path, res, http.StatusOK)
		if !strings.Contains(res.Body, link) {
			t.Errorf("%s has no link to wes's activity", path)
		}
	}
	p := getActivity(t, w.e, ana, "person=wes%40example.com")
	if !slices.Equal(p.sentences, []string{"Ana Admin invited wes@example.com as Member of Meeting Room 1"}) {
		t.Errorf("wes's activity: %q", p.sentences)
	}
	if !bytes.Contains([]byte(p.res.Body), []byte(`<a href="/settings/activity" aria-current="page">Activity</a>`)) {
		t.Errorf("the nav does not mark Activity as the current page")
	}
	mo := w.signIn(t, moEmail)
	if res := w.e.Get(t, mo, "/profile"); strings.Contains(res.Body, `href="/settings/activity"`) {
		t.Errorf("a member's nav links to the activity log")
	}
}
