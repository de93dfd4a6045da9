package users

import (
	"context"

	"github.com/usherhq/usher/internal/spaces"
)

// Exporter reads every user a list filter selects, one at a time, for
// the users export: Store.List's rows, all pages, without holding them.
type Exporter interface {
	// Export calls fn with each user f selects, in the list's order, each
	// with its details as Listed rows have them; f's Page and PerPage are
	// ignored. An error from fn stops it and is returned.
	Export(ctx context.Context, f ListFilter, fn func(Listed) error) error
}

// Export calls fn with every user of the users list that f selects, all
// pages, in the list's order, as the administrator with access sees the
// list: a space administrator's export holds only people with a role, or
// a pending offer, in their spaces (their grants elsewhere are still on
// each row; the caller describes them with access, which names only
// theirs). It refuses non-administrators as List does.
func (s *Service) Export(ctx context.Context, access *spaces.Access, f ListFilter, fn func(Listed) error) error {
	f, err := s.listFilter(access, f)
	if err != nil {
		return err
	}
	f.Page, f.PerPage, f.Holding = 1, 0, 0
	return s.exporter.Export(ctx, f, fn)
}
