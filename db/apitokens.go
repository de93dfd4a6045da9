package db

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/apitokens"
	"github.com/usherhq/usher/internal/errs"
)

// APITokenStore implements apitokens.Store (migration 0021).
type APITokenStore struct{ db *DB }

func NewAPITokenStore(d *DB) *APITokenStore { return &APITokenStore{db: d} }

var _ apitokens.Store = (*APITokenStore)(nil)

const tokenCols = `t.id, t.user_id, u.name, u.email, t.name, t.prefix, t.scopes, t.created_at, t.expires_at, t.last_used_at, t.revoked_at`

func scanToken(r scanner) (apitokens.Token, error) {
	var t apitokens.Token
	var scopes string
	var created int64
	var expires, used, revoked sql.NullInt64
	err := r.Scan(&t.ID, &t.UserID, &t.OwnerName, &t.OwnerEmail, &t.Name, &t.Prefix, &scopes, &created, &expires, &used, &revoked)
	if err != nil {
		return t, err
	}
	for _, s := range strings.Fields(scopes) {
		t.Scopes = append(t.Scopes, apitokens.Scope(s))
	}
	t.CreatedAt = time.Unix(created, 0).UTC()
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromUnix(expires), fromUnix(used), fromUnix(revoked)
	return t, nil
}

func joinScopes(ss []apitokens.Scope) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " ")
}

// tokenEntry is the activity row of kind about token t, by the context's
// actor, about the token's owner.
func tokenEntry(kind activity.Kind, t apitokens.Token, at time.Time) activity.Entry {
	scopes := make([]string, len(t.Scopes))
	for i, s := range t.Scopes {
		scopes[i] = string(s)
	}
	return activity.Entry{At: at, Kind: kind, SubjectID: t.UserID, SubjectName: t.OwnerName, SubjectEmail: t.OwnerEmail,
		Details: activity.Details{Token: t.Name, Scopes: scopes}}
}

func (s *APITokenStore) Create(ctx context.Context, t apitokens.Token, hash []byte) (apitokens.Token, error) {
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, hash, prefix, scopes, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			t.UserID, t.Name, hash, t.Prefix, joinScopes(t.Scopes), t.CreatedAt.Unix(), unix(t.ExpiresAt)).Scan(&t.ID)
		if err != nil {
			return errs.Wrap(err, "keeping a token")
		}
		return record(ctx, tx, tokenEntry(activity.APITokenCreated, t, t.CreatedAt))
	})
	return t, err
}

func (s *APITokenStore) List(ctx context.Context, userID int64) ([]apitokens.Token, error) {
	q := `SELECT ` + tokenCols + ` FROM api_tokens t JOIN users u ON u.id = t.user_id`
	var args []any
	if userID != 0 {
		q += ` WHERE t.user_id = ?`
		args = append(args, userID)
	}
	rows, err := s.db.R.QueryContext(ctx, q+` ORDER BY t.revoked_at IS NOT NULL, t.id DESC`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "listing tokens")
	}
	defer rows.Close()
	var out []apitokens.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, errs.Wrap(err, "listing tokens")
		}
		out = append(out, t)
	}
	return out, errs.Wrap(rows.Err(), "listing tokens")
}

func (s *APITokenStore) Get(ctx context.Context, id int64) (apitokens.Token, error) {
	t, err := scanToken(s.db.R.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?`, id))
	return t, notFound(err, "apitokens.err.no_such", "reading a token")
}

func (s *APITokenStore) ByHash(ctx context.Context, hash []byte) (apitokens.Token, error) {
	t, err := scanToken(s.db.R.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`, hash))
	return t, notFound(err, "api.err.token", "reading a token")
}

// Revoke ends token id at at; one revoked meanwhile (another
// administrator's click) is Conflict.
func (s *APITokenStore) Revoke(ctx context.Context, id int64, at time.Time) (apitokens.Token, error) {
	var t apitokens.Token
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?`, id))
		if err := notFound(err, "apitokens.err.no_such", "reading a token"); err != nil {
			return err
		}
		if !t.RevokedAt.IsZero() {
			return errs.T(errs.Conflict, "apitokens.err.revoked_already", "Name", t.Name)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, at.Unix(), id); err != nil {
			return errs.Wrap(err, "revoking a token")
		}
		t.RevokedAt = at.UTC().Truncate(time.Second)
		return record(ctx, tx, tokenEntry(activity.APITokenRevoked, t, at))
	})
	return t, err
}

func (s *APITokenStore) Used(ctx context.Context, id int64, at time.Time) error {
	_, err := s.db.W.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, at.Unix(), id)
	return errs.Wrap(err, "noting a token's use")
}

var _ apitokens.IdempotencyStore = (*APITokenStore)(nil)

func (s *APITokenStore) Claim(ctx context.Context, tokenID int64, key string, request []byte, at, before time.Time) (apitokens.Kept, bool, error) {
	var kept apitokens.Kept
	claimed := false
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_idempotency WHERE created_at < ?`, before.Unix()); err != nil {
			return errs.Wrap(err, "dropping old idempotency keys")
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO api_idempotency (token_id, key, request, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, tokenID, key, request, at.Unix())
		if err != nil {
			return errs.Wrap(err, "keeping an idempotency key")
		}
		if n, _ := res.RowsAffected(); n == 1 {
			claimed = true
			return nil
		}
		var status sql.NullInt64
		err = tx.QueryRowContext(ctx, `SELECT request, status, coalesce(body, x'') FROM api_idempotency WHERE token_id = ? AND key = ?`, tokenID, key).
			Scan(&kept.Request, &status, &kept.Body)
		kept.Status = int(status.Int64)
		return errs.Wrap(err, "reading an idempotency key")
	})
	return kept, claimed, err
}

func (s *APITokenStore) Finish(ctx context.Context, tokenID int64, key string, a apitokens.Answer) error {
	_, err := s.db.W.ExecContext(ctx, `UPDATE api_idempotency SET status = ?, body = ? WHERE token_id = ? AND key = ?`, a.Status, a.Body, tokenID, key)
	return errs.Wrap(err, "keeping an idempotent answer")
}

func (s *APITokenStore) Forget(ctx context.Context, tokenID int64, key string) error {
	_, err := s.db.W.ExecContext(ctx, `DELETE FROM api_idempotency WHERE token_id = ? AND key = ?`, tokenID, key)
	return errs.Wrap(err, "forgetting an idempotency key")
}
