package db

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/users"
)

// More lists at once than there are reader connections, each with a query
// not prepared yet: every one finishes. (Preparing inside a transaction
// on another connection once left them all waiting for each other.) The
// statements are kept, and the same pages read from them say the same.
func TestListsOutnumberingReaders(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	store := NewUserStore(d)
	now := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	filter := func(i int) users.ListFilter {
		return users.ListFilter{Query: fmt.Sprint("q", i%4), Sort: []users.Sort{users.ByName, users.ByEmail, users.ByJoined}[i%3], Page: 1, PerPage: 50, Now: now}
	}
	list := func(i int) (users.ListPage, error) {
		// Not a measure of time: a stop for a test that would hang.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return store.List(ctx, filter(i))
	}
	const n = 40
	first := make([]users.ListPage, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			page, err := list(i)
			first[i] = page
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a list failed: %v", err)
		}
	}
	d.prepared.pending.Wait()
	d.prepared.mu.Lock()
	kept := 0
	for _, st := range d.prepared.stmts {
		if st != nil {
			kept++
		}
	}
	d.prepared.mu.Unlock()
	if kept == 0 {
		t.Fatal("no statement was kept prepared")
	}
	for i := range n {
		again, err := list(i)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(again) != fmt.Sprint(first[i]) {
			t.Errorf("list %d read through kept statements differs:\n%v\n%v", i, first[i], again)
		}
	}
}
