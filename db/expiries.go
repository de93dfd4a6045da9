package db

import (
	"context"
	"database/sql"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
)

var _ invitations.ExpiryStore = (*InvitationStore)(nil)

// LogExpired writes the activity row of up to limit pending invitations
// whose expiry passed by now and is not in the log yet, each at the moment
// it expired, and marks them, in one transaction (migration 0015).
func (s *InvitationStore) LogExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	n := 0
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `
			UPDATE invitations SET expiry_logged = 1
			WHERE id IN (SELECT id FROM invitations INDEXED BY invitations_expiry_unlogged
			             WHERE state = 'pending' AND expiry_logged = 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?)
			RETURNING id, expires_at`, now.Unix(), limit)
		if err != nil {
			return errs.Wrap(err, "finding expired invitations")
		}
		type expired struct{ id, at int64 }
		var due []expired
		for rows.Next() {
			var e expired
			if err := rows.Scan(&e.id, &e.at); err != nil {
				rows.Close()
				return errs.Wrap(err, "finding expired invitations")
			}
			due = append(due, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return errs.Wrap(err, "finding expired invitations")
		}
		for _, e := range due {
			if err := logInvitation(ctx, tx, e.id, time.Unix(e.at, 0).UTC(), 0, "", invitations.EvExpired, "", nil); err != nil {
				return err
			}
		}
		n = len(due)
		return nil
	})
	return n, err
}

// NextExpiry is when the next pending invitation not yet logged expires
// (zero: none).
func (s *InvitationStore) NextExpiry(ctx context.Context, now time.Time) (time.Time, error) {
	var at sql.NullInt64
	err := s.db.R.QueryRowContext(ctx, `SELECT min(expires_at) FROM invitations INDEXED BY invitations_expiry_unlogged
		WHERE state = 'pending' AND expiry_logged = 0 AND expires_at > ?`, now.Unix()).Scan(&at)
	if err != nil {
		return time.Time{}, errs.Wrap(err, "reading next expiry")
	}
	return fromUnix(at), nil
}
