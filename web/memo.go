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
	flights map[K]*flight
	claims  uint64 // claims won, for the tests
}

// flight is a value being computed at generation gen; done is closed
// when it is kept, or will not be.
type flight struct {
	gen  uint64
	done chan struct{}
}

func newMemo[K comparable, V any](max int) *memo[K, V] {
	return &memo[K, V]{entries: map[K]V{}, max: max, flights: map[K]*flight{}}
}

// claim makes one caller of all those that found no value for k at gen
// the one to compute it: that one is given done, to call once it has put
// the value or failed to (once or more); the others are given wait,
// closed then, after which they ask get again. So 16 administrators
// reloading the list after a write make it once, not 16 times.
func (m *memo[K, V]) claim(gen uint64, k K) (wait <-chan struct{}, done func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.flights[k]; ok && f.gen == gen {
		return f.done, nil
	}
	f := &flight{gen: gen, done: make(chan struct{})}
	m.flights[k] = f // one for an older generation is left to end alone
	m.claims++
	var once sync.Once
	return nil, func() {
		once.Do(func() {
			m.mu.Lock()
			if m.flights[k] == f {
				delete(m.flights, k)
			}
			m.mu.Unlock()
			close(f.done)
		})
	}
}

// claimCount is how many claims were won: values computed.
func (m *memo[K, V]) claimCount() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.claims
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
