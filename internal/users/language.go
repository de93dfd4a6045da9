package users

import (
	"context"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/spaces"
)

// Languages keeps the language each person chose and the account's.
type Languages interface {
	// SetLanguage keeps the language user id chose ("": none), at at,
	// with its activity row.
	SetLanguage(ctx context.Context, id int64, code string, at time.Time) error
	// AccountLanguage is the account's default language, "" while none
	// was set.
	AccountLanguage(ctx context.Context) (string, error)
	// SetAccountLanguage sets the account's default language, at at,
	// with its activity row.
	SetAccountLanguage(ctx context.Context, code string, at time.Time) error
}

// SetDefaultLanguage is the account's language until an account
// administrator sets one (USHER_DEFAULT_LANGUAGE).
func (s *Service) SetDefaultLanguage(code string) {
	if i18n.Default().Has(code) {
		s.defaultLanguage = code
	}
}

// DefaultLanguage is the account's default language, by code: an
// account administrator's choice, else the configured one. It is read
// afresh each time, so a change made by another process counts at once.
func (s *Service) DefaultLanguage(ctx context.Context) string {
	code, err := s.languages.AccountLanguage(ctx)
	if err != nil || !i18n.Default().Has(code) {
		return s.defaultLanguage
	}
	return code
}

// SetAccountLanguage changes the account's default language; only an
// account administrator may.
func (s *Service) SetAccountLanguage(ctx context.Context, actor *spaces.Access, code string) error {
	if actor == nil || !actor.AccountAdmin {
		return errs.T(errs.Forbidden, "lang.err_account_forbidden")
	}
	if !i18n.Default().Has(code) {
		return errs.FieldT("language", "lang.err_unknown", "Code", code)
	}
	return s.languages.SetAccountLanguage(ctx, code, s.clock.Now())
}

// ChangeOwnLanguage keeps the language the signed-in person chose for
// themselves; "" goes back to following their browser.
func (s *Service) ChangeOwnLanguage(ctx context.Context, actor User, code string) (User, error) {
	if code != "" && !i18n.Default().Has(code) {
		return actor, errs.FieldT("language", "lang.err_unknown", "Code", code)
	}
	if code != actor.Language {
		if err := s.languages.SetLanguage(ctx, actor.ID, code, s.clock.Now()); err != nil {
			return actor, err
		}
	}
	return s.store.ByID(ctx, actor.ID)
}
