// Package bulk is an administrator's action on many people at once: the
// users list's selection (Resend invitation link, Send new invitation,
// Cancel invitation, Deactivate, Activate, Delete) and the CSV import.
//
// A bulk action is a job kept in the database, so that it survives a
// restart: first Plan says what it would do to each selected person and
// why it would skip the others, for the confirmation; Start keeps the job
// with one item per person; a runner then works through the items in
// batches, each batch one write transaction in which every item's own
// service call runs (in a savepoint of its own) and the item is marked
// done or skipped. An item's email and its mark commit together, so a job
// sends each person one email per action, whatever happens to it.
//
// Every item goes through the same service as its row action, which
// enforces the same rules (role ceiling, the spaces one administers, the
// resend cooldown, the last administrator, the hourly send limit): what
// this package adds is the choice of items, a reason for each skip, and
// the bookkeeping.
package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/users"
)

// Action is what a job does to each of its items.
type Action string

const (
	Resend     Action = "resend"
	Renew      Action = "renew"
	Cancel     Action = "cancel"
	Deactivate Action = "deactivate"
	Activate   Action = "activate"
	Delete     Action = "delete"
	// Import invites (or resends to) each line of a CSV file; its items
	// carry the line as Payload.
	Import Action = "import"
)

// Actions are the selection's actions, in the order the bar shows them.
var Actions = []Action{Resend, Renew, Cancel, Deactivate, Activate, Delete}

// ParseAction is the selection action named s.
func ParseAction(s string) (Action, bool) {
	a := Action(s)
	return a, slices.Contains(Actions, a)
}

// rowAction is the row action each selection action repeats: the one
// whose rules (users.ActionsFor, users.ActionsOn) decide which people it
// applies to.
var rowAction = map[Action]users.Action{
	Resend:     users.ResendLink,
	Renew:      users.SendNew,
	Cancel:     users.CancelInvite,
	Deactivate: users.DeactivateUser,
	Activate:   users.ActivateUser,
	Delete:     users.DeleteUser,
}

// RowAction is the row action a selection action repeats.
func (a Action) RowAction() users.Action { return rowAction[a] }

// Sends reports whether each item done sends an email (and so counts
// against the administrator's hourly send limit).
func (a Action) Sends() bool { return a == Resend || a == Renew || a == Import }

// Reason says why an item was, or would be, skipped: a catalogue message
// id, a phrase that completes "14 skipped: …" (bulk.skipped).
type Reason string

const (
	// The person's status does not offer the action (SPEC §2's table).
	ReasonActive      Reason = "bulk.reason.active"
	ReasonInvited     Reason = "bulk.reason.invited"
	ReasonExpired     Reason = "bulk.reason.expired"
	ReasonDeactivated Reason = "bulk.reason.deactivated"
	// ReasonSelf: one never deactivates or deletes oneself.
	ReasonSelf Reason = "bulk.reason.self"
	// ReasonNotYours: a role or offer outside the spaces the administrator
	// administers, or above their own.
	ReasonNotYours Reason = "bulk.reason.not_yours"
	// ReasonCooldown: sent less than invitations.ResendCooldown ago.
	ReasonCooldown Reason = "bulk.reason.cooldown"
	// ReasonGone: deleted meanwhile, or no longer visible to the
	// administrator.
	ReasonGone Reason = "bulk.reason.gone"
	// ReasonLastAdmin: the account would be left without an active
	// account administrator.
	ReasonLastAdmin Reason = "bulk.reason.last_admin"
	// ReasonLimit: the hourly send limit was reached while the job ran.
	ReasonLimit Reason = "bulk.reason.limit"
	// ReasonChanged: someone else changed the person meanwhile, so that
	// the action no longer fits.
	ReasonChanged Reason = "bulk.reason.changed"
	// ReasonActor: the administrator who started the job lost the right
	// to do it (deactivated, deleted, demoted) before it reached the item.
	ReasonActor Reason = "bulk.reason.actor"
	// ReasonFailed: something failed on Usher's side for this person (the
	// server's log says what).
	ReasonFailed Reason = "bulk.reason.failed"
)

// statusReason is the skip of an action a status does not offer.
var statusReason = map[users.Status]Reason{
	users.Active:      ReasonActive,
	users.Invited:     ReasonInvited,
	users.Expired:     ReasonExpired,
	users.Deactivated: ReasonDeactivated,
}

// Skip is an item handler's refusal with its reason: the item is skipped,
// the job goes on.
type Skip Reason

func (s Skip) Error() string { return "skipped: " + string(s) }

// Classify says whether action applies to l for the administrator with
// access at now, by the row's own rules: "" if it does, else why not. The
// same rules as the row's menu (users.ActionsOn) and the resend cooldown;
// what only the moment of the write can tell (the last administrator, the
// send limit, a click elsewhere) the service says when the item runs.
func Classify(action Action, actor invitations.Actor, l users.Listed, now time.Time) Reason {
	ra := rowAction[action]
	st := l.StatusAt(now)
	if !slices.Contains(users.ActionsFor(st), ra) {
		return statusReason[st]
	}
	if !slices.Contains(users.ActionsOn(actor.Access, l, now), ra) {
		if l.ID == actor.User.ID {
			return ReasonSelf
		}
		return ReasonNotYours
	}
	if action == Resend && l.Invite != nil && now.Before(l.Invite.SentAt.Add(invitations.ResendCooldown)) {
		return ReasonCooldown
	}
	return ""
}

