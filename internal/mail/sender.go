package mail

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/usherhq/usher/internal/clock"
)

// Retry policy. A temporary failure is retried after 30s, 1m, 2m, … up to
// an hour between tries, until the message is a day old.
const (
	firstRetry = 30 * time.Second
	maxRetry   = time.Hour
	jitter     = 0.2 // ±20%, so messages queued together do not retry in lockstep

	// DefaultGiveUpAfter is how old a message may grow while it is retried.
	DefaultGiveUpAfter = 24 * time.Hour
	// DefaultSendTimeout bounds one delivery, whatever the transport does.
	DefaultSendTimeout = 2 * time.Minute
	// DefaultBatch is how many due messages one round takes at a time.
	DefaultBatch = 20

	// idlePoll is the longest the loop sleeps without looking at the outbox,
	// so a clock jump or a message enqueued without Notify is not stranded.
	idlePoll = time.Minute
	// errorPause is the least the loop sleeps after the outbox failed it.
	errorPause = 5 * time.Second
	// recordTimeout bounds writing an attempt's outcome, which must happen
	// even while shutting down.
	recordTimeout = 10 * time.Second
)

// Sender delivers the outbox in the background.
type Sender struct {
	store     Store
	transport Transport
	render    Renderer
	link      func(nonce []byte) string
	clock     clock.Clock
	log       *slog.Logger
	wake      chan struct{}
	mu        sync.Mutex // one round at a time: Run and Flush never send a message twice

	// Settings; change them before Run.
	Batch       int
	SendTimeout time.Duration  // bounds one Transport.Send, even during shutdown
	GiveUpAfter time.Duration  // a message this old is not retried again
	Jitter      func() float64 // in [0, 1); rand.Float64 by default
}

// NewSender wires a sender. link turns an invitation's nonce into the link
// the message carries; it is called at send time so that the link never
// rests in the database.
func NewSender(store Store, transport Transport, r Renderer, link func(nonce []byte) string, clk clock.Clock, log *slog.Logger) *Sender {
	if log == nil {
		log = slog.Default()
	}
	return &Sender{
		store: store, transport: transport, render: r, link: link, clock: clk, log: log,
		wake:        make(chan struct{}, 1),
		Batch:       DefaultBatch,
		SendTimeout: DefaultSendTimeout,
		GiveUpAfter: DefaultGiveUpAfter,
		Jitter:      rand.Float64,
	}
}

