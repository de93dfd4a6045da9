package invitations

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
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
}

// Invite sends a new invitation. An address already known fails with
// *Existing, so nothing is ever sent twice for one person.
func (s *Service) Invite(ctx context.Context, actor Actor, in InviteInput) (Invitation, error) {
	out, err := s.InviteMany(ctx, actor, []string{in.Email}, in.Name, in.Offered)
	if err != nil {
		return Invitation{}, err
	}
	if out[0].Existing != nil {
		return Invitation{}, out[0].Existing
	}
	return out[0].Invitation, nil
}

// InviteMany is the Invite user form: the same offer to each of emails
// (a name only with one), in one step. Each address already known comes
// back with *Existing and is sent nothing; the new ones count against the
// administrator's budget, and when they would go past it nothing is sent
// at all.
func (s *Service) InviteMany(ctx context.Context, actor Actor, emails []string, name string, offered []spaces.Grant) ([]Outcome, error) {
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
		return nil, errs.FieldError("email", "Enter the email address of the person to invite.")
	}
	name, err := users.CleanName("name", name, false)
	if err != nil {
		return nil, err
	}
	if len(parsed) > 1 && name != "" {
		return nil, errs.FieldError("name", "A name is for inviting one person. Leave it empty to invite several at once.")
	}
	if err := s.checkOffer(actor, offered); err != nil {
		return nil, err
	}
	b := s.budget(actor)
	if err := b.fits(len(parsed)); err != nil {
		return nil, err
	}
	account, err := s.users.Account(ctx)
	if err != nil {
		return nil, err
	}
	cs := make([]Create, len(parsed))
	for i, email := range parsed {
		cs[i] = s.prepare(actor, Create{Email: email, Name: name, Offered: offered, Kind: mail.Invitation})
	}
	return s.store.Create(ctx, cs, b, func(inv Invitation) mail.Outgoing {
		return s.outgoing(mail.Invitation, "send:"+strconv.FormatInt(inv.ID, 10), inv, account.Name, name)
	})
}

func (s *Service) checkOffer(actor Actor, offered []spaces.Grant) error {
	if len(offered) == 0 {
		return errs.FieldError("roles", "Choose at least one role to offer.")
	}
	for _, g := range offered {
		if _, ok := spaces.ParseRole(string(g.Role)); !ok {
			return errs.FieldError("roles", "Choose Administrator or Member for each space.")
		}
	}
	if !actor.Access.MayOfferAll(offered) {
		return errs.E(errs.Forbidden, "You can only offer roles in spaces you administer.")
	}
	return nil
}

// mayActOn reports whether access reaches an invitation offering offered.
// One with no roles left (cancelled by removing them all) belongs to no
// space, so only account administrators reach it.
func mayActOn(access *spaces.Access, offered []spaces.Grant) bool {
	if len(offered) == 0 {
		return access.AccountAdmin
	}
	return access.MayOfferAll(offered)
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
	return mail.Outgoing{
		Key:          key,
		Kind:         kind,
		To:           inv.Email,
		InvitationID: inv.ID,
		Payload: mail.Payload{
			AccountName:  accountName,
			InviterName:  inv.InviterName,
			InviteeName:  inviteeName,
			InviteeEmail: inv.Email,
			Roles:        spaces.Describe(inv.Offered),
			ExpiresAt:    inv.ExpiresAt,
		},
	}
}

// pendingFor loads the user's pending invitation, as far as actor may see it.
func (s *Service) pendingFor(ctx context.Context, actor Actor, userID int64) (users.User, Invitation, error) {
	u, err := s.users.Get(ctx, userID)
	if err != nil {
		return u, Invitation{}, err
	}
	inv, err := s.store.PendingFor(ctx, userID)
	if errs.Is(err, errs.NotFound) {
		return u, inv, errs.E(errs.Conflict, "%s has no pending invitation.", u.Email)
	}
	if err != nil {
		return u, inv, err
	}
	if !mayActOn(actor.Access, inv.Offered) {
		// Invitations outside the actor's spaces do not exist for them.
		return u, inv, errs.E(errs.NotFound, "There is no such invitation.")
	}
	if !u.DeactivatedAt.IsZero() {
		return u, inv, errs.E(errs.Conflict, "%s is deactivated. Activate the user before acting on their invitation.", u.Email)
	}
	return u, inv, nil
}

