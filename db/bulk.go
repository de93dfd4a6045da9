package db

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/bulk"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/users"
)

// BulkStore keeps bulk jobs (bulk.Store).
type BulkStore struct {
	db *DB

	// unseen is each administrator's Unseen: every page of the users list
	// asks.
	unseen kept[int64, []bulk.Job]
}

func NewBulkStore(d *DB) *BulkStore { return &BulkStore{db: d} }

var _ bulk.Store = (*BulkStore)(nil)

const jobCols = `id, actor_id, action, ip, selection, total, processed, done, created_at, finished_at, seen_at`

func scanJob(r scanner) (bulk.Job, error) {
	var j bulk.Job
	var created int64
	var finished, seen sql.NullInt64
	err := r.Scan(&j.ID, &j.ActorID, &j.Action, &j.IP, &j.Selection, &j.Total, &j.Processed, &j.Done, &created, &finished, &seen)
	j.CreatedAt, j.FinishedAt, j.SeenAt = time.Unix(created, 0).UTC(), fromUnix(finished), fromUnix(seen)
	return j, err
}

// insertBatch is how many items one INSERT writes (SQLite's limit on
// bound values is 32,766; an item has five).
const insertBatch = 1000

func (s *BulkStore) Create(ctx context.Context, j bulk.Job, items []bulk.Item) (bulk.Job, error) {
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		j.Total, j.Processed, j.Done = len(items), 0, 0
		for _, it := range items {
			if it.Outcome != "" {
				j.Processed++
			}
			if it.Outcome == bulk.Done {
				j.Done++
			}
		}
		if j.Selection != "" {
			// The same selection a moment ago (a double click): that job.
			same, err := scanJob(tx.QueryRowContext(ctx, `SELECT `+jobCols+` FROM bulk_jobs WHERE actor_id = ? AND selection = ? AND created_at > ? ORDER BY id DESC LIMIT 1`,
				j.ActorID, j.Selection, j.CreatedAt.Add(-bulk.SameClickWindow).Unix()))
			if err == nil {
				j = same
				return nil
			}
			if err != sql.ErrNoRows {
				return errs.Wrap(err, "reading bulk jobs")
			}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO bulk_jobs (actor_id, action, ip, selection, total, processed, done, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			j.ActorID, j.Action, j.IP, j.Selection, j.Total, j.Processed, j.Done, j.CreatedAt.Unix()).Scan(&j.ID)
		if err != nil {
			return errs.Wrap(err, "keeping a bulk job")
		}
		for start := 0; start < len(items); start += insertBatch {
			part := items[start:min(start+insertBatch, len(items))]
			var q strings.Builder
			q.WriteString(`INSERT INTO bulk_items (job_id, seq, user_id, payload, outcome, reason) VALUES `)
			args := make([]any, 0, 6*len(part))
			for i, it := range part {
				if i > 0 {
					q.WriteByte(',')
				}
				q.WriteString("(?, ?, ?, ?, ?, ?)")
				var outcome any
				if it.Outcome != "" {
					outcome = string(it.Outcome)
				}
				args = append(args, j.ID, start+i, it.UserID, string(it.Payload), outcome, string(it.Reason))
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return errs.Wrap(err, "keeping a bulk job's items")
			}
		}
		return nil
	})
	return j, err
}

