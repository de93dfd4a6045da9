// Package apps is the organisation's apps that sign people in with Usher
// (OpenID Connect, issue 21): each registered by an account administrator
// with its exact redirect URIs, its kind (a server app with a secret, or
// a browser or mobile app without one, which must use PKCE), the spaces
// whose roles it may see, and, optionally, the spaces someone must hold a
// role in to sign in to it.
package apps

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
)

// Kind is how an app proves itself at the token endpoint.
type Kind string

const (
	// Server apps keep a client secret (confidential clients).
	Server Kind = "server"
	// Public apps run in a browser or on a phone and keep no secret; they
	// must use PKCE (S256).
	Public Kind = "public"
)

// App is a registered app, as kept: never its secret.
type App struct {
	ID       int64
	ClientID string
	Name     string
	Kind     Kind
	// RedirectURIs are matched exactly, byte for byte.
	RedirectURIs []string
	// FirstParty apps are the organisation's own: no consent page.
	FirstParty bool
	// Visible are the spaces whose roles the app's tokens carry (none:
	// only the account's); Required, when not empty, are those someone
	// must hold a role in to sign in to it.
	Visible, Required []int64
	// SecretPrefix is the start of the current secret, to tell secrets
	// apart ("" for a public app, or once the secret is revoked).
	SecretPrefix string
	SecretAt     time.Time // when the current secret was made
	CreatedAt    time.Time
}

// HasSecret reports whether a server app can authenticate now.
func (a App) HasSecret() bool { return a.SecretPrefix != "" }

// RedirectAllowed reports whether uri is one of a's, exactly.
func (a App) RedirectAllowed(uri string) bool { return slices.Contains(a.RedirectURIs, uri) }

// Store keeps the apps (db.AppStore). The writes record their activity
// rows in their transactions.
type Store interface {
	Create(ctx context.Context, a App, secretHash []byte) (App, error)
	List(ctx context.Context) ([]App, error)
	Get(ctx context.Context, id int64) (App, error)
	ByClientID(ctx context.Context, clientID string) (App, []byte, error) // with the secret's hash (nil: none)
	SetSecret(ctx context.Context, id int64, hash []byte, prefix string, at time.Time) (App, error)
	Delete(ctx context.Context, id int64, at time.Time) (App, error)
}

// Service registers apps and checks their credentials.
type Service struct {
	store Store
	clock clock.Clock
}

func New(store Store, c clock.Clock) *Service { return &Service{store: store, clock: c} }

// Input is the registration form.
type Input struct {
	Name         string
	Kind         Kind
	RedirectURIs string // one per line
	FirstParty   bool
	Visible      []int64
	Required     []int64
}

// SecretPrefix starts every client secret.
const SecretPrefix = "usher_secret_"

// maxRedirects is how many redirect URIs an app may have.
const maxRedirects = 10

func (s *Service) admin(access *spaces.Access) error {
	if !access.AccountAdmin {
		return errs.T(errs.Forbidden, "web.account_admins_only")
	}
	return nil
}

// Register adds an app and gives its client secret (a server app's; ""
// for a public one), shown this once.
func (s *Service) Register(ctx context.Context, access *spaces.Access, in Input) (App, string, error) {
	if err := s.admin(access); err != nil {
		return App{}, "", err
	}
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		return App{}, "", errs.FieldT("name", "apps.err.name_missing")
	case utf8.RuneCountInString(name) > 100:
		return App{}, "", errs.FieldT("name", "apps.err.name_long", "Max", 100)
	}
	if in.Kind != Server && in.Kind != Public {
		return App{}, "", errs.FieldT("kind", "apps.err.kind")
	}
	uris, err := redirects(in.RedirectURIs, in.Kind)
	if err != nil {
		return App{}, "", err
	}
	for _, id := range append(slices.Clone(in.Visible), in.Required...) {
		if !access.Administers(id) {
			return App{}, "", errs.FieldT("visible", "apps.err.space")
		}
	}
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	now := s.clock.Now()
	a := App{ClientID: hex.EncodeToString(raw), Name: name, Kind: in.Kind, RedirectURIs: uris, FirstParty: in.FirstParty,
		Visible: uniqIDs(in.Visible), Required: uniqIDs(in.Required), CreatedAt: now}
	var secret string
	var hash []byte
	if a.Kind == Server {
		secret, hash = auth.NewSecret(SecretPrefix)
		a.SecretPrefix, a.SecretAt = secret[:len(SecretPrefix)+6], now
	}
	a, err = s.store.Create(ctx, a, hash)
	return a, secret, err
}

func uniqIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// redirects reads the redirect URIs, one per line, as OAuth 2.0's
// security best practice (RFC 9700) wants them: absolute, no fragment,
// https, or http only to this machine's loopback (RFC 8252, for
// development and desktop apps); a public app may also use a private
// scheme of its own ("com.example.app:/callback").
func redirects(raw string, kind Kind) ([]string, error) {
	var out []string
	for _, line := range strings.Split(raw, "\n") {
		u := strings.TrimSpace(line)
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || !p.IsAbs() || p.Fragment != "" || strings.Contains(u, "#") || len(u) > 2000 {
			return nil, errs.FieldT("redirect_uris", "apps.err.redirect", "URI", u)
		}
		switch {
		case p.Scheme == "https" && p.Host != "":
		case p.Scheme == "http" && loopback(p.Hostname()):
		case kind == Public && strings.Contains(p.Scheme, ".") && p.Scheme != "http" && p.Scheme != "https":
		default:
			return nil, errs.FieldT("redirect_uris", "apps.err.redirect", "URI", u)
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil, errs.FieldT("redirect_uris", "apps.err.redirect_missing")
	}
	if len(out) > maxRedirects {
		return nil, errs.FieldT("redirect_uris", "apps.err.redirect_many", "Max", maxRedirects)
	}
	return out, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// List is every app.
func (s *Service) List(ctx context.Context, access *spaces.Access) ([]App, error) {
	if err := s.admin(access); err != nil {
		return nil, err
	}
	return s.store.List(ctx)
}

// Get is one app.
func (s *Service) Get(ctx context.Context, access *spaces.Access, id int64) (App, error) {
	if err := s.admin(access); err != nil {
		return App{}, err
	}
	return s.store.Get(ctx, id)
}

// RotateSecret gives a server app a new secret, shown this once; the old
// one stops working at once.
func (s *Service) RotateSecret(ctx context.Context, access *spaces.Access, id int64) (App, string, error) {
	a, err := s.Get(ctx, access, id)
	if err != nil {
		return a, "", err
	}
	if a.Kind != Server {
		return a, "", errs.T(errs.Conflict, "apps.err.public_secret", "Name", a.Name)
	}
	secret, hash := auth.NewSecret(SecretPrefix)
	a, err = s.store.SetSecret(ctx, id, hash, secret[:len(SecretPrefix)+6], s.clock.Now())
	return a, secret, err
}

// RevokeSecret takes a server app's secret away at once: it signs nobody
// in until it is given a new one.
func (s *Service) RevokeSecret(ctx context.Context, access *spaces.Access, id int64) (App, error) {
	a, err := s.Get(ctx, access, id)
	if err != nil {
		return a, err
	}
	if !a.HasSecret() {
		return a, errs.T(errs.Conflict, "apps.err.no_secret", "Name", a.Name)
	}
	return s.store.SetSecret(ctx, id, nil, "", s.clock.Now())
}

// Delete removes an app.
func (s *Service) Delete(ctx context.Context, access *spaces.Access, id int64) (App, error) {
	if err := s.admin(access); err != nil {
		return App{}, err
	}
	return s.store.Delete(ctx, id, s.clock.Now())
}

// Authenticate finds the app of clientID and, for a server app, checks
// its secret in constant time. One refusal for every reason.
func (s *Service) Authenticate(ctx context.Context, clientID, secret string) (App, error) {
	refused := errs.T(errs.Unauthorized, "apps.err.client")
	a, hash, err := s.store.ByClientID(ctx, clientID)
	if errs.Is(err, errs.NotFound) {
		return App{}, refused
	}
	if err != nil {
		return App{}, err
	}
	if a.Kind == Public {
		return a, nil
	}
	if hash == nil || subtle.ConstantTimeCompare(auth.SecretHash(secret), hash) != 1 {
		return App{}, refused
	}
	return a, nil
}
