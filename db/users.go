package db

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// UserStore implements users.Store.
type UserStore struct{ db *DB }

// NewUserStore returns the users store.
func NewUserStore(d *DB) *UserStore { return &UserStore{db: d} }

var _ users.Store = (*UserStore)(nil)

const userCols = `id, email, name, password_hash, created_at, activated_at, deactivated_at, invite_expires_at, session_version`

type scanner interface{ Scan(...any) error }

func scanUser(r scanner) (users.User, error) {
	var u users.User
	var hash sql.NullString
	var created int64
	var activated, deactivated, expires sql.NullInt64
	err := r.Scan(&u.ID, &u.Email, &u.Name, &hash, &created, &activated, &deactivated, &expires, &u.SessionVersion)
	u.PasswordHash = hash.String
	u.CreatedAt = time.Unix(created, 0).UTC()
	u.ActivatedAt = fromUnix(activated)
	u.DeactivatedAt = fromUnix(deactivated)
	u.InviteExpiresAt = fromUnix(expires)
	return u, err
}

func (s *UserStore) HasAccountAdmin(ctx context.Context) (bool, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, `
		SELECT count(*) FROM role_grants g
		JOIN spaces sp ON sp.id = g.space_id AND sp.kind = 'account'
		JOIN users u ON u.id = g.user_id AND u.activated_at IS NOT NULL
		WHERE g.role = 'admin'`).Scan(&n)
	return n > 0, errs.Wrap(err, "counting account administrators")
}

func (s *UserStore) CreateAccountAdmin(ctx context.Context, accountName, email, name, hash string, now time.Time, firstOnly bool) (users.User, error) {
	var u users.User
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var accountID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM spaces WHERE kind = 'account'`).Scan(&accountID)
		switch {
		case err == sql.ErrNoRows:
			if accountName == "" {
				return errs.FieldError("account", "There is no account yet: give its name.")
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO spaces (kind, name, created_at) VALUES ('account', ?, ?)`, accountName, now.Unix())
			if err != nil {
				return errs.Wrap(err, "creating account")
			}
			accountID, _ = res.LastInsertId()
		case err != nil:
			return errs.Wrap(err, "reading account")
		case firstOnly:
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM role_grants WHERE space_id = ? AND role = 'admin'`, accountID).Scan(&n); err != nil {
				return errs.Wrap(err, "counting administrators")
			}
			if n > 0 {
				return errs.E(errs.Conflict, "Usher is already set up. Sign in instead.")
			}
			if _, err := tx.ExecContext(ctx, `UPDATE spaces SET name = ? WHERE id = ?`, accountName, accountID); err != nil {
				return errs.Wrap(err, "naming account")
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, password_hash, created_at, activated_at) VALUES (?, ?, ?, ?, ?)`,
			email, name, hash, now.Unix(), now.Unix())
		if isUnique(err) {
			return errs.FieldError("email", "%s already has an account.", email)
		}
		if err != nil {
			return errs.Wrap(err, "creating user")
		}
		id, _ := res.LastInsertId()
		if _, err := tx.ExecContext(ctx, `INSERT INTO role_grants (user_id, space_id, role, granted_at) VALUES (?, ?, 'admin', ?)`, id, accountID, now.Unix()); err != nil {
			return errs.Wrap(err, "granting admin")
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
		return errs.Wrap(err, "reading new user")
	})
	return u, err
}

