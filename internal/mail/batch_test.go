package mail_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/smtptest"
	"github.com/usherhq/usher/views/emails"
)

// inviteMany queues n invitations and their emails in one transaction, as
// n administrators' actions would, and returns the emails' ids in order.
func (r *rig) inviteMany(t testing.TB, n int) []int64 {
	t.Helper()
	now := r.clock.Now()
	expires := now.Add(7 * 24 * time.Hour)
	tx, err := r.db.W.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	ids := make([]int64, n)
	for i := range n {
		r.n++
		email := fmt.Sprintf("user%04d@example.com", r.n)
		nonce := []byte(fmt.Sprintf("nonce-%04d------", r.n))
		h := sha256.Sum256(nonce)
		res, err := tx.Exec(`INSERT INTO users (email, created_at, invite_expires_at) VALUES (?, ?, ?)`, email, now.Unix(), expires.Unix())
		if err != nil {
			t.Fatal(err)
		}
		userID, _ := res.LastInsertId()
		res, err = tx.Exec(`INSERT INTO invitations (user_id, email, invited_by, inviter_name, token_nonce, token_hash, state, created_at, sent_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`, userID, email, r.admin.ID, r.admin.DisplayName(), nonce, h[:], now.Unix(), now.Unix(), expires.Unix())
		if err != nil {
			t.Fatal(err)
		}
		invID, _ := res.LastInsertId()
		payload, _ := json.Marshal(mail.Payload{AccountName: "Acme", InviterName: r.admin.DisplayName(), InviteeEmail: email, Roles: "Member", ExpiresAt: expires})
		res, err = tx.Exec(`INSERT INTO outbox (idempotency_key, kind, recipient, invitation_id, payload, state, next_attempt_at, created_at)
			VALUES (?, 'invitation', ?, ?, ?, 'queued', ?, ?)`, fmt.Sprintf("send:%d", invID), email, invID, string(payload), now.Unix(), now.Unix())
		if err != nil {
			t.Fatal(err)
		}
		ids[i], _ = res.LastInsertId()
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// copies counts the messages the server received for each recipient.
func copies(ms []smtptest.Message) map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		for _, to := range m.To {
			out[to]++
		}
	}
	return out
}

// More messages than one Due batch travel over one connection.
func TestSenderReusesConnection(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ids := r.inviteMany(t, 2*mail.DefaultBatch+5)
	r.flush(t, len(ids))
	got := r.server.Messages()
	if len(got) != len(ids) {
		t.Fatalf("server received %d messages, want %d", len(got), len(ids))
	}
	for to, n := range copies(got) {
		if n != 1 {
			t.Errorf("%s got %d copies", to, n)
		}
	}
	if c := r.server.Connections(); c != 1 {
		t.Errorf("%d connections for one round, want 1", c)
	}
	for _, id := range ids {
		if m := r.message(t, id); m.State != mail.Sent || m.Attempts != 1 {
			t.Fatalf("email %d: state %s, attempts %d", id, m.State, m.Attempts)
		}
	}
}

// A server that takes a few messages per connection and then says 421:
// the sender opens a new connection for the rest, and no message counts a
// failed attempt for it.
func TestSenderReconnectsWhenTheServerHangsUp(t *testing.T) {
	t.Parallel()
	r := newRig(t, smtptest.WithMaxMessages(3))
	ids := r.inviteMany(t, 10)
	r.flush(t, 10)
	if got := r.server.Messages(); len(got) != 10 {
		t.Fatalf("server received %d messages, want 10", len(got))
	}
	if c := r.server.Connections(); c != 4 {
		t.Errorf("%d connections, want 4 (3 messages each)", c)
	}
	for _, id := range ids {
		if m := r.message(t, id); m.State != mail.Sent || m.Attempts != 1 || m.LastError != "" {
			t.Errorf("email %d: state %s, attempts %d, error %q; want sent at the first attempt", id, m.State, m.Attempts, m.LastError)
		}
	}
}

