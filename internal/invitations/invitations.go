// Package invitations holds the life of an invitation: invite, resend, send
// a new one, cancel, remove roles, accept.
package invitations

import (
	"context"
	"slices"
	"time"

	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// State is where an invitation is in its life. A pending invitation whose
// expiry has passed is expired; that is computed, never stored.
type State string

const (
	Pending    State = "pending"
	Accepted   State = "accepted"
	Cancelled  State = "cancelled"
	Superseded State = "superseded"
)

// LinkPurpose keeps invitation links apart from any other kind of link.
const LinkPurpose = "usher invitation link v1"

// ResendCooldown is how long after a send the same link can be sent again.
const ResendCooldown = time.Minute

// Invitation is an offer of role grants to an email address.
type Invitation struct {
	ID                 int64
	UserID             int64 // 0 once the user was deleted
	Email              string
	InvitedBy          int64
	InviterName        string
	Nonce              []byte
	State              State
	CreatedAt          time.Time
	SentAt             time.Time
	ExpiresAt          time.Time
	EndedAt            time.Time
	RenewalRequestedAt time.Time
	Offered            []spaces.Grant
	Language           string // what its emails and accept page speak (an i18n code)
}

// ExpiredAt reports whether a pending invitation has passed its expiry.
func (i Invitation) ExpiredAt(now time.Time) bool {
	return i.State == Pending && !now.Before(i.ExpiresAt)
}

// Without parts the roles i offers into those in spaceIDs, which removing
// them would take away, and the number left: none left cancels it.
func (i Invitation) Without(spaceIDs []int64) (removing []spaces.Grant, left int) {
	for _, g := range i.Offered {
		if slices.Contains(spaceIDs, g.SpaceID) {
			removing = append(removing, g)
		} else {
			left++
		}
	}
	return removing, left
}

// Event is one line of an invitation's history.
type Event struct {
	At        time.Time
	ActorName string
	Kind      EventKind
	Detail    string
	// Grants are the roles an event about roles concerns: the one removed,
	// or those granted on accept. Nil for other events, and for those
	// recorded before roles were kept (their Detail names them in words).
	Grants []spaces.Grant
}

// EventKind names what happened.
type EventKind string

const (
	EvInvited          EventKind = "invited"
	EvResent           EventKind = "resent"
	EvReminded         EventKind = "reminded"
	EvRenewed          EventKind = "renewed" // superseded by a new invitation
	EvDelivered        EventKind = "delivered"
	EvDeliveryFailed   EventKind = "delivery_failed"
	EvCaptured         EventKind = "captured"
	EvCancelled        EventKind = "cancelled"
	EvAccepted         EventKind = "accepted"
	EvRoleRemoved      EventKind = "role_removed"
	EvRenewalRequested EventKind = "renewal_requested"
	// EvResetSent is an administrator sending the user, once they joined,
	// a password reset link (internal/resets): the users list keeps no
	// history of active users, so it goes with the invitation they joined by.
	EvResetSent EventKind = "reset_sent"
	// EvExpired is never a line of the history, which tells an expiry from
	// the clock; it names the expiry the activity log records.
	EvExpired EventKind = "expired"
)

// Actor is the signed-in administrator doing something.
type Actor struct {
	User   users.User
	Access *spaces.Access
}

// Create is what the store needs to write a new invitation.
type Create struct {
	Email       string
	Name        string
	InvitedBy   int64
	InviterName string
	Nonce       []byte
	TokenHash   []byte
	Offered     []spaces.Grant
	Now         time.Time
	ExpiresAt   time.Time
	Kind        mail.Kind // Invitation, or NewInvitation with Supersedes
	Supersedes  int64     // for a new invitation after expiry
	Language    string    // the invitee's language (an i18n code)
}

// Outcome is what inviting one address came to: a new invitation, or,
// when the address is already known, who it belongs to (nothing sent).
type Outcome struct {
	Email      string
	Invitation Invitation
	Existing   *Existing
}

// Compose builds the email of a new invitation once its row exists.
type Compose func(inv Invitation) mail.Outgoing

// Existing is the error for inviting an address that is already known: the
// page offers to resend a pending invitation, or links to the user.
type Existing struct {
	User   users.User
	Status users.Status
	// SentAt is when an Invited user's invitation was last sent; the
	// service fills it in, for the form to say.
	SentAt time.Time
}

func (e *Existing) Error() string { return "already known: " + e.User.Email }

// Accepting is an invitation being accepted and its inviter, as they
// stand inside the accepting transaction: nobody can change them before
// it commits.
type Accepting struct {
	Offered       []spaces.Grant // what the invitation offers now
	Inviter       users.User     // zero when the inviter was deleted
	InviterGrants []spaces.Grant
	Spaces        []spaces.Space
}

// Grantable decides what accepting grants: some of a.Offered, or an error.
type Grantable func(a Accepting) ([]spaces.Grant, error)

// Store is what the invitations service needs from storage. Every write is
// one transaction that checks the state it expects, so two administrators
// acting on the same row cannot both succeed; the outbox message is part of
// the same transaction.
type Store interface {
	// Create writes, for each of cs in one transaction, a user (if new),
	// the invitation, its roles, its history and its email. An address
	// already known (pending, active or deactivated) gets an Outcome with
	// *Existing and nothing else. When the new ones would take the inviter
	// past b, nothing is written.
	Create(ctx context.Context, cs []Create, b Budget, msg Compose) ([]Outcome, error)
	PendingFor(ctx context.Context, userID int64) (Invitation, error)
	ByTokenHash(ctx context.Context, hash []byte) (Invitation, error)
	// Resend restarts a pending, unexpired invitation's expiry from now if
	// its last send was at or before notAfter and b allows one more send,
	// and enqueues the reminder.
	Resend(ctx context.Context, id int64, actor users.User, now, notAfter, expires time.Time, b Budget, msg mail.Outgoing) error
	// Renew supersedes an expired invitation with c, in one step, if b
	// allows one more send.
	Renew(ctx context.Context, c Create, b Budget, msg Compose) (Invitation, error)
	// Cancel ends a pending invitation; a user who never accepted goes.
	Cancel(ctx context.Context, id int64, actor users.User, now time.Time) error
	// RemoveRoles drops offered roles from a pending invitation, cancelling
	// it when none remain. It reports whether it cancelled.
	RemoveRoles(ctx context.Context, id int64, spaceIDs []int64, actor users.User, now time.Time) (cancelled bool, err error)
	// Accept turns a pending, unexpired invitation into an active user,
	// once, granting what grantable makes of the invitation and its
	// inviter as they stand inside the accepting transaction. An error
	// from grantable undoes everything.
	// Accept activates the invitee with their name, password hash and
	// language, and grants what the invitation offers.
	Accept(ctx context.Context, id int64, name, hash, language string, now time.Time, grantable Grantable) (users.User, error)
	// RequestRenewal marks an expired invitation as asked about, once, and
	// enqueues msg to the inviter. It reports false when already asked.
	RequestRenewal(ctx context.Context, id int64, now time.Time, msg mail.Outgoing) (bool, error)
	// UserEvents is the history of every invitation a user was sent,
	// oldest first.
	UserEvents(ctx context.Context, userID int64) ([]Event, error)
}
