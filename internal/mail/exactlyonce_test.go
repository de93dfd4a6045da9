package mail_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/dbtest"
	"github.com/usherhq/usher/internal/mail"
)

var errCrash = errors.New("the process died here")

// failingStore is an outbox whose Record fails for one message: the
// server has accepted it, but its outcome never reaches the database.
type failingStore struct {
	*db.OutboxStore
	id    int64
	times int // how many times Record fails; <0: always
	calls int
}

func (s *failingStore) Record(ctx context.Context, id int64, o mail.Outcome) error {
	if id == s.id && s.times != 0 {
		s.times--
		s.calls++
		return errCrash
	}
	return s.OutboxStore.Record(ctx, id, o)
}

// restart is what a new process sees: the same database file, opened
// afresh, and a new sender on it.
func (r *rig) restart(t *testing.T) {
	t.Helper()
	r.db.Close()
	d := dbtest.Open(t, r.dir)
	r.db, r.outbox, r.invs = d, db.NewOutboxStore(d), db.NewInvitationStore(d)
	r.sender = r.newSender(r.smtp)
}

// The sender dies after the SMTP server accepted a message and before the
// outbox marked it sent. After a restart that message goes out again — the
// one duplicate possible, with the same link — and every other message
// goes out exactly once.
func TestCrashBetweenAcceptanceAndRecord(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ids := r.inviteMany(t, 5)
	crash := ids[2]
	store := &failingStore{OutboxStore: r.outbox, id: crash, times: -1}
	r.sender = r.newSenderOn(store)
	if _, err := r.sender.Flush(context.Background()); !errors.Is(err, errCrash) {
		t.Fatalf("Flush = %v, want the crash", err)
	}
	if n := len(r.server.Messages()); n != 3 {
		t.Fatalf("before the crash the server accepted %d messages, want 3", n)
	}

	r.restart(t)
	r.flush(t, 3) // the unmarked one and the two never tried
	got := r.server.Messages()
	per := copies(got)
	for i := range ids {
		to := fmt.Sprintf("user%04d@example.com", i+1)
		want := 1
		if ids[i] == crash {
			want = 2
		}
		if per[to] != want {
			t.Errorf("%s received %d copies, want %d", to, per[to], want)
		}
	}
	dup := r.server.To("user0003@example.com")
	if len(dup) == 2 && linkIn(t, dup[0]) != linkIn(t, dup[1]) {
		t.Errorf("the duplicate carries another link: %q, %q", linkIn(t, dup[0]), linkIn(t, dup[1]))
	}
	for _, id := range ids {
		if m := r.message(t, id); m.State != mail.Sent || m.Attempts != 1 {
			t.Errorf("email %d after the restart: state %s, attempts %d; want sent, 1", id, m.State, m.Attempts)
		}
	}
	r.flush(t, 0)
}

// The outbox fails to store an outcome but the sender lives on: it stores
// that outcome when the database is back, and never sends the message
// again.
func TestRecordFailureDoesNotResend(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ids := r.inviteMany(t, 3)
	store := &failingStore{OutboxStore: r.outbox, id: ids[1], times: 2}
	r.sender = r.newSenderOn(store)
	if _, err := r.sender.Flush(context.Background()); !errors.Is(err, errCrash) {
		t.Fatalf("Flush = %v, want the failure", err)
	}
	// Still failing: nothing more is sent while the outcome is unstored.
	if n, err := r.sender.Flush(context.Background()); !errors.Is(err, errCrash) || n != 0 {
		t.Fatalf("second Flush = %d, %v; want 0 and the failure", n, err)
	}
	if n := len(r.server.Messages()); n != 2 {
		t.Fatalf("server received %d messages, want 2", n)
	}
	if _, err := r.sender.Flush(context.Background()); err != nil {
		t.Fatalf("third Flush: %v", err)
	}
	if per := copies(r.server.Messages()); len(per) != 3 || per["user0002@example.com"] != 1 {
		t.Errorf("copies %v, want one each", per)
	}
	for _, id := range ids {
		if m := r.message(t, id); m.State != mail.Sent || m.Attempts != 1 {
			t.Errorf("email %d: state %s, attempts %d; want sent, 1", id, m.State, m.Attempts)
		}
	}
}

// The process dies right after an action committed, before any sending:
// after a restart the message goes out.
func TestCrashAfterCommitBeforeSend(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	inv, id := r.invite(t, "ana@example.com", mail.Payload{})
	r.restart(t)
	r.flush(t, 1)
	got := r.server.To("ana@example.com")
	if len(got) != 1 || linkIn(t, got[0]) != linkFor(inv.Nonce) {
		t.Fatalf("after the restart ana received %d messages", len(got))
	}
	if m := r.message(t, id); m.State != mail.Sent {
		t.Errorf("state %s, want sent", m.State)
	}
}

// The same action submitted twice (a double click, a retried htmx
// request) carries the same outbox key: one email.
func TestSameKeyOneEmail(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	inv, _ := r.invite(t, "ana@example.com", mail.Payload{})
	r.flush(t, 1)
	now := r.clock.Now().Add(time.Minute)
	r.clock.Set(now)
	msg := mail.Outgoing{
		Key: fmt.Sprintf("resend:%d:%d", inv.ID, now.Unix()), Kind: mail.Reminder, To: inv.Email, InvitationID: inv.ID,
		Payload: mail.Payload{AccountName: "Acme", InviterName: "Ada Admin", InviteeEmail: inv.Email, Roles: "Member", ExpiresAt: now.Add(7 * 24 * time.Hour)},
	}
	for range 2 {
		// notAfter is now, so only the key stands between the two.
		if err := r.invs.Resend(context.Background(), inv.ID, r.admin, now, now, now.Add(7*24*time.Hour), r.budget(), msg); err != nil {
			t.Fatal(err)
		}
	}
	r.flush(t, 1)
	got := r.server.To("ana@example.com")
	if len(got) != 2 {
		t.Fatalf("ana received %d messages, want the invitation and one reminder", len(got))
	}
	if linkIn(t, got[0]) != linkIn(t, got[1]) {
		t.Error("the reminder carries another link")
	}
}