// One recipient rejected, one greylisted: the connection carries on (RSET)
// for the others, and each message gets its own outcome.
func TestSenderSessionKeepsGoingAfterARefusal(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ids := r.inviteMany(t, 5)
	r.server.RefuseRcpt("user0002@example.com", 550, "No such user")
	r.server.RefuseRcpt("user0004@example.com", 451, "Greylisted")
	r.flush(t, 5)
	want := map[int64]mail.State{ids[0]: mail.Sent, ids[1]: mail.Failed, ids[2]: mail.Sent, ids[3]: mail.Queued, ids[4]: mail.Sent}
	for id, st := range want {
		if m := r.message(t, id); m.State != st {
			t.Errorf("email %d: state %s (%q), want %s", id, m.State, m.LastError, st)
		}
	}
	if m := r.message(t, ids[1]); m.LastError != "550 No such user" {
		t.Errorf("rejected email: error %q", m.LastError)
	}
	if c := r.server.Connections(); c != 1 {
		t.Errorf("%d connections, want 1", c)
	}
	if n := len(r.server.Messages()); n != 3 {
		t.Errorf("server received %d messages, want 3", n)
	}
}

// The connection drops after the server took a message but before its
// reply arrived: that message waits for a retry, the rest go out over a
// new connection at once, and the retry is the one possible duplicate,
// with the same link.
func TestSenderLostReply(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ids := r.inviteMany(t, 4)
	r.server.Drop(smtptest.Data, 1)
	r.flush(t, 4)
	first := r.message(t, ids[0])
	if first.State != mail.Queued || !strings.Contains(first.LastError, "stopped answering") {
		t.Fatalf("the email whose reply was lost: state %s, error %q; want queued", first.State, first.LastError)
	}
	for _, id := range ids[1:] {
		if m := r.message(t, id); m.State != mail.Sent || m.Attempts != 1 {
			t.Errorf("email %d: state %s, attempts %d; want sent at once over a new connection", id, m.State, m.Attempts)
		}
	}
	if c := r.server.Connections(); c != 2 {
		t.Errorf("%d connections, want 2", c)
	}

	r.clock.Set(first.NextAttemptAt)
	r.flush(t, 1)
	got := r.server.Messages()
	per := copies(got)
	if per["user0001@example.com"] != 2 || len(got) != 5 {
		t.Fatalf("copies %v; want 2 of the first message and 1 of each other", per)
	}
	var links []string
	for _, m := range r.server.To("user0001@example.com") {
		links = append(links, linkIn(t, m))
	}
	if links[0] != links[1] {
		t.Errorf("the duplicate carries another link: %q, %q", links[0], links[1])
	}
	if m := r.message(t, ids[0]); m.State != mail.Sent || m.Attempts != 2 {
		t.Errorf("after the retry: state %s, attempts %d", m.State, m.Attempts)
	}
}

// A server that stops answering mid-batch costs each message its own
// timeout, no more: the worker moves on, on a new connection each time.
func TestSenderSessionTimesOutPerMessage(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.smtp.Timeout = 200 * time.Millisecond
	ids := r.inviteMany(t, 3)
	r.server.Hold(smtptest.Data) // until the test ends
	r.flush(t, 3)
	for _, id := range ids {
		if m := r.message(t, id); m.State != mail.Queued || !strings.Contains(m.LastError, "no answer within 200ms") {
			t.Errorf("email %d: state %s, error %q; want queued after a timeout", id, m.State, m.LastError)
		}
	}
	if c := r.server.Connections(); c != 3 {
		t.Errorf("%d connections, want a new one after each timeout", c)
	}
}

func linkIn(t testing.TB, m smtptest.Message) string {
	t.Helper()
	i := strings.Index(m.Text, "https://usher.example/invite/")
	if i < 0 {
		t.Fatalf("no link in:\n%s", m.Text)
	}
	return strings.Fields(m.Text[i:])[0]
}

// BenchmarkDeliver1000 delivers 1,000 queued invitations from a real
// SQLite outbox to the in-process SMTP server, rendering each as sent.
func BenchmarkDeliver1000(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		r := newRig(b)
		r.sender = mail.NewSender(r.outbox, r.smtp, emails.Renderer{}, linkFor, r.clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
		r.inviteMany(b, n)
		b.StartTimer()
		got, err := r.sender.Flush(ctx)
		b.StopTimer()
		if err != nil || got != n {
			b.Fatalf("Flush = %d, %v", got, err)
		}
		if k := len(r.server.Messages()); k != n {
			b.Fatalf("server received %d messages", k)
		}
		b.ReportMetric(float64(r.server.Connections()), "connections")
		r.server.Close()
		r.db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
}
