package db

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

var _ users.Manager = (*UserStore)(nil)

// guardLastAdmin refuses with users.ErrLastAdmin when taking user id out
// of service would leave the account without an active administrator. It
// runs inside the write transaction, so concurrent demotions are
// serialised.
func guardLastAdmin(ctx context.Context, tx *sql.Tx, id int64) error {
	var isAdmin, others int
	err := tx.QueryRowContext(ctx, `
		SELECT
		  (SELECT count(*) FROM role_grants g JOIN spaces sp ON sp.id = g.space_id AND sp.kind = 'account'
		    JOIN users u ON u.id = g.user_id
		    WHERE g.user_id = ? AND g.role = 'admin' AND u.activated_at IS NOT NULL AND u.deactivated_at IS NULL),
		  (SELECT count(*) FROM role_grants g JOIN spaces sp ON sp.id = g.space_id AND sp.kind = 'account'
		    JOIN users u ON u.id = g.user_id
		    WHERE g.user_id != ? AND g.role = 'admin' AND u.activated_at IS NOT NULL AND u.deactivated_at IS NULL)`,
		id, id).Scan(&isAdmin, &others)
	if err != nil {
		return errs.Wrap(err, "counting administrators")
	}
	if isAdmin > 0 && others == 0 {
		return users.ErrLastAdmin
	}
	return nil
}

func changed(res sql.Result, err error, what string) error {
	if err != nil {
		return errs.Wrap(err, what)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.T(errs.NotFound, "err.users.no_such")
	}
	return nil
}

func (s *UserStore) SetName(ctx context.Context, id int64, name string) error {
	res, err := s.db.W.ExecContext(ctx, `UPDATE users SET name = ? WHERE id = ?`, name, id)
	return changed(res, err, "renaming user")
}

func (s *UserStore) SetPassword(ctx context.Context, id int64, hash string, notice mail.Outgoing) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		e := activity.Entry{Kind: activity.UserPasswordChanged, SubjectID: id}
		err := tx.QueryRowContext(ctx, `UPDATE users SET password_hash = ?, session_version = session_version + 1 WHERE id = ? AND activated_at IS NOT NULL RETURNING name, email`, hash, id).Scan(&e.SubjectName, &e.SubjectEmail)
		if err := notFound(err, "err.users.no_such", "changing password"); err != nil {
			return err
		}
		now := notice.Payload.ChangedAt
		if err := endResets(ctx, tx, id, 0, now, "password_changed"); err != nil {
			return err
		}
		e.At = now
		if err := record(ctx, tx, e); err != nil {
			return err
		}
		return enqueue(ctx, tx, notice, now)
	})
}

func (s *UserStore) SetGrants(ctx context.Context, id int64, scope []int64, want []spaces.Grant, by int64, now time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		var account int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM spaces WHERE kind = 'account'`).Scan(&account); err != nil {
			return errs.Wrap(err, "reading account")
		}
		stillAdmin := false
		for _, g := range want {
			stillAdmin = stillAdmin || (g.SpaceID == account && g.Role == spaces.Admin)
		}
		if !stillAdmin && slices.Contains(scope, account) {
			if err := guardLastAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		in, args := inList(append([]int64{0}, scope...))
		if _, err := tx.ExecContext(ctx, `DELETE FROM role_grants WHERE user_id = ? AND space_id IN `+in, append([]any{id}, args...)...); err != nil {
			return errs.Wrap(err, "removing roles")
		}
		for _, g := range want {
			if _, err := tx.ExecContext(ctx, `INSERT INTO role_grants (user_id, space_id, role, granted_at, granted_by) VALUES (?, ?, ?, ?, ?)`,
				id, g.SpaceID, g.Role, now.Unix(), by); err != nil {
				return errs.Wrap(err, "giving role")
			}
		}
		return nil
	})
}

func (s *UserStore) Deactivate(ctx context.Context, id int64, now time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if err := guardLastAdmin(ctx, tx, id); err != nil {
			return err
		}
		// A new session version ends every session of the user at once.
		res, err := tx.ExecContext(ctx, `UPDATE users SET deactivated_at = ?, session_version = session_version + 1 WHERE id = ? AND deactivated_at IS NULL`, now.Unix(), id)
		return changed(res, err, "deactivating user")
	})
}

func (s *UserStore) Activate(ctx context.Context, id int64) error {
	res, err := s.db.W.ExecContext(ctx, `UPDATE users SET deactivated_at = NULL WHERE id = ? AND deactivated_at IS NOT NULL`, id)
	return changed(res, err, "activating user")
}

func (s *UserStore) Delete(ctx context.Context, id int64, by int64, byName string, now time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if err := guardLastAdmin(ctx, tx, id); err != nil {
			return err
		}
		// Pending invitations die with the user; their history stays.
		rows, err := tx.QueryContext(ctx, `UPDATE invitations SET state = 'cancelled', ended_at = ?, ended_by = ? WHERE user_id = ? AND state = 'pending' RETURNING id`, now.Unix(), by, id)
		if err != nil {
			return errs.Wrap(err, "ending invitations")
		}
		var ended []int64
		for rows.Next() {
			var inv int64
			if err := rows.Scan(&inv); err != nil {
				rows.Close()
				return errs.Wrap(err, "ending invitations")
			}
			ended = append(ended, inv)
		}
		rows.Close()
		for _, inv := range ended {
			if err := addEvent(ctx, tx, inv, now, by, byName, invitations.EvCancelled, "user deleted"); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		return changed(res, err, "deleting user")
	})
}
