package invitations_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	netmail "net/mail"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/smtptest"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/views/emails"
)

const remindBefore = 48 * time.Hour

func (e *env) reminders() *invitations.Reminders {
	return invitations.NewReminders(db.NewInvitationStore(e.db), e.users, e.clock, remindBefore)
}

func (e *env) sendDue(t *testing.T, r *invitations.Reminders, want int) {
	t.Helper()
	n, err := r.SendDue(context.Background())
	if err != nil {
		t.Fatalf("SendDue: %v", err)
	}
	if n != want {
		t.Fatalf("at %v SendDue enqueued %d reminders, want %d", e.clock.Now(), n, want)
	}
}

// reminderRows are the reminders in the outbox: key, recipient, payload.
func (e *env) reminderRows(t *testing.T) []outboxRow {
	t.Helper()
	var out []outboxRow
	rows, err := e.db.R.Query(`SELECT idempotency_key, recipient, payload FROM outbox WHERE idempotency_key LIKE 'remind:%' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.Kind, &r.Recipient, &r.Payload); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestRemindersOncePerLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	r := e.reminders()
	ana, err := e.svc.Invite(ctx, e.actor(t, e.admin), invitations.InviteInput{Email: "ana@example.com", Name: "Ana Silva", Offered: []spaces.Grant{{SpaceID: e.sales, Role: spaces.Member}}})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	bea := e.invite(t, "bea@example.com")

	// Nothing until 48 hours are left.
	e.clock.Set(ana.ExpiresAt.Add(-remindBefore - time.Second))
	e.sendDue(t, r, 0)
	if next, err := r.Produce(ctx); err != nil || !next.Equal(ana.ExpiresAt.Add(-remindBefore)) {
		t.Fatalf("Produce = %v, %v; want the next reminder at %v", next, err, ana.ExpiresAt.Add(-remindBefore))
	}

	e.clock.Set(ana.ExpiresAt.Add(-remindBefore))
	e.sendDue(t, r, 1)
	rows := e.reminderRows(t)
	if len(rows) != 1 || rows[0].Recipient != "ana@example.com" || rows[0].Kind != fmt.Sprintf("remind:%d:%d", ana.ID, ana.ExpiresAt.Unix()) {
		t.Fatalf("reminders %+v", rows)
	}
	var p mail.Payload
	if err := json.Unmarshal([]byte(rows[0].Payload), &p); err != nil {
		t.Fatal(err)
	}
	want := mail.Payload{AccountName: "Acme", InviterName: "Ada", InviteeName: "Ana Silva", InviteeEmail: "ana@example.com", Roles: "Member of Sales", OffersMember: true, ExpiresAt: ana.ExpiresAt, Language: "en",
		Offered: []mail.OfferedRole{{Space: "Sales", Kind: "unit", Role: "member"}}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("payload %+v\nwant    %+v", p, want)
	}
	ev, _ := db.NewInvitationStore(e.db).Events(ctx, ana.ID)
	if last := ev[len(ev)-1]; last.Kind != invitations.EvReminded || last.ActorName != "" {
		t.Errorf("history ends with %+v, want an automatic reminder", last)
	}
	// Once: the next round, or the one after, sends nothing more to Ana.
	e.sendDue(t, r, 0)
	if next, _ := r.Produce(ctx); !next.Equal(bea.ExpiresAt.Add(-remindBefore)) {
		t.Errorf("next reminder at %v, want Bea's at %v", next, bea.ExpiresAt.Add(-remindBefore))
	}
	e.clock.Set(bea.ExpiresAt.Add(-remindBefore))
	e.sendDue(t, r, 1)

	// A resend restarts the link's life, and with it the reminder.
	e.clock.Advance(time.Hour)
	if _, err := e.svc.Resend(ctx, e.actor(t, e.admin), ana.UserID); err != nil {
		t.Fatal(err)
	}
	e.sendDue(t, r, 0)
	_, resent, _, _ := e.svc.Details(ctx, e.actor(t, e.admin), ana.UserID)
	e.clock.Set(resent.ExpiresAt.Add(-remindBefore))
	e.sendDue(t, r, 1)
	rows = e.reminderRows(t)
	if len(rows) != 3 || rows[2].Kind != fmt.Sprintf("remind:%d:%d", ana.ID, resent.ExpiresAt.Unix()) {
		t.Fatalf("reminders after the resend: %+v", rows)
	}
	if next, _ := r.Produce(ctx); !next.IsZero() {
		t.Errorf("next reminder at %v, want none", next)
	}
}

func TestRemindersSkip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		act  func(t *testing.T, e *env, inv invitations.Invitation)
	}{
		{"cancelled", func(t *testing.T, e *env, inv invitations.Invitation) {
			if _, err := e.svc.Cancel(ctx, e.actor(t, e.admin), inv.UserID); err != nil {
				t.Fatal(err)
			}
		}},
		{"accepted", func(t *testing.T, e *env, inv invitations.Invitation) {
			if _, err := e.svc.Accept(ctx, e.token(t, inv.UserID), invitations.AcceptInput{Name: "Ana", Password: password}); err != nil {
				t.Fatal(err)
			}
		}},
		{"deactivated", func(t *testing.T, e *env, inv invitations.Invitation) { e.setDeactivated(t, inv.UserID) }},
		{"expired", func(t *testing.T, e *env, inv invitations.Invitation) { e.clock.Set(inv.ExpiresAt) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			inv := e.invite(t, "ana@example.com")
			tt.act(t, e, inv)
			if e.clock.Now().Before(inv.ExpiresAt) {
				e.clock.Set(inv.ExpiresAt.Add(-time.Second))
			}
			r := e.reminders()
			e.sendDue(t, r, 0)
			if next, err := r.Produce(ctx); err != nil || !next.IsZero() {
				t.Errorf("Produce = %v, %v; want nothing to wait for", next, err)
			}
		})
	}
}

func TestRemindersOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inv := e.invite(t, "ana@example.com")
	e.clock.Set(inv.ExpiresAt.Add(-time.Minute))
	r := invitations.NewReminders(db.NewInvitationStore(e.db), e.users, e.clock, 0)
	e.sendDue(t, r, 0)
	if next, err := r.Produce(context.Background()); err != nil || !next.IsZero() {
		t.Errorf("Produce = %v, %v", next, err)
	}
}

// Two senders (say, a restarted process and the old one finishing) race to
// remind: one reminder.
func TestRemindersConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inv := e.invite(t, "ana@example.com")
	e.clock.Set(inv.ExpiresAt.Add(-remindBefore))
	done := make(chan int)
	for range 4 {
		go func() {
			n, err := e.reminders().SendDue(context.Background())
			if err != nil {
				t.Error(err)
			}
			done <- n
		}()
	}
	total := 0
	for range 4 {
		total += <-done
	}
	if total != 1 || len(e.reminderRows(t)) != 1 {
		t.Errorf("%d reminders enqueued, %d in the outbox; want 1", total, len(e.reminderRows(t)))
	}
}

// Through the sender, on the fake clock: the reminder arrives once, with
// the link of the invitation.
func TestReminderEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	server := smtptest.Start(t)
	tr, err := mail.NewSMTP(server.URL(), &netmail.Address{Name: "Usher", Address: "no-reply@usher.example"})
	if err != nil {
		t.Fatal(err)
	}
	sender := mail.NewSender(db.NewOutboxStore(e.db), tr, emails.Renderer{}, e.svc.LinkFor, e.clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	sender.AddProducer(e.reminders())
	inv := e.invite(t, "ana@example.com")
	flush := func(want int) {
		t.Helper()
		if n, err := sender.Flush(ctx); err != nil || n != want {
			t.Fatalf("Flush = %d, %v; want %d", n, err, want)
		}
	}
	flush(1)
	e.clock.Set(inv.ExpiresAt.Add(-remindBefore))
	flush(1)
	e.clock.Advance(time.Hour)
	flush(0)

	got := server.To("ana@example.com")
	if len(got) != 2 {
		t.Fatalf("ana received %d emails, want the invitation and one reminder", len(got))
	}
	link := e.svc.LinkFor(inv.Nonce)
	for i, m := range got {
		if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, link) {
			t.Errorf("email %d lacks the invitation's link %s", i+1, link)
		}
	}
	if s := got[1].Header("Subject"); !strings.HasPrefix(s, "Reminder:") {
		t.Errorf("subject %q, want a reminder", s)
	}
	ev, _ := db.NewInvitationStore(e.db).Events(ctx, inv.ID)
	var kinds []invitations.EventKind
	for _, x := range ev {
		kinds = append(kinds, x.Kind)
	}
	if want := []invitations.EventKind{invitations.EvInvited, invitations.EvDelivered, invitations.EvReminded, invitations.EvDelivered}; !slices.Equal(kinds, want) {
		t.Errorf("history %v, want %v", kinds, want)
	}
}
