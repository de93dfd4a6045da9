package web

import (
	"testing"
	"time"

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
