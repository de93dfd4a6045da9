package db

import (
	"context"
	"database/sql"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/sessions"
)

// SessionStore implements sessions.Store (migration 0011).
type SessionStore struct{ db *DB }

// NewSessionStore returns the sessions store.
func NewSessionStore(d *DB) *SessionStore { return &SessionStore{db: d} }

var _ sessions.Store = (*SessionStore)(nil)

const sessionCols = `id, user_id, created_at, last_seen_at, ip, user_agent, browser, os, device, second_factor_pending`

func scanSession(r scanner) (sessions.Session, error) {
	var s sessions.Session
	var created, seen int64
	var device string
	err := r.Scan(&s.ID, &s.UserID, &created, &seen, &s.IP, &s.UserAgent, &s.Browser.Name, &s.Browser.OS, &device, &s.SecondFactorPending)
	s.CreatedAt, s.LastSeenAt = time.Unix(created, 0).UTC(), time.Unix(seen, 0).UTC()
	s.Browser.Device = sessions.Device(device)
	return s, err
}

func (s *SessionStore) Create(ctx context.Context, in sessions.Session, tokenHash []byte) (sessions.Session, error) {
	var out sessions.Session
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		// Only an active user signs in; one deactivated or deleted since
		// their password was checked gets no session.
		res, err := tx.ExecContext(ctx, `UPDATE users SET last_sign_in_at = ? WHERE id = ? AND activated_at IS NOT NULL AND deactivated_at IS NULL`, in.CreatedAt.Unix(), in.UserID)
		if err := changed(res, err, "noting the sign-in"); err != nil {
			return err
		}
		out, err = scanSession(tx.QueryRowContext(ctx, `
			INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, ip, user_agent, browser, os, device, second_factor_pending)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+sessionCols,
			tokenHash, in.UserID, in.CreatedAt.Unix(), in.LastSeenAt.Unix(), in.IP, in.UserAgent, in.Browser.Name, in.Browser.OS, string(in.Browser.Device), in.SecondFactorPending))
		return errs.Wrap(err, "starting a session")
	})
	return out, err
}

func (s *SessionStore) ByTokenHash(ctx context.Context, h []byte) (sessions.Session, error) {
	out, err := scanSession(s.db.R.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE token_hash = ?`, h))
	return out, notFound(err, "sessions.err.no_such", "reading a session")
}

func (s *SessionStore) Touch(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.W.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?`, at.Unix(), id, at.Unix())
	return errs.Wrap(err, "noting a session's use")
}

func (s *SessionStore) OfUser(ctx context.Context, userID int64) ([]sessions.Session, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC, id DESC`, userID)
	if err != nil {
		return nil, errs.Wrap(err, "reading sessions")
	}
	defer rows.Close()
	var out []sessions.Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, errs.Wrap(err, "reading sessions")
		}
		out = append(out, x)
	}
	return out, errs.Wrap(rows.Err(), "reading sessions")
}

func (s *SessionStore) Delete(ctx context.Context, userID, id int64) error {
	res, err := s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return errs.Wrap(err, "ending a session")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.T(errs.NotFound, "sessions.err.no_such")
	}
	return nil
}

func (s *SessionStore) DeleteOthers(ctx context.Context, userID, keep int64) (int, error) {
	return deleted(s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id != ?`, userID, keep))
}

func (s *SessionStore) DeleteAll(ctx context.Context, userID int64) (int, error) {
	return deleted(s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID))
}

func (s *SessionStore) Purge(ctx context.Context, idle, created time.Time) (int, error) {
	return deleted(s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`, idle.Unix(), created.Unix()))
}

func deleted(res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, errs.Wrap(err, "ending sessions")
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
