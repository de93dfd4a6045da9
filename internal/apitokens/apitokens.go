// Package apitokens is what other programs show to use Usher's API: a
// token an administrator makes, named, with an expiry and scopes. A token
// acts for the administrator who made it, with their rights as they are at
// each request (so it loses what they lose), capped by its scopes. Only a
// hash of the secret is kept; the secret is shown once.
package apitokens

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// Scope is what a token may be used for.
type Scope string

const (
	// UsersRead reads the users list, a user and the spaces.
	UsersRead Scope = "users:read"
	// InvitationsWrite invites, and resends, renews, changes and cancels
	// invitations.
	InvitationsWrite Scope = "invitations:write"
	// UsersWrite edits, deactivates, activates and deletes users.
	UsersWrite Scope = "users:write"
)

// Scopes are every scope, in the order the page offers them.
var Scopes = []Scope{UsersRead, InvitationsWrite, UsersWrite}

// Known reports whether s is one of Scopes.
func (s Scope) Known() bool { return slices.Contains(Scopes, s) }

// Token is an API token as kept: never its secret.
type Token struct {
	ID     int64
	UserID int64 // who made it, and for whom it acts
	// OwnerName and OwnerEmail name who made it, for an account
	// administrator's list of every token.
	OwnerName, OwnerEmail string
	Name                  string
	// Prefix is the secret's first characters, to tell tokens apart.
	Prefix     string
	Scopes     []Scope
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time // zero: not yet
	RevokedAt  time.Time // zero: not revoked
}

// Has reports whether t carries scope s.
func (t Token) Has(s Scope) bool { return slices.Contains(t.Scopes, s) }

// Live reports whether t may be used at now.
func (t Token) Live(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// Store keeps the tokens (db.APITokenStore). Create and Revoke write the
// activity row in the same transaction.
type Store interface {
	Create(ctx context.Context, t Token, hash []byte) (Token, error)
	List(ctx context.Context, userID int64) ([]Token, error) // userID 0: everyone's
	Get(ctx context.Context, id int64) (Token, error)
	Revoke(ctx context.Context, id int64, at time.Time) (Token, error)
	ByHash(ctx context.Context, hash []byte) (Token, error)
	Used(ctx context.Context, id int64, at time.Time) error
}

// Service makes, lists, revokes and checks tokens.
type Service struct {
	store Store
	keys  IdempotencyStore
	clock clock.Clock
}

func New(store Store, keys IdempotencyStore, c clock.Clock) *Service {
	return &Service{store: store, keys: keys, clock: c}
}

// Lifetimes are the expiries the page offers, in days; 0 is never.
var Lifetimes = []int{30, 90, 365, 0}

// CreateInput is the form of a new token.
type CreateInput struct {
	Name   string
	Days   int // one of Lifetimes
	Scopes []Scope
}

// SecretPrefix starts every secret, so that one pasted where it should
// not be is recognised (by a secret scanner, by a person).
const SecretPrefix = "usher_"

// touchEvery is how often a token's last use is written: each write moves
// the database's generation, which empties what is kept in memory.
const touchEvery = time.Minute

// maxName is the longest name a token may have, in characters.
const maxName = 100

// Create makes a token for owner, an administrator (access), and gives
// its secret: the only time anyone sees it.
func (s *Service) Create(ctx context.Context, owner users.User, access *spaces.Access, in CreateInput) (Token, string, error) {
	if !access.IsAdmin() {
		return Token{}, "", errs.T(errs.Forbidden, "web.admins_only")
	}
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		return Token{}, "", errs.FieldT("name", "apitokens.err.name_missing")
	case utf8.RuneCountInString(name) > maxName:
		return Token{}, "", errs.FieldT("name", "apitokens.err.name_long", "Max", maxName)
	}
	if !slices.Contains(Lifetimes, in.Days) {
		return Token{}, "", errs.FieldT("days", "apitokens.err.lifetime")
	}
	var scopes []Scope
	for _, sc := range Scopes { // in their order, each once
		if slices.Contains(in.Scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	if len(scopes) == 0 || len(scopes) != len(uniq(in.Scopes)) {
		return Token{}, "", errs.FieldT("scopes", "apitokens.err.scopes")
	}
	secret, hash := auth.NewSecret(SecretPrefix)
	now := s.clock.Now()
	t := Token{UserID: owner.ID, OwnerName: owner.Name, OwnerEmail: owner.Email, Name: name,
		Prefix: secret[:len(SecretPrefix)+6], Scopes: scopes, CreatedAt: now}
	if in.Days > 0 {
		t.ExpiresAt = now.AddDate(0, 0, in.Days)
	}
	t, err := s.store.Create(ctx, t, hash)
	return t, secret, err
}

func uniq(in []Scope) []Scope {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// List is the tokens viewer may see: an account administrator every
// token, another administrator their own.
func (s *Service) List(ctx context.Context, viewer users.User, access *spaces.Access) ([]Token, error) {
	if !access.IsAdmin() {
		return nil, errs.T(errs.Forbidden, "web.admins_only")
	}
	if access.AccountAdmin {
		return s.store.List(ctx, 0)
	}
	return s.store.List(ctx, viewer.ID)
}

// Revoke ends token id at once: its owner's, or any for an account
// administrator. Revoking one already revoked is Conflict.
func (s *Service) Revoke(ctx context.Context, viewer users.User, access *spaces.Access, id int64) (Token, error) {
	t, err := s.store.Get(ctx, id)
	if err != nil {
		return t, err
	}
	if !access.IsAdmin() || (t.UserID != viewer.ID && !access.AccountAdmin) {
		return Token{}, errs.T(errs.NotFound, "apitokens.err.no_such")
	}
	if !t.RevokedAt.IsZero() {
		return t, errs.T(errs.Conflict, "apitokens.err.revoked_already", "Name", t.Name)
	}
	return s.store.Revoke(ctx, id, s.clock.Now())
}

// Authenticate finds the live token whose secret is given. Whether its
// owner may still act is for the caller to check, with their access as it
// is now. Unauthorized, with one sentence for every reason, otherwise.
func (s *Service) Authenticate(ctx context.Context, secret string) (Token, error) {
	refused := errs.T(errs.Unauthorized, "api.err.token")
	if !strings.HasPrefix(secret, SecretPrefix) || len(secret) > 100 {
		return Token{}, refused
	}
	t, err := s.store.ByHash(ctx, auth.SecretHash(secret))
	if errs.Is(err, errs.NotFound) {
		return Token{}, refused
	}
	if err != nil {
		return Token{}, err
	}
	now := s.clock.Now()
	if !t.Live(now) {
		return Token{}, refused
	}
	if now.Sub(t.LastUsedAt) >= touchEvery {
		if err := s.store.Used(ctx, t.ID, now); err != nil {
			return Token{}, err
		}
		t.LastUsedAt = now
	}
	return t, nil
}
