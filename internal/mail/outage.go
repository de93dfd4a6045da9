package mail

import (
	"context"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
)

// OutageStore reads what the outbox's attempts say about the mail server.
type OutageStore interface {
	// Outage is the mail server failing every message, from the attempts
	// of every process sending from the same database (zero: it is not).
	Outage(ctx context.Context) (Outage, error)
}

// Deliveries tells account administrators how email delivery goes.
type Deliveries struct {
	store OutageStore
	smtp  bool
}

// NewDeliveries wires it; smtp says whether emails go out through an SMTP
// server (with the built-in mailbox nothing can fail).
func NewDeliveries(store OutageStore, smtp bool) *Deliveries {
	return &Deliveries{store: store, smtp: smtp}
}

// Outage says, to an account administrator, whether the mail server has
// been failing every message since some time: the account-wide notice.
// It is read from the database, so it is right whichever process sent.
func (d *Deliveries) Outage(ctx context.Context, access *spaces.Access) (Outage, error) {
	if access == nil || !access.AccountAdmin {
		return Outage{}, errs.T(errs.Forbidden, "err.mail.outage_forbidden")
	}
	if !d.smtp {
		return Outage{}, nil
	}
	return d.store.Outage(ctx)
}
