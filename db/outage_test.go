package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/dbtest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/users"
)

// TestOutageFromAttempts: the account-wide "Emails can't be sent" comes
// from the attempts stored, whoever made them: it starts with the first
// attempt that found the server unusable, names the newest one's reason,
// ignores failures about one message, and ends with the next accepted
// message. Another connection to the same file (another process) reads
// the same.
func TestOutageFromAttempts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	f := newOutboxFixtureOn(t, dbtest.Open(t, dir))
	other := dbtest.Open(t, dir)
	outage := func(store *db.OutboxStore) mail.Outage {
		t.Helper()
		o, err := store.Outage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if o := outage(f.outbox); !o.IsZero() {
		t.Fatalf("before any attempt: %+v, want none", o)
	}
	_, a := f.invite(t, "a@example.com", obT0)
	_, b := f.invite(t, "b@example.com", obT0)
	_, c := f.invite(t, "c@example.com", obT0)
	record := func(m mail.Message, o mail.Outcome) {
		t.Helper()
		if err := f.outbox.Record(ctx, m.ID, o); err != nil {
			t.Fatal(err)
		}
	}
	// A rejection of one message is not an outage.
	record(c, mail.Outcome{At: obT0, State: mail.Failed, Reply: "550 no such user"})
	if o := outage(f.outbox); !o.IsZero() {
		t.Fatalf("after a rejection: %+v, want none", o)
	}
	t1, t2 := obT0.Add(time.Minute), obT0.Add(2*time.Minute)
	record(a, mail.Outcome{At: t1, State: mail.Queued, Next: t2, Reply: "Could not connect to the mail server 127.0.0.1:1: connection refused", Outage: true})
	record(b, mail.Outcome{At: t2, State: mail.Queued, Next: t2.Add(time.Minute), Reply: "Could not connect to the mail server 127.0.0.1:1: no answer", Outage: true})
	want := mail.Outage{Since: t1, Reply: "Could not connect to the mail server 127.0.0.1:1: no answer", Queued: true}
	for name, store := range map[string]*db.OutboxStore{"this process": f.outbox, "another process": db.NewOutboxStore(other)} {
		if o := outage(store); o != want {
			t.Errorf("%s: outage %+v, want %+v", name, o, want)
		}
	}
	// Accepted: over.
	record(a, mail.Outcome{At: t2.Add(time.Minute), State: mail.Sent, Reply: "250 ok"})
	if o := outage(db.NewOutboxStore(other)); !o.IsZero() {
		t.Errorf("after a message was accepted: %+v, want none", o)
	}
	// A new outage starts afresh, with nothing left to retry once given up.
	t3 := t2.Add(time.Hour)
	record(b, mail.Outcome{At: t3, State: mail.Failed, Reply: "Could not connect: refused", Outage: true})
	if o := outage(f.outbox); o != (mail.Outage{Since: t3, Reply: "Could not connect: refused"}) {
		t.Errorf("a new outage: %+v, want since %v with nothing queued", o, t3)
	}
}

// TestUndeliveredFilter: the Not delivered filter holds the users whose
// pending invitation's newest email failed or waits for a retry after a
// failure, and follows resends, deliveries and cancellations.
func TestUndeliveredFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newOutboxFixture(t)
	store := db.NewUserStore(f.db)
	list := func() (int, []string) {
		t.Helper()
		p, err := store.List(ctx, users.ListFilter{Undelivered: true, Page: 1, PerPage: 50, Now: obT0})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range p.Rows {
			got = append(got, r.Email)
		}
		if p.Total != p.Undelivered || len(got) != p.Undelivered {
			t.Fatalf("Total %d, Undelivered %d, %d rows: they should agree", p.Total, p.Undelivered, len(got))
		}
		return p.Undelivered, got
	}
	inv, a := f.invite(t, "a@example.com", obT0)
	bInv, b := f.invite(t, "b@example.com", obT0)
	_, c := f.invite(t, "c@example.com", obT0)
	if n, _ := list(); n != 0 {
		t.Fatalf("nothing tried yet: %d not delivered", n)
	}
	f.outbox.Record(ctx, a.ID, mail.Outcome{At: obT0, State: mail.Queued, Next: obT0.Add(time.Minute), Reply: "refused", Outage: true})
	f.outbox.Record(ctx, b.ID, mail.Outcome{At: obT0, State: mail.Failed, Reply: "550 no such user"})
	f.outbox.Record(ctx, c.ID, mail.Outcome{At: obT0, State: mail.Sent, Reply: "250 ok"})
	if n, got := list(); n != 2 || got[0] != "a@example.com" || got[1] != "b@example.com" {
		t.Fatalf("not delivered: %d %v, want a and b", n, got)
	}
	// A resend is the newest email: not failed (yet).
	if err := f.invs.Resend(ctx, inv.ID, f.admin, obT0.Add(2*time.Minute), obT0.Add(time.Minute), obT0.Add(8*24*time.Hour),
		invitations.Budget{Actor: f.admin.ID, Max: invitations.DefaultSendLimit, Window: invitations.SendWindow}, mail.Outgoing{Key: "resend:a", Kind: mail.Reminder, To: "a@example.com", InvitationID: inv.ID}); err != nil {
		t.Fatal(err)
	}
	if n, got := list(); n != 1 || got[0] != "b@example.com" {
		t.Fatalf("after resending a: %d %v, want b", n, got)
	}
	// The older email's outcome no longer decides.
	f.outbox.Record(ctx, a.ID, mail.Outcome{At: obT0.Add(3 * time.Minute), State: mail.Failed, Reply: "refused", Outage: true})
	if n, _ := list(); n != 1 {
		t.Fatalf("an older email's failure counted: %d", n)
	}
	// A cancelled invitation leaves the filter.
	if err := f.invs.Cancel(ctx, bInv.ID, f.admin, obT0); err != nil {
		t.Fatal(err)
	}
	if n, _ := list(); n != 0 {
		t.Fatalf("after cancelling b: %d not delivered", n)
	}
}
