package invitations

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// Service carries out what administrators and invitees do with invitations.
type Service struct {
	store   Store
	users   *users.Service
	links   *auth.Links
	hasher  *auth.Hasher
	clock   clock.Clock
	ttl     time.Duration
	baseURL string
	// sendLimit is each administrator's Budget.Max.
	sendLimit int
}

// NewService wires the invitations service. baseURL is the public address
// links are built on (never the request's Host header); sendLimit is how
// many emails one administrator's actions may send in a SendWindow.
func NewService(store Store, us *users.Service, links *auth.Links, hasher *auth.Hasher, clk clock.Clock, ttl time.Duration, baseURL string, sendLimit int) *Service {
	return &Service{store: store, users: us, links: links, hasher: hasher, clock: clk, ttl: ttl, baseURL: baseURL, sendLimit: sendLimit}
}

// TTL is how long a link stays valid after it is sent.
func (s *Service) TTL() time.Duration { return s.ttl }

// LinkFor is the accept page address for an invitation's nonce.
func (s *Service) LinkFor(nonce []byte) string {
	return s.baseURL + "/invite/" + s.links.Token(LinkPurpose, nonce)
}

// InviteInput is one address to invite.
type InviteInput struct {
	Email   string
	Name    string
	Offered []spaces.Grant
	// Language is the invitee's language (an i18n code): their emails and
	// accept page speak it. "": the account's default.
	Language string
}

// Invite sends a new invitation to one address, as a program would: an
// address already known fails with *Existing (NotFound when it belongs to
// someone outside actor's spaces), so nothing is ever sent twice for one
// person.
func (s *Service) Invite(ctx context.Context, actor Actor, in InviteInput) (Invitation, error) {
	out, err := s.create(ctx, actor, []string{in.Email}, in.Name, in.Offered, in.Language)
	if err != nil {
		return Invitation{}, err
	}
	if out[0].Existing == nil {
		return out[0].Invitation, nil
	}
	ex, _, err := s.known(ctx, actor, *out[0].Existing)
	if err != nil {
		return Invitation{}, err
	}
	return Invitation{}, &ex
}

// Result is what the Invite user form came to, each address in the order
// given.
type Result struct {
	// Sent are the invitations the form sent, with those that this same
	// form sent a moment ago (a double click).
	Sent []Invitation
	// Known are the addresses of people actor may see who already have a
	// pending invitation or are users: nothing was sent to them.
	Known []Existing
	// Hidden are the addresses of people outside actor's spaces: nothing
	// was sent, and nothing more is said about them.
	Hidden []string
}

// InviteMany is the Invite user form: the same offer to each of emails
// (a name only with one), in one step. The new addresses count against
// the administrator's budget, and when they would go past it nothing is
// sent at all.
func (s *Service) InviteMany(ctx context.Context, actor Actor, emails []string, name string, offered []spaces.Grant, language string) (Result, error) {
	out, err := s.create(ctx, actor, emails, name, offered, language)
	if err != nil {
		return Result{}, err
	}
	var r Result
	for _, o := range out {
		if o.Existing == nil {
			r.Sent = append(r.Sent, o.Invitation)
			continue
		}
		ex, pending, err := s.known(ctx, actor, *o.Existing)
		switch {
		case errs.Is(err, errs.NotFound):
			r.Hidden = append(r.Hidden, o.Email)
		case err != nil:
			return Result{}, err
		case pending != nil && s.sameClick(actor, *pending, offered):
			r.Sent = append(r.Sent, *pending)
		default:
			r.Known = append(r.Known, ex)
		}
	}
	return r, nil
}

