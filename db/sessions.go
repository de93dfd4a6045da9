package db

import (
	"context"
	"database/sql"
	"time"

	"github.com/usherhq/usher/internal/activity"
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
		var name, email string
		err := tx.QueryRowContext(ctx, `UPDATE users SET last_sign_in_at = ? WHERE id = ? AND activated_at IS NOT NULL AND deactivated_at IS NULL RETURNING name, email`, in.CreatedAt.Unix(), in.UserID).Scan(&name, &email)
		if err := notFound(err, "err.users.no_such", "noting the sign-in"); err != nil {
			return err
		}
		out, err = scanSession(tx.QueryRowContext(ctx, `
			INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, ip, user_agent, browser, os, device, second_factor_pending)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+sessionCols,
			tokenHash, in.UserID, in.CreatedAt.Unix(), in.LastSeenAt.Unix(), in.IP, in.UserAgent, in.Browser.Name, in.Browser.OS, string(in.Browser.Device), in.SecondFactorPending))
		if err != nil {
			return errs.Wrap(err, "starting a session")
		}
		if in.SecondFactorPending {
			// Not signed in yet: the code step's session will be.
			return nil
		}
		return record(ctx, tx, activity.Entry{
			At: in.CreatedAt, Kind: activity.SignIn,
			ActorID: in.UserID, ActorName: name, ActorEmail: email,
			SubjectID: in.UserID, SubjectName: name, SubjectEmail: email,
			IP:      in.IP,
			Details: activity.Details{Device: in.Browser.Names(), SecondFactor: in.SecondFactor},
		})
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

func (s *SessionStore) End(ctx context.Context, userID, id int64, at time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ? AND user_id = ?`, id, userID)
		n, err := deleted(res, err)
		if err != nil {
			return err
		}
		if n == 0 {
			return errs.T(errs.NotFound, "sessions.err.no_such")
		}
		return recordSessionsEnded(ctx, tx, userID, n, at)
	})
}

func (s *SessionStore) DeleteOthers(ctx context.Context, userID, keep int64, at time.Time) (int, error) {
	return s.deleteRecorded(ctx, userID, at, `DELETE FROM sessions WHERE user_id = ? AND id != ?`, userID, keep)
}

func (s *SessionStore) DeleteAll(ctx context.Context, userID int64, at time.Time) (int, error) {
	return s.deleteRecorded(ctx, userID, at, `DELETE FROM sessions WHERE user_id = ?`, userID)
}

// deleteRecorded runs the DELETE q of userID's sessions and, when it
// ended any, writes their activity row, in one transaction.
func (s *SessionStore) deleteRecorded(ctx context.Context, userID int64, at time.Time, q string, args ...any) (int, error) {
	var n int
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if n, err = deleted(tx.ExecContext(ctx, q, args...)); err != nil || n == 0 {
			return err
		}
		return recordSessionsEnded(ctx, tx, userID, n, at)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// recordSessionsEnded writes that n sessions of userID were ended, by the
// request's actor (the person, or an administrator).
func recordSessionsEnded(ctx context.Context, tx querier, userID int64, n int, at time.Time) error {
	e := activity.Entry{At: at, Kind: activity.UserSessionsEnded, SubjectID: userID, Details: activity.Details{Count: n}}
	if err := subjectNow(ctx, tx, &e); err != nil {
		return err
	}
	return record(ctx, tx, e)
}

func (s *SessionStore) Refused(ctx context.Context, r sessions.Refusal) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		e := activity.Entry{At: r.At, Kind: activity.SignInFailed, SubjectID: r.UserID, Details: activity.Details{Email: r.Email, Reason: r.Reason}}
		if r.UserID != 0 {
			if err := subjectNow(ctx, tx, &e); err != nil {
				return err
			}
		}
		if src := activity.SourceOf(ctx); src.ActorID == 0 && src.ActorName == "" {
			// Nobody signed in: the actor is whoever typed the address.
			e.ActorName, e.ActorEmail = r.Email, r.Email
		}
		return record(ctx, tx, e)
	})
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
