package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
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
	links     map[Kind]func(nonce []byte) string // by kind, where not the invitation link (SetLink)
	clock     clock.Clock
	log       *slog.Logger
	wake      chan struct{}
	mu        sync.Mutex // one round at a time: Run and Flush never send a message twice

	// Guarded by mu.
	producers []Producer
	produceAt time.Time // when a producer next has work (zero: none known)
	// unrecorded holds outcomes the outbox failed to store. They are
	// stored before anything else is sent: a message the server accepted
	// is not sent again just because the database hiccuped.
	unrecorded map[int64]Outcome

	// Settings; change them before Run.
	Batch       int
	SendTimeout time.Duration  // bounds one Transport.Send, even during shutdown
	GiveUpAfter time.Duration  // a message this old is not retried again
	Jitter      func() float64 // in [0, 1); rand.Float64 by default
}

// Producer adds messages to the outbox when their time comes, such as the
// reminder before an invitation expires. The sender runs each producer
// before each round of deliveries.
type Producer interface {
	// Produce enqueues whatever is due now and says when it next will
	// have something to do (zero: nothing known).
	Produce(ctx context.Context) (next time.Time, err error)
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
		unrecorded:  map[int64]Outcome{},
		Batch:       DefaultBatch,
		SendTimeout: DefaultSendTimeout,
		GiveUpAfter: DefaultGiveUpAfter,
		Jitter:      rand.Float64,
	}
}

// SetLink makes messages of kind k carry link(nonce) rather than the
// invitation link. Call it before Run.
func (s *Sender) SetLink(k Kind, link func(nonce []byte) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.links == nil {
		s.links = map[Kind]func([]byte) string{}
	}
	s.links[k] = link
}

// LinkOf is the link message m carries, derived from its nonce ("" for
// none).
func (s *Sender) LinkOf(m Message) string {
	if !m.Kind.HasLink() || len(m.LinkNonce) == 0 {
		return ""
	}
	if l, ok := s.links[m.Kind]; ok {
		return l(m.LinkNonce)
	}
	return s.link(m.LinkNonce)
}

func withdrawnReason(k Kind) string {
	if k.IsReset() {
		return "Not sent: by then the reset link had been used or replaced, or the password changed."
	}
	return "Not sent: by then the invitation had been cancelled, accepted or replaced."
}

// AddProducer makes the sender run p before each round. Call it before Run.
func (s *Sender) AddProducer(p Producer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.producers = append(s.producers, p)
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
			s.mu.Lock()
			err := s.recordPending(ctx)
			s.mu.Unlock()
			if err != nil {
				s.log.Error("stopping with an email's outcome unrecorded: it may be sent again at the next start", "err", err)
			}
			return
		case <-s.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// wait is how long the loop may sleep before the next message is due, or
// a producer has work.
func (s *Sender) wait(ctx context.Context) time.Duration {
	now := s.clock.Now()
	d := idlePoll
	s.mu.Lock()
	produceAt := s.produceAt
	s.mu.Unlock()
	if !produceAt.IsZero() {
		// A producer that says "now" right after running is stuck on
		// something: do not spin on it.
		d = min(d, max(produceAt.Sub(now), errorPause))
	}
	next, err := s.store.NextDue(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("reading the outbox", "err", err)
		}
		return d
	}
	if next.IsZero() {
		return d
	}
	return min(max(next.Sub(now), 0), d)
}

// Flush runs the producers, then attempts every message that is due now,
// synchronously, and returns how many it attempted. It stops early,
// between messages, when ctx is cancelled. Messages due together go over
// one connection when the transport can do that.
func (s *Sender) Flush(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.recordPending(ctx); err != nil {
		return 0, err
	}
	perr := s.produce(ctx)
	var send func(ctx context.Context, to string, r Rendered) (string, error)
	if so, ok := s.transport.(SessionOpener); ok {
		session := so.OpenSession()
		defer session.Close()
		send = session.Send
	} else {
		send = s.transport.Send
	}
	n, err := s.flush(ctx, send)
	return n, errors.Join(perr, err)
}

func (s *Sender) flush(ctx context.Context, send func(context.Context, string, Rendered) (string, error)) (int, error) {
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
			if err := s.deliver(ctx, m, send); err != nil {
				return n, err
			}
		}
		if fresh == 0 || len(due) < batch {
			return n, nil
		}
	}
	return n, nil
}

