// Package resets is the way back for a person who forgot their password:
// Forgot password on the sign-in page, and the reset link an
// administrator sends from the users list.
package resets

import (
	"cmp"
	"context"
	"strconv"
	"time"

	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/users"
)

// LinkPurpose keeps reset links apart from invitation links: the same
// nonce never makes a working link of the other kind.
const LinkPurpose = "usher password reset link v1"

// Cooldown is how soon after a reset link was sent another one may be:
// a double click, or a form sent twice, sends one email.
const Cooldown = time.Minute

// Reset is one reset link.
type Reset struct {
	ID          int64
	UserID      int64
	Nonce       []byte
	RequestedBy int64 // 0: the person asked themselves
	CreatedAt   time.Time
	ExpiresAt   time.Time
	EndedAt     time.Time // used, replaced, or the password changed
}

// Request is a Forgot password form, kept for the sender's round.
type Request struct {
	ID       int64
	Email    string
	Language string // the form's page's
	At       time.Time
}

// Create is what the store needs to write a reset link.
type Create struct {
	UserID          int64
	Nonce           []byte
	TokenHash       []byte
	RequestedBy     int64
	RequestedByName string
	Now             time.Time
	ExpiresAt       time.Time
	// RequestID is the Forgot password form this answers, dropped in the
	// same transaction (0: an administrator's).
	RequestID int64
}

// Store is what resets need from storage. Every write is one transaction
// that checks the state it expects.
type Store interface {
	// Ask keeps a Forgot password form.
	Ask(ctx context.Context, email, language string, now time.Time) error
	// Asked lists up to limit kept forms, oldest first.
	Asked(ctx context.Context, limit int) ([]Request, error)
	// Drop forgets a kept form.
	Drop(ctx context.Context, id int64) error
	// Person is the user with email (NotFound: none).
	Person(ctx context.Context, email string) (users.User, error)
	// Create ends the user's open links and writes c with its email
	// (compose gets the new link's id), and for an administrator's a line
	// in the history of the user's newest invitation, if they had one. It
	// refuses with ErrSentMomentsAgo when a link was sent within Cooldown,
	// and with Conflict when the user is no longer active.
	Create(ctx context.Context, c Create, compose func(id int64) mail.Outgoing) (Reset, error)
	ByTokenHash(ctx context.Context, hash []byte) (Reset, error)
	// Use ends link id, sets its user's password to hash, ends their other
	// links and enqueues notice, if the link is still open at now and its
	// user active (Conflict otherwise).
	Use(ctx context.Context, id int64, hash string, now time.Time, notice mail.Outgoing) error
}

// ErrSentMomentsAgo is the store's answer to a link within Cooldown of
// the last one.
var ErrSentMomentsAgo = errs.T(errs.TooMany, "reset.err.moments_ago")

// ErrDeadLink answers every link that does not work: used, expired,
// replaced or unknown alike, so that a link tells nothing more.
var ErrDeadLink = errs.T(errs.NotFound, "reset.dead.text")

// Service carries out resets.
type Service struct {
	store       Store
	users       *users.Service
	invitations *invitations.Service
	links       *auth.Links
	hasher      *auth.Hasher
	clock       clock.Clock
	ttl         time.Duration
	baseURL     string
}

// NewService wires resets; ttl is how long a link works (USHER_RESET_TTL).
func NewService(store Store, us *users.Service, invs *invitations.Service, links *auth.Links, hasher *auth.Hasher, clk clock.Clock, ttl time.Duration, baseURL string) *Service {
	return &Service{store: store, users: us, invitations: invs, links: links, hasher: hasher, clock: clk, ttl: ttl, baseURL: baseURL}
}

// TTL is how long a reset link works.
func (s *Service) TTL() time.Duration { return s.ttl }

// LinkFor is the reset page's address for a link's nonce.
func (s *Service) LinkFor(nonce []byte) string {
	return s.baseURL + "/reset/" + s.links.Token(LinkPurpose, nonce)
}

// Ask is the Forgot password form. It does the same work whatever the
// address: it keeps the form, for the email sender's round to answer
// (Produce). So its answer, and how long it takes, say nothing about
// which addresses exist. Only an address that is no address is refused.
func (s *Service) Ask(ctx context.Context, email, language string) error {
	addr, err := users.ParseEmail("email", email)
	if err != nil {
		return err
	}
	return s.store.Ask(ctx, addr, language, s.clock.Now())
}

// askedBatch is how many kept forms one read takes.
const askedBatch = 100

// Produce answers every kept Forgot password form (a mail.Producer, run
// by the sender before each round): an active user gets a reset link, a
// pending invitee their invitation again, anyone else nothing.
func (s *Service) Produce(ctx context.Context) (time.Time, error) {
	for {
		asked, err := s.store.Asked(ctx, askedBatch)
		if err != nil {
			return time.Time{}, err
		}
		for _, r := range asked {
			if err := s.answer(ctx, r); err != nil {
				return time.Time{}, err
			}
		}
		if len(asked) < askedBatch {
			return time.Time{}, nil
		}
	}
}

var _ mail.Producer = (*Service)(nil)

