package db

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/apps"
	"github.com/usherhq/usher/internal/errs"
)

// AppStore implements apps.Store (migration 0023).
type AppStore struct{ db *DB }

func NewAppStore(d *DB) *AppStore { return &AppStore{db: d} }

var _ apps.Store = (*AppStore)(nil)

const appCols = `id, client_id, name, kind, redirect_uris, first_party, secret_prefix, secret_at, created_at`

func scanApp(r scanner, extra ...any) (apps.App, error) {
	var a apps.App
	var uris string
	var secretAt sql.NullInt64
	var created int64
	if err := r.Scan(append([]any{&a.ID, &a.ClientID, &a.Name, &a.Kind, &uris, &a.FirstParty, &a.SecretPrefix, &secretAt, &created}, extra...)...); err != nil {
		return a, err
	}
	a.RedirectURIs = strings.Split(uris, "\n")
	a.SecretAt, a.CreatedAt = fromUnix(secretAt), time.Unix(created, 0).UTC()
	return a, nil
}

// appSpaces fills the spaces of as, by id.
func appSpaces(ctx context.Context, q querier, as []apps.App) error {
	if len(as) == 0 {
		return nil
	}
	at := map[int64]*apps.App{}
	ids := make([]int64, len(as))
	for i := range as {
		at[as[i].ID], ids[i] = &as[i], as[i].ID
	}
	in, args := inList(ids)
	rows, err := q.QueryContext(ctx, `SELECT app_id, space_id, required FROM app_spaces WHERE app_id IN `+in+` ORDER BY app_id, required, space_id`, args...)
	if err != nil {
		return errs.Wrap(err, "reading apps")
	}
	defer rows.Close()
	for rows.Next() {
		var app, space int64
		var required bool
		if err := rows.Scan(&app, &space, &required); err != nil {
			return errs.Wrap(err, "reading apps")
		}
		if required {
			at[app].Required = append(at[app].Required, space)
		} else {
			at[app].Visible = append(at[app].Visible, space)
		}
	}
	return errs.Wrap(rows.Err(), "reading apps")
}

// appEntry is the activity row of kind about app a.
func appEntry(kind activity.Kind, a apps.App, at time.Time) activity.Entry {
	return activity.Entry{At: at, Kind: kind, Details: activity.Details{App: a.Name, ClientID: a.ClientID}}
}

func (s *AppStore) Create(ctx context.Context, a apps.App, secretHash []byte) (apps.App, error) {
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO apps (client_id, name, kind, redirect_uris, first_party, secret_hash, secret_prefix, secret_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.ClientID, a.Name, a.Kind, strings.Join(a.RedirectURIs, "\n"), a.FirstParty, secretHash, a.SecretPrefix, unix(a.SecretAt), a.CreatedAt.Unix()).Scan(&a.ID)
		if err != nil {
			return errs.Wrap(err, "registering an app")
		}
		for required, list := range map[bool][]int64{false: a.Visible, true: a.Required} {
			for _, sp := range list {
				if _, err := tx.ExecContext(ctx, `INSERT INTO app_spaces (app_id, space_id, required) VALUES (?, ?, ?)`, a.ID, sp, required); err != nil {
					return errs.Wrap(err, "registering an app")
				}
			}
		}
		return record(ctx, tx, appEntry(activity.AppRegistered, a, a.CreatedAt))
	})
	return a, err
}

func (s *AppStore) List(ctx context.Context) ([]apps.App, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+appCols+` FROM apps ORDER BY name COLLATE NOCASE, id`)
	if err != nil {
		return nil, errs.Wrap(err, "listing apps")
	}
	var out []apps.App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "listing apps")
		}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "listing apps")
	}
	return out, appSpaces(ctx, s.db.R, out)
}

func (s *AppStore) Get(ctx context.Context, id int64) (apps.App, error) {
	a, _, err := s.one(ctx, s.db.R, `id = ?`, id)
	return a, err
}

// one is the app where says, with its spaces and its secret's hash.
func (s *AppStore) one(ctx context.Context, q querier, where string, arg any) (apps.App, []byte, error) {
	var hash []byte
	a, err := scanApp(q.QueryRowContext(ctx, `SELECT `+appCols+`, secret_hash FROM apps WHERE `+where, arg), &hash)
	if err := notFound(err, "apps.err.no_such", "reading an app"); err != nil {
		return a, nil, err
	}
	list := []apps.App{a}
	err = appSpaces(ctx, q, list)
	return list[0], hash, err
}

func (s *AppStore) ByClientID(ctx context.Context, clientID string) (apps.App, []byte, error) {
	return s.one(ctx, s.db.R, `client_id = ?`, clientID)
}

func (s *AppStore) SetSecret(ctx context.Context, id int64, hash []byte, prefix string, at time.Time) (apps.App, error) {
	var a apps.App
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, _, err = s.one(ctx, tx, `id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE apps SET secret_hash = ?, secret_prefix = ?, secret_at = ? WHERE id = ?`, hash, prefix, unix(at), id); err != nil {
			return errs.Wrap(err, "changing an app's secret")
		}
		kind := activity.AppSecretRotated
		a.SecretAt = at.UTC().Truncate(time.Second)
		if hash == nil {
			kind, a.SecretAt = activity.AppSecretRevoked, time.Time{}
		}
		a.SecretPrefix = prefix
		return record(ctx, tx, appEntry(kind, a, at))
	})
	return a, err
}

func (s *AppStore) Delete(ctx context.Context, id int64, at time.Time) (apps.App, error) {
	var a apps.App
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, _, err = s.one(ctx, tx, `id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM apps WHERE id = ?`, id); err != nil {
			return errs.Wrap(err, "deleting an app")
		}
		return record(ctx, tx, appEntry(activity.AppDeleted, a, at))
	})
	return a, err
}
