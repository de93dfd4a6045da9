package db

import (
	"context"
	"database/sql"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
)

// accountLanguageKey is the account setting holding its default language.
const accountLanguageKey = "language"

func (s *UserStore) SetLanguage(ctx context.Context, id int64, code string, at time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		e := activity.Entry{At: at, Kind: activity.UserLanguageChanged, SubjectID: id}
		var from string
		err := tx.QueryRowContext(ctx, `SELECT language, name, email FROM users WHERE id = ?`, id).Scan(&from, &e.SubjectName, &e.SubjectEmail)
		if err == sql.ErrNoRows {
			return errs.T(errs.NotFound, "lang.err_no_user")
		}
		if err != nil {
			return errs.Wrap(err, "setting language")
		}
		if from == code {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET language = ? WHERE id = ?`, code, id); err != nil {
			return errs.Wrap(err, "setting language")
		}
		e.Details.Changes = []activity.Change{{Field: "language", From: from, To: code}}
		return record(ctx, tx, e)
	})
}

func (s *UserStore) AccountLanguage(ctx context.Context) (string, error) {
	return accountLanguage(ctx, s.db.R)
}

func accountLanguage(ctx context.Context, q querier) (string, error) {
	var code string
	err := q.QueryRowContext(ctx, `SELECT value FROM account_settings WHERE key = ?`, accountLanguageKey).Scan(&code)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return code, errs.Wrap(err, "reading the account's language")
}

func (s *UserStore) SetAccountLanguage(ctx context.Context, code string, at time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		from, err := accountLanguage(ctx, tx)
		if err != nil {
			return err
		}
		if from == code {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO account_settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, accountLanguageKey, code); err != nil {
			return errs.Wrap(err, "setting the account's language")
		}
		// From "" while none was set: the account followed
		// USHER_DEFAULT_LANGUAGE until now.
		return record(ctx, tx, activity.Entry{At: at, Kind: activity.AccountLanguageChanged,
			Details: activity.Details{Changes: []activity.Change{{Field: "language", From: from, To: code}}}})
	})
}
