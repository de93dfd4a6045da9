package main

import (
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/usherhq/usher/internal/users"
)

// Two `usher serve` processes on one data folder, as an operator may run
// them for a while (a deploy, a second port): what either keeps in memory
// (the session check, the users pages) follows every commit, whichever
// process or connection made it, at the very next request.
func TestTwoServersOneFolder(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("two server processes; run without -short")
	}
	dir := t.TempDir()
	const anaPass, boPass = "ana's long passphrase", "bo's long passphrase"
	for _, a := range []struct{ email, name, pass string }{{"ana@example.com", "Ana Admin", anaPass}, {"bo@example.com", "Bo Admin", boPass}} {
		env := map[string]string{"USHER_DATA_DIR": dir, "USHER_ADMIN_PASSWORD": a.pass}
		if _, _, err := runWith(t, env, "", "admin", "create", "--email", a.email, "--name", a.name, "--account", "Acme"); err != nil {
			t.Fatal(err)
		}
	}
	start := func() *server {
		addr := freeAddr(t)
		return startServer(t, map[string]string{"USHER_DATA_DIR": dir, "USHER_ADDR": addr, "USHER_BASE_URL": "http://" + addr})
	}
	a, b := start(), start()
	ana := signInAs(t, a.url, "ana@example.com", anaPass)
	bo := signInAs(t, b.url, "bo@example.com", boPass)
	anaOnB := signInAs(t, b.url, "ana@example.com", anaPass)

	// Each keeps what it read: Bo's list on B, twice, and Ana's.
	for range 2 {
		if code, _ := fetch(t, bo, b.url, "/settings/users"); code != http.StatusOK {
			t.Fatalf("Bo's list on B: %d", code)
		}
		if code, _ := fetch(t, anaOnB, b.url, "/settings/users"); code != http.StatusOK {
			t.Fatalf("Ana's list on B: %d", code)
		}
	}

	// An operator's connection to the same file.
	sqlDB, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "usher.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	var boID int64
	if err := sqlDB.QueryRow(`SELECT id FROM users WHERE email = 'bo@example.com'`).Scan(&boID); err != nil {
		t.Fatal(err)
	}

	// Ana deactivates Bo through A: B refuses Bo at his very next request.
	post(t, ana, a.url, fmt.Sprintf("/settings/users/%d/deactivate", boID), url.Values{"return": {"/settings/users"}})
	if code, where := fetch(t, bo, b.url, "/settings/users"); code != http.StatusSeeOther || !strings.HasPrefix(where, "/login") {
		t.Errorf("Bo on B right after his deactivation through A: status %d (%.80s), want a redirect to sign in", code, where)
	}

	// The list Ana was given on B says so at once, and so does an
	// invitation made through A, and an operator's SQL.
	if _, body := fetch(t, anaOnB, b.url, "/settings/users?status=deactivated"); !strings.Contains(body, "bo@example.com") {
		t.Errorf("Ana's Deactivated tab on B does not list Bo right after A deactivated him")
	}
	post(t, ana, a.url, "/settings/users/invite", url.Values{"email": {"cy@example.com"}, "role": {"member"}})
	if _, body := fetch(t, anaOnB, b.url, "/settings/users"); !strings.Contains(body, "cy@example.com") {
		t.Errorf("Ana's list on B does not show the invitation made through A")
	}
	if _, err := sqlDB.Exec(`UPDATE users SET name = 'Cy by SQL' WHERE email = 'cy@example.com'`); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		name string
		c    *http.Client
		url  string
	}{{"A", ana, a.url}, {"B", anaOnB, b.url}} {
		if _, body := fetch(t, s.c, s.url, "/settings/users"); !strings.Contains(body, "Cy by SQL") {
			t.Errorf("the list on %s does not show the operator's SQL committed just before", s.name)
		}
	}

	// So does a deep page, whose place in the order each process keeps in
	// memory too (db/listindex.go). An operator's SQL adds enough people
	// for four pages: by email, ana@, bo@ and cy@ come first, then p001@
	// to p160@, so page 3 is p098@ to p147@.
	for _, q := range []string{
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 160)
		 INSERT INTO users (email, name, created_at, activated_at)
		 SELECT printf('p%03d@example.com', i), printf('Person %03d', i), unixepoch(), unixepoch() FROM n`,
		`INSERT INTO role_grants (user_id, space_id, role, granted_at)
		 SELECT u.id, s.id, 'member', unixepoch() FROM users u, spaces s WHERE s.kind = 'account' AND u.email LIKE 'p%@example.com'`,
	} {
		if _, err := sqlDB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	idOf := func(email string) int64 {
		t.Helper()
		var id int64
		if err := sqlDB.QueryRow(`SELECT id FROM users WHERE email = ?`, email).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	p120, p130 := idOf("p120@example.com"), idOf("p130@example.com")
	const deep = "/settings/users?sort=email&page=3"
	// Ana reads on A in a session of her own, and writes on B in another:
	// the banner a write leaves in its session makes that session's next
	// page afresh, which would hide what was kept.
	anaOnA := signInAs(t, a.url, "ana@example.com", anaPass)
	anaWritesOnB := signInAs(t, b.url, "ana@example.com", anaPass)
	type side struct {
		name string
		c    *http.Client
		url  string
	}
	onA, onB := side{"A", anaOnA, a.url}, side{"B", anaOnB, b.url}
	// deepPage fetches page 3 on s and holds it to the file: it lists p098@
	// to p147@, user id is shown named name with status, and each tab
	// counts what SQL counts.
	deepPage := func(when string, s side, id int64, name string, status users.Status) {
		t.Helper()
		code, body := fetch(t, s.c, s.url, deep)
		if code != http.StatusOK {
			t.Fatalf("%s: page 3 on %s: status %d (%.80s)", when, s.name, code, body)
		}
		if !strings.Contains(body, ">Person 098<") || !strings.Contains(body, ">Person 147<") ||
			strings.Contains(body, ">Person 097<") || strings.Contains(body, ">Person 148<") {
			t.Errorf("%s: page 3 on %s does not list Person 098 to Person 147", when, s.name)
		}
		row := rowOf(body, id)
		if !strings.Contains(row, ">"+name+"<") || !strings.Contains(row, `"badge badge-`+string(status)+`"`) {
			t.Errorf("%s: page 3 on %s shows user %d as\n%s\nwant %q, %s", when, s.name, id, row, name, status)
		}
		if got, want := tabCounts(body), countsIn(t, sqlDB); !maps.Equal(got, want) {
			t.Errorf("%s: the tabs on %s count %v; the database %v", when, s.name, got, want)
		}
	}

	// Each page is fetched twice before a write: the second is given from
	// what the server kept (within the minute; web/pagecache_test.go counts
	// them, which cannot be seen from here). B keeps page 3; Ana
	// deactivates p120 through A: B's next page 3 says so.
	deepPage("before any write", onB, p120, "Person 120", users.Active)
	deepPage("kept", onB, p120, "Person 120", users.Active)
	post(t, ana, a.url, fmt.Sprintf("/settings/users/%d/deactivate", p120), url.Values{"return": {deep}})
	deepPage("right after A deactivated Person 120", onB, p120, "Person 120", users.Deactivated)

	// A keeps page 3; Ana activates p120 again through B: A's next page 3
	// says so.
	deepPage("before B writes", onA, p120, "Person 120", users.Deactivated)
	deepPage("kept", onA, p120, "Person 120", users.Deactivated)
	post(t, anaWritesOnB, b.url, fmt.Sprintf("/settings/users/%d/activate", p120), url.Values{"return": {deep}})
	deepPage("right after B activated Person 120", onA, p120, "Person 120", users.Active)

	// Both keep page 3; an operator renames p130 in SQL: both show it.
	for _, s := range []side{onA, onB} {
		deepPage("before the SQL", s, p130, "Person 130", users.Active)
		deepPage("kept", s, p130, "Person 130", users.Active)
	}
	if _, err := sqlDB.Exec(`UPDATE users SET name = 'Renamed by SQL' WHERE id = ?`, p130); err != nil {
		t.Fatal(err)
	}
	for _, s := range []side{onA, onB} {
		deepPage("right after the operator's SQL", s, p130, "Renamed by SQL", users.Active)
	}
}

// rowOf is the row of user id in a users list page ("" if not there).
func rowOf(body string, id int64) string {
	_, row, ok := strings.Cut(body, `<tr id="user-`+strconv.FormatInt(id, 10)+`"`)
	if !ok {
		return ""
	}
	row, _, _ = strings.Cut(row, "</tr>")
	return row
}

var tabCountRE = regexp.MustCompile(`>([^<>]+)<span class="count">([0-9,]+)</span>`)

// tabCounts are the counts of a users list page's status tabs, by name.
func tabCounts(body string) map[string]int {
	_, tabs, _ := strings.Cut(body, `id="users-tabs"`)
	tabs, _, _ = strings.Cut(tabs, "</nav>")
	out := map[string]int{}
	for _, m := range tabCountRE.FindAllStringSubmatch(tabs, -1) {
		name := strings.TrimSpace(m[1])
		if name == "Not delivered" {
			continue // the mail server's say, not the users table's
		}
		out[name], _ = strconv.Atoi(strings.ReplaceAll(m[2], ",", ""))
	}
	return out
}

// countsIn is what each status tab should count, by plain SQL on the file.
func countsIn(t *testing.T, d *sql.DB) map[string]int {
	t.Helper()
	var all, active, invited, expired, deactivated int
	err := d.QueryRow(`SELECT count(*),
		coalesce(sum(deactivated_at IS NULL AND activated_at IS NOT NULL), 0),
		coalesce(sum(deactivated_at IS NULL AND activated_at IS NULL AND invite_expires_at > unixepoch()), 0),
		coalesce(sum(deactivated_at IS NULL AND activated_at IS NULL AND invite_expires_at <= unixepoch()), 0),
		coalesce(sum(deactivated_at IS NOT NULL), 0)
		FROM users`).Scan(&all, &active, &invited, &expired, &deactivated)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]int{"All": all, "Active": active, "Invited": invited, "Invitation expired": expired, "Deactivated": deactivated}
}

func signInAs(t *testing.T, base, email, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post(t, c, base, "/login", url.Values{"email": {email}, "password": {password}})
	return c
}

// fetch gets path, saying the status and where it redirects, or the body.
func fetch(t *testing.T, c *http.Client, base, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, body := roundTrip(t, c, req)
	if loc := res.Header.Get("Location"); loc != "" {
		return res.StatusCode, loc
	}
	return res.StatusCode, body
}
