package db

import (
	"context"
	"sync"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
)

// kept holds values read from the database, by key, while its generation
// (Generation: moved by any commit, in any process) stands still: for what
// nearly every request asks and only a write changes. A value is read at
// or after the generation it is kept under, so it is never older than
// that generation.
type kept[K comparable, V any] struct {
	mu   sync.Mutex
	gen  uint64
	vals map[K]V
}

// get is the value kept under key at generation gen, or what read gives,
// kept. gen is what the caller saw: a request's, asked at its start
// (Seen after that), so that it does not ask the database again.
func (k *kept[K, V]) get(gen uint64, key K, read func() (V, error)) (V, error) {
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

// keptSpaces are every space, as of a number that moves with any change
// to them (spaces_version, migration 0020), not with every commit: what
// every session's access and the users list's roles are made from, while
// other things are written all the time.
type keptSpaces struct {
	mu      sync.Mutex
	version int64
	all     []spaces.Space // nil: none kept
}

// spacesVersionQuery reads the number spaces are at: one row, by its key.
const spacesVersionQuery = `SELECT n FROM spaces_version WHERE id = 1`

// spaces is every space, by id, and the number they are as of, read
// through q (a transaction, or the readers: the spaces are then read
// after the number, so never older than it). What it gives is shared: not
// to be changed.
func (k *keptSpaces) spaces(ctx context.Context, q querier) ([]spaces.Space, int64, error) {
	var v int64
	if err := q.QueryRowContext(ctx, spacesVersionQuery).Scan(&v); err != nil {
		return nil, 0, errs.Wrap(err, "reading spaces")
	}
	k.mu.Lock()
	all := k.all
	ok := all != nil && k.version == v
	k.mu.Unlock()
	if ok {
		return all, v, nil
	}
	all, err := allSpaces(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	if all == nil {
		all = []spaces.Space{}
	}
	k.mu.Lock()
	k.version, k.all = v, all
	k.mu.Unlock()
	return all, v, nil
}
