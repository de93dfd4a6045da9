package spaces

import (
	"context"
	"strings"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/names"
)

// Impact is what deleting a space takes with it.
type Impact struct {
	Spaces      int // the space and those inside it
	Grants      int // roles people hold there
	Invitations int // pending invitations offering a role there
}

// Person is someone with a role, or a pending offer, in a space.
type Person struct {
	UserID    int64
	Name      string
	Email     string
	Role      Role
	Pending   bool      // offered by a pending invitation, not yet held
	InvitedAt time.Time // for pending offers: last sent
	ExpiresAt time.Time
	Expired   bool    // for pending offers: the invitation has passed its expiry (set by the service, from its clock)
	Offered   []Grant // for pending offers: everything the invitation offers
	// Manageable is set by the service when the viewer may act on the
	// person's role here: remove it, and for a pending offer resend or
	// cancel the invitation, which takes every role it offers being in
	// spaces the viewer administers.
	Manageable bool
}

// MemberFilter selects a page of the people holding or offered a role in
// a space.
type MemberFilter struct {
	Role   Role
	Search string // name or email contains; "" for everyone
	Offset int
	Limit  int
}

// Store is what the spaces service needs from storage.
type Store interface {
	All(ctx context.Context) ([]Space, error)
	Create(ctx context.Context, kind Kind, parentID int64, name string, now time.Time) (Space, error)
	Rename(ctx context.Context, id int64, name string, now time.Time) error
	Impact(ctx context.Context, id int64) (Impact, error)
	Delete(ctx context.Context, id int64, now time.Time) error
	// Members is one page of the people holding or offered f.Role in the
	// space id (those holding it first, then by name), and how many there
	// are in all.
	Members(ctx context.Context, id int64, f MemberFilter) ([]Person, int, error)
	// Admins lists, for each space of ids, up to limit of the people
	// holding Administrator there (by name), and how many there are.
	Admins(ctx context.Context, ids []int64, limit int) (map[int64][]Person, map[int64]int, error)
}

// Service manages the spaces of the account.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService wires the spaces service.
func NewService(store Store, now func() time.Time) *Service {
	return &Service{store: store, now: now}
}

// Tree returns every space, whoever asks: pages go through List,
// Offerable and Get, which apply the viewer's access.
func (s *Service) Tree(ctx context.Context) (*Tree, error) {
	all, err := s.store.All(ctx)
	if err != nil {
		return nil, err
	}
	return NewTree(all), nil
}

// Listed is one line of Settings > Spaces.
type Listed struct {
	Nested
	Administered bool // else it is only there around what the viewer administers
}

// List is Settings > Spaces as access sees it, depth first: every space
// for an account administrator; for a space administrator the spaces they
// administer and the units around them, for context.
func (s *Service) List(ctx context.Context, access *Access) ([]Listed, error) {
	if !access.IsAdmin() {
		return nil, errs.T(errs.Forbidden, "err.spaces.list_forbidden")
	}
	t, err := s.Tree(ctx)
	if err != nil {
		return nil, err
	}
	var out []Listed
	for _, n := range t.Walk(t.Root().ID) {
		if access.AccountAdmin || access.Administers(n.ID) || administersInside(t, access, n.ID) {
			out = append(out, Listed{Nested: n, Administered: access.Administers(n.ID)})
		}
	}
	return out, nil
}

func administersInside(t *Tree, a *Access, id int64) bool {
	for _, n := range t.Walk(id) {
		if a.Administers(n.ID) {
			return true
		}
	}
	return false
}

// Offerable lists, depth first, the spaces where access may offer roles,
// with the roles it may offer in each: the options of a roles picker.
// Whatever a picker posts is checked again by the service that acts on
// it (MayOffer); this only keeps the picker from offering what would be
// refused.
func (s *Service) Offerable(ctx context.Context, access *Access) ([]Option, error) {
	t, err := s.Tree(ctx)
	if err != nil {
		return nil, err
	}
	return t.Options(access), nil
}

// ParentKind is the kind of space a kind lives in.
func ParentKind(k Kind) (Kind, bool) {
	switch k {
	case Unit:
		return Account, true
	case WaitingArea, MeetingRoom:
		return Unit, true
	}
	return "", false
}

// Create adds a unit to the account, or a waiting area or meeting room to
// a unit. Only account administrators shape the account.
func (s *Service) Create(ctx context.Context, access *Access, kind Kind, parentID int64, name string) (Space, error) {
	if !access.AccountAdmin {
		return Space{}, errs.T(errs.Forbidden, "err.spaces.create_forbidden")
	}
	want, ok := ParentKind(kind)
	if !ok {
		return Space{}, errs.FieldT("kind", "err.spaces.kind_unknown")
	}
	t, err := s.Tree(ctx)
	if err != nil {
		return Space{}, err
	}
	if kind == Unit {
		parentID = t.Root().ID
	}
	parent, ok := t.Get(parentID)
	if !ok || parent.Kind != want {
		return Space{}, errs.FieldT("parent", "err.spaces.parent_unknown")
	}
	if name, err = names.Space.Clean("name", name, true); err != nil {
		return Space{}, err
	}
	return s.store.Create(ctx, kind, parentID, name, s.now())
}

