package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
)

// ActivityStore reads the activity log (migration 0014). The rows are
// written by record, inside the transaction of each change.
type ActivityStore struct{ db *DB }

func NewActivityStore(d *DB) *ActivityStore { return &ActivityStore{db: d} }

var _ activity.Store = (*ActivityStore)(nil)

// record writes e into the log within tx, with its actor and IP from the
// context's activity.Source unless e names them, and indexes it under
// each person and space it concerns.
func record(ctx context.Context, tx querier, e activity.Entry) error {
	e.Fill(ctx)
	// Names and emails as they are now, for a row that names only an id.
	for _, p := range []struct {
		id          int64
		name, email *string
	}{{e.ActorID, &e.ActorName, &e.ActorEmail}, {e.SubjectID, &e.SubjectName, &e.SubjectEmail}} {
		if p.id == 0 || (*p.name != "" && *p.email != "") {
			continue
		}
		var name, email string
		err := tx.QueryRowContext(ctx, `SELECT name, email FROM users WHERE id = ?`, p.id).Scan(&name, &email)
		if err != nil && err != sql.ErrNoRows {
			return errs.Wrap(err, "recording activity")
		}
		if *p.name == "" {
			*p.name = name
		}
		if *p.email == "" {
			*p.email = email
		}
	}
	details, err := json.Marshal(e.Details)
	if err != nil {
		return errs.Wrap(err, "recording activity")
	}
	at := e.At.Unix()
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO activity (at, kind, actor_id, actor_name, actor_email, subject_id, subject_name, subject_email, ip, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		at, e.Kind, nullID(e.ActorID), e.ActorName, e.ActorEmail, nullID(e.SubjectID), e.SubjectName, e.SubjectEmail, e.IP, string(details)).Scan(&id)
	if err != nil {
		return errs.Wrap(err, "recording activity")
	}
	for _, p := range e.PeopleIDs() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO activity_people (user_id, at, activity_id, kind) VALUES (?, ?, ?, ?)`, p, at, id, e.Kind); err != nil {
			return errs.Wrap(err, "recording activity")
		}
	}
	for _, sp := range e.SpaceIDs() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO activity_spaces (space_id, at, activity_id, kind) VALUES (?, ?, ?, ?)`, sp, at, id, e.Kind); err != nil {
			return errs.Wrap(err, "recording activity")
		}
	}
	// Its webhook, in the same transaction.
	return queueWebhooks(ctx, tx, e, id)
}

