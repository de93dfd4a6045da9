package db

import (
	"context"
	"database/sql"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/resets"
	"github.com/usherhq/usher/internal/users"
)

// ResetStore implements resets.Store (migration 0012).
type ResetStore struct{ db *DB }

// NewResetStore returns the password resets store.
func NewResetStore(d *DB) *ResetStore { return &ResetStore{db: d} }

var _ resets.Store = (*ResetStore)(nil)

func (s *ResetStore) Ask(ctx context.Context, email, language string, now time.Time) error {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO password_reset_requests (email, language, requested_at) VALUES (?, ?, ?)`, email, language, now.Unix())
	return errs.Wrap(err, "keeping a reset request")
}

func (s *ResetStore) Asked(ctx context.Context, limit int) ([]resets.Request, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, email, language, requested_at FROM password_reset_requests ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, errs.Wrap(err, "reading reset requests")
	}
	defer rows.Close()
	var out []resets.Request
	for rows.Next() {
		var r resets.Request
		var at int64
		if err := rows.Scan(&r.ID, &r.Email, &r.Language, &at); err != nil {
			return nil, errs.Wrap(err, "reading reset requests")
		}
		r.At = time.Unix(at, 0).UTC()
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "reading reset requests")
}

func (s *ResetStore) Drop(ctx context.Context, id int64) error {
	_, err := s.db.W.ExecContext(ctx, `DELETE FROM password_reset_requests WHERE id = ?`, id)
	return errs.Wrap(err, "dropping a reset request")
}

func (s *ResetStore) Person(ctx context.Context, email string) (users.User, error) {
	u, err := scanUser(s.db.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
	return u, notFound(err, "err.users.no_such_email", "reading user")
}

// endResets ends the open reset links of user userID but keep, as why.
func endResets(ctx context.Context, tx querier, userID, keep int64, now time.Time, why string) error {
	_, err := tx.ExecContext(ctx, `UPDATE password_resets SET ended_at = ?, ended_why = ? WHERE user_id = ? AND ended_at IS NULL AND id != ?`, now.Unix(), why, userID, keep)
	return errs.Wrap(err, "ending reset links")
}

func (s *ResetStore) Create(ctx context.Context, c resets.Create, compose func(id int64) mail.Outgoing) (resets.Reset, error) {
	r := resets.Reset{UserID: c.UserID, Nonce: c.Nonce, RequestedBy: c.RequestedBy, CreatedAt: c.Now, ExpiresAt: c.ExpiresAt}
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var active int
		e := activity.Entry{At: c.Now, Kind: activity.UserResetSent, SubjectID: c.UserID}
		if c.RequestedBy == 0 {
			// Forgot password, answered by the sender's round: the system.
			e.Kind = activity.UserResetAsked
		}
		err := tx.QueryRowContext(ctx, `SELECT activated_at IS NOT NULL AND deactivated_at IS NULL, name, email FROM users WHERE id = ?`, c.UserID).Scan(&active, &e.SubjectName, &e.SubjectEmail)
		if err == sql.ErrNoRows || err == nil && active == 0 {
			return errs.T(errs.Conflict, "reset.err.not_active_now")
		}
		if err != nil {
			return errs.Wrap(err, "reading user")
		}
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT max(created_at) FROM password_resets WHERE user_id = ?`, c.UserID).Scan(&last); err != nil {
			return errs.Wrap(err, "reading reset links")
		}
		if last.Valid && last.Int64 > c.Now.Add(-resets.Cooldown).Unix() {
			return resets.ErrSentMomentsAgo
		}
		if err := endResets(ctx, tx, c.UserID, 0, c.Now, "superseded"); err != nil {
			return err
		}
		var by any
		if c.RequestedBy != 0 {
			by = c.RequestedBy
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO password_resets (user_id, token_nonce, token_hash, requested_by, requested_by_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.UserID, c.Nonce, c.TokenHash, by, c.RequestedByName, c.Now.Unix(), c.ExpiresAt.Unix())
		if err != nil {
			return errs.Wrap(err, "writing reset link")
		}
		r.ID, _ = res.LastInsertId()
		if c.RequestID != 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM password_reset_requests WHERE id = ?`, c.RequestID); err != nil {
				return errs.Wrap(err, "dropping a reset request")
			}
		}
		if c.RequestedBy != 0 {
			// The users list keeps no history of active users: the line goes
			// with the invitation they joined by, which Manage invitation's
			// history reads, when they had one.
			var inv int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM invitations WHERE user_id = ? ORDER BY id DESC LIMIT 1`, c.UserID).Scan(&inv)
			if err != nil && err != sql.ErrNoRows {
				return errs.Wrap(err, "reading invitation")
			}
			if inv != 0 {
				if err := addEvent(ctx, tx, inv, c.Now, c.RequestedBy, c.RequestedByName, invitations.EvResetSent, ""); err != nil {
					return err
				}
			}
		}
		if err := record(ctx, tx, e); err != nil {
			return err
		}
		return enqueue(ctx, tx, compose(r.ID), c.Now)
	})
	return r, err
}

func (s *ResetStore) ByTokenHash(ctx context.Context, hash []byte) (resets.Reset, error) {
	var r resets.Reset
	var by, ended sql.NullInt64
	var created, expires int64
	err := s.db.R.QueryRowContext(ctx, `SELECT id, user_id, token_nonce, requested_by, created_at, expires_at, ended_at FROM password_resets WHERE token_hash = ?`, hash).
		Scan(&r.ID, &r.UserID, &r.Nonce, &by, &created, &expires, &ended)
	if err != nil {
		return r, notFound(err, "reset.dead.text", "reading reset link")
	}
	r.RequestedBy, r.CreatedAt, r.ExpiresAt, r.EndedAt = by.Int64, time.Unix(created, 0).UTC(), time.Unix(expires, 0).UTC(), fromUnix(ended)
	return r, nil
}

func (s *ResetStore) Use(ctx context.Context, id int64, hash string, now time.Time, notice mail.Outgoing) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		var userID int64
		err := tx.QueryRowContext(ctx, `
			UPDATE password_resets SET ended_at = ?1, ended_why = 'used'
			WHERE id = ?2 AND ended_at IS NULL AND expires_at > ?1
			  AND user_id IN (SELECT id FROM users WHERE activated_at IS NOT NULL AND deactivated_at IS NULL)
			RETURNING user_id`, now.Unix(), id).Scan(&userID)
		if err == sql.ErrNoRows {
			return errs.T(errs.Conflict, "reset.dead.text")
		}
		if err != nil {
			return errs.Wrap(err, "using reset link")
		}
		e := activity.Entry{At: now, Kind: activity.UserPasswordReset, SubjectID: userID}
		if err := tx.QueryRowContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ? RETURNING name, email`, hash, userID).Scan(&e.SubjectName, &e.SubjectEmail); err != nil {
			return errs.Wrap(err, "changing password")
		}
		if err := endResets(ctx, tx, userID, id, now, "password_changed"); err != nil {
			return err
		}
		// Whoever holds the link is taken to be its person.
		selfActed(&e)
		if err := record(ctx, tx, e); err != nil {
			return err
		}
		return enqueue(ctx, tx, notice, now)
	})
}
