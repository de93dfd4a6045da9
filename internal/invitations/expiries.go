package invitations

import (
	"context"
	"time"

	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/mail"
)

// ExpiryStore is what logging expiries needs from storage.
type ExpiryStore interface {
	// LogExpired records in the activity log, once each and as the
	// system, up to limit pending invitations whose expiry passed by now,
	// and reports how many.
	LogExpired(ctx context.Context, now time.Time, limit int) (int, error)
	// NextExpiry is when the next pending invitation not yet logged
	// expires (zero: none).
	NextExpiry(ctx context.Context, now time.Time) (time.Time, error)
}

// Expiries puts each invitation's expiry in the activity log when it
// passes: nothing writes to the database when an invitation expires, so
// the mail sender's loop runs this, as a mail.Producer, before each round.
type Expiries struct {
	Store ExpiryStore
	Clock clock.Clock
}

var _ mail.Producer = (*Expiries)(nil)

// expiryBatch is how many expiries one transaction logs.
const expiryBatch = 500

func (x *Expiries) Produce(ctx context.Context) (time.Time, error) {
	now := x.Clock.Now()
	for {
		n, err := x.Store.LogExpired(ctx, now, expiryBatch)
		if err != nil {
			return time.Time{}, err
		}
		if n < expiryBatch {
			break
		}
	}
	return x.Store.NextExpiry(ctx, now)
}
