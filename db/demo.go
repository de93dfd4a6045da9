package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"iter"
	"strings"

	"github.com/usherhq/usher/internal/demo"
	"github.com/usherhq/usher/internal/mail"
)

// DemoStore writes the demo seeder's rows in bulk, the way no service
// writes: a whole account in one transaction, one statement per few
// hundred rows.
type DemoStore struct{ db *DB }

// NewDemoStore returns the store the demo seeder writes through.
func NewDemoStore(d *DB) *DemoStore { return &DemoStore{db: d} }

// Empty reports whether the database has neither spaces nor users.
func (s *DemoStore) Empty(ctx context.Context) (bool, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM spaces)`).Scan(&n)
	return n == 0, err
}

// Write writes every batch in one transaction, each batch's tables
// parents first, for the foreign keys.
func (s *DemoStore) Write(ctx context.Context, batches iter.Seq[*demo.Batch]) error {
	// A big page cache keeps the ten indexes of users in memory while they
	// grow, instead of spilling pages to the WAL again and again, and
	// statement journals (one per multi-row INSERT) stay in memory. Both
	// must be set before the write transaction begins, on the one writer
	// connection, and go back to the defaults before it serves anyone else.
	if _, err := s.db.W.ExecContext(ctx, `PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY`); err != nil {
		return err
	}
	defer s.db.W.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT`)
	tx, err := s.db.W.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// The log's secondary indexes are built once its rows are in: sorting
	// a million entries once is several times faster than inserting them
	// into six b-trees one by one. Their definitions are the migration's,
	// read back from the schema.
	indexes, err := dropIndexes(ctx, tx, "activity", "activity_people", "activity_spaces")
	if err != nil {
		return err
	}
	w := newBulkWriter(ctx, tx)
	defer w.close()
	for b := range batches {
		if err := w.add(b); err != nil {
			return err
		}
		if err := w.flush(); err != nil {
			return err
		}
	}
	for _, create := range indexes {
		if _, err := tx.ExecContext(ctx, create); err != nil {
			return fmt.Errorf("indexing the demo activity: %w", err)
		}
	}
	// Rows went in a few hundred at a time, and the search indexes grew one
	// small segment per batch; merging them is what a long-lived index
	// converges to, and what a fresh import should start from.
	for _, index := range []string{"users_search", "users_grams"} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+index+` (`+index+`) VALUES ('optimize')`); err != nil {
			return fmt.Errorf("merging the search index %s: %w", index, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("saving the demo data: %w", err)
	}
	return nil
}

