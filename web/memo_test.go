package web

import "testing"

func TestMemo(t *testing.T) {
	m := newMemo[string, int](2)
	m.put(1, "a", 1)
	if v, ok := m.get(1, "a"); !ok || v != 1 {
		t.Fatalf("get(1, a) = %d, %v", v, ok)
	}
	if _, ok := m.get(2, "a"); ok {
		t.Error("a value of generation 1 given for generation 2")
	}
	m.put(2, "b", 2)
	if _, ok := m.get(1, "a"); ok {
		t.Error("generation 1 kept after a value of generation 2")
	}
	// Computed from generation 1 but stored late: maybe out of date.
	m.put(1, "c", 3)
	if _, ok := m.get(1, "c"); ok {
		t.Error("a late value of an old generation was kept")
	}
	if _, ok := m.get(2, "c"); ok {
		t.Error("a late value of an old generation was given for the new one")
	}
	m.put(2, "c", 3)
	m.put(2, "d", 4) // full: starts again
	if _, ok := m.get(2, "b"); ok {
		t.Error("more entries kept than allowed")
	}
	if v, ok := m.get(2, "d"); !ok || v != 4 {
		t.Errorf("get(2, d) = %d, %v", v, ok)
	}
}

// Of those that find no value, one computes it and the others wait for
// it: per key and generation.
func TestMemoClaim(t *testing.T) {
	m := newMemo[string, int](8)
	wait, done := m.claim(1, "a")
	if wait != nil || done == nil {
		t.Fatal("the first to claim a is told to wait")
	}
	waitB, doneB := m.claim(1, "a")
	if waitB == nil || doneB != nil {
		t.Fatal("a second claim of a at the same generation is not told to wait")
	}
	if w, d := m.claim(1, "b"); w != nil || d == nil {
		t.Error("a claim of another key waits")
	} else {
		d()
	}
	waitNew, doneNew := m.claim(2, "a")
	if waitNew != nil || doneNew == nil {
		t.Fatal("a claim at a newer generation waits for the older one")
	}
	select {
	case <-waitB:
		t.Fatal("the wait ended before the value was made")
	default:
	}
	m.put(1, "a", 1)
	done()
	done() // again: nothing more
	select {
	case <-waitB:
	default:
		t.Fatal("the wait did not end when the maker was done")
	}
	// The older maker's end does not end the newer one's flight.
	if w, d := m.claim(2, "a"); w == nil || d != nil {
		t.Error("a second claim at generation 2 does not wait for the first")
	}
	doneNew()
	if w, d := m.claim(2, "a"); w != nil || d == nil {
		t.Error("a claim after the maker was done waits")
	} else {
		d()
	}
	if n := m.claimCount(); n != 4 {
		t.Errorf("%d claims won, want 4", n)
	}
}