// recordEach records several entries within tx.
func recordEach(ctx context.Context, tx querier, es ...activity.Entry) error {
	for _, e := range es {
		if err := record(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

const (
	activityColumns = `a.id, a.at, ` + activityRest
	activityRest    = `a.kind, a.actor_id, a.actor_name, a.actor_email, a.subject_id, a.subject_name, a.subject_email, a.ip, a.details`
)

func scanEntry(rows *sql.Rows) (activity.Entry, error) {
	var e activity.Entry
	var at int64
	var actor, subject sql.NullInt64
	var details string
	if err := rows.Scan(&e.ID, &at, &e.Kind, &actor, &e.ActorName, &e.ActorEmail, &subject, &e.SubjectName, &e.SubjectEmail, &e.IP, &details); err != nil {
		return e, errs.Wrap(err, "reading activity")
	}
	e.At = time.Unix(at, 0).UTC()
	e.ActorID, e.SubjectID = actor.Int64, subject.Int64
	if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
		return e, errs.Wrap(err, "reading activity")
	}
	return e, nil
}

// activityQuery is the SELECT for a filter, newest first (oldest first
// when up, for the page before a cursor), without its LIMIT.
//
// Each filter is one ordered range of an index, read from the cursor on
// and stopped by the LIMIT: a person's entries are read through
// activity_people, a space's through activity_spaces (with the kind, their
// kind indexes), a kind through activity_kind, the rest through
// activity_at; what the driving index does not hold is checked on each
// row it yields. Several people or spaces (a space administrator's scope)
// are one such range each, merged in order by a compound SELECT (UNION
// also drops an entry met in two ranges), so a page still reads about a
// page per range instead of sorting everything they hold; past
// maxMergedRanges, their ranges are read whole and sorted.
//
// The columns come in activityColumns' order, the time and id from the
// driving index (the same values as the entry's), for the merge to read
// them in its order.
func activityQuery(f activity.Filter, up bool) (string, []any) {
	dir := ` DESC`
	if up {
		dir = ` ASC`
	}
	order := ` ORDER BY at` + dir + `, id` + dir
	// A date bound the cursor is already inside of is left out: SQLite
	// starts a range at one upper (or lower) bound only, and it must be
	// the cursor's, or a deep page would read every entry before it again.
	if c := f.After; !c.IsZero() && !f.Until.IsZero() && c.At.Unix() < f.Until.Unix() {
		f.Until = time.Time{}
	}
	if c := f.Before; !c.IsZero() && !f.From.IsZero() && c.At.Unix() >= f.From.Unix() {
		f.From = time.Time{}
	}
	spaceIDs := f.Scope
	if f.SpaceID != 0 {
		spaceIDs = []int64{f.SpaceID}
	}
	if spaceIDs != nil && len(spaceIDs) == 0 {
		spaceIDs = []int64{0} // an empty scope: no space has id 0
	}

	// bounds are the conditions on the driver's time and id.
	bounds := func(atCol, idCol string) ([]string, []any) {
		var conds []string
		var args []any
		if !f.From.IsZero() {
			conds, args = append(conds, atCol+` >= ?`), append(args, f.From.Unix())
		}
		if !f.Until.IsZero() {
			conds, args = append(conds, atCol+` < ?`), append(args, f.Until.Unix())
		}
		if c := f.After; !c.IsZero() {
			conds, args = append(conds, `(`+atCol+`, `+idCol+`) < (?, ?)`), append(args, c.At.Unix(), c.ID)
		}
		if c := f.Before; !c.IsZero() {
			conds, args = append(conds, `(`+atCol+`, `+idCol+`) > (?, ?)`), append(args, c.At.Unix(), c.ID)
		}
		return conds, args
	}
	where := func(conds []string) string {
		if len(conds) == 0 {
			return ``
		}
		return ` WHERE ` + strings.Join(conds, ` AND `)
	}

	var table, key, kindIndex string
	var ids []int64
	switch {
	case len(f.People) > 0:
		table, key, kindIndex, ids = `activity_people`, `user_id`, `activity_people_kind`, f.People
	case spaceIDs != nil:
		table, key, kindIndex, ids = `activity_spaces`, `space_id`, `activity_spaces_kind`, spaceIDs
	default:
		var conds []string
		var args []any
		if f.Kind != "" {
			conds, args = append(conds, `a.kind = ?`), append(args, f.Kind)
		}
		c, a := bounds(`a.at`, `a.id`)
		return `SELECT ` + activityColumns + ` FROM activity a` + where(append(conds, c...)) + order, append(args, a...)
	}

	// rangeOf is the SELECT of the entries under keys (one, or an IN list).
	rangeOf := func(keys []int64, distinct bool) (string, []any) {
		from := table + ` d`
		if f.Kind != "" {
			// Not left to the planner: without statistics it prefers the
			// primary key for the order and tests the kind on every row.
			from += ` INDEXED BY ` + kindIndex
		}
		var conds []string
		var args []any
		if len(keys) == 1 {
			conds, args = append(conds, `d.`+key+` = ?`), append(args, keys[0])
		} else {
			in, a := inList(keys)
			conds, args = append(conds, `d.`+key+` IN `+in), append(args, a...)
		}
		if f.Kind != "" {
			conds, args = append(conds, `d.kind = ?`), append(args, f.Kind)
		}
		if table == `activity_people` && spaceIDs != nil {
			in, a := inList(spaceIDs)
			conds, args = append(conds, `EXISTS (SELECT 1 FROM activity_spaces s WHERE s.activity_id = d.activity_id AND s.space_id IN `+in+`)`), append(args, a...)
		}
		c, a := bounds(`d.at`, `d.activity_id`)
		q := `SELECT `
		if distinct {
			q += `DISTINCT `
		}
		q += `d.activity_id AS id, d.at AS at, ` + activityRest + ` FROM ` + from + ` JOIN activity a ON a.id = d.activity_id` + where(append(conds, c...))
		return q, append(args, a...)
	}
	if len(ids) > maxMergedRanges {
		q, args := rangeOf(ids, true)
		return q + order, args
	}
	var arms []string
	var args []any
	for _, id := range ids {
		q, a := rangeOf([]int64{id}, false)
		arms, args = append(arms, q), append(args, a...)
	}
	return strings.Join(arms, ` UNION `) + order, args
}

// maxMergedRanges is how many people's or spaces' ranges activityQuery
// merges; SQLite allows 500 arms in a compound SELECT.
const maxMergedRanges = 100

func (s *ActivityStore) List(ctx context.Context, f activity.Filter) (activity.Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = activity.PerPage
	}
	up := !f.Before.IsZero()
	q, args := activityQuery(f, up)
	rows, err := s.db.R.QueryContext(ctx, q+` LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return activity.Page{}, errs.Wrap(err, "reading activity")
	}
	defer rows.Close()
	var out []activity.Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return activity.Page{}, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return activity.Page{}, errs.Wrap(err, "reading activity")
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	var p activity.Page
	if up {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	p.Entries = out
	if len(out) == 0 {
		return p, nil
	}
	first, last := activity.Of(out[0]), activity.Of(out[len(out)-1])
	if up {
		// Read upwards from Before: older entries exist (Before's own).
		p.Older = last
		if more {
			p.Newer = first
		}
	} else {
		if more {
			p.Older = last
		}
		if !f.After.IsZero() {
			p.Newer = first
		}
	}
	return p, nil
}

func (s *ActivityStore) Each(ctx context.Context, f activity.Filter, fn func(activity.Entry) error) error {
	f.After, f.Before = activity.Cursor{}, activity.Cursor{}
	q, args := activityQuery(f, false)
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return errs.Wrap(err, "reading activity")
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return errs.Wrap(rows.Err(), "reading activity")
}

func (s *ActivityStore) People(ctx context.Context, text string, scope []int64, limit int) ([]activity.Person, error) {
	q := searchText(text)
	if q == "" {
		return nil, nil
	}
	// An email names one person, whose entries are kept after they are
	// deleted: the log's own rows find them then.
	if strings.Contains(q, "@") && !strings.Contains(q, " ") {
		query, args := personByEmailQuery(q, scope)
		rows, err := s.people(ctx, query, args)
		if err != nil || len(rows) > 0 {
			return rows, err
		}
		query, args = deletedPersonQuery(q, scope)
		rows, err = s.people(ctx, query, args)
		if err != nil || len(rows) > 0 {
			return rows, err
		}
	}
	query, args := peopleQuery(q, scope, limit)
	return s.people(ctx, query, args)
}

// personByEmailQuery finds the user with the email q (searchText'd),
// within scope unless it is nil.
func personByEmailQuery(q string, scope []int64) (string, []any) {
	conds, args := []string{`u.email = ?`}, []any{q}
	if scope != nil {
		c, a := spaceWhere(scope, false)
		conds, args = append(conds, c), append(args, a...)
	}
	return `SELECT u.id, u.name, u.email FROM users u WHERE ` + strings.Join(conds, ` AND `) + ` LIMIT 1`, args
}

// deletedPersonQuery finds, by the log, the deleted user who had the
// email q; within scope, one with an entry about one of its spaces.
func deletedPersonQuery(q string, scope []int64) (string, []any) {
	gone := `SELECT a.subject_id, a.subject_name, a.subject_email FROM activity a WHERE a.kind = ? AND a.subject_email = ? COLLATE NOCASE`
	args := []any{activity.UserDeleted, q}
	if scope != nil {
		in, a := inList(append([]int64{0}, scope...))
		gone += ` AND EXISTS (SELECT 1 FROM activity_people p JOIN activity_spaces s ON s.activity_id = p.activity_id WHERE p.user_id = a.subject_id AND s.space_id IN ` + in + `)`
		args = append(args, a...)
	}
	return gone + ` ORDER BY a.at DESC LIMIT 1`, args
}

// peopleQuery finds the users whose name or email holds q, within scope
// unless it is nil, at most limit.
func peopleQuery(q string, scope []int64, limit int) (string, []any) {
	c, args := searchWhere(q, "", false)
	conds := []string{c}
	if scope != nil {
		c, a := spaceWhere(scope, false)
		conds, args = append(conds, c), append(args, a...)
	}
	return `SELECT u.id, u.name, u.email FROM users u WHERE ` + strings.Join(conds, ` AND `) + ` ORDER BY u.name COLLATE NOCASE, u.id LIMIT ?`, append(args, limit)
}

func (s *ActivityStore) people(ctx context.Context, q string, args []any) ([]activity.Person, error) {
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, errs.Wrap(err, "finding people")
	}
	defer rows.Close()
	var out []activity.Person
	for rows.Next() {
		var p activity.Person
		if err := rows.Scan(&p.ID, &p.Name, &p.Email); err != nil {
			return nil, errs.Wrap(err, "finding people")
		}
		out = append(out, p)
	}
	return out, errs.Wrap(rows.Err(), "finding people")
}

// Purge deletes the oldest entries from before cutoff, up to limit, with
// their index rows. It moves the retention cutoff the append-only trigger
// reads (migration 0014) in the same transaction: nothing else may
// delete.
func (s *ActivityStore) Purge(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	var n int64
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var old bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM activity WHERE at < ?)`, cutoff.Unix()).Scan(&old); err != nil {
			return errs.Wrap(err, "purging activity")
		}
		if !old {
			return nil // nothing old enough: the cutoff stays where it was
		}
		if _, err := tx.ExecContext(ctx, `UPDATE activity_retention SET before = ? WHERE id = 1`, cutoff.Unix()); err != nil {
			return errs.Wrap(err, "purging activity")
		}
		victims := `SELECT id FROM activity WHERE at < ? ORDER BY at, id LIMIT ?`
		for _, side := range []string{`activity_people`, `activity_spaces`} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+side+` WHERE activity_id IN (`+victims+`)`, cutoff.Unix(), limit); err != nil {
				return errs.Wrap(err, "purging activity")
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM activity WHERE id IN (`+victims+`)`, cutoff.Unix(), limit)
		if err != nil {
			return errs.Wrap(err, "purging activity")
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
