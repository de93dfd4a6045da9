// Package users holds the people of the account: who they are, their
// status, and signing in.
package users

import (
	"context"
	"time"

	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/names"
	"github.com/usherhq/usher/internal/spaces"
)

// Status is what the users list shows for a row.
type Status string

const (
	Active      Status = "active"
	Invited     Status = "invited"
	Expired     Status = "expired"
	Deactivated Status = "deactivated"
)

// Label is the status as the users list writes it.
func (s Status) Label() string {
	switch s {
	case Active:
		return "Active"
	case Invited:
		return "Invited"
	case Expired:
		return "Invitation expired"
	case Deactivated:
		return "Deactivated"
	}
	return string(s)
}

// User is a person known by email.
type User struct {
	ID              int64
	Email           string
	Name            string
	PasswordHash    string // empty until they accept an invitation
	CreatedAt       time.Time
	ActivatedAt     time.Time // zero until they accept
	DeactivatedAt   time.Time // zero unless deactivated
	InviteExpiresAt time.Time // expiry of the pending invitation, if any
	SessionVersion  int64
	Language        string    // their choice (an i18n code); "" when they made none
	LastSignInAt    time.Time // zero until they first sign in
}

// StatusAt is the user's status at now: expiry needs no background job.
func (u User) StatusAt(now time.Time) Status {
	switch {
	case !u.DeactivatedAt.IsZero():
		return Deactivated
	case !u.ActivatedAt.IsZero():
		return Active
	case now.Before(u.InviteExpiresAt):
		return Invited
	default:
		return Expired
	}
}

