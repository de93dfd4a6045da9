package web

import (
	"slices"
	"testing"

	"github.com/usherhq/usher/internal/users"
)

// Every declared row action is offered by some status, under an address
// of its own, with a handler behind it.
func TestRowActionsDeclared(t *testing.T) {
	items := rowItems()
	paths := map[string]bool{}
	for _, a := range rowActions {
		if paths[a.item.Path] {
			t.Errorf("two row actions at /settings/users/:id/%s", a.item.Path)
		}
		paths[a.item.Path] = true
		if a.get == nil && a.post == nil {
			t.Errorf("%s has no handler", a.action)
		}
		offered := false
		for _, st := range []users.Status{users.Active, users.Invited, users.Expired, users.Deactivated} {
			offered = offered || (slices.Contains(users.ActionsFor(st), a.action) && items[a.action] == a.item)
		}
		if !offered {
			t.Errorf("%s is declared but no row offers it", a.action)
		}
	}
}
