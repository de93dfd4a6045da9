package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"testing"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/demo"
)

// countingWriter is a response that keeps nothing: it counts the bytes
// and rows (line feeds) sent, so the benchmark measures the export and not
// a recorder holding the whole file.
type countingWriter struct {
	h      http.Header
	status int
	bytes  int64
	rows   int
}

func (w *countingWriter) Header() http.Header { return w.h }
func (w *countingWriter) WriteHeader(s int)   { w.status = s }
func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.bytes += int64(len(p))
	w.rows += bytes.Count(p, []byte("\n"))
	return len(p), nil
}

// BenchmarkUsersExport downloads Download CSV of every user as the demo's
// account administrator, in the process, middleware to last byte, with
// 10,000 and 100,000 demo users. The cost per user must be flat, not grow
// with the count: the file is streamed, never held.
//
//	go test ./web -run '^$' -bench UsersExport -benchmem
//
// Besides B/op and allocs/op it reports them per user (B/user,
// allocs/user). Seeding 100,000 users takes a while; -short skips it.
func BenchmarkUsersExport(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 100,000 users; not with -short")
	}
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("%dk users", n/1000), func(b *testing.B) {
			e := apptest.New(b, apptest.Options{})
			seeder := demo.NewSeeder(db.NewDemoStore(e.App.DB), auth.NewLinks(make([]byte, 32)), auth.NewCheapHasher(1), e.App.Config.InviteTTL)
			if _, err := seeder.Seed(b.Context(), demo.Options{
				Users: n, AdminEmail: apptest.AdminEmail, Password: apptest.AdminPassword, Now: e.Clock.Now(), Seed: 1,
			}); err != nil {
				b.Fatal(err)
			}
			if _, err := e.App.DB.W.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
				b.Fatal(err)
			}
			client := e.SignIn(b, apptest.AdminEmail, apptest.AdminPassword)
			site, _ := url.Parse(e.URL)
			cookies := client.Jar.Cookies(site)
			handler := e.Server.Config.Handler
			calls := 0
			get := func() *countingWriter {
				calls++
				req := httptest.NewRequest(http.MethodGet, "/settings/users.csv", nil)
				for _, c := range cookies {
					req.AddCookie(c)
				}
				w := &countingWriter{h: http.Header{}}
				handler.ServeHTTP(w, req)
				if w.status != http.StatusOK || w.rows != n+1 {
					b.Fatalf("download %d: status %d, %d lines; want 200 and %d", calls, w.status, w.rows, n+1)
				}
				return w
			}
			get() // the statements prepared, the caches warm
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var sent int64
			for b.Loop() {
				sent = get().bytes
			}
			runtime.ReadMemStats(&after)
			users := float64(b.N) * float64(n)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/users, "B/user")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/users, "allocs/user")
			b.ReportMetric(float64(sent)/float64(n), "file-B/user")
		})
	}
}
