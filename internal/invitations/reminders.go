package invitations

import (
	"context"
	"fmt"
	"time"

	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
)

// Due is an invitation whose reminder is due, with the name its inviter
// gave the invitee.
type Due struct {
	Invitation  Invitation
	InviteeName string
}

// ReminderStore is what the reminder before expiry needs from storage.
// "Due" means: pending, not expired at now, not reminded since it was last
// sent, for a user who is not deactivated, and expiring within before.
type ReminderStore interface {
	// DueReminders lists up to limit due invitations, soonest expiry first.
	DueReminders(ctx context.Context, now time.Time, before time.Duration, limit int) ([]Due, error)
	// NextReminder is when the next reminder falls due (zero if none):
	// the soonest expiry after now of a pending, unreminded invitation,
	// minus before.
	NextReminder(ctx context.Context, now time.Time, before time.Duration) (time.Time, error)
	// Remind marks the invitation reminded, adds EvReminded to its history
	// and enqueues msg, in one transaction, if it is still due and still
	// expires at expiresAt (a resend meanwhile restarts it). It reports
	// whether it did.
	Remind(ctx context.Context, id int64, expiresAt, now time.Time, msg mail.Outgoing) (bool, error)
}

// Accounts gives the account's name for the message.
type Accounts interface {
	Account(ctx context.Context) (spaces.Space, error)
}

// reminderBatch is how many reminders one query takes.
const reminderBatch = 100

// Reminders sends the optional reminder before expiry (USHER_REMIND_BEFORE):
// once per sent link, with the same link. The mail sender runs it before
// each round, as a mail.Producer.
type Reminders struct {
	store    ReminderStore
	accounts Accounts
	clock    clock.Clock
	before   time.Duration
}

var _ mail.Producer = (*Reminders)(nil)

// NewReminders reminds invitees before before is left of their link.
func NewReminders(store ReminderStore, accounts Accounts, clk clock.Clock, before time.Duration) *Reminders {
	return &Reminders{store: store, accounts: accounts, clock: clk, before: before}
}

// Produce enqueues the reminders due now and says when the next one is.
func (r *Reminders) Produce(ctx context.Context) (time.Time, error) {
	if _, err := r.SendDue(ctx); err != nil {
		return time.Time{}, err
	}
	if r.before <= 0 {
		return time.Time{}, nil
	}
	return r.store.NextReminder(ctx, r.clock.Now(), r.before)
}

// SendDue enqueues every reminder due now, each with its history line and
// in one transaction, and returns how many it enqueued.
func (r *Reminders) SendDue(ctx context.Context) (int, error) {
	if r.before <= 0 {
		return 0, nil
	}
	now := r.clock.Now()
	n := 0
	account := ""
	for {
		due, err := r.store.DueReminders(ctx, now, r.before, reminderBatch)
		if err != nil || len(due) == 0 {
			return n, err
		}
		if account == "" {
			acc, err := r.accounts.Account(ctx)
			if err != nil {
				return n, err
			}
			account = acc.Name
		}
		done := n
		for _, d := range due {
			inv := d.Invitation
			msg := mail.Outgoing{
				Key:          fmt.Sprintf("remind:%d:%d", inv.ID, inv.ExpiresAt.Unix()),
				Kind:         mail.Reminder,
				To:           inv.Email,
				InvitationID: inv.ID,
				Payload: mail.Payload{
					AccountName:  account,
					InviterName:  inv.InviterName,
					InviteeName:  d.InviteeName,
					InviteeEmail: inv.Email,
					ExpiresAt:    inv.ExpiresAt,
					Language:     inv.Language,
				},
			}
			msg.Payload.OfferRoles(inv.Offered)
			ok, err := r.store.Remind(ctx, inv.ID, inv.ExpiresAt, now, msg)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
		if len(due) < reminderBatch || n == done {
			return n, nil
		}
	}
}
