package db_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/dbtest"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// obT0 is a whole second, so times survive the round trip through Unix seconds.
var obT0 = time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)

// outboxFixture is a migrated database with an account and its administrator.
type outboxFixture struct {
	db      *db.DB
	outbox  *db.OutboxStore
	invs    *db.InvitationStore
	admin   users.User
	account int64
	n       int
}

func newOutboxFixture(t *testing.T) *outboxFixture {
	t.Helper()
	return newOutboxFixtureOn(t, dbtest.New(t))
}

// newOutboxFixtureOn is newOutboxFixture on database d.
func newOutboxFixtureOn(t *testing.T, d *db.DB) *outboxFixture {
	t.Helper()
	admin, err := db.NewUserStore(d).CreateAccountAdmin(context.Background(), "Acme", "admin@example.com", "Ada Admin", "hash", obT0, true)
	if err != nil {
		t.Fatalf("CreateAccountAdmin: %v", err)
	}
	f := &outboxFixture{db: d, outbox: db.NewOutboxStore(d), invs: db.NewInvitationStore(d), admin: admin}
	if err := d.R.QueryRow(`SELECT id FROM spaces WHERE kind = 'account'`).Scan(&f.account); err != nil {
		t.Fatal(err)
	}
	return f
}

// invite writes an invitation, which enqueues its email, at now.
func (f *outboxFixture) invite(t *testing.T, email string, now time.Time) (invitations.Invitation, mail.Message) {
	t.Helper()
	f.n++
	nonce := []byte(fmt.Sprintf("nonce-%04d------", f.n))
	h := sha256.Sum256([]byte(email))
	c := invitations.Create{
		Email: email, InvitedBy: f.admin.ID, InviterName: f.admin.DisplayName(), Nonce: nonce, TokenHash: h[:],
		Offered: []spaces.Grant{{SpaceID: f.account, Role: spaces.Member}}, Now: now, ExpiresAt: now.Add(7 * 24 * time.Hour), Kind: mail.Invitation,
	}
	budget := invitations.Budget{Actor: f.admin.ID, Max: invitations.DefaultSendLimit, Window: invitations.SendWindow}
	out, err := f.invs.Create(context.Background(), []invitations.Create{c}, budget, func(inv invitations.Invitation) mail.Outgoing {
		return mail.Outgoing{
			Key: fmt.Sprintf("send:%d", inv.ID), Kind: mail.Invitation, To: inv.Email, InvitationID: inv.ID,
			Payload: mail.Payload{AccountName: "Acme", InviterName: inv.InviterName, InviteeEmail: inv.Email, Roles: "Member", ExpiresAt: inv.ExpiresAt},
		}
	})
	if err != nil || out[0].Existing != nil {
		t.Fatalf("Create %s: %v", email, err)
	}
	inv := out[0].Invitation
	return inv, f.messageOf(t, inv.ID)
}

func (f *outboxFixture) messageOf(t *testing.T, invID int64) mail.Message {
	t.Helper()
	var id int64
	if err := f.db.R.QueryRow(`SELECT id FROM outbox WHERE invitation_id = ?`, invID).Scan(&id); err != nil {
		t.Fatalf("finding the email of invitation %d: %v", invID, err)
	}
	m, err := f.outbox.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get %d: %v", id, err)
	}
	return m
}

// loose enqueues a message tied to no invitation, as plain SQL.
func (f *outboxFixture) loose(t *testing.T, to string, now time.Time) int64 {
	t.Helper()
	res, err := f.db.W.Exec(`INSERT INTO outbox (idempotency_key, kind, recipient, payload, state, next_attempt_at, created_at) VALUES (?, 'renewal_request', ?, '{"account_name":"Acme"}', 'queued', ?, ?)`,
		"loose:"+to, to, now.Unix(), now.Unix())
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

func (f *outboxFixture) events(t *testing.T, invID int64) []invitations.Event {
	t.Helper()
	ev, err := f.invs.Events(context.Background(), invID)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func ids(ms []mail.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func TestOutboxDue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newOutboxFixture(t)
	inv1, m1 := f.invite(t, "ana@example.com", obT0)
	_, m2 := f.invite(t, "bea@example.com", obT0.Add(time.Minute))
	m3 := f.loose(t, "ada@example.com", obT0.Add(2*time.Minute))

	if next, err := f.outbox.NextDue(ctx); err != nil || !next.Equal(obT0) {
		t.Fatalf("NextDue = %v, %v; want %v", next, err, obT0)
	}
	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []int64
	}{
		{"before anything is due", obT0.Add(-time.Second), 10, nil},
		{"the first is due", obT0, 10, []int64{m1.ID}},
		{"all are due, oldest first", obT0.Add(time.Hour), 10, []int64{m1.ID, m2.ID, m3}},
		{"limit", obT0.Add(time.Hour), 2, []int64{m1.ID, m2.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.outbox.Due(ctx, tt.now, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(ids(got)) != fmt.Sprint(tt.want) {
				t.Fatalf("Due = %v, want %v", ids(got), tt.want)
			}
		})
	}

	due, _ := f.outbox.Due(ctx, obT0.Add(time.Hour), 10)
	first := due[0]
	if !bytes.Equal(first.LinkNonce, inv1.Nonce) {
		t.Errorf("LinkNonce = %q, want the invitation's nonce %q", first.LinkNonce, inv1.Nonce)
	}
	if first.Kind != mail.Invitation || first.To != "ana@example.com" || first.InvitationID != inv1.ID ||
		first.State != mail.Queued || first.Attempts != 0 || !first.CreatedAt.Equal(obT0) || first.Payload.AccountName != "Acme" {
		t.Errorf("Due message = %+v", first)
	}
	if due[2].LinkNonce != nil || due[2].InvitationID != 0 {
		t.Errorf("a message without invitation has nonce %q, invitation %d", due[2].LinkNonce, due[2].InvitationID)
	}

	// Once recorded, a message is no longer due, nor counted by NextDue.
	if err := f.outbox.Record(ctx, m1.ID, mail.Outcome{At: obT0, State: mail.Sent, Reply: "250 ok"}); err != nil {
		t.Fatal(err)
	}
	if next, err := f.outbox.NextDue(ctx); err != nil || !next.Equal(m2.NextAttemptAt) {
		t.Fatalf("NextDue after sending the first = %v, %v; want %v", next, err, m2.NextAttemptAt)
	}
}

func TestOutboxNextDueEmpty(t *testing.T) {
	t.Parallel()
	f := newOutboxFixture(t)
	next, err := f.outbox.NextDue(context.Background())
	if err != nil || !next.IsZero() {
		t.Fatalf("NextDue on an empty outbox = %v, %v; want zero", next, err)
	}
}

// TestOutboxRecord checks that one Record updates the message, adds an
// attempt and a line of the invitation's history together.
func TestOutboxRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	at := obT0.Add(10 * time.Second)
	retry := at.Add(30 * time.Second)
	tests := []struct {
		name      string
		state     mail.State
		next      time.Time
		reply     string
		wantNext  time.Time
		wantError string
		wantSent  bool
		wantEvent invitations.EventKind
		wantDet   string
	}{
		{"sent", mail.Sent, time.Time{}, "250 2.0.0 queued as ABC", at, "", true, invitations.EvDelivered, "250 2.0.0 queued as ABC"},
		{"captured", mail.Captured, time.Time{}, "kept", at, "", true, invitations.EvCaptured, "kept"},
		{"rejected", mail.Failed, time.Time{}, "550 no such user", at, "550 no such user", false, invitations.EvDeliveryFailed, "550 no such user"},
		{"retry", mail.Queued, retry, "451 try later", retry, "451 try later", false, invitations.EvDeliveryFailed, "451 try later (will retry)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newOutboxFixture(t)
			inv, m := f.invite(t, "ana@example.com", obT0)
			if err := f.outbox.Record(ctx, m.ID, mail.Outcome{At: at, State: tt.state, Next: tt.next, Reply: tt.reply}); err != nil {
				t.Fatalf("Record: %v", err)
			}
			got, err := f.outbox.Get(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tt.state || got.Attempts != 1 || got.LastError != tt.wantError || !got.NextAttemptAt.Equal(tt.wantNext) {
				t.Errorf("message = state %s, attempts %d, last error %q, next %v; want %s, 1, %q, %v",
					got.State, got.Attempts, got.LastError, got.NextAttemptAt, tt.state, tt.wantError, tt.wantNext)
			}
			if tt.wantSent != !got.SentAt.IsZero() || (tt.wantSent && !got.SentAt.Equal(at)) {
				t.Errorf("SentAt = %v, want sent %v at %v", got.SentAt, tt.wantSent, at)
			}
			attempts, err := f.outbox.Attempts(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := mail.Attempt{At: at, OK: tt.wantSent, Reply: tt.reply}
			if len(attempts) != 1 || attempts[0] != want {
				t.Errorf("Attempts = %+v, want [%+v]", attempts, want)
			}
			ev := f.events(t, inv.ID)
			last := ev[len(ev)-1]
			if last.Kind != tt.wantEvent || last.Detail != tt.wantDet || !last.At.Equal(at) || last.ActorName != "" {
				t.Errorf("last event = %+v, want %s %q at %v", last, tt.wantEvent, tt.wantDet, at)
			}
		})
	}
}

func TestOutboxRecordRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newOutboxFixture(t)
	inv, m := f.invite(t, "ana@example.com", obT0)
	at := obT0
	for i, next := range []time.Duration{30 * time.Second, time.Minute} {
		if err := f.outbox.Record(ctx, m.ID, mail.Outcome{At: at, State: mail.Queued, Next: at.Add(next), Reply: fmt.Sprintf("451 busy %d", i)}); err != nil {
			t.Fatal(err)
		}
		if due, _ := f.outbox.Due(ctx, at.Add(next-time.Second), 10); len(due) != 0 {
			t.Fatalf("retry %d: due before its next attempt", i)
		}
		due, _ := f.outbox.Due(ctx, at.Add(next), 10)
		if len(due) != 1 || due[0].Attempts != i+1 {
			t.Fatalf("retry %d: Due = %+v, want the message with %d attempts", i, due, i+1)
		}
		at = at.Add(next)
	}
	if err := f.outbox.Record(ctx, m.ID, mail.Outcome{At: at, State: mail.Failed, Reply: "550 gone"}); err != nil {
		t.Fatal(err)
	}
	attempts, _ := f.outbox.Attempts(ctx, m.ID)
	if len(attempts) != 3 || attempts[2].Reply != "550 gone" || attempts[0].Reply != "451 busy 0" {
		t.Errorf("Attempts = %+v", attempts)
	}
	// The history shows the first failure and the outcome, not every retry.
	var kinds []string
	for _, e := range f.events(t, inv.ID) {
		kinds = append(kinds, string(e.Kind)+": "+e.Detail)
	}
	want := []string{"invited: ", "delivery_failed: 451 busy 0 (will retry)", "delivery_failed: 550 gone"}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("history = %q, want %q", kinds, want)
	}
	if next, _ := f.outbox.NextDue(ctx); !next.IsZero() {
		t.Errorf("NextDue after failing = %v, want zero", next)
	}
}

func TestOutboxRecordOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newOutboxFixture(t)
	_, m := f.invite(t, "ana@example.com", obT0)
	if err := f.outbox.Record(ctx, m.ID, mail.Outcome{At: obT0, State: mail.Sent, Reply: "250 ok"}); err != nil {
		t.Fatal(err)
	}
	err := f.outbox.Record(ctx, m.ID, mail.Outcome{At: obT0, State: mail.Sent, Reply: "250 again"})
	if !errs.Is(err, errs.Conflict) {
		t.Fatalf("second Record = %v, want Conflict", err)
	}
	if err := f.outbox.Record(ctx, 9999, mail.Outcome{At: obT0, State: mail.Sent, Reply: "250 ok"}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("Record of a missing message = %v, want Conflict", err)
	}
	if attempts, _ := f.outbox.Attempts(ctx, m.ID); len(attempts) != 1 {
		t.Errorf("a refused Record left %d attempts, want 1", len(attempts))
	}
}

func TestOutboxRecordWithoutInvitation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newOutboxFixture(t)
	id := f.loose(t, "ada@example.com", obT0)
	if err := f.outbox.Record(ctx, id, mail.Outcome{At: obT0, State: mail.Sent, Reply: "250 ok"}); err != nil {
		t.Fatal(err)
	}
	var events int
	f.db.R.QueryRow(`SELECT count(*) FROM invitation_events WHERE kind = 'delivered'`).Scan(&events)
	if events != 0 {
		t.Errorf("%d delivery events for a message without invitation", events)
	}
}

func TestOutboxGetAndRecent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newOutboxFixture(t)
	_, m1 := f.invite(t, "ana@example.com", obT0)
	_, m2 := f.invite(t, "bea@example.com", obT0.Add(time.Minute))
	m3 := f.loose(t, "ada@example.com", obT0.Add(time.Minute))

	recent, err := f.outbox.Recent(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{m3, m2.ID, m1.ID}; fmt.Sprint(ids(recent)) != fmt.Sprint(want) {
		t.Errorf("Recent = %v, want %v (newest first)", ids(recent), want)
	}
	if recent, _ := f.outbox.Recent(ctx, 1); len(recent) != 1 {
		t.Errorf("Recent(1) returned %d", len(recent))
	}
	if recent[2].LinkNonce == nil {
		t.Error("Recent leaves out the nonce the mailbox page needs to show the link")
	}
	if _, err := f.outbox.Get(ctx, 9999); !errs.Is(err, errs.NotFound) {
		t.Errorf("Get of a missing message = %v, want NotFound", err)
	}
}

func TestOutboxWithdrawn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newOutboxFixture(t)
	inv, m := f.invite(t, "ana@example.com", obT0)
	if m.Withdrawn {
		t.Fatal("the email of a pending invitation is marked withdrawn")
	}
	if err := f.invs.Cancel(ctx, inv.ID, f.admin, obT0); err != nil {
		t.Fatal(err)
	}
	due, err := f.outbox.Due(ctx, obT0, 10)
	if err != nil || len(due) != 1 || !due[0].Withdrawn {
		t.Fatalf("Due after cancelling = %+v, %v; want the message, withdrawn", due, err)
	}
}
