package activity

import (
	"context"
	"time"

	"github.com/usherhq/usher/internal/clock"
)

// The retention purge: entries older than the retention period
// (USHER_ACTIVITY_RETENTION days) are deleted, in batches, by the email
// sender's loop (a mail.Producer), as the timed-out sessions are.
const (
	// DefaultRetentionDays is how long entries are kept unless the
	// operator says otherwise.
	DefaultRetentionDays = 400
	// PurgeEvery is how often the purge looks for old entries.
	PurgeEvery = time.Hour
	// PurgeBatch entries are deleted per transaction: few enough that
	// the writes of the people using Usher never wait long behind one.
	PurgeBatch = 5000
	// PurgeBatches is how many batches one run deletes at most; with
	// more to do it comes back after PurgeAgain, so that a first purge of
	// years of entries does not hold the sender's loop, which also sends
	// the emails.
	PurgeBatches = 20
	PurgeAgain   = time.Minute
)

// Purging is the part of Store the purge uses.
type Purging interface {
	Purge(ctx context.Context, cutoff time.Time, limit int) (int, error)
}

// Purger deletes the entries older than Days days (0 keeps them forever).
type Purger struct {
	Store Purging
	Clock clock.Clock
	Days  int
	// Batch and Batches override PurgeBatch and PurgeBatches (zero: those).
	Batch, Batches int

	next time.Time // when to look again; the sender runs producers often
}

// NewPurger purges store's entries older than days days.
func NewPurger(store Purging, clk clock.Clock, days int) *Purger {
	return &Purger{Store: store, Clock: clk, Days: days}
}

// Produce deletes the entries due for deletion, in batches, and says when
// to look again. The sender's loop runs it before each round of emails,
// which is more often than there is work: between runs it does nothing.
func (p *Purger) Produce(ctx context.Context) (time.Time, error) {
	if p.Days <= 0 {
		return time.Time{}, nil
	}
	now := p.Clock.Now()
	if now.Before(p.next) {
		return p.next, nil
	}
	batch, batches := p.Batch, p.Batches
	if batch <= 0 {
		batch = PurgeBatch
	}
	if batches <= 0 {
		batches = PurgeBatches
	}
	cutoff := now.AddDate(0, 0, -p.Days)
	for range batches {
		n, err := p.Store.Purge(ctx, cutoff, batch)
		if err != nil {
			return time.Time{}, err
		}
		if n < batch {
			p.next = now.Add(PurgeEvery)
			return p.next, nil
		}
	}
	p.next = now.Add(PurgeAgain)
	return p.next, nil
}
