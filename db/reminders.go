package db

import (
	"context"
	"database/sql"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
)

var _ invitations.ReminderStore = (*InvitationStore)(nil)

// remindable is the part of "due" that does not depend on the clock: a
// pending invitation not reminded since it was last sent, whose invitee
// can still accept it. NextReminder and Remind use the same condition, so
// the sender never waits for a reminder that will not come.
const remindable = `i.state = 'pending' AND i.reminded_at IS NULL
	AND EXISTS (SELECT 1 FROM users du WHERE du.id = i.user_id AND du.deactivated_at IS NULL)`

// DueReminders lists pending invitations that expire after now but within
// before of it, and have not been reminded, soonest expiry first.
func (s *InvitationStore) DueReminders(ctx context.Context, now time.Time, before time.Duration, limit int) ([]invitations.Due, error) {
	rows, err := s.db.R.QueryContext(ctx, `
		SELECT `+invCols+`, invitee_name FROM (
			SELECT i.*, coalesce(u.name, '') AS invitee_name
			FROM invitations i JOIN users u ON u.id = i.user_id
			WHERE `+remindable+` AND i.expires_at > ? AND i.expires_at <= ?
			ORDER BY i.expires_at, i.id LIMIT ?)
		ORDER BY expires_at, id`,
		now.Unix(), now.Add(before).Unix(), limit)
	if err != nil {
		return nil, errs.Wrap(err, "reading reminders")
	}
	defer rows.Close()
	var out []invitations.Due
	var ids []int64
	for rows.Next() {
		var d invitations.Due
		var name string
		inv, err := scanInvitation(scanFunc(func(dest ...any) error { return rows.Scan(append(dest, &name)...) }))
		if err != nil {
			return nil, errs.Wrap(err, "reading reminders")
		}
		d.Invitation, d.InviteeName = inv, name
		out = append(out, d)
		ids = append(ids, inv.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "reading reminders")
	}
	offered, err := grantsOf(ctx, s.db.R, `SELECT r.invitation_id, r.space_id, sp.kind, sp.name, r.role FROM invitation_roles r JOIN spaces sp ON sp.id = r.space_id WHERE r.invitation_id IN `, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Invitation.Offered = offered[out[i].Invitation.ID]
	}
	return out, nil
}

// NextReminder is when the next reminder falls due, or zero when none will.
func (s *InvitationStore) NextReminder(ctx context.Context, now time.Time, before time.Duration) (time.Time, error) {
	var next sql.NullInt64
	err := s.db.R.QueryRowContext(ctx, `SELECT min(i.expires_at) FROM invitations i WHERE `+remindable+` AND i.expires_at > ?`, now.Unix()).Scan(&next)
	if err != nil {
		return time.Time{}, errs.Wrap(err, "reading reminders")
	}
	if !next.Valid {
		return time.Time{}, nil
	}
	return time.Unix(next.Int64, 0).UTC().Add(-before), nil
}

// Remind marks the invitation reminded, writes its history line and
// enqueues the reminder, in one transaction, if it is still due and still
// expires at expiresAt.
func (s *InvitationStore) Remind(ctx context.Context, id int64, expiresAt, now time.Time, msg mail.Outgoing) (bool, error) {
	var done bool
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE invitations AS i SET reminded_at = ?
			WHERE i.id = ? AND `+remindable+` AND i.expires_at = ? AND i.expires_at > ?`,
			now.Unix(), id, expiresAt.Unix(), now.Unix())
		if err != nil {
			return errs.Wrap(err, "reminding")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // resent, accepted, cancelled or reminded meanwhile
		}
		done = true
		if err := addEvent(ctx, tx, id, now, 0, "", invitations.EvReminded, ""); err != nil {
			return err
		}
		return enqueue(ctx, tx, msg, now)
	})
	return done, err
}

// scanFunc adapts a function to scanner.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }
