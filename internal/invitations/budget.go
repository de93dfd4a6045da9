package invitations

import (
	"time"

	"github.com/usherhq/usher/internal/errs"
)

// SendWindow is the period over which an administrator's emails are
// counted against their budget.
const SendWindow = time.Hour

// DefaultSendLimit is how many emails one administrator's actions may send
// in a SendWindow: generous for real work, a brake on a stolen session
// mailing strangers.
const DefaultSendLimit = 200

// Sends are the history events of emails an administrator's action sent:
// what a Budget counts. Automatic reminders and the invitee's own request
// for a new invitation are no administrator's doing.
var Sends = []EventKind{EvInvited, EvResent, EvRenewed}

// Budget is what one administrator may still send: at most Max emails
// (invitations, resends and new invitations, all together) in any Window.
// The store counts the Sends in the history inside the transaction of the
// action that would send more, so the budget holds across restarts, across
// processes on the same database and against racing clicks.
type Budget struct {
	Actor  int64
	Max    int
	Window time.Duration
}

func (s *Service) budget(actor Actor) Budget {
	return Budget{Actor: actor.User.ID, Max: s.sendLimit, Window: SendWindow}
}

// Refuse is the store's answer when n more sends do not fit beside the
// used ones: wait is how long until enough of those are older than the
// window.
func (b Budget) Refuse(used, n int, wait time.Duration) error {
	mins := int((wait + time.Minute - 1) / time.Minute)
	id := "err.invitations.budget_short_minutes"
	switch {
	case used >= b.Max && mins == 1:
		id = "err.invitations.budget_spent_minute"
	case used >= b.Max:
		id = "err.invitations.budget_spent_minutes"
	case mins == 1:
		id = "err.invitations.budget_short_minute"
	}
	return errs.WaitT(wait, id, "Used", used, "More", n, "Max", b.Max, "Count", mins)
}

// fits refuses a form of n addresses that could never fit the budget,
// however long one waited.
func (b Budget) fits(n int) error {
	if n > b.Max {
		return errs.FieldT("email", "err.invitations.budget_form", "Max", b.Max)
	}
	return nil
}
