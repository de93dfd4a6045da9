package db

import (
	"context"
	"database/sql"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
)

// SpaceStore implements spaces.Store.
type SpaceStore struct{ db *DB }

// NewSpaceStore returns the spaces store.
func NewSpaceStore(d *DB) *SpaceStore { return &SpaceStore{db: d} }

var _ spaces.Store = (*SpaceStore)(nil)

func (s *SpaceStore) All(ctx context.Context) ([]spaces.Space, error) {
	return NewUserStore(s.db).Spaces(ctx)
}

func (s *SpaceStore) Create(ctx context.Context, kind spaces.Kind, parentID int64, name string, now time.Time) (spaces.Space, error) {
	var sp spaces.Space
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO spaces (kind, parent_id, name, created_at) VALUES (?, ?, ?, ?)`, kind, parentID, name, now.Unix())
		if err != nil {
			return errs.Wrap(err, "creating space")
		}
		id, _ := res.LastInsertId()
		sp = spaces.Space{ID: id, Kind: kind, ParentID: parentID, Name: name}
		return logSpace(ctx, tx, now, activity.SpaceCreated, sp, activity.Details{})
	})
	return sp, err
}

// logSpace writes the activity row of a change to space sp.
func logSpace(ctx context.Context, tx querier, now time.Time, kind activity.Kind, sp spaces.Space, d activity.Details) error {
	d.Space = &activity.Space{ID: sp.ID, Kind: sp.Kind, Name: sp.Name, ParentID: sp.ParentID}
	return record(ctx, tx, activity.Entry{At: now, Kind: kind, Details: d})
}

// oneSpace reads space id within q ("the space was deleted" when gone).
func oneSpace(ctx context.Context, q querier, id int64) (spaces.Space, error) {
	var sp spaces.Space
	var parent sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, kind, parent_id, name FROM spaces WHERE id = ? AND kind != 'account'`, id).Scan(&sp.ID, &sp.Kind, &parent, &sp.Name)
	if err == sql.ErrNoRows {
		return sp, errs.T(errs.NotFound, "err.spaces.deleted")
	}
	sp.ParentID = parent.Int64
	return sp, errs.Wrap(err, "reading space")
}

func (s *SpaceStore) Rename(ctx context.Context, id int64, name string, now time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		sp, err := oneSpace(ctx, tx, id)
		if err != nil || sp.Name == name {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE spaces SET name = ? WHERE id = ?`, name, id); err != nil {
			return errs.Wrap(err, "renaming space")
		}
		before := sp.Name
		sp.Name = name
		return logSpace(ctx, tx, now, activity.SpaceRenamed, sp, activity.Details{Changes: []activity.Change{{Field: "name", From: before, To: name}}})
	})
}

// subtree is a CTE naming the space ?1 and every space inside it.
const subtree = `WITH RECURSIVE sub(id) AS (SELECT id FROM spaces WHERE id = ? UNION ALL SELECT s.id FROM spaces s JOIN sub ON s.parent_id = sub.id) `

func (s *SpaceStore) Impact(ctx context.Context, id int64) (spaces.Impact, error) {
	var im spaces.Impact
	err := s.db.R.QueryRowContext(ctx, subtree+`
		SELECT (SELECT count(*) FROM sub),
		       (SELECT count(*) FROM role_grants WHERE space_id IN (SELECT id FROM sub)),
		       (SELECT count(DISTINCT i.id) FROM invitations i JOIN invitation_roles r ON r.invitation_id = i.id
		        WHERE i.state = 'pending' AND r.space_id IN (SELECT id FROM sub))`, id).Scan(&im.Spaces, &im.Grants, &im.Invitations)
	return im, errs.Wrap(err, "measuring space")
}

func (s *SpaceStore) Delete(ctx context.Context, id int64, now time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		sp, err := oneSpace(ctx, tx, id)
		if err != nil {
			return err
		}
		var members int
		if err := tx.QueryRowContext(ctx, subtree+`SELECT count(DISTINCT user_id) FROM role_grants WHERE space_id IN (SELECT id FROM sub)`, id).Scan(&members); err != nil {
			return errs.Wrap(err, "counting members")
		}
		if err := logSpace(ctx, tx, now, activity.SpaceDeleted, sp, activity.Details{Count: members}); err != nil {
			return err
		}
		// Pending invitations that offer nothing outside the space end
		// with it; the others just lose the offers inside it (cascade).
		rows, err := tx.QueryContext(ctx, subtree+`
			SELECT i.id, coalesce(i.user_id, 0) FROM invitations i
			WHERE i.state = 'pending'
			  AND EXISTS (SELECT 1 FROM invitation_roles r WHERE r.invitation_id = i.id AND r.space_id IN (SELECT id FROM sub))
			  AND NOT EXISTS (SELECT 1 FROM invitation_roles r WHERE r.invitation_id = i.id AND r.space_id NOT IN (SELECT id FROM sub))`, id)
		if err != nil {
			return errs.Wrap(err, "finding invitations")
		}
		type ended struct{ inv, user int64 }
		var end []ended
		for rows.Next() {
			var e ended
			if err := rows.Scan(&e.inv, &e.user); err != nil {
				rows.Close()
				return errs.Wrap(err, "finding invitations")
			}
			end = append(end, e)
		}
		rows.Close()
		for _, e := range end {
			if _, err := tx.ExecContext(ctx, `UPDATE invitations SET state = 'cancelled', ended_at = ? WHERE id = ?`, now.Unix(), e.inv); err != nil {
				return errs.Wrap(err, "cancelling invitation")
			}
			if err := addEvent(ctx, tx, e.inv, now, 0, "", invitations.EvCancelled, "its space was deleted"); err != nil {
				return err
			}
			if err := endInvitee(ctx, tx, e.user); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM spaces WHERE id = ? AND kind != 'account'`, id)
		if err != nil {
			return errs.Wrap(err, "deleting space")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.T(errs.NotFound, "err.spaces.deleted")
		}
		return nil
	})
}

