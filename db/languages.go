package db

import (
	"context"
	"database/sql"

	"github.com/usherhq/usher/internal/errs"
)

// accountLanguageKey is the account setting holding its default language.
const accountLanguageKey = "language"

func (s *UserStore) SetLanguage(ctx context.Context, id int64, code string) error {
	res, err := s.db.W.ExecContext(ctx, `UPDATE users SET language = ? WHERE id = ?`, code, id)
	if err != nil {
		return errs.Wrap(err, "setting language")
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.T(errs.NotFound, "lang.err_no_user")
	}
	return nil
}

func (s *UserStore) AccountLanguage(ctx context.Context) (string, error) {
	var code string
	err := s.db.R.QueryRowContext(ctx, `SELECT value FROM account_settings WHERE key = ?`, accountLanguageKey).Scan(&code)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return code, errs.Wrap(err, "reading the account's language")
}

func (s *UserStore) SetAccountLanguage(ctx context.Context, code string) error {
	_, err := s.db.W.ExecContext(ctx, `
		INSERT INTO account_settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, accountLanguageKey, code)
	return errs.Wrap(err, "setting the account's language")
}
