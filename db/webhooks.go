package db

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/webhooks"
)

// WebhookStore implements webhooks.Store (migration 0022).
type WebhookStore struct{ db *DB }

func NewWebhookStore(d *DB) *WebhookStore { return &WebhookStore{db: d} }

var _ webhooks.Store = (*WebhookStore)(nil)

// queueWebhooks queues the webhook of activity row id, entry e, for every
// endpoint that wants its event, within tx: record's caller's
// transaction, the change's own.
func queueWebhooks(ctx context.Context, tx querier, e activity.Entry, id int64) error {
	ev, ok := webhooks.EventOf(e.Kind)
	if !ok {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, events FROM webhook_endpoints`)
	if err != nil {
		return errs.Wrap(err, "finding webhooks")
	}
	var ids []int64
	for rows.Next() {
		var eid int64
		var events string
		if err := rows.Scan(&eid, &events); err != nil {
			rows.Close()
			return errs.Wrap(err, "finding webhooks")
		}
		for _, s := range strings.Fields(events) {
			if webhooks.Event(s) == ev {
				ids = append(ids, eid)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return errs.Wrap(err, "finding webhooks")
	}
	payload, err := webhooks.PayloadOf(ev, e, id)
	if err != nil {
		return errs.Wrap(err, "writing a webhook")
	}
	at := e.At.Unix()
	for _, eid := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event_id, event, payload, created_at, next_attempt_at, give_up_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, eid, webhooks.EventID(id), ev, payload, at, at, e.At.Add(webhooks.RetryFor).Unix()); err != nil {
			return errs.Wrap(err, "queueing a webhook")
		}
	}
	return nil
}

func joinEvents(evs []webhooks.Event) string {
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = string(e)
	}
	return strings.Join(parts, " ")
}

func (s *WebhookStore) CreateEndpoint(ctx context.Context, e webhooks.Endpoint, secret []byte, by int64) (webhooks.Endpoint, error) {
	err := s.db.W.QueryRowContext(ctx, `INSERT INTO webhook_endpoints (url, events, secret, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		e.URL, joinEvents(e.Events), secret, nullID(by), e.CreatedAt.Unix()).Scan(&e.ID)
	return e, errs.Wrap(err, "adding a webhook")
}

const endpointCols = `e.id, e.url, e.events, e.created_at, e.paused_at, e.paused_why,
	(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'queued'),
	(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.state = 'failed')`

func scanEndpoint(r scanner) (webhooks.Endpoint, error) {
	var e webhooks.Endpoint
	var events string
	var created int64
	var paused sql.NullInt64
	if err := r.Scan(&e.ID, &e.URL, &events, &created, &paused, &e.PausedWhy, &e.Queued, &e.Failed); err != nil {
		return e, err
	}
	for _, s := range strings.Fields(events) {
		e.Events = append(e.Events, webhooks.Event(s))
	}
	e.CreatedAt, e.PausedAt = time.Unix(created, 0).UTC(), fromUnix(paused)
	return e, nil
}

func (s *WebhookStore) Endpoints(ctx context.Context) ([]webhooks.Endpoint, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints e ORDER BY e.id`)
	if err != nil {
		return nil, errs.Wrap(err, "listing webhooks")
	}
	defer rows.Close()
	var out []webhooks.Endpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, errs.Wrap(err, "listing webhooks")
		}
		out = append(out, e)
	}
	return out, errs.Wrap(rows.Err(), "listing webhooks")
}

func (s *WebhookStore) Endpoint(ctx context.Context, id int64) (webhooks.Endpoint, error) {
	e, err := scanEndpoint(s.db.R.QueryRowContext(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints e WHERE e.id = ?`, id))
	return e, notFound(err, "webhooks.err.no_such", "reading a webhook")
}

