// Package activity is the account-wide log of what happened: who did what,
// to whom, in which spaces, when and from where. Each row is written by the
// store in the transaction of the change it records (so there is no change
// without its row, nor a row without its change), and is never changed
// afterwards; only the retention purge removes rows, once they are old.
package activity

import (
	"context"
	"slices"
	"time"

	"github.com/usherhq/usher/internal/spaces"
)

// Kind names what happened. The names are stable: they are in the
// database, the exports and the page's filter.
type Kind string

const (
	// An invitation's life.
	InvitationSent             Kind = "invitation.sent"
	InvitationResent           Kind = "invitation.resent"   // the same link, by an administrator
	InvitationReminded         Kind = "invitation.reminded" // the same link, by the system before expiry
	InvitationRenewed          Kind = "invitation.renewed"  // a new link after expiry
	InvitationRolesRemoved     Kind = "invitation.roles_removed"
	InvitationCancelled        Kind = "invitation.cancelled"
	InvitationExpired          Kind = "invitation.expired"
	InvitationAccepted         Kind = "invitation.accepted"
	InvitationRenewalRequested Kind = "invitation.renewal_requested"
	InvitationUndelivered      Kind = "invitation.undelivered" // its email could not be delivered

	// A user's record.
	UserCreated         Kind = "user.created" // on the setup page or from the command line
	UserEdited          Kind = "user.edited"  // name (Details.Changes)
	UserRolesChanged    Kind = "user.roles_changed"
	UserDeactivated     Kind = "user.deactivated"
	UserActivated       Kind = "user.activated"
	UserDeleted         Kind = "user.deleted"
	UserResetSent       Kind = "user.reset_sent"       // an administrator sent a reset link
	UserResetAsked      Kind = "user.reset_asked"      // Forgot password sent the person a link
	UserPasswordReset   Kind = "user.password_reset"   // by a reset link
	UserPasswordChanged Kind = "user.password_changed" // on the profile
	UserTwoFactorOn     Kind = "user.two_factor_on"
	UserTwoFactorOff    Kind = "user.two_factor_off"
	UserSessionsEnded   Kind = "user.sessions_ended" // by an administrator, or the person on their profile
	UserLanguageChanged Kind = "user.language_changed"

	// Spaces.
	SpaceCreated Kind = "space.created"
	SpaceRenamed Kind = "space.renamed"
	SpaceDeleted Kind = "space.deleted"

	// Signing in.
	SignIn       Kind = "signin.succeeded"
	SignInFailed Kind = "signin.failed"

	// The account's settings.
	AccountCreated         Kind = "account.created"
	AccountLanguageChanged Kind = "account.language_changed"

	// API tokens (Settings > API tokens): made and revoked; the subject is
	// the administrator the token acts for.
	APITokenCreated Kind = "api_token.created"
	APITokenRevoked Kind = "api_token.revoked"

	// Apps that sign people in with Usher (Settings > Apps).
	AppRegistered    Kind = "app.registered"
	AppSecretRotated Kind = "app.secret_rotated"
	AppSecretRevoked Kind = "app.secret_revoked"
	AppDeleted       Kind = "app.deleted"

	// A bulk action (the users list's selection, a CSV import) finished;
	// each person it changed has their own row.
	BulkFinished Kind = "bulk.finished"
)

// Kinds lists every kind, in the order the page's filter offers them.
var Kinds = []Kind{
	InvitationSent, InvitationResent, InvitationReminded, InvitationRenewed, InvitationRolesRemoved,
	InvitationCancelled, InvitationExpired, InvitationAccepted, InvitationRenewalRequested, InvitationUndelivered,
	UserCreated, UserEdited, UserRolesChanged, UserDeactivated, UserActivated, UserDeleted,
	UserResetSent, UserResetAsked, UserPasswordReset, UserPasswordChanged, UserTwoFactorOn, UserTwoFactorOff,
	UserSessionsEnded, UserLanguageChanged,
	SpaceCreated, SpaceRenamed, SpaceDeleted,
	SignIn, SignInFailed,
	AccountCreated, AccountLanguageChanged,
	APITokenCreated, APITokenRevoked,
	AppRegistered, AppSecretRotated, AppSecretRevoked, AppDeleted,
	BulkFinished,
}

// Known reports whether k is one of Kinds.
func (k Kind) Known() bool { return slices.Contains(Kinds, k) }

// Entry is one row of the log.
type Entry struct {
	ID   int64
	At   time.Time
	Kind Kind
	// Actor did it: ActorID 0 and ActorName "" is the system (the sender,
	// expiry); ActorID 0 with a name is someone without an account here
	// (the command line, or a failed sign-in's address in Details.Email).
	ActorID    int64
	ActorName  string
	ActorEmail string
	// Subject is the person it was done to (0: none, such as a space's
	// rename). For a sign-in, the actor and the subject are the same.
	SubjectID    int64
	SubjectName  string
	SubjectEmail string
	IP           string
	Details      Details
}

// System reports whether nobody in particular did it.
func (e Entry) System() bool { return e.ActorID == 0 && e.ActorName == "" }