// create writes an invitation for each new address of emails; the known
// ones come back with *Existing as the store found them.
func (s *Service) create(ctx context.Context, actor Actor, emails []string, name string, offered []spaces.Grant, language string) ([]Outcome, error) {
	var parsed []string
	seen := map[string]bool{}
	for _, raw := range emails {
		email, err := users.ParseEmail("email", raw)
		if err != nil {
			return nil, err
		}
		if !seen[email] {
			seen[email] = true
			parsed = append(parsed, email)
		}
	}
	if len(parsed) == 0 {
		return nil, errs.FieldT("email", "err.invitations.email_empty")
	}
	name, err := users.CleanName("name", name, false)
	if err != nil {
		return nil, err
	}
	if len(parsed) > 1 && name != "" {
		return nil, errs.FieldT("name", "err.invitations.name_for_one")
	}
	if err := s.checkOffer(actor, offered); err != nil {
		return nil, err
	}
	b := s.budget(actor)
	if err := b.fits(len(parsed)); err != nil {
		return nil, err
	}
	if language == "" {
		language = s.users.DefaultLanguage(ctx)
	} else if !i18n.Default().Has(language) {
		return nil, errs.FieldT("language", "lang.err_unknown_invitation", "Code", language)
	}
	account, err := s.users.Account(ctx)
	if err != nil {
		return nil, err
	}
	cs := make([]Create, len(parsed))
	for i, email := range parsed {
		cs[i] = s.prepare(actor, Create{Email: email, Name: name, Offered: offered, Kind: mail.Invitation, Language: language})
	}
	return s.store.Create(ctx, cs, b, func(inv Invitation) mail.Outgoing {
		return s.outgoing(mail.Invitation, "send:"+strconv.FormatInt(inv.ID, 10), inv, account.Name, name)
	})
}

// errNotHere answers an address that belongs to someone actor may not see.
var errNotHere = errs.T(errs.NotFound, "err.invitations.not_here")

// known completes what the store found about an address already known,
// if actor may see its owner (errNotHere if not): for an Invited user,
// when their invitation was last sent, and the invitation itself.
func (s *Service) known(ctx context.Context, actor Actor, ex Existing) (Existing, *Invitation, error) {
	if _, err := s.users.Row(ctx, actor.Access, ex.User.ID); errs.Is(err, errs.NotFound) {
		return ex, nil, errNotHere
	} else if err != nil {
		return ex, nil, err
	}
	if ex.Status != users.Invited {
		return ex, nil, nil
	}
	p, err := s.store.PendingFor(ctx, ex.User.ID)
	if err != nil {
		return ex, nil, err
	}
	ex.SentAt = p.SentAt
	return ex, &p, nil
}

// DoubleSubmitWindow is how soon a second identical Invite user form
// counts as the same click.
const DoubleSubmitWindow = 10 * time.Second

// sameClick reports whether the pending invitation p, found for an address
// the form names, is what actor's identical form sent a moment ago: the
// first click of a double click, which the second one only repeats.
func (s *Service) sameClick(actor Actor, p Invitation, offered []spaces.Grant) bool {
	return p.InvitedBy == actor.User.ID && s.clock.Now().Sub(p.CreatedAt) < DoubleSubmitWindow &&
		p.SentAt.Equal(p.CreatedAt) && sameOffer(p.Offered, offered)
}