// Rename changes a space's name.
func (s *Service) Rename(ctx context.Context, access *Access, id int64, name string) (Space, error) {
	sp, err := s.Editable(ctx, access, id)
	if err != nil {
		return sp, err
	}
	if name, err = names.Space.Clean("name", name, true); err != nil {
		return sp, err
	}
	sp.Name = name
	return sp, s.store.Rename(ctx, id, name, s.now())
}

// Impact says what deleting a space would take with it.
func (s *Service) Impact(ctx context.Context, access *Access, id int64) (Space, Impact, error) {
	sp, err := s.Editable(ctx, access, id)
	if err != nil {
		return sp, Impact{}, err
	}
	im, err := s.store.Impact(ctx, id)
	return sp, im, err
}

// Delete removes a space, the spaces inside it, the roles held there and
// the offers of pending invitations there.
func (s *Service) Delete(ctx context.Context, access *Access, id int64) (Space, error) {
	sp, err := s.Editable(ctx, access, id)
	if err != nil {
		return sp, err
	}
	return sp, s.store.Delete(ctx, id, s.now())
}

// Editable returns a space the user may rename or delete: the rename form
// is refused exactly as the rename itself.
func (s *Service) Editable(ctx context.Context, access *Access, id int64) (Space, error) {
	sp, err := s.Get(ctx, access, id)
	if err != nil {
		return sp, err
	}
	if !access.AccountAdmin {
		return sp, errs.T(errs.Forbidden, "err.spaces.edit_forbidden")
	}
	if sp.Kind == Account {
		return sp, errs.T(errs.Conflict, "err.spaces.account_fixed")
	}
	return sp, nil
}

// Get returns a space the user administers; others do not exist for them.
func (s *Service) Get(ctx context.Context, access *Access, id int64) (Space, error) {
	t, err := s.Tree(ctx)
	if err != nil {
		return Space{}, err
	}
	sp, ok := t.Get(id)
	if !ok || !access.Administers(id) {
		return Space{}, errs.T(errs.NotFound, "err.spaces.no_such")
	}
	return sp, nil
}

// MembersPerPage is how many people a space's page lists per role.
const MembersPerPage = 50

// RolePage is one page of the people holding or offered a role in a
// space, and how many there are in all.
type RolePage struct {
	People []Person
	Total  int
}

// MembersQuery is what a space's page asks for: a search by name or
// email, and for each role listed, its page (1 first).
type MembersQuery struct {
	Search string
	Pages  map[Role]int
}

// maxSearch bounds, in bytes, the text a search looks for.
const maxSearch = 200

// Members lists, for each role in q.Pages, that page of who holds or is
// offered it in a space and matches q.Search, pending offers marked
// Expired by the clock, each marked Manageable or not by access.
func (s *Service) Members(ctx context.Context, access *Access, id int64, q MembersQuery) (Space, map[Role]RolePage, error) {
	sp, err := s.Get(ctx, access, id)
	if err != nil {
		return sp, nil, err
	}
	search := strings.TrimSpace(q.Search)
	if len(search) > maxSearch {
		search = strings.ToValidUTF8(search[:maxSearch], "")
	}
	now := s.now()
	out := map[Role]RolePage{}
	for role, page := range q.Pages {
		page = max(page, 1)
		m, n, err := s.store.Members(ctx, id, MemberFilter{Role: role, Search: search, Offset: (page - 1) * MembersPerPage, Limit: MembersPerPage})
		if err != nil {
			return sp, nil, err
		}
		for i := range m {
			m[i].Expired = m[i].Pending && !now.Before(m[i].ExpiresAt)
			if m[i].Pending {
				m[i].Manageable = access.MayOfferAll(m[i].Offered)
			} else {
				m[i].Manageable = access.MayOffer(id, m[i].Role)
			}
		}
		out[role] = RolePage{People: m, Total: n}
	}
	return sp, out, nil
}

// Membership is one space a person holds a role in, with whom to ask
// about it: the administrators nearest to it (its own, else its unit's,
// else the account's).
type Membership struct {
	Space      Space
	Role       Role
	AdminsOf   Space    // the space whose administrators these are
	Admins     []Person // the first few, by name
	MoreAdmins int      // how many more there are
}

// AdminsShown is how many administrators a membership names.
const AdminsShown = 5

// Memberships lists the spaces access's own user holds a role in, depth
// first, each with who administers it. It is about the user themselves,
// so it needs no right beyond being signed in.
func (s *Service) Memberships(ctx context.Context, access *Access) ([]Membership, error) {
	t, err := s.Tree(ctx)
	if err != nil {
		return nil, err
	}
	var out []Membership
	var ids []int64
	for _, n := range t.Walk(t.Root().ID) {
		role, ok := access.roles[n.ID]
		if !ok {
			continue
		}
		out = append(out, Membership{Space: n.Space, Role: role})
		for id := n.ID; id != 0; {
			ids = append(ids, id)
			sp, _ := t.Get(id)
			id = sp.ParentID
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	admins, counts, err := s.store.Admins(ctx, ids, AdminsShown)
	if err != nil {
		return nil, err
	}
	for i := range out {
		for id := out[i].Space.ID; id != 0; {
			sp, _ := t.Get(id)
			if counts[id] > 0 {
				out[i].AdminsOf, out[i].Admins, out[i].MoreAdmins = sp, admins[id], counts[id]-len(admins[id])
				break
			}
			id = sp.ParentID
		}
	}
	return out, nil
}
