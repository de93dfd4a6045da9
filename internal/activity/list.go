package activity

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
)

// PerPage is how many entries a page of the log shows.
const PerPage = 50

// Filter selects entries, newest first.
type Filter struct {
	// People: entries whose actor or subject is one of them (nil: anyone).
	People []int64
	Kind   Kind // "" for every kind
	// SpaceID: entries concerning this space (0: any).
	SpaceID int64
	// Scope: nil for the whole account; else only entries concerning one
	// of these spaces (a space administrator's). The service sets it.
	Scope []int64
	// From and Until bound the time, From included, Until not (zero: open).
	From, Until time.Time
	// After and Before page through: entries older than After (the next
	// page), or newer than Before (the previous one). At most one is set.
	After, Before Cursor
	Limit         int // PerPage when 0
}

// Cursor is a place in the log's order: an entry's time and id.
type Cursor struct {
	At time.Time
	ID int64
}

// IsZero reports whether the cursor names no place.
func (c Cursor) IsZero() bool { return c.ID == 0 }

// String is the cursor as a page's address holds it: "<unix>.<id>".
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.At.Unix(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

// ParseCursor reads Cursor.String; "" is the zero cursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	at, id, ok := strings.Cut(s, ".")
	sec, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return Cursor{}, errs.T(errs.Invalid, "err.activity.bad_cursor")
	}
	return Cursor{At: time.Unix(sec, 0).UTC(), ID: n}, nil
}

// Of is the cursor of an entry.
func Of(e Entry) Cursor { return Cursor{At: e.At, ID: e.ID} }

// Page is one page of the log.
type Page struct {
	Entries []Entry
	// Older and Newer are the cursors for the next and previous pages
	// (zero: there is none).
	Older, Newer Cursor
}

// Person is someone the person filter may mean.
type Person struct {
	ID    int64
	Name  string
	Email string
}

// Store reads the log; the rows are written by the stores that make the
// changes.
type Store interface {
	List(ctx context.Context, f Filter) (Page, error)
	// Each calls fn for every entry the filter selects, newest first,
	// reading them one by one (for an export); f's Limit and cursors are
	// ignored.
	Each(ctx context.Context, f Filter, fn func(Entry) error) error
	// People finds who a person filter's text may mean: the person with
	// that email (also one since deleted, by the log), or those whose name
	// or email holds it; at most limit. With a scope, only people with a
	// role or an invitation in one of those spaces, or (once deleted) an
	// entry about one of them.
	People(ctx context.Context, text string, scope []int64, limit int) ([]Person, error)
	// Purge deletes up to limit entries from before cutoff and reports how
	// many it deleted.
	Purge(ctx context.Context, cutoff time.Time, limit int) (int, error)
}

// Service lets administrators read the log, each within their spaces.
type Service struct {
	Store Store
}

// scoped is f as viewer may read it: an account administrator reads the
// whole log, a space administrator only the entries about their spaces,
// anyone else nothing.
func scoped(viewer *spaces.Access, f Filter) (Filter, error) {
	if viewer == nil || !viewer.IsAdmin() {
		return f, errs.T(errs.Forbidden, "err.activity.forbidden")
	}
	f.Scope = nil
	if !viewer.AccountAdmin {
		f.Scope = viewer.AdministeredIDs()
		if f.SpaceID != 0 && !viewer.Administers(f.SpaceID) {
			return f, errs.T(errs.Forbidden, "err.activity.forbidden")
		}
	}
	if f.Kind != "" && !f.Kind.Known() {
		return f, errs.T(errs.Invalid, "err.activity.bad_kind")
	}
	if !f.From.IsZero() && !f.Until.IsZero() && !f.From.Before(f.Until) {
		return f, errs.T(errs.Invalid, "err.activity.bad_dates")
	}
	return f, nil
}

// List reads one page of the log for viewer.
func (s *Service) List(ctx context.Context, viewer *spaces.Access, f Filter) (Page, error) {
	f, err := scoped(viewer, f)
	if err != nil {
		return Page{}, err
	}
	if f.Limit <= 0 || f.Limit > PerPage {
		f.Limit = PerPage
	}
	return s.Store.List(ctx, f)
}

// Each streams every entry the filter selects that viewer may read.
func (s *Service) Each(ctx context.Context, viewer *spaces.Access, f Filter, fn func(Entry) error) error {
	f, err := scoped(viewer, f)
	if err != nil {
		return err
	}
	return s.Store.Each(ctx, f, fn)
}

// People finds who a person filter's text may mean (at most 20).
func (s *Service) People(ctx context.Context, viewer *spaces.Access, text string) ([]Person, error) {
	f, err := scoped(viewer, Filter{})
	if err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	return s.Store.People(ctx, text, f.Scope, 20)
}