func (s *BulkStore) Work(ctx context.Context, id int64, n int, now time.Time, fn func(ctx context.Context, j bulk.Job, items []bulk.Item) error) (bulk.Job, error) {
	var j bulk.Job
	err := s.db.Batch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		// Read in the write transaction: a second runner (another process
		// on the same file) waits for this one, then finds these items
		// processed.
		if j, err = scanJob(tx.QueryRowContext(ctx, `SELECT `+jobCols+` FROM bulk_jobs WHERE id = ?`, id)); err != nil {
			return notFound(err, "err.bulk.no_such", "reading a bulk job")
		}
		if j.Finished() {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT seq, user_id, payload FROM bulk_items WHERE job_id = ? AND outcome IS NULL ORDER BY seq LIMIT ?`, id, n)
		if err != nil {
			return errs.Wrap(err, "reading a bulk job's items")
		}
		var items []bulk.Item
		for rows.Next() {
			var it bulk.Item
			var payload string
			if err := rows.Scan(&it.Seq, &it.UserID, &payload); err != nil {
				rows.Close()
				return errs.Wrap(err, "reading a bulk job's items")
			}
			if payload != "" {
				it.Payload = []byte(payload)
			}
			items = append(items, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return errs.Wrap(err, "reading a bulk job's items")
		}
		if len(items) > 0 {
			if err := fn(ctx, j, items); err != nil {
				return err
			}
		}
		for _, it := range items {
			if it.Outcome == "" {
				return errs.Wrap(errs.T(errs.Internal, "err.bulk.no_outcome"), "a bulk item left without an outcome")
			}
			if _, err := tx.ExecContext(ctx, `UPDATE bulk_items SET outcome = ?, reason = ? WHERE job_id = ? AND seq = ?`, it.Outcome, it.Reason, id, it.Seq); err != nil {
				return errs.Wrap(err, "marking a bulk item")
			}
			j.Processed++
			if it.Outcome == bulk.Done {
				j.Done++
			}
		}
		if len(items) < n {
			var waiting int
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM bulk_items WHERE job_id = ? AND outcome IS NULL)`, id).Scan(&waiting); err != nil {
				return errs.Wrap(err, "reading a bulk job's items")
			}
			if waiting == 0 {
				j.FinishedAt = now
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE bulk_jobs SET processed = ?, done = ?, finished_at = ? WHERE id = ?`, j.Processed, j.Done, unix(j.FinishedAt), id)
		if err != nil {
			return errs.Wrap(err, "recording a bulk job's progress")
		}
		if !j.Finished() {
			return nil
		}
		return record(ctx, tx, activity.Entry{
			At: j.FinishedAt, Kind: activity.BulkFinished, ActorID: j.ActorID, IP: j.IP,
			Details: activity.Details{Action: string(j.Action), Count: j.Done, Skipped: j.Skipped()},
		})
	})
	return j, err
}

func (s *BulkStore) Job(ctx context.Context, id int64) (bulk.Job, error) {
	j, err := scanJob(s.db.R.QueryRowContext(ctx, `SELECT `+jobCols+` FROM bulk_jobs WHERE id = ?`, id))
	return j, notFound(err, "err.bulk.no_such", "reading a bulk job")
}

func (s *BulkStore) Recent(ctx context.Context, actorID int64, selection string, since time.Time) (bulk.Job, bool, error) {
	j, err := scanJob(s.db.R.QueryRowContext(ctx, `SELECT `+jobCols+` FROM bulk_jobs WHERE actor_id = ? AND selection = ? AND created_at > ? ORDER BY id DESC LIMIT 1`, actorID, selection, since.Unix()))
	if err == sql.ErrNoRows {
		return j, false, nil
	}
	return j, err == nil, errs.Wrap(err, "reading bulk jobs")
}

func (s *BulkStore) Unfinished(ctx context.Context) (int64, bool, error) {
	var id int64
	err := s.db.R.QueryRowContext(ctx, `SELECT id FROM bulk_jobs WHERE finished_at IS NULL ORDER BY id LIMIT 1`).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return id, err == nil, errs.Wrap(err, "reading bulk jobs")
}

func (s *BulkStore) Reasons(ctx context.Context, id int64) ([]bulk.Count, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT reason, count(*) AS n FROM bulk_items WHERE job_id = ? AND outcome = 'skipped' GROUP BY reason ORDER BY n DESC, reason`, id)
	if err != nil {
		return nil, errs.Wrap(err, "counting a bulk job's skips")
	}
	defer rows.Close()
	var out []bulk.Count
	for rows.Next() {
		var c bulk.Count
		if err := rows.Scan(&c.Reason, &c.N); err != nil {
			return nil, errs.Wrap(err, "counting a bulk job's skips")
		}
		out = append(out, c)
	}
	return out, errs.Wrap(rows.Err(), "counting a bulk job's skips")
}

func (s *BulkStore) Unseen(ctx context.Context, actorID int64) ([]bulk.Job, error) {
	// Asked for by pages only, after their request saw the generation.
	jobs, err := s.unseen.get(s.db.Seen(), actorID, func() ([]bulk.Job, error) { return s.readUnseen(ctx, actorID) })
	return slices.Clone(jobs), err
}

func (s *BulkStore) readUnseen(ctx context.Context, actorID int64) ([]bulk.Job, error) {
	rows, err := s.db.query(ctx, `SELECT `+jobCols+` FROM bulk_jobs WHERE actor_id = ? AND seen_at IS NULL ORDER BY id`, actorID)
	if err != nil {
		return nil, errs.Wrap(err, "reading bulk jobs")
	}
	defer rows.Close()
	var out []bulk.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, errs.Wrap(err, "reading bulk jobs")
		}
		out = append(out, j)
	}
	return out, errs.Wrap(rows.Err(), "reading bulk jobs")
}

func (s *BulkStore) Dismiss(ctx context.Context, id, actorID int64, at time.Time) error {
	res, err := s.db.W.ExecContext(ctx, `UPDATE bulk_jobs SET seen_at = ? WHERE id = ? AND actor_id = ? AND finished_at IS NOT NULL AND seen_at IS NULL`, at.Unix(), id, actorID)
	if err != nil {
		return errs.Wrap(err, "dismissing a bulk job")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.T(errs.NotFound, "err.bulk.no_such")
	}
	return nil
}

func (s *BulkStore) SendsSince(ctx context.Context, actorID int64, since time.Time) (int, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM invitation_events WHERE actor_id = ? AND kind IN (?, ?, ?) AND at > ?`,
		actorID, invitations.Sends[0], invitations.Sends[1], invitations.Sends[2], since.Unix()).Scan(&n)
	return n, errs.Wrap(err, "counting sends")
}

// ListedMany is Listed of each of ids that exists (users.Store), read in
// batches of exportBatch.
func (s *UserStore) ListedMany(ctx context.Context, ids []int64) ([]users.Listed, error) {
	var out []users.Listed
	for start := 0; start < len(ids); start += exportBatch {
		part := ids[start:min(start+exportBatch, len(ids))]
		in, args := inList(part)
		rows, err := s.db.R.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE id IN `+in, args...)
		if err != nil {
			return nil, errs.Wrap(err, "reading users")
		}
		first := len(out)
		var found []int64
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				rows.Close()
				return nil, errs.Wrap(err, "reading users")
			}
			out = append(out, users.Listed{User: u})
			found = append(found, u.ID)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, errs.Wrap(err, "reading users")
		}
		if err := fillRows(ctx, s.db.R, out[first:], found); err != nil {
			return nil, err
		}
	}
	return out, nil
}