// produce runs every producer, and notes when they next have work.
func (s *Sender) produce(ctx context.Context) error {
	var failures []error
	var first time.Time
	for _, p := range s.producers {
		next, err := p.Produce(ctx)
		if err != nil {
			failures = append(failures, err)
			next = s.clock.Now().Add(errorPause)
		}
		if !next.IsZero() && (first.IsZero() || next.Before(first)) {
			first = next
		}
	}
	s.produceAt = first
	return errors.Join(failures...)
}

// recordPending stores the outcomes the outbox failed to store before,
// even while shutting down.
func (s *Sender) recordPending(parent context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), recordTimeout)
	defer cancel()
	for id, o := range s.unrecorded {
		err := s.store.Record(ctx, id, o)
		if err != nil && !errs.Is(err, errs.Conflict) {
			return fmt.Errorf("recording the outcome of email %d: %w", id, err)
		}
		delete(s.unrecorded, id) // a Conflict: recorded already, by someone
	}
	return nil
}

// deliver makes one attempt at m and records its outcome. Once started, it
// runs to the end even if ctx is cancelled, so that a message handed to the
// server is never left looking unsent.
func (s *Sender) deliver(parent context.Context, m Message, send func(context.Context, string, Rendered) (string, error)) error {
	ctx := context.WithoutCancel(parent)
	var link string
	if m.Kind.HasLink() {
		// A link that stopped working must not arrive after the fact, nor
		// be retried until the day is up.
		what := "invitation"
		if m.Kind.IsReset() {
			what = "reset link"
		}
		if m.Withdrawn {
			return s.giveUp(ctx, m, withdrawnReason(m.Kind))
		}
		if len(m.LinkNonce) == 0 {
			return s.giveUp(ctx, m, "The "+what+" of this message no longer exists.")
		}
		if !m.ExpiresAt.IsZero() && !s.clock.Now().Before(m.ExpiresAt) {
			return s.giveUp(ctx, m, "Not sent: by then the "+what+" had expired.")
		}
		link = s.LinkOf(m)
	}
	r, err := s.render.Render(m.Kind, m.Payload, link)
	if err != nil {
		s.log.Error("rendering email", "id", m.ID, "kind", m.Kind, "err", err)
		return s.giveUp(ctx, m, "The message could not be written (a bug in Usher; see the log).")
	}

	sendCtx, cancel := context.WithTimeout(ctx, s.SendTimeout)
	reply, err := send(sendCtx, m.To, r)
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
		return s.record(ctx, m, Outcome{At: at, State: state, Reply: reply})
	}

	o := Outcome{At: at, State: Failed, Reply: replyOf(err), Outage: IsOutage(err)}
	if IsPermanent(err) {
		s.log.Warn("email rejected", "id", m.ID, "kind", m.Kind, "to", m.To, "reply", o.Reply)
		return s.record(ctx, m, o)
	}
	giveUp := m.CreatedAt.Add(s.GiveUpAfter)
	if !at.Before(giveUp) {
		s.log.Warn("email not delivered; giving up", "id", m.ID, "kind", m.Kind, "to", m.To, "attempts", m.Attempts+1, "reply", o.Reply)
		return s.record(ctx, m, o)
	}
	o.State, o.Next = Queued, at.Add(backoff(m.Attempts+1, s.Jitter()))
	if !m.ExpiresAt.IsZero() && o.Next.After(m.ExpiresAt) {
		o.Next = m.ExpiresAt // then it is given up at once: no link that stopped working goes out
	}
	if o.Next.After(giveUp) {
		o.Next = giveUp // one last try when the day is up
	}
	s.log.Warn("email not delivered; will retry", "id", m.ID, "kind", m.Kind, "to", m.To, "attempts", m.Attempts+1, "next", o.Next, "reply", o.Reply)
	return s.record(ctx, m, o)
}

// giveUp records that m is not sent, and why, without trying it.
func (s *Sender) giveUp(ctx context.Context, m Message, why string) error {
	s.log.Info("email not sent", "id", m.ID, "kind", m.Kind, "to", m.To, "reason", why)
	return s.record(ctx, m, Outcome{At: s.clock.Now(), State: Failed, Reply: why, NotSent: true})
}

func (s *Sender) record(ctx context.Context, m Message, o Outcome) error {
	ctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	if err := s.store.Record(ctx, m.ID, o); err != nil {
		if errs.Is(err, errs.Conflict) {
			return nil // recorded already: nothing is lost
		}
		s.unrecorded[m.ID] = o
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