// Link returns the invitation link of a user's pending, unexpired invitation
// (the one that was emailed).
func (s *Service) Link(ctx context.Context, actor Actor, userID int64) (string, users.User, error) {
	u, inv, err := s.pendingFor(ctx, actor, userID)
	if err != nil {
		return "", u, err
	}
	if inv.ExpiredAt(s.clock.Now()) {
		return "", u, errs.E(errs.Conflict, "The invitation for %s has expired, so its link no longer works. Send a new invitation instead.", u.Email)
	}
	return s.LinkFor(inv.Nonce), u, nil
}

// Resend emails the same link again and restarts its expiry from now.
func (s *Service) Resend(ctx context.Context, actor Actor, userID int64) (users.User, error) {
	u, inv, err := s.pendingFor(ctx, actor, userID)
	if err != nil {
		return u, err
	}
	now := s.clock.Now()
	if inv.ExpiredAt(now) {
		return u, errs.E(errs.Conflict, "The invitation for %s has expired. Send a new invitation instead.", u.Email)
	}
	if wait := inv.SentAt.Add(ResendCooldown).Sub(now); wait > 0 {
		return u, cooldownError(u.Email, wait)
	}
	account, err := s.users.Account(ctx)
	if err != nil {
		return u, err
	}
	expires := now.Add(s.ttl)
	sent := inv
	sent.ExpiresAt = expires
	msg := s.outgoing(mail.Reminder, fmt.Sprintf("resend:%d:%d", inv.ID, now.Unix()), sent, account.Name, u.Name)
	err = s.store.Resend(ctx, inv.ID, actor.User, now, now.Add(-ResendCooldown), expires, s.budget(actor), msg)
	if errors.Is(err, ErrSentMomentsAgo) {
		// Another administrator resent it a moment ago.
		return u, cooldownError(u.Email, ResendCooldown)
	}
	return u, err
}

// ErrSentMomentsAgo is the store's answer to a resend within
// ResendCooldown of the last send.
var ErrSentMomentsAgo = errs.E(errs.TooMany, "sent moments ago")