func (s *WebhookStore) DeleteEndpoint(ctx context.Context, id int64) error {
	res, err := s.db.W.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = ?`, id)
	if err != nil {
		return errs.Wrap(err, "deleting a webhook")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.T(errs.NotFound, "webhooks.err.no_such")
	}
	return nil
}

func (s *WebhookStore) Resume(ctx context.Context, id int64, at time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET paused_at = NULL, paused_why = '' WHERE id = ?`, id)
		if err != nil {
			return errs.Wrap(err, "resuming a webhook")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.T(errs.NotFound, "webhooks.err.no_such")
		}
		// What waited while it was paused goes now.
		_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE endpoint_id = ? AND state = 'queued' AND next_attempt_at > ?`, at.Unix(), id, at.Unix())
		return errs.Wrap(err, "resuming a webhook")
	})
}

const deliveryCols = `d.id, d.endpoint_id, d.event_id, d.event, d.payload, d.state, d.attempts, d.created_at,
	d.last_attempt_at, d.last_status, d.last_error, d.next_attempt_at, d.give_up_at`

func scanDelivery(r scanner, extra ...any) (webhooks.Delivery, error) {
	var d webhooks.Delivery
	var created, next, giveUp int64
	var last sql.NullInt64
	err := r.Scan(append([]any{&d.ID, &d.EndpointID, &d.EventID, &d.Event, &d.Payload, &d.State, &d.Attempts, &created,
		&last, &d.LastStatus, &d.LastError, &next, &giveUp}, extra...)...)
	d.CreatedAt, d.LastAt = time.Unix(created, 0).UTC(), fromUnix(last)
	d.NextAt, d.GiveUpAt = time.Unix(next, 0).UTC(), time.Unix(giveUp, 0).UTC()
	return d, err
}

func (s *WebhookStore) Deliveries(ctx context.Context, endpointID int64, limit int) ([]webhooks.Delivery, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d WHERE d.endpoint_id = ? ORDER BY d.id DESC LIMIT ?`, endpointID, limit)
	if err != nil {
		return nil, errs.Wrap(err, "listing webhook deliveries")
	}
	defer rows.Close()
	var out []webhooks.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, errs.Wrap(err, "listing webhook deliveries")
		}
		out = append(out, d)
	}
	return out, errs.Wrap(rows.Err(), "listing webhook deliveries")
}

func (s *WebhookStore) SendAgain(ctx context.Context, endpointID, deliveryID int64, at, giveUpAt time.Time) error {
	res, err := s.db.W.ExecContext(ctx, `UPDATE webhook_deliveries SET state = 'queued', next_attempt_at = ?, give_up_at = ?
		WHERE id = ? AND endpoint_id = ?`, at.Unix(), giveUpAt.Unix(), deliveryID, endpointID)
	if err != nil {
		return errs.Wrap(err, "sending a webhook again")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.T(errs.NotFound, "webhooks.err.no_such_delivery")
	}
	return nil
}

func (s *WebhookStore) Claim(ctx context.Context, now, lease time.Time, n int) ([]webhooks.Claimed, error) {
	var out []webhooks.Claimed
	// One write transaction: what is read as due is held before another
	// claim (another process's) can read it too.
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryCols+`, e.url, e.secret
			FROM webhook_deliveries d INDEXED BY webhook_deliveries_due JOIN webhook_endpoints e ON e.id = d.endpoint_id
			WHERE d.state = 'queued' AND d.next_attempt_at <= ? AND e.paused_at IS NULL
			ORDER BY d.next_attempt_at LIMIT ?`, now.Unix(), n)
		if err != nil {
			return errs.Wrap(err, "claiming webhooks")
		}
		for rows.Next() {
			var c webhooks.Claimed
			d, err := scanDelivery(rows, &c.URL, &c.Secret)
			if err != nil {
				rows.Close()
				return errs.Wrap(err, "claiming webhooks")
			}
			c.Delivery = d
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return errs.Wrap(err, "claiming webhooks")
		}
		for _, c := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?`, lease.Unix(), c.ID); err != nil {
				return errs.Wrap(err, "claiming webhooks")
			}
		}
		return nil
	})
	return out, err
}

func (s *WebhookStore) Record(ctx context.Context, d webhooks.Delivery, pause string) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = ?, attempts = ?, last_attempt_at = ?, last_status = ?, last_error = ?, next_attempt_at = ?
			WHERE id = ?`, d.State, d.Attempts, d.LastAt.Unix(), d.LastStatus, d.LastError, d.NextAt.Unix(), d.ID)
		if err != nil {
			return errs.Wrap(err, "recording a webhook")
		}
		if pause != "" {
			_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET paused_at = ?, paused_why = ? WHERE id = ? AND paused_at IS NULL`, d.LastAt.Unix(), pause, d.EndpointID)
		}
		return errs.Wrap(err, "pausing a webhook")
	})
}

func (s *WebhookStore) NextDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.db.R.QueryRowContext(ctx, `SELECT min(d.next_attempt_at) FROM webhook_deliveries d INDEXED BY webhook_deliveries_due
		JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.state = 'queued' AND e.paused_at IS NULL`).Scan(&next)
	return fromUnix(next), errs.Wrap(err, "reading webhooks")
}