// DisplayName is the name, or the email when there is none.
func (u User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Invite summarises a row's pending invitation for the list.
type Invite struct {
	ID               int64
	CreatedAt        time.Time // first sent
	SentAt           time.Time // last sent (resend restarts the expiry)
	ExpiresAt        time.Time
	InviterName      string
	Offered          []spaces.Grant
	Delivery         Delivery
	RenewalRequested bool
}

// Delivery is what became of the newest email about an invitation.
type Delivery struct {
	State string // "queued", "sent", "failed", "captured", or "" for none
	Error string // the server's reply when it failed
}

// Listed is one row of the users list.
type Listed struct {
	User
	Grants []spaces.Grant
	Invite *Invite // nil unless an invitation is pending
	// InvitedBy names who sent the invitation they joined by, or the
	// pending one; "" for those who never had one (created from the
	// command line or the setup page).
	InvitedBy string
	// InvitedAt is when that invitation was first sent; zero with no
	// InvitedBy.
	InvitedAt time.Time
}

// Sort names an order of the users list.
type Sort string

const (
	ByName   Sort = "name"
	ByEmail  Sort = "email"
	ByStatus Sort = "status"
	ByJoined Sort = "joined"
	// ByLastSignIn orders by the last sign-in, those who never signed in
	// after everyone who has.
	ByLastSignIn Sort = "signin"
)

// ListFilter selects a page of the users list.
type ListFilter struct {
	Status   Status // "" for all
	Query    string // name or email contains
	Sort     Sort
	Desc     bool
	Page     int // from 1
	PerPage  int
	Now      time.Time
	SpaceIDs []int64 // nil: the whole account; else only users with roles or invitations there
	// Undelivered is the "Not delivered" filter, a tab of its own (Status
	// ""): users whose pending invitation's newest email failed, or failed
	// once and waits to be retried. Deactivated users are not in it.
	Undelivered bool
	// After, when set, asks for the PerPage users that come after it in
	// the order (before it, descending), whatever Page says: keyset
	// pagination, for the API. Only ByName and ByEmail take it.
	After *Cursor
	// Holding, a user id, asks whether the filter (tab, search, spaces)
	// matches that user: ListPage.Holds, from the same snapshot as the
	// counts. A row action asks it to know whether its row leaves the view.
	Holding int64
}

// Cursor is where a page of the list ended: its last user and their key
// in the order, as kept (the name shown, or the email, when sorted by
// name; the email by email). The page after it starts after that place,
// so what was added or removed before it shifts nothing, and a cursor
// still works when its user is gone.
type Cursor struct {
	ID  int64
	Key string
}

// CursorOf is where a page of order s ending with l ends.
func CursorOf(s Sort, l Listed) *Cursor {
	if s == ByEmail || l.Name == "" {
		return &Cursor{ID: l.ID, Key: l.Email}
	}
	return &Cursor{ID: l.ID, Key: l.Name}
}

// ListPage is one page of users and the counts behind the tabs.
type ListPage struct {
	// Rows hold what the list shows of each user: no password hash,
	// session version or language (ByID has them).
	Rows   []Listed
	Total  int // rows matching the filter, all pages
	Counts map[Status]int
	All    int
	// Undelivered counts the users the Undelivered filter holds, under the
	// same search and spaces.
	Undelivered int
	// Until is when the clock alone next changes what the list says: the
	// next moment a pending invitation expires (zero: none will).
	Until time.Time
	// Holds says whether the filter matches the user ListFilter.Holding
	// names (false when it names none).
	Holds bool
}

// Pages is how many pages the list's filter fills (at least 1).
func (p ListPage) Pages(perPage int) int {
	if perPage <= 0 {
		perPage = PerPage
	}
	return max(1, (p.Total+perPage-1)/perPage)
}

// SetupInput is what the first-run page asks for.
type SetupInput struct {
	AccountName string
	Email       string
	Name        string
	Password    string
}

// Store is what the users service needs from storage.
type Store interface {
	HasAccountAdmin(ctx context.Context) (bool, error)
	// CreateAccountAdmin creates the account (when accountName is set and
	// there is none) and an active account administrator. It fails with
	// Conflict when firstOnly is set and an account administrator exists,
	// or when the email is taken.
	CreateAccountAdmin(ctx context.Context, accountName, email, name, hash string, now time.Time, firstOnly bool) (User, error)
	ByID(ctx context.Context, id int64) (User, error)
	ByEmail(ctx context.Context, email string) (User, error)
	Grants(ctx context.Context, userID int64) ([]spaces.Grant, error)
	Spaces(ctx context.Context) ([]spaces.Space, error)
	List(ctx context.Context, f ListFilter) (ListPage, error)
	// Listed is one user as a row of the list.
	Listed(ctx context.Context, id int64) (Listed, error)
	// ListedMany is Listed of each of ids that exists, in no particular
	// order.
	ListedMany(ctx context.Context, ids []int64) ([]Listed, error)
	BumpSessionVersion(ctx context.Context, userID int64) error
}

// Service carries out what people do with users.
type Service struct {
	store    Store
	manager  Manager
	exporter Exporter
	// languages keeps each person's and the account's language; the
	// account's is defaultLanguage until an account administrator sets it.
	languages       Languages
	defaultLanguage string
	hasher          *auth.Hasher
	clock           clock.Clock
	baseURL         string // links in emails (SetBaseURL)
}

// SetBaseURL is the public address the emails' links are built on.
func (s *Service) SetBaseURL(u string) { s.baseURL = u }

// StoreManager is a store that also manages users (the db implements both).
type StoreManager interface {
	Store
	Manager
	Languages
	Exporter
}

// NewService wires the users service.
func NewService(store StoreManager, hasher *auth.Hasher, clk clock.Clock) *Service {
	return &Service{store: store, manager: store, exporter: store, languages: store, hasher: hasher, clock: clk, defaultLanguage: i18n.Source}
}

// NeedsSetup reports whether the first-run page is still open.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	ok, err := s.store.HasAccountAdmin(ctx)
	return !ok, err
}

// Setup creates the account and its first administrator. It works only
// while no account administrator exists.
func (s *Service) Setup(ctx context.Context, in SetupInput) (User, error) {
	account, err := names.Account.Clean("account", in.AccountName, true)
	if err != nil {
		return User{}, err
	}
	return s.createAdmin(ctx, account, in.Email, in.Name, in.Password, true)
}

// CreateAdmin adds an active account administrator (the `usher admin
// create` command). accountName names the account if there is none yet.
func (s *Service) CreateAdmin(ctx context.Context, accountName, email, name, password string) (User, error) {
	account, err := names.Account.Clean("account", accountName, false)
	if err != nil {
		return User{}, err
	}
	return s.createAdmin(ctx, account, email, name, password, false)
}

func (s *Service) createAdmin(ctx context.Context, account, email, name, password string, firstOnly bool) (User, error) {
	email, err := ParseEmail("email", email)
	if err != nil {
		return User{}, err
	}
	if name, err = CleanName("name", name, true); err != nil {
		return User{}, err
	}
	if err := auth.CheckNewPassword(password); err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	return s.store.CreateAccountAdmin(ctx, account, email, name, hash, s.clock.Now(), firstOnly)
}