func (s *UserStore) ByID(ctx context.Context, id int64) (users.User, error) {
	u, err := scanUser(s.db.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, notFound(err, "There is no such user. They may have been deleted.", "reading user")
}

func (s *UserStore) ByEmail(ctx context.Context, email string) (users.User, error) {
	u, err := scanUser(s.db.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
	return u, notFound(err, "There is no user with that email.", "reading user")
}

func (s *UserStore) Grants(ctx context.Context, userID int64) ([]spaces.Grant, error) {
	m, err := grantsOf(ctx, s.db.R, `SELECT g.user_id, g.space_id, sp.kind, sp.name, g.role FROM role_grants g JOIN spaces sp ON sp.id = g.space_id WHERE g.user_id IN `, []int64{userID})
	return m[userID], err
}

// grantsOf runs a query whose rows are (owner id, space id, kind, name,
// role), with the owner ids appended as an IN list, and groups the grants
// by owner in a stable order: the account first, then by space name.
func grantsOf(ctx context.Context, q querier, query string, ids []int64) (map[int64][]spaces.Grant, error) {
	out := make(map[int64][]spaces.Grant, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	in, args := inList(ids)
	rows, err := q.QueryContext(ctx, query+in+` ORDER BY 1, sp.kind != 'account', sp.name COLLATE NOCASE, sp.id`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "reading grants")
	}
	defer rows.Close()
	for rows.Next() {
		var owner int64
		var g spaces.Grant
		if err := rows.Scan(&owner, &g.SpaceID, &g.SpaceKind, &g.SpaceName, &g.Role); err != nil {
			return nil, errs.Wrap(err, "reading grants")
		}
		out[owner] = append(out[owner], g)
	}
	return out, errs.Wrap(rows.Err(), "reading grants")
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// inList returns "(?, ?, …)" and the arguments for ids.
func inList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}

func (s *UserStore) Spaces(ctx context.Context) ([]spaces.Space, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, kind, coalesce(parent_id, 0), name FROM spaces ORDER BY id`)
	if err != nil {
		return nil, errs.Wrap(err, "reading spaces")
	}
	defer rows.Close()
	var out []spaces.Space
	for rows.Next() {
		var sp spaces.Space
		if err := rows.Scan(&sp.ID, &sp.Kind, &sp.ParentID, &sp.Name); err != nil {
			return nil, errs.Wrap(err, "reading spaces")
		}
		out = append(out, sp)
	}
	return out, errs.Wrap(rows.Err(), "reading spaces")
}

func (s *UserStore) BumpSessionVersion(ctx context.Context, userID int64) error {
	_, err := s.db.W.ExecContext(ctx, `UPDATE users SET session_version = session_version + 1 WHERE id = ?`, userID)
	return errs.Wrap(err, "ending sessions")
}

// statusWhere is the condition for one status at now. The partial indexes
// of migration 0001 serve each of them.
func statusWhere(st users.Status, now int64) (string, []any) {
	switch st {
	case users.Active:
		return `u.activated_at IS NOT NULL AND u.deactivated_at IS NULL`, nil
	case users.Invited:
		return `u.activated_at IS NULL AND u.deactivated_at IS NULL AND u.invite_expires_at > ?`, []any{now}
	case users.Expired:
		return `u.activated_at IS NULL AND u.deactivated_at IS NULL AND u.invite_expires_at <= ?`, []any{now}
	case users.Deactivated:
		return `u.deactivated_at IS NOT NULL`, nil
	}
	return `1`, nil
}

// where builds the WHERE clause of a list filter, with placeholders only.
func listWhere(f users.ListFilter, withStatus bool) (string, []any) {
	var conds []string
	var args []any
	if withStatus && f.Status != "" {
		c, a := statusWhere(f.Status, f.Now.Unix())
		conds = append(conds, c)
		args = append(args, a...)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		// As typed: LIKE ignores ASCII case itself, and lower-casing here
		// would stop "Élodie" from finding Élodie (SQLite folds no other case).
		pat := "%" + escapeLike(q) + "%"
		conds = append(conds, `(u.email LIKE ? ESCAPE '\' OR u.name LIKE ? ESCAPE '\')`)
		args = append(args, pat, pat)
	}
	if f.SpaceIDs != nil {
		in, ids := inList(append([]int64{0}, f.SpaceIDs...))
		conds = append(conds, `(u.id IN (SELECT user_id FROM role_grants WHERE space_id IN `+in+`)
			OR u.id IN (SELECT i.user_id FROM invitations i JOIN invitation_roles r ON r.invitation_id = i.id
			            WHERE i.state = 'pending' AND r.space_id IN `+in+`))`)
		args = append(args, ids...)
		args = append(args, ids...)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func listOrder(f users.ListFilter) string {
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	switch f.Sort {
	case users.ByEmail:
		return " ORDER BY u.email" + dir
	case users.ByStatus:
		return " ORDER BY (u.deactivated_at IS NOT NULL), (u.activated_at IS NULL)" + dir + ", u.name COLLATE NOCASE, u.id"
	case users.ByCreated:
		return " ORDER BY coalesce(u.activated_at, u.created_at)" + dir + ", u.id" + dir
	}
	return " ORDER BY u.name COLLATE NOCASE" + dir + ", u.id" + dir
}

func (s *UserStore) List(ctx context.Context, f users.ListFilter) (users.ListPage, error) {
	var page users.ListPage
	where, args := listWhere(f, true)
	q := `SELECT ` + prefixed("u.", userCols) + ` FROM users u` + where + listOrder(f) + ` LIMIT ? OFFSET ?`
	rows, err := s.db.R.QueryContext(ctx, q, append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return page, errs.Wrap(err, "listing users")
	}
	var ids []int64
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return page, errs.Wrap(err, "listing users")
		}
		page.Rows = append(page.Rows, users.Listed{User: u})
		ids = append(ids, u.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, errs.Wrap(err, "listing users")
	}

	// Counts for the tabs, each served by a partial index.
	page.Counts = map[users.Status]int{}
	base, baseArgs := listWhere(f, false)
	for _, st := range []users.Status{users.Active, users.Invited, users.Expired, users.Deactivated} {
		c, a := statusWhere(st, f.Now.Unix())
		w := " WHERE " + c
		if base != "" {
			w = base + " AND " + c
		}
		var n int
		if err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM users u`+w, append(append([]any{}, baseArgs...), a...)...).Scan(&n); err != nil {
			return page, errs.Wrap(err, "counting users")
		}
		page.Counts[st] = n
		page.All += n
	}
	if f.Status == "" {
		page.Total = page.All
	} else {
		page.Total = page.Counts[f.Status]
	}

	if err := s.fillRows(ctx, page.Rows, ids); err != nil {
		return page, err
	}
	return page, nil
}

func (s *UserStore) Listed(ctx context.Context, id int64) (users.Listed, error) {
	u, err := s.ByID(ctx, id)
	if err != nil {
		return users.Listed{}, err
	}
	rows := []users.Listed{{User: u}}
	err = s.fillRows(ctx, rows, []int64{id})
	return rows[0], err
}

// fillRows adds each row's grants and pending invitation, in two queries
// for the whole page.
func (s *UserStore) fillRows(ctx context.Context, rows []users.Listed, ids []int64) error {
	grants, err := grantsOf(ctx, s.db.R, `SELECT g.user_id, g.space_id, sp.kind, sp.name, g.role FROM role_grants g JOIN spaces sp ON sp.id = g.space_id WHERE g.user_id IN `, ids)
	if err != nil {
		return err
	}
	invites, err := pendingInvites(ctx, s.db.R, ids)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].Grants = grants[rows[i].ID]
		rows[i].Invite = invites[rows[i].ID]
	}
	return nil
}

func pendingInvites(ctx context.Context, q querier, userIDs []int64) (map[int64]*users.Invite, error) {
	out := map[int64]*users.Invite{}
	if len(userIDs) == 0 {
		return out, nil
	}
	in, args := inList(userIDs)
	rows, err := q.QueryContext(ctx, `
		SELECT i.id, i.user_id, i.created_at, i.sent_at, i.expires_at, i.inviter_name, i.renewal_requested_at,
		       coalesce(o.state, ''), coalesce(o.last_error, '')
		FROM invitations i
		LEFT JOIN outbox o ON o.id = (SELECT max(id) FROM outbox WHERE invitation_id = i.id AND kind != 'renewal_request')
		WHERE i.state = 'pending' AND i.user_id IN `+in, args...)
	if err != nil {
		return nil, errs.Wrap(err, "reading invitations")
	}
	defer rows.Close()
	var invIDs []int64
	byInv := map[int64]*users.Invite{}
	for rows.Next() {
		var inv users.Invite
		var userID, created, sent, expires int64
		var renewal sql.NullInt64
		if err := rows.Scan(&inv.ID, &userID, &created, &sent, &expires, &inv.InviterName, &renewal, &inv.Delivery.State, &inv.Delivery.Error); err != nil {
			return nil, errs.Wrap(err, "reading invitations")
		}
		inv.CreatedAt, inv.SentAt, inv.ExpiresAt = time.Unix(created, 0).UTC(), time.Unix(sent, 0).UTC(), time.Unix(expires, 0).UTC()
		inv.RenewalRequested = renewal.Valid
		out[userID] = &inv
		byInv[inv.ID] = &inv
		invIDs = append(invIDs, inv.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "reading invitations")
	}
	offered, err := grantsOf(ctx, q, `SELECT r.invitation_id, r.space_id, sp.kind, sp.name, r.role FROM invitation_roles r JOIN spaces sp ON sp.id = r.space_id WHERE r.invitation_id IN `, invIDs)
	if err != nil {
		return nil, err
	}
	for id, inv := range byInv {
		inv.Offered = offered[id]
	}
	return out, nil
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}