// Members reads one page of a role's people in a space: those holding it
// (role_grants_space), then those a pending invitation offers it to
// (invitation_roles_space), each by the name shown. A page is sorted from
// all of them: a space of 80,000 members takes some tens of milliseconds,
// where the users list, with its own indexes, takes one.
//
// A search reads the users list's full-text index (searchWhere), then
// each match's role in the space by key: role_grants' primary key, and
// the match's one pending invitation (invitations_one_pending) with its
// offer there (invitation_roles' key). No table is scanned, however many
// people the space holds (spaces_plan_test.go).
func (s *SpaceStore) Members(ctx context.Context, id int64, f spaces.MemberFilter) ([]spaces.Person, int, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, 0, errs.Wrap(err, "listing members")
	}
	defer tx.Rollback()
	var total int
	q, args := membersCountQuery(id, f)
	if err := tx.QueryRowContext(ctx, q, args...).Scan(&total); err != nil {
		return nil, 0, errs.Wrap(err, "counting members")
	}
	q, args = membersQuery(id, f)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, errs.Wrap(err, "listing members")
	}
	defer rows.Close()
	var out []spaces.Person
	var invIDs []int64
	for rows.Next() {
		p := spaces.Person{Role: f.Role}
		var pending int
		var sent, expires, inv int64
		if err := rows.Scan(&p.UserID, &p.Name, &p.Email, &pending, &sent, &expires, &inv); err != nil {
			return nil, 0, errs.Wrap(err, "listing members")
		}
		if pending == 1 {
			p.Pending, p.InvitedAt, p.ExpiresAt = true, time.Unix(sent, 0).UTC(), time.Unix(expires, 0).UTC()
			invIDs = append(invIDs, inv)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, errs.Wrap(err, "listing members")
	}
	rows.Close()
	offered, err := grantsOf(ctx, tx, `SELECT r.invitation_id, r.space_id, sp.kind, sp.name, r.role FROM invitation_roles r JOIN spaces sp ON sp.id = r.space_id WHERE r.invitation_id IN `, invIDs)
	if err != nil {
		return nil, 0, err
	}
	i := 0
	for k := range out {
		if out[k].Pending {
			out[k].Offered = offered[invIDs[i]]
			i++
		}
	}
	return out, total, nil
}

// memberSearch is the condition a search adds: the user u is one of the
// full-text index's matches. Nil when there is no search.
func memberSearch(search string) (string, []any) {
	q := searchText(search)
	if q == "" {
		return "", nil
	}
	c, args := searchWhere(q, "", false)
	return " AND " + c, args
}

