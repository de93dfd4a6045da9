package db

import (
	"bytes"
	"context"
	"database/sql"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/twofactor"
	"github.com/usherhq/usher/internal/users"
)

// TwoFactorStore implements twofactor.Store (migration 0013).
type TwoFactorStore struct{ db *DB }

// NewTwoFactorStore returns the two-factor store.
func NewTwoFactorStore(d *DB) *TwoFactorStore { return &TwoFactorStore{db: d} }

var _ twofactor.Store = (*TwoFactorStore)(nil)

func (s *TwoFactorStore) Get(ctx context.Context, userID int64) (twofactor.Record, error) {
	r := twofactor.Record{UserID: userID}
	var enabled sql.NullInt64
	err := s.db.R.QueryRowContext(ctx, `SELECT secret, enabled_at, last_step FROM two_factor WHERE user_id = ?`, userID).Scan(&r.Sealed, &enabled, &r.LastStep)
	r.EnabledAt = fromUnix(enabled)
	return r, notFound(err, "twofactor.err.not_on", "reading a second factor")
}

func (s *TwoFactorStore) Begin(ctx context.Context, userID int64, sealed []byte, at time.Time) error {
	res, err := s.db.W.ExecContext(ctx, `
		INSERT INTO two_factor (user_id, secret, created_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at
		WHERE two_factor.enabled_at IS NULL`, userID, sealed, at.Unix())
	if err != nil {
		return errs.Wrap(err, "beginning two-factor sign-in")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.T(errs.Conflict, "twofactor.err.already_on")
	}
	return nil
}

func (s *TwoFactorStore) Enable(ctx context.Context, userID int64, sealed []byte, step int64, hashes [][]byte, keep int64, at time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		var now []byte
		err := tx.QueryRowContext(ctx, `SELECT secret FROM two_factor WHERE user_id = ? AND enabled_at IS NULL`, userID).Scan(&now)
		if err == sql.ErrNoRows || (err == nil && !bytes.Equal(now, sealed)) {
			// Confirmed in another tab, or begun again there: its code is
			// for another secret.
			return errs.T(errs.Conflict, "twofactor.err.start_again")
		}
		if err != nil {
			return errs.Wrap(err, "turning on two-factor sign-in")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE two_factor SET enabled_at = ?, last_step = ? WHERE user_id = ?`, at.Unix(), step, userID); err != nil {
			return errs.Wrap(err, "turning on two-factor sign-in")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return errs.Wrap(err, "keeping recovery codes")
		}
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, h); err != nil {
				return errs.Wrap(err, "keeping recovery codes")
			}
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id != ?`, userID, keep); err != nil {
			return errs.Wrap(err, "ending the other sessions")
		}
		return recordTwoFactor(ctx, tx, activity.UserTwoFactorOn, userID, at)
	})
}

func (s *TwoFactorStore) UseStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.db.W.ExecContext(ctx, `UPDATE two_factor SET last_step = ? WHERE user_id = ? AND enabled_at IS NOT NULL AND last_step < ?`, step, userID, step)
	if err != nil {
		return false, errs.Wrap(err, "checking a code")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (s *TwoFactorStore) UseRecovery(ctx context.Context, userID int64, h []byte) (bool, error) {
	res, err := s.db.W.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?`, userID, h)
	if err != nil {
		return false, errs.Wrap(err, "checking a recovery code")
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (s *TwoFactorStore) Remaining(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = ?`, userID).Scan(&n)
	return n, errs.Wrap(err, "counting recovery codes")
}

func (s *TwoFactorStore) Disable(ctx context.Context, userID int64, notice twofactor.Notice, at time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM two_factor WHERE user_id = ? AND enabled_at IS NOT NULL`, userID)
		if err != nil {
			return errs.Wrap(err, "turning off two-factor sign-in")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.T(errs.Conflict, "twofactor.err.not_on")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return errs.Wrap(err, "turning off two-factor sign-in")
		}
		if err := recordTwoFactor(ctx, tx, activity.UserTwoFactorOff, userID, at); err != nil {
			return err
		}
		return enqueue(ctx, tx, notice, at)
	})
}

// recordTwoFactor writes that userID's two-factor sign-in was turned on
// or off (kind), by the request's or the command's actor.
func recordTwoFactor(ctx context.Context, tx querier, kind activity.Kind, userID int64, at time.Time) error {
	e := activity.Entry{At: at, Kind: kind, SubjectID: userID}
	if err := subjectNow(ctx, tx, &e); err != nil {
		return err
	}
	return record(ctx, tx, e)
}

// ResetTwoFactor removes the second factor and recovery codes of the
// user with email and ends every session of theirs (an operator's
// command, for the locked-out), at at; a second factor that was on is
// written in the activity log as turned off, by the context's actor (the
// command line). NotFound when nobody has that email.
func (s *TwoFactorStore) ResetTwoFactor(ctx context.Context, email string, at time.Time) (users.User, bool, error) {
	var u users.User
	var had bool
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id, email, name FROM users WHERE email = ? COLLATE NOCASE`, email).Scan(&u.ID, &u.Email, &u.Name)
		if err := notFound(err, "err.users.no_such", "finding the user"); err != nil {
			return err
		}
		var enabled sql.NullInt64
		err = tx.QueryRowContext(ctx, `DELETE FROM two_factor WHERE user_id = ? RETURNING enabled_at`, u.ID).Scan(&enabled)
		if err != nil && err != sql.ErrNoRows {
			return errs.Wrap(err, "removing the second factor")
		}
		had = err == nil
		if enabled.Valid {
			// Only one that was on is turned off: an enrolment never
			// confirmed was not.
			e := activity.Entry{At: at, Kind: activity.UserTwoFactorOff, SubjectID: u.ID, SubjectName: u.Name, SubjectEmail: u.Email}
			if err := record(ctx, tx, e); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, u.ID); err != nil {
			return errs.Wrap(err, "removing recovery codes")
		}
		// Moving session_version on ends every session (the trigger of
		// migration 0011), as deactivation does.
		_, err = tx.ExecContext(ctx, `UPDATE users SET session_version = session_version + 1 WHERE id = ?`, u.ID)
		return errs.Wrap(err, "ending the sessions")
	})
	return u, had, err
}