// Notify wakes the loop to look at the outbox now. Actions call it after
// their transaction commits; it never blocks.
func (s *Sender) Notify() {
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Run delivers messages until ctx is cancelled. A message being sent when
// that happens is finished and recorded before Run returns.
func (s *Sender) Run(ctx context.Context) {
	for {
		wait := time.Duration(0)
		if _, err := s.Flush(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sending email", "err", err)
			wait = errorPause // the database is unwell: do not spin
		}
		timer := time.NewTimer(max(wait, s.wait(ctx)))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-s.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// wait is how long the loop may sleep before the next message is due.
func (s *Sender) wait(ctx context.Context) time.Duration {
	next, err := s.store.NextDue(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("reading the outbox", "err", err)
		}
		return idlePoll
	}
	if next.IsZero() {
		return idlePoll
	}
	return min(max(next.Sub(s.clock.Now()), 0), idlePoll)
}

// Flush attempts every message that is due now, synchronously, and returns
// how many it attempted. It stops early, between messages, when ctx is
// cancelled.
func (s *Sender) Flush(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	batch := max(s.Batch, 1)
	seen := map[int64]bool{}
	n := 0
	for ctx.Err() == nil {
		due, err := s.store.Due(ctx, s.clock.Now(), batch)
		if err != nil {
			return n, err
		}
		fresh := 0
		for _, m := range due {
			if ctx.Err() != nil {
				return n, nil
			}
			if seen[m.ID] {
				// Attempted once in this round already (its next attempt came
				// out as "now", say, after a clock step): once is enough.
				continue
			}
			seen[m.ID] = true
			fresh++
			n++
			if err := s.deliver(ctx, m); err != nil {
				return n, err
			}
		}
		if fresh == 0 || len(due) < batch {
			return n, nil
		}
	}
	return n, nil
}

// deliver makes one attempt at m and records its outcome. Once started, it
// runs to the end even if ctx is cancelled, so that a message handed to the
// server is never left looking unsent.
func (s *Sender) deliver(parent context.Context, m Message) error {
	ctx := context.WithoutCancel(parent)
	var link string
	if m.Kind.HasLink() {
		if m.Withdrawn {
			// A link that stopped working must not arrive after the fact.
			return s.record(ctx, m, Failed, time.Time{}, "Not sent: by then the invitation had been cancelled, accepted or replaced.")
		}
		if len(m.LinkNonce) == 0 {
			return s.record(ctx, m, Failed, time.Time{}, "The invitation of this message no longer exists.")
		}
		link = s.link(m.LinkNonce)
	}
	r, err := s.render.Render(m.Kind, m.Payload, link)
	if err != nil {
		s.log.Error("rendering email", "id", m.ID, "kind", m.Kind, "err", err)
		return s.record(ctx, m, Failed, time.Time{}, "The message could not be written (a bug in Usher; see the log).")
	}

	sendCtx, cancel := context.WithTimeout(ctx, s.SendTimeout)
	reply, err := s.transport.Send(sendCtx, m.To, r)
	cancel()
	at := s.clock.Now()

	if err == nil {
		state := Sent
		if c, ok := s.transport.(Capturer); ok && c.Capturing() {
			state = Captured
			args := []any{"to", m.To, "subject", r.Subject}
			if link != "" {
				args = append(args, "link", link)
			} else if m.Payload.UsersURL != "" {
				args = append(args, "link", m.Payload.UsersURL)
			}
			s.log.Info("email kept in the built-in mailbox (no SMTP server configured)", args...)
		} else {
			s.log.Info("email sent", "id", m.ID, "kind", m.Kind, "to", m.To, "reply", reply)
		}
		return s.recordAt(ctx, m, at, state, time.Time{}, reply)
	}

	reply = replyOf(err)
	if IsPermanent(err) {
		s.log.Warn("email rejected", "id", m.ID, "kind", m.Kind, "to", m.To, "reply", reply)
		return s.recordAt(ctx, m, at, Failed, time.Time{}, reply)
	}
	giveUp := m.CreatedAt.Add(s.GiveUpAfter)
	if !at.Before(giveUp) {
		s.log.Warn("email not delivered; giving up", "id", m.ID, "kind", m.Kind, "to", m.To, "attempts", m.Attempts+1, "reply", reply)
		return s.recordAt(ctx, m, at, Failed, time.Time{}, reply)
	}
	next := at.Add(backoff(m.Attempts+1, s.Jitter()))
	if next.After(giveUp) {
		next = giveUp // one last try when the day is up
	}
	s.log.Warn("email not delivered; will retry", "id", m.ID, "kind", m.Kind, "to", m.To, "attempts", m.Attempts+1, "next", next, "reply", reply)
	return s.recordAt(ctx, m, at, Queued, next, reply)
}

func (s *Sender) record(ctx context.Context, m Message, state State, next time.Time, reply string) error {
	return s.recordAt(ctx, m, s.clock.Now(), state, next, reply)
}

func (s *Sender) recordAt(ctx context.Context, m Message, at time.Time, state State, next time.Time, reply string) error {
	ctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	if err := s.store.Record(ctx, m.ID, at, state, next, reply); err != nil {
		return fmt.Errorf("recording the outcome of email %d: %w", m.ID, err)
	}
	return nil
}

// backoff is the wait after the attempts-th failed attempt: 30s doubling up
// to an hour, spread by ±20%. r is a random number in [0, 1).
func backoff(attempts int, r float64) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < maxRetry; i++ {
		d *= 2
	}
	d = min(d, maxRetry)
	return time.Duration(float64(d) * (1 - jitter + 2*jitter*r))
}
