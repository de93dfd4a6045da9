package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
)

// OutboxStore implements mail.Store. Messages are written by the actions
// that cause them (see enqueue); this store reads them for the sender and
// records what became of each attempt.
type OutboxStore struct{ db *DB }

// NewOutboxStore returns the outbox store.
func NewOutboxStore(d *DB) *OutboxStore { return &OutboxStore{db: d} }

var _ mail.Store = (*OutboxStore)(nil)

// outboxSelect reads messages with their invitation's nonce, from which the
// link is derived when the message is rendered.
const outboxSelect = `
	SELECT o.id, o.kind, o.recipient, o.subject, coalesce(o.invitation_id, 0), o.payload, o.state, o.attempts,
	       o.next_attempt_at, o.last_error, o.created_at, o.sent_at,
	       coalesce(i.token_nonce, r.token_nonce), coalesce(i.state != 'pending', r.ended_at IS NOT NULL, 0), coalesce(i.expires_at, r.expires_at),
	       coalesce(o.reset_id, 0)
	FROM outbox o LEFT JOIN invitations i ON i.id = o.invitation_id LEFT JOIN password_resets r ON r.id = o.reset_id `

func scanMessage(r scanner) (mail.Message, error) {
	var m mail.Message
	var payload string
	var next, created int64
	var sent, expires sql.NullInt64
	if err := r.Scan(&m.ID, &m.Kind, &m.To, &m.Subject, &m.InvitationID, &payload, &m.State, &m.Attempts, &next, &m.LastError, &created, &sent, &m.LinkNonce, &m.Withdrawn, &expires, &m.ResetID); err != nil {
		return m, err
	}
	m.NextAttemptAt, m.CreatedAt, m.SentAt, m.ExpiresAt = time.Unix(next, 0).UTC(), time.Unix(created, 0).UTC(), fromUnix(sent), fromUnix(expires)
	if err := json.Unmarshal([]byte(payload), &m.Payload); err != nil {
		return m, errs.Wrap(err, "decoding message")
	}
	return m, nil
}

func (s *OutboxStore) list(ctx context.Context, query string, args ...any) ([]mail.Message, error) {
	rows, err := s.db.R.QueryContext(ctx, outboxSelect+query, args...)
	if err != nil {
		return nil, errs.Wrap(err, "reading outbox")
	}
	defer rows.Close()
	var out []mail.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, errs.Wrap(err, "reading outbox")
		}
		out = append(out, m)
	}
	return out, errs.Wrap(rows.Err(), "reading outbox")
}

// Due returns up to limit queued messages whose time has come, oldest due first.
func (s *OutboxStore) Due(ctx context.Context, now time.Time, limit int) ([]mail.Message, error) {
	return s.list(ctx, `WHERE o.state = 'queued' AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?`, now.Unix(), limit)
}

// NextDue is when the next queued message is due, or zero when none is queued.
func (s *OutboxStore) NextDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.db.R.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM outbox WHERE state = 'queued'`).Scan(&next)
	if err != nil {
		return time.Time{}, errs.Wrap(err, "reading outbox")
	}
	return fromUnix(next), nil
}

// Recent returns the newest messages first, for the built-in mailbox.
func (s *OutboxStore) Recent(ctx context.Context, limit int) ([]mail.Message, error) {
	return s.list(ctx, `ORDER BY o.created_at DESC, o.id DESC LIMIT ?`, limit)
}

// Mailbox is one page of the built-in mailbox, newest first, of the
// messages whose recipient or subject holds f.Search (any ASCII case),
// and how many match. A page walks outbox_recent from the newest and
// stops after it; a search tests each message it passes, and counts them
// all: a dev tool's tens of thousands of messages take milliseconds.
func (s *OutboxStore) Mailbox(ctx context.Context, f mail.BoxFilter) (mail.BoxPage, error) {
	where, args := "", []any{}
	if q := searchText(f.Search); q != "" {
		pat := "%" + escapeLike(q) + "%"
		where, args = `WHERE (o.recipient LIKE ? ESCAPE '\' OR o.subject LIKE ? ESCAPE '\') `, []any{pat, pat}
	}
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return mail.BoxPage{}, errs.Wrap(err, "reading the mailbox")
	}
	defer tx.Rollback()
	var p mail.BoxPage
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox o `+where, args...).Scan(&p.Total); err != nil {
		return p, errs.Wrap(err, "counting the mailbox")
	}
	page := max(f.Page, 1)
	rows, err := tx.QueryContext(ctx, outboxSelect+where+`ORDER BY o.created_at DESC, o.id DESC LIMIT ? OFFSET ?`, append(args, mail.BoxPerPage, (page-1)*mail.BoxPerPage)...)
	if err != nil {
		return p, errs.Wrap(err, "reading the mailbox")
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return p, errs.Wrap(err, "reading the mailbox")
		}
		p.Messages = append(p.Messages, m)
	}
	return p, errs.Wrap(rows.Err(), "reading the mailbox")
}

// Get returns one message.
func (s *OutboxStore) Get(ctx context.Context, id int64) (mail.Message, error) {
	m, err := scanMessage(s.db.R.QueryRowContext(ctx, outboxSelect+`WHERE o.id = ?`, id))
	if err != nil {
		return m, notFound(err, "err.db.no_such_message", "reading message")
	}
	return m, nil
}

// Record stores the outcome of one attempt at a queued message: its new
// state, its attempt history and, for an invitation's message, a line in
// the invitation's history — in one transaction. A message that is no
// longer queued (recorded already) is a Conflict, so an outcome is never
// written twice.
func (s *OutboxStore) Record(ctx context.Context, id int64, o mail.Outcome) error {
	at, state, next, reply := o.At, o.State, o.Next, o.Reply
	ok := state == mail.Sent || state == mail.Captured
	lastError, sentAt := reply, any(nil)
	if ok {
		lastError, sentAt = "", at.Unix()
	}
	if state != mail.Queued || next.IsZero() {
		next = at
	}
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		var attempts int
		var invID int64
		var kind mail.Kind
		err := tx.QueryRowContext(ctx, `
			UPDATE outbox SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?, sent_at = ?
			WHERE id = ? AND state = 'queued'
			RETURNING attempts, coalesce(invitation_id, 0), kind`,
			state, next.Unix(), lastError, sentAt, id).Scan(&attempts, &invID, &kind)
		if err == sql.ErrNoRows {
			return errs.T(errs.Conflict, "err.db.message_not_waiting")
		}
		if err != nil {
			return errs.Wrap(err, "recording delivery")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_attempts (outbox_id, at, ok, reply, outage) VALUES (?, ?, ?, ?, ?)`, id, at.Unix(), ok, reply, o.Outage && !ok); err != nil {
			return errs.Wrap(err, "recording delivery attempt")
		}
		// The invitation's history shows what became of the emails to the
		// invitee: every outcome, but only the first of a run of retries.
		if invID == 0 || kind == mail.RenewalRequest || (state == mail.Queued && attempts > 1) {
			return nil
		}
		ev, detail := invitations.EvDeliveryFailed, reply
		switch state {
		case mail.Sent:
			ev = invitations.EvDelivered
		case mail.Captured:
			ev = invitations.EvCaptured
		case mail.Queued:
			detail = reply + " (will retry)"
		}
		if o.NotSent {
			// Given up untried: the history says so, but nothing failed
			// for the activity log to tell.
			return insertHistory(ctx, tx, invID, at, 0, "", ev, detail, nil)
		}
		return addEvent(ctx, tx, invID, at, 0, "", ev, detail)
	})
}