// membersFrom is the two halves of a role's people in space id: holding
// the role, then offered it by a pending invitation; each selects cols
// (held, offered). Unsearched, each half reads the space's range of its
// index (CROSS JOIN keeps SQLite from reading every pending invitation
// instead, as statistics can tempt it to). Searched, each starts from the
// search's matches (CROSS JOIN keeps that order) and reaches the role by
// key: a space of 80,000 members is not read to find three. (A search
// that matches thousands of users probes each once, some milliseconds.)
func membersFrom(id int64, f spaces.MemberFilter, held, offered string) (string, []any) {
	cond, sargs := memberSearch(f.Search)
	if cond == "" {
		return `SELECT ` + held + `
			FROM role_grants g JOIN users u ON u.id = g.user_id
			WHERE g.space_id = ? AND g.role = ?
			UNION ALL
			SELECT ` + offered + `
			FROM invitation_roles r CROSS JOIN invitations i ON i.id = r.invitation_id AND i.state = 'pending'
			JOIN users u ON u.id = i.user_id
			WHERE r.space_id = ? AND r.role = ?`, []any{id, f.Role, id, f.Role}
	}
	args := append(append([]any{}, sargs...), id, f.Role)
	args = append(append(args, sargs...), id, f.Role)
	return `SELECT ` + held + `
			FROM users u CROSS JOIN role_grants g
			WHERE true` + cond + ` AND g.user_id = u.id AND g.space_id = ? AND g.role = ?
			UNION ALL
			SELECT ` + offered + `
			FROM users u CROSS JOIN invitations i INDEXED BY invitations_one_pending CROSS JOIN invitation_roles r
			WHERE true` + cond + ` AND i.user_id = u.id AND i.state = 'pending' AND r.invitation_id = i.id AND r.space_id = ? AND r.role = ?`, args
}

func membersCountQuery(id int64, f spaces.MemberFilter) (string, []any) {
	if searchText(f.Search) == "" {
		// Without a search, the space's ranges of the two indexes count
		// (CROSS JOIN: statistics would otherwise have SQLite read every
		// pending invitation).
		return `SELECT (SELECT count(*) FROM role_grants WHERE space_id = ?1 AND role = ?2)
		     + (SELECT count(*) FROM invitation_roles r CROSS JOIN invitations i ON i.id = r.invitation_id AND i.state = 'pending'
		        WHERE r.space_id = ?1 AND r.role = ?2)`, []any{id, f.Role}
	}
	from, args := membersFrom(id, f, "1", "1")
	return `SELECT count(*) FROM (` + from + `)`, args
}

func membersQuery(id int64, f spaces.MemberFilter) (string, []any) {
	from, args := membersFrom(id, f,
		`u.id, u.name, u.email, 0 AS pending, 0 AS sent, 0 AS expires, 0 AS inv, u.sort_name AS k`,
		`u.id, u.name, u.email, 1, i.sent_at, i.expires_at, i.id, u.sort_name`)
	return `SELECT id, name, email, pending, sent, expires, inv FROM (` + from + `)
		ORDER BY pending, k COLLATE NOCASE, email
		LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)
}

// Admins reads, for each space, the first limit of its administrators by
// name (role_grants_space, then each user by key), and how many it has.
func (s *SpaceStore) Admins(ctx context.Context, ids []int64, limit int) (map[int64][]spaces.Person, map[int64]int, error) {
	people, counts := map[int64][]spaces.Person{}, map[int64]int{}
	if len(ids) == 0 {
		return people, counts, nil
	}
	in, args := inList(ids)
	rows, err := s.db.R.QueryContext(ctx, `
		SELECT space_id, n, id, name, email FROM (
			SELECT g.space_id, count(*) OVER w AS n, row_number() OVER (w ORDER BY u.sort_name COLLATE NOCASE, u.email) AS k, u.id, u.name, u.email
			FROM role_grants g JOIN users u ON u.id = g.user_id
			WHERE g.space_id IN `+in+` AND g.role = 'admin' AND u.deactivated_at IS NULL
			WINDOW w AS (PARTITION BY g.space_id))
		WHERE k <= ? ORDER BY space_id, k`, append(args, limit)...)
	if err != nil {
		return nil, nil, errs.Wrap(err, "listing administrators")
	}
	defer rows.Close()
	for rows.Next() {
		var sid int64
		var n int
		p := spaces.Person{Role: spaces.Admin}
		if err := rows.Scan(&sid, &n, &p.UserID, &p.Name, &p.Email); err != nil {
			return nil, nil, errs.Wrap(err, "listing administrators")
		}
		people[sid], counts[sid] = append(people[sid], p), n
	}
	return people, counts, errs.Wrap(rows.Err(), "listing administrators")
}
