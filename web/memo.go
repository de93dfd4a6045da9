package web

import (
	"sync"
)

// memo keeps what was read from the database while the database has not
// changed: each value is stored with the generation (db.DB.Generation)
// read before it was computed, and only the values of the newest
// generation are ever given back. A write anywhere empties it, so nothing
// stale is shown; what makes it worth having is that reads far outnumber
// writes.
type memo[K comparable, V any] struct {
	mu      sync.Mutex
	gen     uint64
	entries map[K]V
	max     int    // entries kept at most; when full, it starts again
	hits    uint64 // values given back, for the tests
}

func newMemo[K comparable, V any](max int) *memo[K, V] {
	return &memo[K, V]{entries: map[K]V{}, max: max}
}

// get returns the value for k computed at generation gen, if any.
func (m *memo[K, V]) get(gen uint64, k K) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.entries[k]
	if !ok || m.gen != gen {
		var zero V
		return zero, false
	}
	m.hits++
	return v, true
}

// hitCount is how many values get has given back.
func (m *memo[K, V]) hitCount() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hits
}

// put stores v, computed from what the database said at generation gen
// (read before reading the database). A value from before the newest
// generation seen is dropped: it may be out of date already.
func (m *memo[K, V]) put(gen uint64, k K, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case gen < m.gen:
		return
	case gen > m.gen:
		m.gen = gen
		clear(m.entries)
	case len(m.entries) >= m.max:
		clear(m.entries)
	}
	m.entries[k] = v
}
