package db

import "sync"

// kept holds values read from the database, by key, while its generation
// (Generation: moved by any commit, in any process) stands still: for what
// nearly every request asks and only a write changes, such as the spaces
// behind each session's access. A value is read at or after the
// generation it is kept under, so it is never older than that generation.
type kept[K comparable, V any] struct {
	mu   sync.Mutex
	gen  uint64
	vals map[K]V
}

// get is the value kept under key, or what read gives, kept.
func (k *kept[K, V]) get(d *DB, key K, read func() (V, error)) (V, error) {
	gen := d.Generation()
	k.mu.Lock()
	v, ok := k.vals[key]
	ok = ok && k.gen == gen
	k.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := read()
	if err != nil {
		return v, err
	}
	k.mu.Lock()
	if k.gen != gen || k.vals == nil {
		k.gen, k.vals = gen, map[K]V{}
	}
	k.vals[key] = v
	k.mu.Unlock()
	return v, nil
}