// ErrBadCredentials is the one answer to any failed sign-in, so that it
// reveals nothing about which emails exist.
var ErrBadCredentials = errs.T(errs.Unauthorized, "err.users.bad_credentials")

// Authenticate checks an email and password. Unknown emails, users who have
// not set a password and deactivated users all get ErrBadCredentials after
// the same amount of hashing work.
func (s *Service) Authenticate(ctx context.Context, email, password string) (User, error) {
	u, _, err := s.AuthenticateWhy(ctx, email, password)
	return u, err
}

// Why a sign-in was refused, as the activity log keeps it (never for the
// page, which says the same to all).
const (
	RefusedPassword     = "password"      // a wrong password, or none set yet
	RefusedUnknownEmail = "unknown_email" // nobody has that address
	RefusedDeactivated  = "deactivated"   // the right password of a deactivated user
	RefusedCode         = "code"          // a wrong two-factor code
)

// Refusal says whom a refused sign-in named (0: nobody with that email)
// and why.
type Refusal struct {
	UserID int64
	Reason string
}

// AuthenticateWhy is Authenticate, which also says, for a refusal, whom
// the email named and why it was refused.
func (s *Service) AuthenticateWhy(ctx context.Context, email, password string) (User, Refusal, error) {
	addr, perr := ParseEmail("email", email)
	var u User
	var err error
	if perr == nil {
		u, err = s.store.ByEmail(ctx, addr)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return User{}, Refusal{}, err
		}
	}
	ok, verr := s.hasher.Verify(ctx, password, u.PasswordHash)
	if verr != nil {
		return User{}, Refusal{}, verr
	}
	switch {
	case u.ID == 0:
		return User{}, Refusal{Reason: RefusedUnknownEmail}, ErrBadCredentials
	case !ok:
		return User{}, Refusal{UserID: u.ID, Reason: RefusedPassword}, ErrBadCredentials
	case !u.DeactivatedAt.IsZero():
		return User{}, Refusal{UserID: u.ID, Reason: RefusedDeactivated}, ErrBadCredentials
	}
	return u, Refusal{}, nil
}

// Get returns the user with id. It checks no access: it is for other
// services, which reach a user through something that gives the right (an
// invitation link, or the invitation they sent), never for an id from a
// request; administrators' pages go through Row.
func (s *Service) Get(ctx context.Context, id int64) (User, error) { return s.store.ByID(ctx, id) }

// Access works out what u may administer.
func (s *Service) Access(ctx context.Context, u User) (*spaces.Access, error) {
	a, _, err := s.accessAndAccount(ctx, u)
	return a, err
}

// SignedIn is what the session check of every request reads about the
// user id its cookie names: the user, what they may administer, and the
// account.
func (s *Service) SignedIn(ctx context.Context, id int64) (User, *spaces.Access, spaces.Space, error) {
	u, err := s.store.ByID(ctx, id)
	if err != nil {
		return u, nil, spaces.Space{}, err
	}
	a, account, err := s.accessAndAccount(ctx, u)
	return u, a, account, err
}

// accessAndAccount is Access and Account from one read of the spaces.
func (s *Service) accessAndAccount(ctx context.Context, u User) (*spaces.Access, spaces.Space, error) {
	grants, err := s.store.Grants(ctx, u.ID)
	if err != nil {
		return nil, spaces.Space{}, err
	}
	all, err := s.store.Spaces(ctx)
	if err != nil {
		return nil, spaces.Space{}, err
	}
	t := spaces.NewTree(all)
	return spaces.AccessFor(u.ID, grants, t), t.Root(), nil
}

// GetByEmail is the user with email (already parsed), NotFound if none.
func (s *Service) GetByEmail(ctx context.Context, email string) (User, error) {
	return s.store.ByEmail(ctx, email)
}

// Spaces lists every space of the account.
func (s *Service) Spaces(ctx context.Context) ([]spaces.Space, error) { return s.store.Spaces(ctx) }

// Grants lists the roles u holds.
func (s *Service) Grants(ctx context.Context, u User) ([]spaces.Grant, error) {
	return s.store.Grants(ctx, u.ID)
}

// Account is the top space (its name is shown in the header and emails).
func (s *Service) Account(ctx context.Context) (spaces.Space, error) {
	all, err := s.store.Spaces(ctx)
	if err != nil {
		return spaces.Space{}, err
	}
	root := spaces.NewTree(all).Root()
	if root.ID == 0 {
		return root, errs.T(errs.NotFound, "err.users.not_set_up")
	}
	return root, nil
}

