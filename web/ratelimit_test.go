package web

import (
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/clock"
)

// Several invitations in one form count as several; a form that would go
// over the limit is refused whole and costs one.
func TestWindowAllowN(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	w := newWindow(10, time.Hour, clk)
	if ok, _ := w.allowN("ana", 8); !ok {
		t.Fatal("8 of 10 refused")
	}
	if ok, wait := w.allowN("ana", 3); ok || wait != time.Hour {
		t.Fatalf("8 + 3 of 10: allowed %v, wait %v; want refused, an hour", ok, wait)
	}
	if ok, _ := w.allowN("ana", 1); !ok {
		t.Error("the refused form cost more than one: a 10th hit refused")
	}
	if ok, _ := w.allowN("ana", 1); ok {
		t.Error("the refused form cost nothing: an 11th hit allowed")
	}
	if ok, _ := w.allowN("bo", 10); !ok {
		t.Error("another key shares the count")
	}
	clk.Advance(time.Hour)
	if ok, _ := w.allowN("ana", 10); !ok {
		t.Error("a new window still refused")
	}
}

// Every per-address limit counts an IPv6 client by its /64 and an
// IPv4-mapped one as the IPv4 address, however the address is written.
func TestClientKey(t *testing.T) {
	e := echo.New()
	e.IPExtractor = echo.ExtractIPDirect()
	for _, tt := range []struct{ remote, want string }{
		{"203.0.113.9:5000", "203.0.113.9"},
		{"[::ffff:203.0.113.9]:5000", "203.0.113.9"},
		{"[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:5000", "2001:db8:1:2::/64"},
		{"[2001:DB8:1:2::1]:5000", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::1]:5000", "2001:db8:1:3::/64"},
		{"[fe80::1%eth0]:5000", "fe80::/64"},
		{"[::1]:5000", "::/64"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = tt.remote
		if got := clientKey(e.NewContext(req, httptest.NewRecorder())); got != tt.want {
			t.Errorf("clientKey(%s) = %q, want %q", tt.remote, got, tt.want)
		}
	}
}

// The account-wide wait: nothing for the free failures, then doubling to
// the cap, and never past it however many failures there were.
func TestSignInDelay(t *testing.T) {
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {4, 0}, {5, 500 * time.Millisecond}, {6, time.Second}, {7, 2 * time.Second},
		{8, 4 * time.Second}, {9, 4 * time.Second}, {100, 4 * time.Second}, {math.MaxInt, 4 * time.Second},
	} {
		if got := signInDelay(tt.failures, 5); got != tt.want {
			t.Errorf("signInDelay(%d, 5) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

// A reservation refused costs nothing; one given back frees its place.
func TestWindowTakeGive(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	w := newWindow(2, time.Hour, clk)
	for range 2 {
		if ok, _ := w.take("ana"); !ok {
			t.Fatal("a take within the limit refused")
		}
	}
	for range 3 {
		if ok, wait := w.take("ana"); ok || wait != time.Hour {
			t.Fatalf("a take past the limit: allowed %v, wait %v", ok, wait)
		}
	}
	w.give("ana")
	if ok, _ := w.take("ana"); !ok {
		t.Error("a place given back was not free, or refusals were counted")
	}
	w.reset("ana")
	if n := w.add("ana"); n != 0 {
		t.Errorf("after reset the window held %d", n)
	}
}
