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