// PerPage is the users list's page size.
const PerPage = 50

// List returns a page of the users list as seen by access.
func (s *Service) List(ctx context.Context, access *spaces.Access, f ListFilter) (ListPage, error) {
	f, err := s.listFilter(access, f)
	if err != nil {
		return ListPage{}, err
	}
	if f.Page < 1 {
		f.Page = 1
	}
	if f.PerPage <= 0 {
		f.PerPage = PerPage
	}
	return s.store.List(ctx, f)
}

// ListAfter is up to f.PerPage users of the list after the cursor after
// (nil: from the start), as access sees it, with the cursor of the page
// after them (nil: none follows). The order is f.Sort, ByName or ByEmail.
func (s *Service) ListAfter(ctx context.Context, access *spaces.Access, f ListFilter, after *Cursor) (ListPage, *Cursor, error) {
	if f.Sort == "" {
		f.Sort = ByName
	}
	if f.Sort != ByName && f.Sort != ByEmail {
		return ListPage{}, nil, errs.T(errs.Invalid, "api.err.sort", "Sort", string(f.Sort))
	}
	n := f.PerPage
	f.Page, f.PerPage, f.After = 1, n+1, after // no cursor: the first page
	page, err := s.List(ctx, access, f)
	if err != nil {
		return page, nil, err
	}
	var next *Cursor
	if len(page.Rows) > n {
		page.Rows = page.Rows[:n]
		next = CursorOf(f.Sort, page.Rows[n-1])
	}
	return page, next, nil
}

// listFilter is f as access may read it, at the clock's now: a space
// administrator's narrowed to their spaces, an unknown tab all of them.
// The list and the export both go through here.
func (s *Service) listFilter(access *spaces.Access, f ListFilter) (ListFilter, error) {
	if !access.IsAdmin() {
		return f, errs.T(errs.Forbidden, "err.users.list_forbidden")
	}
	if !access.AccountAdmin {
		f.SpaceIDs = administeredOf(access, f.SpaceIDs)
	}
	switch f.Status {
	case "", Active, Invited, Expired, Deactivated:
	default:
		f.Status = "" // an unknown tab (a hand-edited URL) shows all
	}
	if f.Undelivered {
		f.Status = "" // a tab of its own
	}
	f.Now = s.clock.Now()
	return f, nil
}

// Row returns one user as the list shows them, if access may see them.
func (s *Service) Row(ctx context.Context, access *spaces.Access, id int64) (Listed, error) {
	l, err := s.store.Listed(ctx, id)
	if err != nil {
		return l, err
	}
	if !Visible(access, l) {
		return Listed{}, errs.T(errs.NotFound, "err.users.no_such")
	}
	return l, nil
}

// Rows are the rows of those of ids that the administrator with access may
// see, as Row has each, in no particular order; the others are left out.
func (s *Service) Rows(ctx context.Context, access *spaces.Access, ids []int64) ([]Listed, error) {
	if !access.IsAdmin() {
		return nil, errs.T(errs.Forbidden, "err.users.list_forbidden")
	}
	all, err := s.store.ListedMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, l := range all {
		if Visible(access, l) {
			out = append(out, l)
		}
	}
	return out, nil
}

// Visible reports whether access may see a user: account administrators see
// everyone; space administrators see people with a role, or a pending
// offer, in a space they administer.
func Visible(access *spaces.Access, l Listed) bool {
	if access.AccountAdmin {
		return true
	}
	for _, g := range l.Grants {
		if access.Administers(g.SpaceID) {
			return true
		}
	}
	if l.Invite != nil {
		for _, g := range l.Invite.Offered {
			if access.Administers(g.SpaceID) {
				return true
			}
		}
	}
	return false
}

// administeredOf narrows a space filter to what access administers: all of
// it when want is nil, else the part of want it covers (never nil, so an
// empty result lists nobody rather than everybody).
func administeredOf(access *spaces.Access, want []int64) []int64 {
	if want == nil {
		return access.AdministeredIDs()
	}
	keep := make([]int64, 0, len(want))
	for _, id := range want {
		if access.Administers(id) {
			keep = append(keep, id)
		}
	}
	return keep
}

// EndSessions signs the user out everywhere.
func (s *Service) EndSessions(ctx context.Context, userID int64) error {
	return s.store.BumpSessionVersion(ctx, userID)
}
