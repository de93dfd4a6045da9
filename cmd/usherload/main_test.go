package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
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
// asked for gzip, with and without Cache-Control: no-cache, the
// invitations, and the requests for numbered pages. Every tab has three
// pages.
func fakeUsherCounting(t *testing.T) (*httptest.Server, *[4]atomic.Int64) {
	t.Helper()
	var asked [4]atomic.Int64 // kept, afresh, invited, numbered pages
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
	mux.HandleFunc("POST /settings/users/invite", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("usher_session"); err != nil || c.Value != "s3cret" || r.Header.Get("Origin") != srv.URL || !strings.HasSuffix(r.FormValue("email"), "@example.com") {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		asked[2].Add(1)
		http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
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
		if r.URL.Query().Get("page") != "" {
			asked[3].Add(1)
		}
		w.Write([]byte(`<table>…</table><a href="/settings/users?page=3">3</a>`))
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
	for _, want := range []string{"| healthz ", "| first page (kept) ", "| search (kept) ", "`/settings/users?q=son`", "| tab (kept) ", "| deep page (kept) ", "100.0%",
		"| typing a search ", "| deep pages ", "| tab pages ", "| mixed ", "| mixed: the writer ", "| first page (afresh) ", "| search (afresh) "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if asked[0].Load() == 0 || asked[1].Load() == 0 {
		t.Errorf("list requests asking for gzip: %d kept, %d afresh; want both kinds", asked[0].Load(), asked[1].Load())
	}
	if asked[2].Load() == 0 || asked[3].Load() == 0 {
		t.Errorf("%d invitations and %d numbered pages asked for; want both", asked[2].Load(), asked[3].Load())
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

// Typing a search asks for each name letter by letter, never the same
// address twice; the pages come in every order, each once.
func TestDistinctAddresses(t *testing.T) {
	typed := typedSearches(1)
	seen := map[string]bool{}
	for _, a := range typed {
		if seen[a] {
			t.Fatalf("%s asked twice", a)
		}
		seen[a] = true
	}
	for _, want := range []string{"/settings/users?q=m", "/settings/users?q=ma", "/settings/users?q=maria", "/settings/users?q=maria+silva"} {
		if !seen[want] {
			t.Errorf("typed searches lack %s", want)
		}
	}
	pages := pagesOf(1, map[string]int{"": 3, "invited": 2})
	if len(pages) != (3+2)*len(sorts)*2 {
		t.Errorf("%d pages, want %d", len(pages), (3+2)*len(sorts)*2)
	}
	for _, want := range []string{"/settings/users?page=3&sort=email", "/settings/users?dir=desc&page=2&sort=signin&status=invited"} {
		if !slices.Contains(pages, want) {
			t.Errorf("pages lack %s: %v", want, pages)
		}
	}
	a := &addresses{list: []string{"a", "b"}}
	for _, want := range []string{"a", "b", "a"} {
		if got := a.take(); got != want {
			t.Errorf("take = %s, want %s", got, want)
		}
	}
	if a.repeated() != 1 {
		t.Errorf("repeated = %d, want 1", a.repeated())
	}
}