func cooldownError(email string, wait time.Duration) error {
	secs := int(wait.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	unit := "seconds"
	if secs == 1 {
		unit = "second"
	}
	return errs.Wait(time.Duration(secs)*time.Second, "The invitation to %s was sent moments ago. You can resend it in %d %s.", email, secs, unit)
}

// Renew sends a new invitation after the old one expired: a new link and a
// new expiry; the old link stops working at once.
func (s *Service) Renew(ctx context.Context, actor Actor, userID int64) (users.User, error) {
	u, inv, err := s.pendingFor(ctx, actor, userID)
	if err != nil {
		return u, err
	}
	if !inv.ExpiredAt(s.clock.Now()) {
		return u, errs.E(errs.Conflict, "The invitation for %s has not expired yet. Resend it instead.", u.Email)
	}
	account, err := s.users.Account(ctx)
	if err != nil {
		return u, err
	}
	c := s.prepare(actor, Create{Email: inv.Email, Name: u.Name, Offered: inv.Offered, Kind: mail.NewInvitation, Supersedes: inv.ID})
	_, err = s.store.Renew(ctx, c, s.budget(actor), func(inv Invitation) mail.Outgoing {
		return s.outgoing(mail.NewInvitation, "send:"+strconv.FormatInt(inv.ID, 10), inv, account.Name, u.Name)
	})
	return u, err
}

// Cancel ends a user's pending invitation.
func (s *Service) Cancel(ctx context.Context, actor Actor, userID int64) (users.User, error) {
	u, inv, err := s.pendingFor(ctx, actor, userID)
	if err != nil {
		return u, err
	}
	return u, s.store.Cancel(ctx, inv.ID, actor.User, s.clock.Now())
}

// RemoveRoles takes roles (by space) off a user's pending invitation, as
// Manage invitation does. Taking the last one cancels the invitation, and a
// user who never accepted leaves the list; it reports whether that happened.
func (s *Service) RemoveRoles(ctx context.Context, actor Actor, userID int64, spaceIDs []int64) (users.User, bool, error) {
	u, inv, err := s.pendingFor(ctx, actor, userID)
	if err != nil {
		return u, false, err
	}
	if len(spaceIDs) == 0 {
		return u, false, errs.FieldError("roles", "Choose the roles to remove.")
	}
	cancelled, err := s.store.RemoveRoles(ctx, inv.ID, spaceIDs, actor.User, s.clock.Now())
	return u, cancelled, err
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
var ErrNoSuchLink = errs.E(errs.NotFound, "This invitation link is not valid. Check that you copied the whole link from the email.")

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
}

// Accept sets the invitee's name and password and grants the roles still
// on the invitation that its inviter can still grant. It succeeds once.
func (s *Service) Accept(ctx context.Context, token string, in AcceptInput) (users.User, error) {
	v, err := s.Lookup(ctx, token)
	if err != nil {
		return users.User{}, err
	}
	if err := linkUsable(v.Link); err != nil {
		return users.User{}, err
	}
	name, err := users.CleanName("name", in.Name, true)
	if err != nil {
		return users.User{}, err
	}
	if err := auth.CheckNewPassword(in.Password); err != nil {
		return users.User{}, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return users.User{}, err
	}
	u, err := s.store.Accept(ctx, v.Invitation.ID, name, hash, s.clock.Now(), grantable)
	if errs.Is(err, errs.Conflict) {
		// Someone else's post, or a cancel, got there first: say which.
		if again, lerr := s.Lookup(ctx, token); lerr == nil {
			if uerr := linkUsable(again.Link); uerr != nil {
				return users.User{}, uerr
			}
		}
	}
	return u, err
}

func linkUsable(l LinkState) error {
	switch l {
	case LinkAccepted:
		return errs.E(errs.Conflict, "This invitation has already been accepted. Sign in with your email and password.")
	case LinkExpired:
		return errs.E(errs.Conflict, "This invitation has expired. Ask for a new invitation.")
	case LinkInvalid:
		return errs.E(errs.Conflict, "This invitation is no longer valid. Ask the person who invited you for a new one.")
	}
	return nil
}

// grantable keeps the offered roles the inviter can grant at the moment
// the invitee joins: an inviter who lost their rights meanwhile does not
// pass them on. It runs inside the accepting transaction, so a demotion
// either comes before it and counts, or waits until the invitee joined.
func grantable(a Accepting) ([]spaces.Grant, error) {
	refuse := errs.E(errs.Conflict, "The person who invited you can no longer grant these roles. Ask an administrator for a new invitation.")
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

// History lists what happened to the user's newest invitation.
func (s *Service) History(ctx context.Context, actor Actor, invitationID int64) (Invitation, []Event, error) {
	inv, err := s.store.ByID(ctx, invitationID)
	if err != nil {
		return inv, nil, err
	}
	if !mayActOn(actor.Access, inv.Offered) {
		return inv, nil, errs.E(errs.NotFound, "There is no such invitation.")
	}
	ev, err := s.store.Events(ctx, invitationID)
	return inv, ev, err
}

// Manage is what the Manage invitation dialog shows: the user, their
// pending invitation and the history of all their invitations.
func (s *Service) Manage(ctx context.Context, actor Actor, userID int64) (users.User, Invitation, []Event, error) {
	u, inv, err := s.pendingFor(ctx, actor, userID)
	if err != nil {
		return u, inv, nil, err
	}
	ev, err := s.store.UserEvents(ctx, userID)
	return u, inv, ev, err
}

// PendingFor returns a user's pending invitation.
func (s *Service) PendingFor(ctx context.Context, userID int64) (Invitation, error) {
	return s.store.PendingFor(ctx, userID)
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
		return errs.E(errs.Conflict, "Only an expired invitation can be renewed this way.")
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
				Roles:        spaces.Describe(inv.Offered),
				ExpiresAt:    inv.ExpiresAt,
				UsersURL:     s.baseURL + "/settings/users?status=expired",
			}
		}
	}
	_, err = s.store.RequestRenewal(ctx, inv.ID, s.clock.Now(), msg)
	return err
}
