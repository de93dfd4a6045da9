package db

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

var _ users.Manager = (*UserStore)(nil)

// guardLastAdmin refuses with users.ErrLastAdmin when taking user id out
// of service would leave the account without an active administrator. It
// runs inside the write transaction, so concurrent demotions are
// serialised.
func guardLastAdmin(ctx context.Context, tx *sql.Tx, id int64) error {
	var isAdmin, others int
	err := tx.QueryRowContext(ctx, `
		SELECT
		  (SELECT count(*) FROM role_grants g JOIN spaces sp ON sp.id = g.space_id AND sp.kind = 'account'
		    JOIN users u ON u.id = g.user_id
		    WHERE g.user_id = ? AND g.role = 'admin' AND u.activated_at IS NOT NULL AND u.deactivated_at IS NULL),
		  (SELECT count(*) FROM role_grants g JOIN spaces sp ON sp.id = g.space_id AND sp.kind = 'account'
		    JOIN users u ON u.id = g.user_id
		    WHERE g.user_id != ? AND g.role = 'admin' AND u.activated_at IS NOT NULL AND u.deactivated_at IS NULL)`,
		id, id).Scan(&isAdmin, &others)
	if err != nil {
		return errs.Wrap(err, "counting administrators")
	}
	if isAdmin > 0 && others == 0 {
		return users.ErrLastAdmin
	}
	return nil
}

func changed(res sql.Result, err error, what string) error {
	if err != nil {
		return errs.Wrap(err, what)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.T(errs.NotFound, "err.users.no_such")
	}
	return nil
}

func (s *UserStore) SetName(ctx context.Context, id int64, name string, now time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		var before string
		err := tx.QueryRowContext(ctx, `SELECT name FROM users WHERE id = ?`, id).Scan(&before)
		if err == sql.ErrNoRows {
			return errs.T(errs.NotFound, "err.users.no_such")
		}
		if err != nil {
			return errs.Wrap(err, "renaming user")
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET name = ? WHERE id = ?`, name, id)
		if err := changed(res, err, "renaming user"); err != nil {
			return err
		}
		return logUser(ctx, tx, id, now, activity.UserEdited, activity.Details{Changes: []activity.Change{{Field: "name", From: before, To: name}}})
	})
}

// logUser writes the activity row of a change to user id, who is its
// subject, with the roles they hold and are offered now (the spaces whose
// administrators see it) unless d names roles of its own.
func logUser(ctx context.Context, tx querier, id int64, now time.Time, kind activity.Kind, d activity.Details) error {
	if d.Roles == nil && d.Granted == nil && d.Revoked == nil {
		roles, err := rolesHeldOrOffered(ctx, tx, id)
		if err != nil {
			return err
		}
		d.Roles = activity.RolesOf(roles)
	}
	return record(ctx, tx, activity.Entry{At: now, Kind: kind, SubjectID: id, Details: d})
}

// rolesHeldOrOffered are user id's roles and, if they have not joined yet,
// those their pending invitation offers.
func rolesHeldOrOffered(ctx context.Context, q querier, id int64) ([]spaces.Grant, error) {
	held, err := userGrants(ctx, q, id)
	if err != nil {
		return nil, err
	}
	offered, err := grantsOf(ctx, q, `SELECT i.user_id, r.space_id, sp.kind, sp.name, r.role FROM invitations i
		JOIN invitation_roles r ON r.invitation_id = i.id JOIN spaces sp ON sp.id = r.space_id
		WHERE i.state = 'pending' AND i.user_id IN `, []int64{id})
	return append(held, offered[id]...), err
}

func (s *UserStore) SetPassword(ctx context.Context, id int64, hash string, notice mail.Outgoing) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		e := activity.Entry{Kind: activity.UserPasswordChanged, SubjectID: id}
		err := tx.QueryRowContext(ctx, `UPDATE users SET password_hash = ?, session_version = session_version + 1 WHERE id = ? AND activated_at IS NOT NULL RETURNING name, email`, hash, id).Scan(&e.SubjectName, &e.SubjectEmail)
		if err := notFound(err, "err.users.no_such", "changing password"); err != nil {
			return err
		}
		now := notice.Payload.ChangedAt
		if err := endResets(ctx, tx, id, 0, now, "password_changed"); err != nil {
			return err
		}
		e.At = now
		if err := record(ctx, tx, e); err != nil {
			return err
		}
		return enqueue(ctx, tx, notice, now)
	})
}

func (s *UserStore) SetGrants(ctx context.Context, id int64, scope []int64, want []spaces.Grant, by int64, now time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		var account int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM spaces WHERE kind = 'account'`).Scan(&account); err != nil {
			return errs.Wrap(err, "reading account")
		}
		stillAdmin := false
		for _, g := range want {
			stillAdmin = stillAdmin || (g.SpaceID == account && g.Role == spaces.Admin)
		}
		if !stillAdmin && slices.Contains(scope, account) {
			if err := guardLastAdmin(ctx, tx, id); err != nil {
				return err
			}
		}
		before, err := userGrants(ctx, tx, id)
		if err != nil {
			return err
		}
		in, args := inList(append([]int64{0}, scope...))
		if _, err := tx.ExecContext(ctx, `DELETE FROM role_grants WHERE user_id = ? AND space_id IN `+in, append([]any{id}, args...)...); err != nil {
			return errs.Wrap(err, "removing roles")
		}
		for _, g := range want {
			if _, err := tx.ExecContext(ctx, `INSERT INTO role_grants (user_id, space_id, role, granted_at, granted_by) VALUES (?, ?, ?, ?, ?)`,
				id, g.SpaceID, g.Role, now.Unix(), by); err != nil {
				return errs.Wrap(err, "giving role")
			}
		}
		after, err := userGrants(ctx, tx, id)
		if err != nil {
			return err
		}
		granted, revoked := grantChanges(before, after)
		if len(granted) == 0 && len(revoked) == 0 {
			return nil // the same roles: nothing happened
		}
		return logUser(ctx, tx, id, now, activity.UserRolesChanged, activity.Details{Granted: activity.RolesOf(granted), Revoked: activity.RolesOf(revoked)})
	})
}

