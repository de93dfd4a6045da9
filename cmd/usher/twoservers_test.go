package main

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
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