// refusals are the service refusals with a reason of their own.
var refusals = map[string]Reason{
	"err.invitations.budget_short_minutes": ReasonLimit,
	"err.invitations.budget_short_minute":  ReasonLimit,
	"err.invitations.budget_spent_minutes": ReasonLimit,
	"err.invitations.budget_spent_minute":  ReasonLimit,
	"err.invitations.resend_wait_seconds":  ReasonCooldown,
	"err.invitations.resend_wait_second":   ReasonCooldown,
	"err.invitations.sent_moments_ago":     ReasonCooldown,
	"err.users.last_admin":                 ReasonLastAdmin,
	"err.users.deactivate_self":            ReasonSelf,
	"err.users.delete_self":                ReasonSelf,
}

// reasonOf is the skip reason of a service's refusal err, or false when
// err is no refusal (the database is down, a bug): the batch fails and is
// tried again.
func reasonOf(err error) (Reason, bool) {
	var skip Skip
	if errors.As(err, &skip) {
		return Reason(skip), true
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		return "", false
	}
	if r, ok := refusals[e.ID]; ok {
		return r, true
	}
	switch e.Code {
	case errs.NotFound:
		return ReasonGone, true
	case errs.Forbidden:
		return ReasonNotYours, true
	case errs.Conflict, errs.Invalid, errs.TooMany:
		return ReasonChanged, true
	}
	return "", false
}

// SameClickWindow is how soon the same selection's same action, started
// again, is the same job: the second click of a double click, or a form
// posted again, shows the first one's result and changes nothing more.
const SameClickWindow = 10 * time.Second

// Item is one person (or CSV line) of a job.
type Item struct {
	Seq    int
	UserID int64
	// Payload is what an Import item carries (its line, as JSON).
	Payload json.RawMessage
	// Outcome is "" while waiting, then Done or Skipped.
	Outcome Outcome
	Reason  Reason
}

// Outcome is what became of an item.
type Outcome string

const (
	Done    Outcome = "done"
	Skipped Outcome = "skipped"
)

// Job is a bulk action as kept.
type Job struct {
	ID      int64
	ActorID int64
	Action  Action
	IP      string
	// Selection is the digest of what was selected (Selection.Key), ""
	// for a job made from items (an import).
	Selection string
	Total     int
	Processed int // items done or skipped so far
	Done      int
	CreatedAt time.Time
	// FinishedAt is when its last item was processed (zero: running).
	FinishedAt time.Time
	// SeenAt is when its administrator dismissed its result.
	SeenAt time.Time
}

// Finished reports whether every item was processed.
func (j Job) Finished() bool { return !j.FinishedAt.IsZero() }

// Skipped is how many items were skipped so far.
func (j Job) Skipped() int { return j.Processed - j.Done }

// Count is a number of items skipped for one reason.
type Count struct {
	Reason Reason
	N      int
}

// Store keeps jobs.
type Store interface {
	// Create keeps job j with its items (those already Skipped at once
	// count as processed) and returns it with its id; when j names a
	// Selection that the same actor started within SameClickWindow, it
	// returns that job instead and keeps nothing.
	Create(ctx context.Context, j Job, items []Item) (Job, error)
	// Work runs fn over the next waiting items of job id, at most n, in
	// one write transaction that the ctx fn is given carries (every store
	// write made with it joins the transaction), records the outcomes fn
	// set on the items, and finishes the job when none wait, in the same
	// transaction, as of now. It returns the job as it then stands; a
	// finished job is returned as it is, and fn is not called.
	Work(ctx context.Context, id int64, n int, now time.Time, fn func(ctx context.Context, j Job, items []Item) error) (Job, error)
	// Job is job id.
	Job(ctx context.Context, id int64) (Job, error)
	// Recent is actor's newest job of selection started since then.
	Recent(ctx context.Context, actorID int64, selection string, since time.Time) (Job, bool, error)
	// Unfinished is the oldest job not finished, if any.
	Unfinished(ctx context.Context) (int64, bool, error)
	// Reasons counts the skipped items of job id per reason, most first.
	Reasons(ctx context.Context, id int64) ([]Count, error)
	// Unseen are actor's jobs whose result they have not dismissed,
	// oldest first.
	Unseen(ctx context.Context, actorID int64) ([]Job, error)
	// Dismiss marks actor's job id as seen.
	Dismiss(ctx context.Context, id, actorID int64, at time.Time) error
	// SendsSince counts the emails actor's actions sent since then (what
	// invitations.Budget counts).
	SendsSince(ctx context.Context, actorID int64, since time.Time) (int, error)
}
