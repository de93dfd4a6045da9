// Package mail is the outbox and the sender: actions enqueue messages in
// their own transaction, and a background worker delivers them.
package mail

import (
	"context"
	"strings"
	"time"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/spaces"
)

// Kind is which message an action sends.
type Kind string

const (
	Invitation     Kind = "invitation"      // the first invitation
	Reminder       Kind = "reminder"        // a resend: the same link again
	NewInvitation  Kind = "new_invitation"  // a new link after the old one expired
	RenewalRequest Kind = "renewal_request" // an invitee asks their inviter for a new link
	// PasswordReset carries a password reset link (Message.ResetID's);
	// PasswordChanged tells a person their password was changed.
	PasswordReset   Kind = "password_reset"
	PasswordChanged Kind = "password_changed"
	// TwoFactorOff tells a person their two-factor sign-in was turned off.
	TwoFactorOff Kind = "two_factor_off"
)

// HasLink reports whether the message carries a link: the invitation's,
// or for a PasswordReset its reset link.
func (k Kind) HasLink() bool { return k != RenewalRequest && k != PasswordChanged && k != TwoFactorOff }

// IsReset reports whether the message is about a password, not an
// invitation.
func (k Kind) IsReset() bool { return k == PasswordReset || k == PasswordChanged || k == TwoFactorOff }

// Subject is the subject line of a message of kind k saying p, safe for
// a header; "" for a kind that is none. It is kept with the message when
// it is written, so the built-in mailbox finds messages by it.
// It is in the language of p (Payload.Language).
func Subject(k Kind, p Payload) string {
	l := p.Locale()
	switch k {
	case Invitation, Reminder, NewInvitation, RenewalRequest:
		return HeaderSafe(l.T("email.subject."+string(k), "Inviter", p.Inviter(), "Invitee", p.Invitee(), "Account", p.AccountName))
	case PasswordReset, PasswordChanged:
		return HeaderSafe(l.T("reset.email.subject."+string(k), "Account", p.AccountName))
	case TwoFactorOff:
		return HeaderSafe(l.T("twofactor.email.subject", "Account", p.AccountName))
	}
	return ""
}

// Locale is the language the message is written in: its reader's.
func (p Payload) Locale() *i18n.Locale { return i18n.Default().Locale(p.Language) }

// Inviter is who invited, as the message names them.
func (p Payload) Inviter() string {
	if p.InviterName == "" {
		return p.Locale().T("email.an_administrator")
	}
	return p.InviterName
}

// Invitee is the invitee as the inviter knows them: a name, or the address.
func (p Payload) Invitee() string {
	if p.InviteeName == "" {
		return p.InviteeEmail
	}
	return p.InviteeName
}

// DescribeRoles words the roles offered in the message's language: from
// the offer itself, or, for messages queued before it was kept, the
// words they were queued with.
func (p Payload) DescribeRoles() string {
	if len(p.Offered) == 0 {
		return p.Roles
	}
	grants := make([]spaces.Grant, len(p.Offered))
	for i, o := range p.Offered {
		grants[i] = spaces.Grant{SpaceName: o.Space, SpaceKind: spaces.Kind(o.Kind), Role: spaces.Role(o.Role)}
	}
	return spaces.DescribeIn(p.Locale(), grants)
}

// OfferedRole is one role a message offers, kept as data so that it is
// worded in the reader's language.
type OfferedRole struct {
	Space string `json:"space"`
	Kind  string `json:"kind"`
	Role  string `json:"role"`
}

// Payload is everything a message says except the link, which is derived
// when the message is rendered so that it never rests in the database.
type Payload struct {
	AccountName  string `json:"account_name"`
	InviterName  string `json:"inviter_name"`
	InviteeName  string `json:"invitee_name,omitempty"`
	InviteeEmail string `json:"invitee_email"`
	Roles        string `json:"roles"`
	// OffersAdmin and OffersMember say which roles Roles holds, so the
	// email can say what each means (messages from before say nothing).
	OffersAdmin  bool      `json:"offers_admin,omitempty"`
	OffersMember bool      `json:"offers_member,omitempty"`
	ExpiresAt    time.Time `json:"expires_at"`
	UsersURL     string    `json:"users_url,omitempty"` // renewal requests: where the inviter acts
	// Offered are the roles offered, as data (Roles is their English, kept
	// for messages from before).
	Offered []OfferedRole `json:"offered,omitempty"`
	// Language is the reader's language (an i18n code); messages queued
	// before it was kept are in English.
	Language string `json:"language,omitempty"`

	// A password reset: who asked (RequestedBy "": the person themselves)
	// and how long the link works. A password changed: when, and the
	// browser and system that changed it (Browser "": not known).
	RequestedBy string        `json:"requested_by,omitempty"`
	ResetTTL    time.Duration `json:"reset_ttl,omitempty"`
	ChangedAt   time.Time     `json:"changed_at,omitzero"`
	Browser     string        `json:"browser,omitempty"`
	System      string        `json:"system,omitempty"`
	ForgotURL   string        `json:"forgot_url,omitempty"` // where to ask for a reset link
}