// Attempts lists every attempt at a message, oldest first.
func (s *OutboxStore) Attempts(ctx context.Context, outboxID int64) ([]mail.Attempt, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT at, ok, reply FROM outbox_attempts WHERE outbox_id = ? ORDER BY id`, outboxID)
	if err != nil {
		return nil, errs.Wrap(err, "reading delivery attempts")
	}
	defer rows.Close()
	var out []mail.Attempt
	for rows.Next() {
		var a mail.Attempt
		var at int64
		if err := rows.Scan(&at, &a.OK, &a.Reply); err != nil {
			return nil, errs.Wrap(err, "reading delivery attempts")
		}
		a.At = time.Unix(at, 0).UTC()
		out = append(out, a)
	}
	return out, errs.Wrap(rows.Err(), "reading delivery attempts")
}

// The newest attempt the mail server accepted, and the newest that failed
// because it could not be used: one probe of a partial index each.
const (
	lastAcceptedQuery = `SELECT coalesce(max(id), 0) FROM outbox_attempts WHERE ok = 1`
	lastOutageQuery   = `SELECT coalesce(max(id), 0) FROM outbox_attempts WHERE outage = 1`
	// outageStartQuery is the first failure of a run that began after
	// attempt ?: the next entry of outbox_attempts_outage.
	outageStartQuery = `SELECT at FROM outbox_attempts WHERE outage = 1 AND id > ? ORDER BY id LIMIT 1`
	attemptQuery     = `SELECT reply FROM outbox_attempts WHERE id = ?`
	anyQueuedQuery   = `SELECT min(next_attempt_at) IS NOT NULL FROM outbox WHERE state = 'queued'`
)

// Outage says whether the mail server is failing every message, from the
// attempts of every process that sends from this database: it is while
// the newest attempt that found the server unusable is newer than the
// newest one it accepted. The zero Outage says it is not.
func (s *OutboxStore) Outage(ctx context.Context) (mail.Outage, error) {
	var o mail.Outage
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return o, errs.Wrap(err, "reading deliveries")
	}
	defer tx.Rollback()
	var accepted, failed int64
	if err := tx.QueryRowContext(ctx, lastAcceptedQuery).Scan(&accepted); err != nil {
		return o, errs.Wrap(err, "reading deliveries")
	}
	if err := tx.QueryRowContext(ctx, lastOutageQuery).Scan(&failed); err != nil {
		return o, errs.Wrap(err, "reading deliveries")
	}
	if failed <= accepted {
		return o, nil
	}
	var since int64
	if err := tx.QueryRowContext(ctx, outageStartQuery, accepted).Scan(&since); err != nil {
		return o, errs.Wrap(err, "reading deliveries")
	}
	if err := tx.QueryRowContext(ctx, attemptQuery, failed).Scan(&o.Reply); err != nil {
		return o, errs.Wrap(err, "reading deliveries")
	}
	if err := tx.QueryRowContext(ctx, anyQueuedQuery).Scan(&o.Queued); err != nil {
		return o, errs.Wrap(err, "reading deliveries")
	}
	o.Since = time.Unix(since, 0).UTC()
	return o, nil
}