// Details are the structured facts of an entry; which fields are set
// depends on the kind.
type Details struct {
	InvitationID int64 `json:"invitation_id,omitempty"`
	// Roles are those an invitation offers (sent, resent, renewed,
	// cancelled, expired, …), those granted on accept, or those removed.
	Roles []Role `json:"roles,omitempty"`
	// Granted and Revoked are a user's roles that an edit changed, per
	// space (a role changed on one space is both).
	Granted []Role `json:"granted,omitempty"`
	Revoked []Role `json:"revoked,omitempty"`
	// Space is the space a space event is about, or the one a person was
	// removed from.
	Space *Space `json:"space,omitempty"`
	// Changes are the fields an edit changed, before and after.
	Changes []Change `json:"changes,omitempty"`
	// Email is the address a failed sign-in or a Forgot password named.
	Email string `json:"email,omitempty"`
	// Reason says why something failed ("password", "code", "deactivated",
	// an SMTP reply).
	Reason string `json:"reason,omitempty"`
	// Count is how many (sessions ended, members affected).
	Count int `json:"count,omitempty"`
	// Device is the browser and system a sign-in came from.
	Device string `json:"device,omitempty"`
	// SecondFactor says a sign-in used a two-factor code ("code",
	// "recovery").
	SecondFactor string `json:"second_factor,omitempty"`
	// Expires is when an invitation's link expires.
	Expires *time.Time `json:"expires,omitempty"`
	// Action is what a bulk job did (bulk.Action); Count how many it did
	// and Skipped how many of the selected it skipped.
	Action  string `json:"action,omitempty"`
	Skipped int    `json:"skipped,omitempty"`
	// Via is the API token the actor acted through, by its name.
	Via string `json:"via,omitempty"`
	// App and ClientID name an app (Settings > Apps).
	App      string `json:"app,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	// Token is the name of an API token, Scopes what it may do.
	Token  string   `json:"token,omitempty"`
	Scopes []string `json:"scopes,omitempty"`
}

// Role is a role on a space as the log keeps it: with the space's name at
// the time.
type Role struct {
	SpaceID   int64       `json:"space_id"`
	SpaceKind spaces.Kind `json:"kind"`
	SpaceName string      `json:"name"`
	Role      spaces.Role `json:"role"`
}

// Space is a space as the log keeps it.
type Space struct {
	ID       int64       `json:"id"`
	Kind     spaces.Kind `json:"kind"`
	Name     string      `json:"name"`
	ParentID int64       `json:"parent_id,omitempty"`
}

// Change is one field an edit changed.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// RolesOf keeps grants as the log keeps roles.
func RolesOf(grants []spaces.Grant) []Role {
	if len(grants) == 0 {
		return nil
	}
	out := make([]Role, len(grants))
	for i, g := range grants {
		out[i] = Role{SpaceID: g.SpaceID, SpaceKind: g.SpaceKind, SpaceName: g.SpaceName, Role: g.Role}
	}
	return out
}

// Grants turns roles back into grants, to describe them.
func Grants(roles []Role) []spaces.Grant {
	out := make([]spaces.Grant, len(roles))
	for i, r := range roles {
		out[i] = spaces.Grant{SpaceID: r.SpaceID, SpaceKind: r.SpaceKind, SpaceName: r.SpaceName, Role: r.Role}
	}
	return out
}

// SpaceIDs lists every space the entry concerns, each once: a space
// administrator sees the entry when one of them is theirs.
func (e Entry) SpaceIDs() []int64 {
	var ids []int64
	add := func(id int64) {
		if id != 0 && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, list := range [][]Role{e.Details.Roles, e.Details.Granted, e.Details.Revoked} {
		for _, r := range list {
			add(r.SpaceID)
		}
	}
	if sp := e.Details.Space; sp != nil {
		// With its parent: a unit's administrators still see a room they
		// administered once it is deleted.
		add(sp.ID)
		add(sp.ParentID)
	}
	return ids
}

// PeopleIDs lists the people the entry concerns (actor and subject), each
// once.
func (e Entry) PeopleIDs() []int64 {
	var ids []int64
	for _, id := range []int64{e.ActorID, e.SubjectID} {
		if id != 0 && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// Source is who is acting and from where, carried by the context of a
// request (or a command) down to the store that writes the change: the
// entry takes its actor and IP from it unless the store names its own
// (the invitee accepting, a person signing in). A context without one is
// the system.
type Source struct {
	ActorID    int64
	ActorName  string
	ActorEmail string
	IP         string
	// Via names the API token the actor acted through ("": the pages or
	// the command line).
	Via string
}

type sourceKey struct{}

// With returns ctx carrying s.
func With(ctx context.Context, s Source) context.Context {
	return context.WithValue(ctx, sourceKey{}, s)
}

// SourceOf is the Source ctx carries (zero: the system).
func SourceOf(ctx context.Context) Source {
	s, _ := ctx.Value(sourceKey{}).(Source)
	return s
}

// Fill completes e from the source in ctx: the actor, unless e names one,
// and the IP, unless e has one.
func (e *Entry) Fill(ctx context.Context) {
	s := SourceOf(ctx)
	if e.ActorID == 0 && e.ActorName == "" {
		e.ActorID, e.ActorName, e.ActorEmail = s.ActorID, s.ActorName, s.ActorEmail
	}
	if e.IP == "" {
		e.IP = s.IP
	}
	if e.Details.Via == "" {
		e.Details.Via = s.Via
	}
}