// OfferRoles words grants in p: their description, and which roles they are.
func (p *Payload) OfferRoles(grants []spaces.Grant) {
	p.Roles = spaces.Describe(grants)
	p.Offered = nil
	for _, g := range grants {
		p.Offered = append(p.Offered, OfferedRole{Space: g.SpaceName, Kind: string(g.SpaceKind), Role: string(g.Role)})
		p.OffersAdmin = p.OffersAdmin || g.Role == spaces.Admin
		p.OffersMember = p.OffersMember || g.Role == spaces.Member
	}
}

// Outgoing is a message an action asks to send.
type Outgoing struct {
	Key          string // unique per action: a repeated action enqueues nothing
	Kind         Kind
	To           string
	InvitationID int64
	ResetID      int64 // a PasswordReset's link
	Payload      Payload
}

// State is where a message is in its life.
type State string

const (
	Queued   State = "queued"   // waiting for (another) attempt
	Sent     State = "sent"     // the SMTP server accepted it
	Failed   State = "failed"   // given up: rejected for good, or retried too long
	Captured State = "captured" // no SMTP configured: kept for the built-in mailbox
)

// Message is a row of the outbox.
type Message struct {
	ID            int64
	Kind          Kind
	To            string
	Subject       string // as written with the message (Subject); "" for rows from before it was kept
	InvitationID  int64
	Payload       Payload
	State         State
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        time.Time
	LinkNonce     []byte // of the invitation, to derive the link at send time
	// Withdrawn is set when the invitation is no longer pending (cancelled,
	// accepted or replaced), so its link would not work any more.
	Withdrawn bool
	// ExpiresAt is when the invitation's link stops working (zero for a
	// message without an invitation).
	ExpiresAt time.Time
	// ResetID is a PasswordReset's link; LinkNonce, Withdrawn and
	// ExpiresAt are then that link's.
	ResetID int64
}

// Rendered is a message's subject and bodies.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// Renderer writes the bodies of a message. link is empty for kinds without one.
type Renderer interface {
	Render(kind Kind, p Payload, link string) (Rendered, error)
}

// HeaderSafe removes what could end a header line, so that no name or
// account name can add a header or a recipient.
func HeaderSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// Store is what the sender needs from the outbox.
type Store interface {
	// Due returns up to limit queued messages whose time has come.
	Due(ctx context.Context, now time.Time, limit int) ([]Message, error)
	// NextDue is when the next queued message is due (zero if none).
	NextDue(ctx context.Context) (time.Time, error)
	// Record stores the outcome of one attempt.
	Record(ctx context.Context, id int64, o Outcome) error
	Recent(ctx context.Context, limit int) ([]Message, error)
	Get(ctx context.Context, id int64) (Message, error)
}

// Outcome is the result of one attempt at a message.
type Outcome struct {
	At    time.Time
	State State     // the message's state after it
	Next  time.Time // the next attempt, for Queued
	Reply string    // the server's reply, or what went wrong before it replied
	// Outage is set when the attempt failed because the mail server could
	// not be reached or used at all (connection, TLS, login), which every
	// message meets alike, not because of this message.
	Outage bool
	// NotSent is set when the message was given up without trying it: by
	// then what it was about had ended (the invitation accepted or
	// cancelled, the link expired). Nothing failed to be delivered.
	NotSent bool
}

// Outage is the mail server failing every message (refusing connections,
// say), as the outbox's attempts tell it.
type Outage struct {
	Since  time.Time // the first failed attempt after the last accepted one
	Reply  string    // what went wrong at the newest attempt
	Queued bool      // messages wait to be tried again
}

// IsZero reports that there is no outage.
func (o Outage) IsZero() bool { return o.Since.IsZero() }

// Attempt is one try at delivering a message, for the message's history.
type Attempt struct {
	At    time.Time
	OK    bool
	Reply string // the server's reply, or what went wrong before it replied
}
