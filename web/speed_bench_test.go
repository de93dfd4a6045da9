package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/demo"
)

// BenchmarkUsersPage asks for Settings > Users as its administrator, in
// the process, without the network: what the server itself spends on a
// page, middleware to last byte. The load benchmark (`go tool task
// bench`) measures the same pages through loopback; this one is steadier
// on a busy machine, for comparing two versions with benchstat:
//
//	go test ./web -run '^$' -bench UsersPage -count 10 > new.txt
//
// "kept" asks for one address again and again (served from the page
// cache); "afresh" sends Cache-Control: no-cache, as a hard refresh does,
// so the page is made from the database each time; "search" is a new
// search as one types it, made afresh each time. 10,000 demo users; -short skips it.
// seededEnv is Usher with n demo users, their administrator
// apptest.AdminEmail.
func seededEnv(b *testing.B, n int) *apptest.Env {
	e := apptest.New(b, apptest.Options{})
	seeder := demo.NewSeeder(db.NewDemoStore(e.App.DB), auth.NewLinks(make([]byte, 32)), auth.NewCheapHasher(1), e.App.Config.InviteTTL)
	if _, err := seeder.Seed(b.Context(), demo.Options{
		Users: n, AdminEmail: apptest.AdminEmail, Password: apptest.AdminPassword, Now: e.Clock.Now(), Seed: 1,
	}); err != nil {
		b.Fatal(err)
	}
	// As `usher demo` then `usher serve` do: the seed's write-ahead log
	// is checkpointed into the database file, which the pages then read.
	if _, err := e.App.DB.W.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	return e
}

func BenchmarkUsersPage(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 10,000 users; not with -short")
	}
	e := seededEnv(b, 10_000)
	client := e.SignIn(b, apptest.AdminEmail, apptest.AdminPassword)
	site, _ := url.Parse(e.URL)
	cookies := client.Jar.Cookies(site)
	handler := e.Server.Config.Handler

	get := func(b *testing.B, path string, header ...string) int64 {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		req.Header.Set("Accept-Encoding", "gzip")
		req.Header.Set("Accept-Language", "en-GB,en;q=0.9,de;q=0.8")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: status %d\n%s", path, rec.Code, rec.Body)
		}
		n, _ := io.Copy(io.Discard, rec.Body)
		if n == 0 {
			b.Fatalf("GET %s: an empty page", path)
		}
		return n
	}
	searches := []string{"j", "jo", "joh", "john", "m", "ma", "mar", "mart", "s", "so", "son"}
	for _, bc := range []struct {
		name, path string
		afresh     bool
		vary       func(i int) string
	}{
		{name: "kept first page", path: "/settings/users"},
		{name: "first page afresh", path: "/settings/users", afresh: true},
		{name: "tab afresh", path: "/settings/users?status=invited", afresh: true},
		{name: "search afresh", afresh: true, vary: func(i int) string { return "/settings/users?q=" + searches[i%len(searches)] }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var header []string
			if bc.afresh {
				header = []string{"Cache-Control", "no-cache"}
			}
			i, sent := 0, int64(0)
			for b.Loop() {
				path := bc.path
				if bc.vary != nil {
					path = bc.vary(i)
				}
				sent += get(b, path, header...)
				i++
			}
			// What goes over the wire, gzipped: a bigger page is a slower one.
			b.ReportMetric(float64(sent)/float64(i), "gzip-B/page")
		})
	}
}
