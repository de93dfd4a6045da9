package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/clock"
)

// RetryFor is how long a delivery is retried before it is given up.
const RetryFor = 24 * time.Hour

// backoff is the wait after each failed attempt (the last repeats): about
// fifteen attempts in a day.
var backoff = []time.Duration{5 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour}

// Timeout bounds one attempt: connecting, sending, and the answer.
const Timeout = 10 * time.Second

// Payload is the body of an event's webhook: {type, timestamp, data}, as
// Standard Webhooks suggests, data saying who and what.
type Payload struct {
	Type      Event     `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// Data is what happened, to whom, by whom.
type Data struct {
	EventID      string            `json:"event_id"`
	User         *Person           `json:"user,omitempty"`
	Actor        *Person           `json:"actor"` // null: Usher itself (expiry, reminders)
	InvitationID int64             `json:"invitation_id,omitempty"`
	Roles        []activity.Role   `json:"roles,omitempty"`
	Granted      []activity.Role   `json:"granted,omitempty"`
	Revoked      []activity.Role   `json:"revoked,omitempty"`
	Changes      []activity.Change `json:"changes,omitempty"`
	Expires      *time.Time        `json:"expires_at,omitempty"`
	Via          string            `json:"via_api_token,omitempty"`
}

// Person is someone an event names.
type Person struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// EventID is the webhook-id of the event of activity row id: the same for
// every endpoint and every attempt.
func EventID(activityID int64) string { return "evt_" + strconv.FormatInt(activityID, 10) }

// PayloadOf is the body of the webhook of activity entry e, row id.
func PayloadOf(ev Event, e activity.Entry, id int64) ([]byte, error) {
	d := Data{EventID: EventID(id), InvitationID: e.Details.InvitationID, Roles: e.Details.Roles, Granted: e.Details.Granted,
		Revoked: e.Details.Revoked, Changes: e.Details.Changes, Expires: e.Details.Expires, Via: e.Details.Via}
	if e.SubjectID != 0 || e.SubjectEmail != "" {
		d.User = &Person{ID: e.SubjectID, Email: e.SubjectEmail, Name: e.SubjectName}
	}
	if !e.System() {
		d.Actor = &Person{ID: e.ActorID, Email: e.ActorEmail, Name: e.ActorName}
	}
	return json.Marshal(Payload{Type: ev, Timestamp: e.At.UTC().Truncate(time.Second), Data: d})
}

// Sign is the webhook-signature of body sent as id at timestamp ts with
// secret (the bytes after whsec_): "v1," and the base64 of the
// HMAC-SHA256 of "id.ts.body", as Standard Webhooks has it.
func Sign(secret []byte, id string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	fmt.Fprintf(mac, "%s.%d.", id, ts)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Deliverer sends what is due, as one of the email sender's producers:
// it runs at each of the sender's rounds, which an action's Notify wakes.
type Deliverer struct {
	Store Store
	Keys  *Keys
	Clock clock.Clock
	Log   *slog.Logger
	// Client sends the requests; NewClient's refuses private addresses.
	Client *http.Client
	// Batch is how many deliveries one round attempts, Parallel how many
	// at once.
	Batch, Parallel int
}

// NewClient is the client deliveries go through: no redirects followed,
// no proxy, the Timeout, and unless allowPrivate, no connection to a
// private address, checked on the address actually dialled (so a name
// that resolves to one, or changes to one, is refused too).
func NewClient(allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: Timeout}
	if !allowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || Private(ip) {
				return &refusedError{host}
			}
			return nil
		}
	}
	tr := &http.Transport{Proxy: nil, DialContext: dialer.DialContext, TLSHandshakeTimeout: Timeout,
		ResponseHeaderTimeout: Timeout, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}
	return &http.Client{Transport: tr, Timeout: Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type refusedError struct{ host string }

func (e *refusedError) Error() string {
	return e.host + " is a private, loopback or link-local address: refused unless USHER_WEBHOOK_ALLOW_PRIVATE is on"
}

// Produce attempts every delivery due now and says when the next is.
func (d *Deliverer) Produce(ctx context.Context) (time.Time, error) {
	batch, parallel := max(d.Batch, 1), max(d.Parallel, 1)
	for ctx.Err() == nil {
		now := d.Clock.Now()
		due, err := d.Store.Claim(ctx, now, now.Add(2*Timeout), batch)
		if err != nil {
			return time.Time{}, err
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, parallel)
		var mu sync.Mutex
		var failed error
		for _, c := range due {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := d.attempt(ctx, c); err != nil {
					mu.Lock()
					failed = errors.Join(failed, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if failed != nil {
			return time.Time{}, failed
		}
		if len(due) < batch {
			break
		}
	}
	return d.Store.NextDue(ctx)
}

// attempt sends c once and records what came of it.
func (d *Deliverer) attempt(ctx context.Context, c Claimed) error {
	now := d.Clock.Now()
	dl := c.Delivery
	dl.Attempts++
	dl.LastAt, dl.LastStatus, dl.LastError = now, 0, ""
	status, why := d.send(ctx, c, now)
	dl.LastStatus = status
	pause := ""
	switch {
	case status >= 200 && status < 300:
		dl.State = "sent"
	case status == http.StatusGone:
		// The receiver says the endpoint is gone for good: stop, and say so.
		dl.State, dl.LastError = "failed", why
		pause = why
	default:
		dl.LastError = why
		next := now.Add(backoff[min(dl.Attempts-1, len(backoff)-1)])
		if next.After(dl.GiveUpAt) {
			dl.State = "failed"
		} else {
			dl.State, dl.NextAt = "queued", next
		}
	}
	if dl.State == "failed" && d.Log != nil {
		d.Log.Warn("webhook not delivered", "url", c.URL, "event", dl.Event, "id", dl.EventID, "why", why)
	}
	// Recorded even while shutting down: an answer received is not sent
	// again for want of writing it down.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return d.Store.Record(rctx, dl, pause)
}

// send posts c's payload, signed at now, and gives the status (0: no
// answer) and, when it failed, why.
func (d *Deliverer) send(ctx context.Context, c Claimed, now time.Time) (int, string) {
	secret, err := d.Keys.Open(c.Secret)
	if err != nil {
		return 0, err.Error()
	}
	ts := now.Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(c.Payload))
	if err != nil {
		return 0, err.Error()
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Usher-Webhooks/1")
	h.Set("webhook-id", c.EventID)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", Sign(secret, c.EventID, ts, c.Payload))
	res, err := d.Client.Do(req)
	if err != nil {
		var ref *refusedError
		if errors.As(err, &ref) {
			return 0, ref.Error()
		}
		return 0, err.Error()
	}
	defer res.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16)) // let the connection be used again
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return res.StatusCode, ""
	}
	why := res.Status
	if s := bytes.TrimSpace(snippet); len(s) > 0 {
		why += ": " + string(s)
	}
	return res.StatusCode, why
}