// dropIndexes drops the secondary indexes of tables and returns the
// statements that create them again.
func dropIndexes(ctx context.Context, tx *sql.Tx, tables ...string) ([]string, error) {
	var args []any
	for _, t := range tables {
		args = append(args, t)
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(tables)), ", ")+`) ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the activity indexes: %w", err)
	}
	var names, creates []string
	for rows.Next() {
		var name, create string
		if err := rows.Scan(&name, &create); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading the activity indexes: %w", err)
		}
		names, creates = append(names, name), append(creates, create)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the activity indexes: %w", err)
	}
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `DROP INDEX "`+name+`"`); err != nil {
			return nil, fmt.Errorf("dropping the index %s: %w", name, err)
		}
	}
	return creates, nil
}

// bulkWriter batches rows into multi-row INSERTs: one statement per few
// hundred rows instead of one per row. Besides saving calls, this matters
// for users: a statement that fires triggers runs in a statement
// transaction, and FTS5 writes its pending index to disk at each one, so
// row-by-row inserts would leave thousands of tiny segments to merge.
type bulkWriter struct {
	ctx                                                          context.Context
	tx                                                           *sql.Tx
	space, user, grant, invitation, role, event, outbox, attempt *bulkTable
	activity, activityPeople, activitySpaces                     *bulkTable
	order                                                        []*bulkTable // parents before children, for the foreign keys
}

// bulkTable collects the rows of one INSERT.
type bulkTable struct {
	insert string // "INSERT INTO t (a, b) VALUES "
	cols   int
	args   []any
	stmts  map[int]*sql.Stmt // by number of rows
}

// maxVars stays under SQLite's limit of 32,766 parameters per statement.
const maxVars = 30000

func newBulkWriter(ctx context.Context, tx *sql.Tx) *bulkWriter {
	t := func(name string, cols ...string) *bulkTable {
		return &bulkTable{insert: "INSERT INTO " + name + " (" + strings.Join(cols, ", ") + ") VALUES ", cols: len(cols), stmts: map[int]*sql.Stmt{}}
	}
	w := &bulkWriter{ctx: ctx, tx: tx,
		space:      t("spaces", "id", "kind", "parent_id", "name", "created_at"),
		user:       t("users", "id", "email", "name", "password_hash", "created_at", "activated_at", "deactivated_at", "invite_expires_at"),
		grant:      t("role_grants", "user_id", "space_id", "role", "granted_at", "granted_by"),
		invitation: t("invitations", "id", "user_id", "email", "invited_by", "inviter_name", "token_nonce", "token_hash", "state", "created_at", "sent_at", "expires_at", "ended_at", "ended_by", "superseded_by", "renewal_requested_at"),
		role:       t("invitation_roles", "invitation_id", "space_id", "role"),
		event:      t("invitation_events", "invitation_id", "at", "actor_id", "actor_name", "kind", "detail", "grants"),
		outbox:     t("outbox", "id", "idempotency_key", "kind", "recipient", "subject", "invitation_id", "payload", "state", "attempts", "next_attempt_at", "last_error", "created_at", "sent_at"),
		attempt:    t("outbox_attempts", "outbox_id", "at", "ok", "reply"),
		// As db.record writes them (activity.go).
		activity:       t("activity", "id", "at", "kind", "actor_id", "actor_name", "actor_email", "subject_id", "subject_name", "subject_email", "ip", "details"),
		activityPeople: t("activity_people", "user_id", "at", "activity_id", "kind"),
		activitySpaces: t("activity_spaces", "space_id", "at", "activity_id", "kind"),
	}
	w.order = []*bulkTable{w.space, w.user, w.grant, w.invitation, w.role, w.event, w.outbox, w.attempt, w.activity, w.activityPeople, w.activitySpaces}
	return w
}

// nullID stores an id of zero, "nobody", as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// add queues b's rows; flush writes them.
func (w *bulkWriter) add(b *demo.Batch) error {
	for _, s := range b.Spaces {
		w.space.row(s.ID, s.Kind, nullID(s.ParentID), s.Name, s.CreatedAt.Unix())
	}
	for _, u := range b.Users {
		var hash any
		if u.PasswordHash != "" {
			hash = u.PasswordHash
		}
		w.user.row(u.ID, u.Email, u.Name, hash, u.CreatedAt.Unix(), unix(u.ActivatedAt), unix(u.DeactivatedAt), unix(u.InviteExpiresAt))
	}
	for _, g := range b.Grants {
		w.grant.row(g.UserID, g.SpaceID, g.Role, g.GrantedAt.Unix(), nullID(g.GrantedBy))
	}
	for _, inv := range b.Invitations {
		w.invitation.row(inv.ID, nullID(inv.UserID), inv.Email, inv.InvitedBy, inv.InviterName, inv.Nonce, inv.TokenHash, inv.State,
			inv.CreatedAt.Unix(), inv.SentAt.Unix(), inv.ExpiresAt.Unix(), unix(inv.EndedAt), nullID(inv.EndedBy), nullID(inv.SupersededBy), unix(inv.RenewalRequestedAt))
		for _, g := range inv.Offered {
			w.role.row(inv.ID, g.SpaceID, g.Role)
		}
	}
	for _, e := range b.Events {
		var grants any
		if e.Grants != nil {
			enc, err := encodeEventGrants(e.Grants)
			if err != nil {
				return err
			}
			grants = enc
		}
		w.event.row(e.InvitationID, e.At.Unix(), nullID(e.ActorID), e.ActorName, e.Kind, e.Detail, grants)
	}
	for _, m := range b.Emails {
		payload, err := json.Marshal(m.Payload)
		if err != nil {
			return fmt.Errorf("encoding a demo email: %w", err)
		}
		state, lastError, sentAt := mail.Sent, "", any(m.DoneAt.Unix())
		if m.Failed {
			state, lastError, sentAt = mail.Failed, m.Reply, nil
		}
		w.outbox.row(m.ID, m.Key, m.Kind, m.To, mail.Subject(m.Kind, m.Payload), nullID(m.InvitationID), string(payload), state, 1, m.DoneAt.Unix(), lastError, m.CreatedAt.Unix(), sentAt)
		w.attempt.row(m.ID, m.DoneAt.Unix(), !m.Failed, m.Reply)
	}
	for _, e := range b.Activity {
		// The same row, and the same index rows, as record writes for e.
		details, err := json.Marshal(e.Details)
		if err != nil {
			return fmt.Errorf("encoding a demo activity entry: %w", err)
		}
		at := e.At.Unix()
		w.activity.row(e.ID, at, e.Kind, nullID(e.ActorID), e.ActorName, e.ActorEmail, nullID(e.SubjectID), e.SubjectName, e.SubjectEmail, e.IP, string(details))
		for _, p := range e.PeopleIDs() {
			w.activityPeople.row(p, at, e.ID, e.Kind)
		}
		for _, sp := range e.SpaceIDs() {
			w.activitySpaces.row(sp, at, e.ID, e.Kind)
		}
	}
	return nil
}

func (t *bulkTable) row(args ...any) { t.args = append(t.args, args...) }

// flush writes every queued row, parents first.
func (w *bulkWriter) flush() error {
	for _, t := range w.order {
		for len(t.args) > 0 {
			n := min(len(t.args)/t.cols, maxVars/t.cols)
			st, err := t.stmt(w.ctx, w.tx, n)
			if err != nil {
				return err
			}
			if _, err := st.ExecContext(w.ctx, t.args[:n*t.cols]...); err != nil {
				return fmt.Errorf("writing the demo data: %w", err)
			}
			t.args = t.args[n*t.cols:]
		}
		t.args = t.args[:0]
	}
	return nil
}

func (t *bulkTable) stmt(ctx context.Context, tx *sql.Tx, rows int) (*sql.Stmt, error) {
	if st := t.stmts[rows]; st != nil {
		return st, nil
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", t.cols), ", ") + ")"
	st, err := tx.PrepareContext(ctx, t.insert+strings.TrimSuffix(strings.Repeat(row+", ", rows), ", "))
	if err != nil {
		return nil, fmt.Errorf("preparing the demo data: %w", err)
	}
	t.stmts[rows] = st
	return st, nil
}

func (w *bulkWriter) close() {
	for _, t := range w.order {
		for _, st := range t.stmts {
			st.Close()
		}
	}
}
