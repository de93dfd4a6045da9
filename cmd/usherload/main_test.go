package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeUsher signs in admin@example.com with "pw" (checking the Origin as
// Usher's cross-origin protection would) and answers the scenarios' paths
// for that session only.
func fakeUsher(t *testing.T) *httptest.Server {
	t.Helper()
	srv, _ := fakeUsherCounting(t)
	return srv
}

// fakeUsherCounting is fakeUsher, also counting the list requests that
// asked for gzip, with and without Cache-Control: no-cache.
func fakeUsherCounting(t *testing.T) (*httptest.Server, *[2]atomic.Int64) {
	t.Helper()
	var asked [2]atomic.Int64 // kept, afresh
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != srv.URL || r.FormValue("email") != "admin@example.com" || r.FormValue("password") != "pw" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "usher_session", Value: "s3cret"})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /settings/users", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("usher_session"); err != nil || c.Value != "s3cret" {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			if r.Header.Get("Cache-Control") == "no-cache" {
				asked[1].Add(1)
			} else {
				asked[0].Add(1)
			}
		}
		w.Write([]byte("<table>…</table>"))
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &asked
}

func TestLoadPrintsATable(t *testing.T) {
	srv, asked := fakeUsherCounting(t)
	var out, errOut bytes.Buffer
	env := map[string]string{"USHER_ADMIN_PASSWORD": "pw"}
	err := run(context.Background(), []string{"-url", srv.URL, "-c", "2", "-d", "10s", "-warmup", "0", "-n", "40"}, func(k string) string { return env[k] }, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	for _, want := range []string{"| healthz ", "| first page ", "| search ", "`/settings/users?q=son`", "| tab ", "| deep page ", "100.0%",
		"| first page (afresh) ", "| deep page (afresh) "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if asked[0].Load() == 0 || asked[1].Load() == 0 {
		t.Errorf("list requests asking for gzip: %d kept, %d afresh; want both kinds", asked[0].Load(), asked[1].Load())
	}
}

func TestLoadStopsOnAWrongPassword(t *testing.T) {
	srv := fakeUsher(t)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-url", srv.URL, "-password", "wrong", "-d", "100ms"}, func(string) string { return "" }, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "signing in") {
		t.Errorf("err = %v, want a failed sign-in", err)
	}
}

func TestLoadOnlyOnLoopback(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-url", "http://example.com", "-d", "100ms"}, func(string) string { return "" }, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("err = %v, want a refusal of a non-loopback address", err)
	}
}

func TestPercentile(t *testing.T) {
	r := result{latencies: make([]time.Duration, 100)}
	for i := range r.latencies {
		r.latencies[i] = time.Duration(i+1) * time.Millisecond
	}
	for p, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.95: 95 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := r.percentile(p); got != want {
			t.Errorf("p%.0f = %v, want %v", p*100, got, want)
		}
	}
}