// grantChanges lists the roles after holds that before did not (granted)
// and the roles before held that after does not (revoked): a role changed
// on a space is in both.
func grantChanges(before, after []spaces.Grant) (granted, revoked []spaces.Grant) {
	same := func(a, b spaces.Grant) bool { return a.SpaceID == b.SpaceID && a.Role == b.Role }
	for _, g := range after {
		if !slices.ContainsFunc(before, func(b spaces.Grant) bool { return same(g, b) }) {
			granted = append(granted, g)
		}
	}
	for _, g := range before {
		if !slices.ContainsFunc(after, func(a spaces.Grant) bool { return same(g, a) }) {
			revoked = append(revoked, g)
		}
	}
	return granted, revoked
}

func (s *UserStore) Deactivate(ctx context.Context, id int64, now time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if err := guardLastAdmin(ctx, tx, id); err != nil {
			return err
		}
		// A new session version ends every session of the user at once.
		res, err := tx.ExecContext(ctx, `UPDATE users SET deactivated_at = ?, session_version = session_version + 1 WHERE id = ? AND deactivated_at IS NULL`, now.Unix(), id)
		if err := changed(res, err, "deactivating user"); err != nil {
			return err
		}
		return logUser(ctx, tx, id, now, activity.UserDeactivated, activity.Details{})
	})
}

func (s *UserStore) Activate(ctx context.Context, id int64, now time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET deactivated_at = NULL WHERE id = ? AND deactivated_at IS NOT NULL`, id)
		if err := changed(res, err, "activating user"); err != nil {
			return err
		}
		return logUser(ctx, tx, id, now, activity.UserActivated, activity.Details{})
	})
}

func (s *UserStore) Delete(ctx context.Context, id int64, by int64, byName string, now time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if err := guardLastAdmin(ctx, tx, id); err != nil {
			return err
		}
		// Recorded first, while their roles and offers can still be read.
		if err := logUser(ctx, tx, id, now, activity.UserDeleted, activity.Details{}); err != nil {
			return err
		}
		// Pending invitations die with the user; their history stays.
		rows, err := tx.QueryContext(ctx, `UPDATE invitations SET state = 'cancelled', ended_at = ?, ended_by = ? WHERE user_id = ? AND state = 'pending' RETURNING id`, now.Unix(), by, id)
		if err != nil {
			return errs.Wrap(err, "ending invitations")
		}
		var ended []int64
		for rows.Next() {
			var inv int64
			if err := rows.Scan(&inv); err != nil {
				rows.Close()
				return errs.Wrap(err, "ending invitations")
			}
			ended = append(ended, inv)
		}
		rows.Close()
		for _, inv := range ended {
			if err := addEvent(ctx, tx, inv, now, by, byName, invitations.EvCancelled, "user deleted"); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		return changed(res, err, "deleting user")
	})
}