// sameOffer reports whether two offers hold the same roles in the same
// spaces, in any order.
func sameOffer(a, b []spaces.Grant) bool {
	key := func(gs []spaces.Grant) []string {
		var out []string
		for _, g := range gs {
			out = append(out, strconv.FormatInt(g.SpaceID, 10)+":"+string(g.Role))
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

func (s *Service) checkOffer(actor Actor, offered []spaces.Grant) error {
	if len(offered) == 0 {
		return errs.FieldT("roles", "err.invitations.roles_empty")
	}
	for _, g := range offered {
		if _, ok := spaces.ParseRole(string(g.Role)); !ok {
			return errs.FieldT("roles", "err.invitations.role_unknown")
		}
	}
	if !actor.Access.MayOfferAll(offered) {
		return errs.T(errs.Forbidden, "err.invitations.offer_forbidden")
	}
	return nil
}

// mayActOn reports whether access reaches an invitation offering offered.
// One with no roles left (cancelled by removing them all) belongs to no
// space, so only account administrators reach it.
func mayActOn(access *spaces.Access, offered []spaces.Grant) bool {
	return users.MayActOnOffer(access, offered) // the rule the row's menu follows too
}

// prepare fills in what every new invitation by actor carries: who sent
// it, a fresh link, when it was sent and when it expires.
func (s *Service) prepare(actor Actor, c Create) Create {
	now := s.clock.Now()
	nonce := auth.NewNonce()
	c.InvitedBy = actor.User.ID
	c.InviterName = actor.User.DisplayName()
	c.Nonce = nonce
	c.TokenHash = auth.TokenHash(LinkPurpose, s.links.Token(LinkPurpose, nonce))
	c.Now = now
	c.ExpiresAt = now.Add(s.ttl)
	return c
}

func (s *Service) outgoing(kind mail.Kind, key string, inv Invitation, accountName, inviteeName string) mail.Outgoing {
	m := mail.Outgoing{
		Key:          key,
		Kind:         kind,
		To:           inv.Email,
		InvitationID: inv.ID,
		Payload: mail.Payload{
			AccountName:  accountName,
			InviterName:  inv.InviterName,
			InviteeName:  inviteeName,
			InviteeEmail: inv.Email,
			ExpiresAt:    inv.ExpiresAt,
			Language:     inv.Language,
		},
	}
	m.Payload.OfferRoles(inv.Offered)
	return m
}

// pendingFor loads the user's pending invitation, as far as actor may see
// them and it.
func (s *Service) pendingFor(ctx context.Context, actor Actor, userID int64) (users.Listed, Invitation, error) {
	l, err := s.users.Row(ctx, actor.Access, userID)
	if err != nil {
		return l, Invitation{}, err
	}
	inv, err := s.store.PendingFor(ctx, userID)
	if errs.Is(err, errs.NotFound) {
		return l, inv, errs.T(errs.Conflict, "err.invitations.none_pending", "Email", l.Email)
	}
	if err != nil {
		return l, inv, err
	}
	if !mayActOn(actor.Access, inv.Offered) {
		// Invitations outside the actor's spaces do not exist for them.
		return l, inv, errs.T(errs.NotFound, "err.invitations.no_such")
	}
	if !l.DeactivatedAt.IsZero() {
		return l, inv, errs.T(errs.Conflict, "err.invitations.user_deactivated", "Email", l.Email)
	}
	return l, inv, nil
}

// Link returns the invitation link of a user's pending, unexpired invitation
// (the one that was emailed).
func (s *Service) Link(ctx context.Context, actor Actor, userID int64) (string, users.User, error) {
	l, inv, err := s.pendingFor(ctx, actor, userID)
	if err != nil {
		return "", l.User, err
	}
	if inv.ExpiredAt(s.clock.Now()) {
		return "", l.User, errs.T(errs.Conflict, "err.invitations.link_expired", "Email", l.Email)
	}
	return s.LinkFor(inv.Nonce), l.User, nil
}

// Resend emails the same link again and restarts its expiry from now.
func (s *Service) Resend(ctx context.Context, actor Actor, userID int64) (users.Changed, error) {
	l, inv, err := s.pendingFor(ctx, actor, userID)
	if err != nil {
		return users.Unchanged(l), err
	}
	now := s.clock.Now()
	if inv.ExpiredAt(now) {
		return users.Unchanged(l), errs.T(errs.Conflict, "err.invitations.resend_expired", "Email", l.Email)
	}
	if wait := inv.SentAt.Add(ResendCooldown).Sub(now); wait > 0 {
		return users.Unchanged(l), cooldownError(l.Email, wait)
	}
	account, err := s.users.Account(ctx)
	if err != nil {
		return users.Unchanged(l), err
	}
	expires := now.Add(s.ttl)
	sent := inv
	sent.ExpiresAt = expires
	msg := s.outgoing(mail.Reminder, fmt.Sprintf("resend:%d:%d", inv.ID, now.Unix()), sent, account.Name, l.Name)
	err = s.store.Resend(ctx, inv.ID, actor.User, now, now.Add(-ResendCooldown), expires, s.budget(actor), msg)
	if errors.Is(err, ErrSentMomentsAgo) {
		// Another administrator resent it a moment ago.
		err = cooldownError(l.Email, ResendCooldown)
	}
	if err != nil {
		return users.Unchanged(l), err
	}
	return s.users.After(ctx, actor.Access, l.User)
}

// ResendOwn is an invitee asking for their invitation again, by Forgot
// password on the sign-in page: the reminder with the same link and the
// same expiry (asking never prolongs an invitation), counted as a resend
// (a line in its history, by them; the cooldown). Only a pending,
// unexpired invitation of someone not deactivated is sent: an expired,
// cancelled or accepted one never comes back this way. key is the
// outbox's, so that answering one form twice sends one email.
func (s *Service) ResendOwn(ctx context.Context, userID int64, key string) error {
	u, err := s.users.Get(ctx, userID)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if u.StatusAt(now) != users.Invited {
		return errs.T(errs.Conflict, "err.invitations.none_pending", "Email", u.Email)
	}
	inv, err := s.store.PendingFor(ctx, userID)
	if errs.Is(err, errs.NotFound) {
		return errs.T(errs.Conflict, "err.invitations.none_pending", "Email", u.Email)
	}
	if err != nil {
		return err
	}
	if inv.ExpiredAt(now) {
		return errs.T(errs.Conflict, "err.invitations.resend_expired", "Email", u.Email)
	}
	if wait := inv.SentAt.Add(ResendCooldown).Sub(now); wait > 0 {
		return cooldownError(u.Email, wait)
	}
	account, err := s.users.Account(ctx)
	if err != nil {
		return err
	}
	msg := s.outgoing(mail.Reminder, key, inv, account.Name, u.Name)
	// Their own sends only: an invitee is no administrator with a budget.
	b := Budget{Actor: u.ID, Max: s.sendLimit, Window: SendWindow}
	err = s.store.Resend(ctx, inv.ID, u, now, now.Add(-ResendCooldown), inv.ExpiresAt, b, msg)
	if errors.Is(err, ErrSentMomentsAgo) {
		err = cooldownError(u.Email, ResendCooldown)
	}
	return err
}

// ErrSentMomentsAgo is the store's answer to a resend within
// ResendCooldown of the last send.
var ErrSentMomentsAgo = errs.T(errs.TooMany, "err.invitations.sent_moments_ago")

func cooldownError(email string, wait time.Duration) error {
	secs := int(wait.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	id := "err.invitations.resend_wait_seconds"
	if secs == 1 {
		id = "err.invitations.resend_wait_second"
	}
	return errs.WaitT(time.Duration(secs)*time.Second, id, "Email", email, "Count", secs)
}

// Renew sends a new invitation after the old one expired: a new link and a
// new expiry; the old link stops working at once.
func (s *Service) Renew(ctx context.Context, actor Actor, userID int64) (users.Changed, error) {
	l, inv, err := s.pendingFor(ctx, actor, userID)
	if err != nil {
		return users.Unchanged(l), err
	}
	if !inv.ExpiredAt(s.clock.Now()) {
		return users.Unchanged(l), errs.T(errs.Conflict, "err.invitations.not_expired", "Email", l.Email)
	}
	account, err := s.users.Account(ctx)
	if err != nil {
		return users.Unchanged(l), err
	}
	c := s.prepare(actor, Create{Email: inv.Email, Name: l.Name, Offered: inv.Offered, Kind: mail.NewInvitation, Supersedes: inv.ID, Language: inv.Language})
	_, err = s.store.Renew(ctx, c, s.budget(actor), func(inv Invitation) mail.Outgoing {
		return s.outgoing(mail.NewInvitation, "send:"+strconv.FormatInt(inv.ID, 10), inv, account.Name, l.Name)
	})
	if err != nil {
		return users.Unchanged(l), err
	}
	return s.users.After(ctx, actor.Access, l.User)
}

// Cancel ends a user's pending invitation; one who never joined leaves
// the list.
func (s *Service) Cancel(ctx context.Context, actor Actor, userID int64) (users.Changed, error) {
	l, inv, err := s.pendingFor(ctx, actor, userID)
	if err != nil {
		return users.Unchanged(l), err
	}
	if err := s.store.Cancel(ctx, inv.ID, actor.User, s.clock.Now()); err != nil {
		return users.Unchanged(l), err
	}
	return s.users.After(ctx, actor.Access, l.User)
}

// RemoveRoles takes roles (by space) off a user's pending invitation, as
// Manage invitation does. Taking the last one cancels the invitation, and a
// user who never accepted leaves the list; it reports whether that happened.
func (s *Service) RemoveRoles(ctx context.Context, actor Actor, userID int64, spaceIDs []int64) (users.Changed, bool, error) {
	l, inv, err := s.pendingFor(ctx, actor, userID)
	if err != nil {
		return users.Unchanged(l), false, err
	}
	removing, _ := inv.Without(spaceIDs)
	if len(removing) == 0 {
		return users.Unchanged(l), false, errs.FieldT("roles", "err.invitations.remove_none")
	}
	cancelled, err := s.store.RemoveRoles(ctx, inv.ID, spaceIDs, actor.User, s.clock.Now())
	if err != nil {
		return users.Unchanged(l), false, err
	}
	ch, err := s.users.After(ctx, actor.Access, l.User)
	return ch, cancelled, err
}

// AcceptView is what the accept page shows for a link.
type AcceptView struct {
	Invitation  Invitation
	AccountName string
	Link        LinkState
	Name        string // the invitee's name as the inviter typed it
}

// LinkState is what a link is good for now.
type LinkState string

const (
	LinkValid    LinkState = "valid"
	LinkExpired  LinkState = "expired"
	LinkInvalid  LinkState = "invalid" // cancelled, superseded, or the user deactivated
	LinkAccepted LinkState = "accepted"
)

// ErrNoSuchLink answers every token that matches nothing.
var ErrNoSuchLink = errs.T(errs.NotFound, "err.invitations.no_such_link")

// Lookup finds what a link points to. Opening the page never consumes the
// link: mail scanners fetch links before people do.
func (s *Service) Lookup(ctx context.Context, token string) (AcceptView, error) {
	if !auth.WellFormed(token) {
		return AcceptView{}, ErrNoSuchLink
	}
	inv, err := s.store.ByTokenHash(ctx, auth.TokenHash(LinkPurpose, token))
	if errs.Is(err, errs.NotFound) {
		return AcceptView{}, ErrNoSuchLink
	}
	if err != nil {
		return AcceptView{}, err
	}
	account, err := s.users.Account(ctx)
	if err != nil {
		return AcceptView{}, err
	}
	v := AcceptView{Invitation: inv, AccountName: account.Name}
	switch {
	case inv.State == Accepted:
		v.Link = LinkAccepted
	case inv.State != Pending:
		v.Link = LinkInvalid
	case inv.ExpiredAt(s.clock.Now()):
		v.Link = LinkExpired
	default:
		v.Link = LinkValid
	}
	if inv.UserID == 0 {
		// The invitee was deleted: nobody is left to accept it.
		if v.Link != LinkAccepted {
			v.Link = LinkInvalid
		}
		return v, nil
	}
	u, err := s.users.Get(ctx, inv.UserID)
	if err != nil {
		return v, err
	}
	v.Name = u.Name
	if !u.DeactivatedAt.IsZero() && v.Link != LinkAccepted {
		v.Link = LinkInvalid
	}
	return v, nil
}

// AcceptInput is the accept form. It carries no email, role or space:
// those come from the invitation alone.
type AcceptInput struct {
	Name     string
	Password string
	// Language is the one the invitee chose on the accept page: Usher
	// speaks it to the new user from then on. "": they chose none, and
	// keep the invitation's, which the accept page spoke.
	Language string
}

// Joined is what the accept form came to: the user who joined, or, when
// the form was refused, the link as it stands now, for the page to show
// again.
type Joined struct {
	users.User
	Link AcceptView
}

// Accept sets the invitee's name and password and grants the roles still
// on the invitation that its inviter can still grant. It succeeds once.
func (s *Service) Accept(ctx context.Context, token string, in AcceptInput) (Joined, error) {
	v, err := s.Lookup(ctx, token)
	if err != nil {
		return Joined{}, err
	}
	if err := linkUsable(v.Link); err != nil {
		return Joined{Link: v}, err
	}
	name, err := users.CleanName("name", in.Name, true)
	if err != nil {
		return Joined{Link: v}, err
	}
	if err := auth.CheckNewPassword(in.Password); err != nil {
		return Joined{Link: v}, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return Joined{Link: v}, err
	}
	u, err := s.store.Accept(ctx, v.Invitation.ID, name, hash, cmp.Or(in.Language, v.Invitation.Language), s.clock.Now(), grantable)
	if errs.Is(err, errs.Conflict) {
		// Someone else's post, or a cancel, got there first: say which.
		if again, lerr := s.Lookup(ctx, token); lerr == nil {
			v = again
			if uerr := linkUsable(again.Link); uerr != nil {
				return Joined{Link: v}, uerr
			}
		}
	}
	return Joined{User: u, Link: v}, err
}

func linkUsable(l LinkState) error {
	switch l {
	case LinkAccepted:
		return errs.T(errs.Conflict, "err.invitations.already_accepted")
	case LinkExpired:
		return errs.T(errs.Conflict, "err.invitations.expired")
	case LinkInvalid:
		return errs.T(errs.Conflict, "err.invitations.invalid")
	}
	return nil
}

// grantable keeps the offered roles the inviter can grant at the moment
// the invitee joins: an inviter who lost their rights meanwhile does not
// pass them on. It runs inside the accepting transaction, so a demotion
// either comes before it and counts, or waits until the invitee joined.
func grantable(a Accepting) ([]spaces.Grant, error) {
	refuse := errs.T(errs.Conflict, "err.invitations.inviter_cannot_grant")
	if a.Inviter.ID == 0 || !a.Inviter.DeactivatedAt.IsZero() {
		return nil, refuse
	}
	access := spaces.AccessFor(a.Inviter.ID, a.InviterGrants, spaces.NewTree(a.Spaces))
	var keep []spaces.Grant
	for _, g := range a.Offered {
		if access.MayOffer(g.SpaceID, g.Role) {
			keep = append(keep, g)
		}
	}
	if len(keep) == 0 {
		return nil, refuse
	}
	return keep, nil
}

// Details is what the Manage invitation dialog shows: the user, their
// pending invitation and the history of all their invitations.
func (s *Service) Details(ctx context.Context, actor Actor, userID int64) (users.User, Invitation, []Event, error) {
	l, inv, err := s.pendingFor(ctx, actor, userID)
	if err != nil {
		return l.User, inv, nil, err
	}
	ev, err := s.store.UserEvents(ctx, userID)
	return l.User, inv, ev, err
}

// IsExisting unpacks the error Invite returns for a known address.
func IsExisting(err error) (*Existing, bool) {
	var e *Existing
	ok := errors.As(err, &e)
	return e, ok
}

// RequestRenewal is the expired page's "Ask for a new invitation": it
// emails the administrator who sent the invitation, once per invitation.
func (s *Service) RequestRenewal(ctx context.Context, token string) error {
	v, err := s.Lookup(ctx, token)
	if err != nil {
		return err
	}
	if v.Link != LinkExpired {
		return errs.T(errs.Conflict, "err.invitations.renew_not_expired")
	}
	inv := v.Invitation
	msg := mail.Outgoing{Key: "renewal:" + strconv.FormatInt(inv.ID, 10), Kind: mail.RenewalRequest, InvitationID: inv.ID}
	if inv.InvitedBy != 0 {
		if inviter, err := s.users.Get(ctx, inv.InvitedBy); err == nil && inviter.DeactivatedAt.IsZero() {
			msg.To = inviter.Email
			msg.Payload = mail.Payload{
				AccountName:  v.AccountName,
				InviterName:  inviter.DisplayName(),
				InviteeName:  v.Name,
				InviteeEmail: inv.Email,
				ExpiresAt:    inv.ExpiresAt,
				UsersURL:     s.baseURL + "/settings/users?status=expired",
				Language:     cmp.Or(inviter.Language, s.users.DefaultLanguage(ctx)),
			}
			msg.Payload.OfferRoles(inv.Offered)
		}
	}
	_, err = s.store.RequestRenewal(ctx, inv.ID, s.clock.Now(), msg)
	return err
}

// Removal is what Remove from this space did, or would do: the person,
// the role they held or were offered there, and whether it was an offer,
// and their invitation's last one (so removing it cancels it).
type Removal struct {
	users.Changed
	Grant     spaces.Grant
	Pending   bool
	Cancelled bool // the invitation offered nothing else, so it ends
}

// Removing says what RemoveFromSpace would do to user userID in space
// spaceID, refusing it as RemoveFromSpace would, and changes nothing:
// the question a confirmation asks.
func (s *Service) Removing(ctx context.Context, actor Actor, spaceID, userID int64) (Removal, error) {
	l, err := s.users.Row(ctx, actor.Access, userID)
	if err != nil {
		return Removal{}, err
	}
	if !actor.Access.Administers(spaceID) {
		return Removal{}, errs.T(errs.NotFound, "err.spaces.no_such")
	}
	if g, ok := users.HeldRole(l, spaceID); ok {
		r := Removal{Changed: users.Unchanged(l), Grant: g}
		if !actor.Access.MayOffer(spaceID, g.Role) {
			return r, errs.T(errs.Forbidden, "err.users.remove_above_own")
		}
		if userID == actor.User.ID {
			return r, errs.T(errs.Conflict, "err.users.remove_self")
		}
		return r, nil
	}
	_, inv, err := s.pendingFor(ctx, actor, userID)
	if errs.Is(err, errs.Conflict) && l.Invite == nil {
		return Removal{Changed: users.Unchanged(l)}, errs.T(errs.NotFound, "err.users.no_role_here", "Email", l.Email)
	}
	if err != nil {
		return Removal{Changed: users.Unchanged(l)}, err
	}
	removing, left := inv.Without([]int64{spaceID})
	if len(removing) == 0 {
		return Removal{Changed: users.Unchanged(l)}, errs.T(errs.NotFound, "err.users.no_role_here", "Email", l.Email)
	}
	return Removal{Changed: users.Unchanged(l), Grant: removing[0], Pending: true, Cancelled: left == 0}, nil
}

// RemoveFromSpace takes user userID out of one space: the role they hold
// there (users.RemoveRole: the role ceiling, never oneself, never the
// last account administrator), or, for a pending invitee, the role their
// invitation offers there, as Manage invitation removes it (RemoveRoles:
// the last one cancels the invitation).
func (s *Service) RemoveFromSpace(ctx context.Context, actor Actor, spaceID, userID int64) (Removal, error) {
	r, err := s.Removing(ctx, actor, spaceID, userID)
	if err != nil {
		return r, err
	}
	if !r.Pending {
		ch, g, err := s.users.RemoveRole(ctx, actor.Access, spaceID, userID)
		return Removal{Changed: ch, Grant: g}, err
	}
	ch, cancelled, err := s.RemoveRoles(ctx, actor, userID, []int64{spaceID})
	return Removal{Changed: ch, Grant: r.Grant, Pending: true, Cancelled: cancelled}, err
}