func (s *Service) answer(ctx context.Context, r Request) error {
	u, err := s.store.Person(ctx, r.Email)
	if errs.Is(err, errs.NotFound) {
		return s.store.Drop(ctx, r.ID)
	}
	if err != nil {
		return err
	}
	switch u.StatusAt(s.clock.Now()) {
	case users.Active:
		_, err := s.create(ctx, u, users.User{}, r)
		if err == nil || errs.Is(err, errs.Conflict) || errs.Is(err, errs.TooMany) {
			// Sent, or not to be sent (deactivated meanwhile, or a link
			// sent a moment ago): the form is answered.
			if err != nil {
				return s.store.Drop(ctx, r.ID)
			}
			return nil
		}
		return err
	case users.Invited:
		// Never a reset link: the invitation they have, as it is.
		err := s.invitations.ResendOwn(ctx, u.ID, "forgot:"+strconv.FormatInt(r.ID, 10))
		if err != nil && !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.TooMany) {
			return err
		}
	}
	// An expired or cancelled invitation, a deactivated user: nothing.
	return s.store.Drop(ctx, r.ID)
}

// Send is an administrator's "Send password reset link" on an active
// user, with the rules of the user's other actions: reached through the
// users list (404 outside the actor's spaces), managed by the actor (no
// one with roles beyond theirs).
func (s *Service) Send(ctx context.Context, actor invitations.Actor, id int64) (users.Changed, error) {
	l, err := s.users.Row(ctx, actor.Access, id)
	if err != nil {
		return users.Changed{}, err
	}
	if !users.Manages(actor.Access, l) {
		return users.Unchanged(l), errs.T(errs.Forbidden, "err.users.roles_outside", "Email", l.Email)
	}
	if id == actor.Access.UserID {
		return users.Unchanged(l), errs.T(errs.Conflict, "reset.err.self")
	}
	if l.StatusAt(s.clock.Now()) != users.Active {
		return users.Unchanged(l), errs.T(errs.Conflict, "reset.err.not_active", "Email", l.Email)
	}
	if _, err := s.create(ctx, l.User, actor.User, Request{}); err != nil {
		if errs.Is(err, errs.TooMany) {
			err = errs.WaitT(Cooldown, "reset.err.moments_ago_email", "Email", l.Email)
		}
		return users.Unchanged(l), err
	}
	return s.users.After(ctx, actor.Access, l.User)
}

// create writes a new reset link for u, asked for by by (zero: u), and
// its email, in u's language (else the page's they asked on, else the
// account's).
func (s *Service) create(ctx context.Context, u, by users.User, r Request) (Reset, error) {
	account, err := s.users.Account(ctx)
	if err != nil {
		return Reset{}, err
	}
	now := s.clock.Now()
	nonce := auth.NewNonce()
	c := Create{
		UserID:    u.ID,
		Nonce:     nonce,
		TokenHash: auth.TokenHash(LinkPurpose, s.links.Token(LinkPurpose, nonce)),
		Now:       now,
		ExpiresAt: now.Add(s.ttl),
		RequestID: r.ID,
	}
	if by.ID != 0 {
		c.RequestedBy, c.RequestedByName = by.ID, by.DisplayName()
	}
	lang := cmp.Or(u.Language, r.Language, s.users.DefaultLanguage(ctx))
	return s.store.Create(ctx, c, func(id int64) mail.Outgoing {
		return mail.Outgoing{
			Key:     "reset:" + strconv.FormatInt(id, 10),
			Kind:    mail.PasswordReset,
			To:      u.Email,
			ResetID: id,
			Payload: mail.Payload{
				AccountName:  account.Name,
				InviteeName:  u.Name,
				InviteeEmail: u.Email,
				ExpiresAt:    c.ExpiresAt,
				Language:     lang,
				RequestedBy:  c.RequestedByName,
				ResetTTL:     s.ttl,
			},
		}
	})
}

// Lookup finds the user a link may reset the password of. Opening the
// page never uses the link: mail scanners open links before people do.
func (s *Service) Lookup(ctx context.Context, token string) (Reset, users.User, error) {
	if !auth.WellFormed(token) {
		return Reset{}, users.User{}, ErrDeadLink
	}
	r, err := s.store.ByTokenHash(ctx, auth.TokenHash(LinkPurpose, token))
	if errs.Is(err, errs.NotFound) {
		return r, users.User{}, ErrDeadLink
	}
	if err != nil {
		return r, users.User{}, err
	}
	if !r.EndedAt.IsZero() || !s.clock.Now().Before(r.ExpiresAt) {
		return r, users.User{}, ErrDeadLink
	}
	u, err := s.users.Get(ctx, r.UserID)
	if errs.Is(err, errs.NotFound) || err == nil && u.StatusAt(s.clock.Now()) != users.Active {
		return r, u, ErrDeadLink
	}
	return r, u, err
}

// Reset sets a new password through a link, once: the link ends, every
// other link of the person ends, every session of theirs ends (the caller
// signs this browser in afresh), and they are told by email. d is the
// browser it was done from.
func (s *Service) Reset(ctx context.Context, token, password string, d users.Device) (users.User, error) {
	r, u, err := s.Lookup(ctx, token)
	if err != nil {
		return u, err
	}
	if err := auth.CheckNewPassword(password); err != nil {
		return u, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return u, err
	}
	now := s.clock.Now()
	notice, err := s.users.PasswordChangedNotice(ctx, u, d, now, "password_changed:reset:"+strconv.FormatInt(r.ID, 10))
	if err != nil {
		return u, err
	}
	if err := s.store.Use(ctx, r.ID, hash, now, notice); err != nil {
		if errs.Is(err, errs.Conflict) {
			err = ErrDeadLink // used by a second click a moment ago, say
		}
		return u, err
	}
	if err := s.users.EndSessions(ctx, u.ID); err != nil {
		return u, err
	}
	return s.users.Get(ctx, u.ID)
}
