package db

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
)

func reminderFor(inv invitations.Invitation) mail.Outgoing {
	return mail.Outgoing{Key: fmt.Sprintf("remind:%d:%d", inv.ID, inv.ExpiresAt.Unix()), Kind: mail.Reminder, To: inv.Email, InvitationID: inv.ID}
}

func TestDueReminders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	sales := f.space(t, spaces.Unit, "Sales", 0)
	ana := f.invite(t, "ana@example.com", spaces.Grant{SpaceID: sales, Role: spaces.Admin})
	f.clock.Advance(time.Hour)
	bea := f.invite(t, "bea@example.com")
	const before = 48 * time.Hour

	due := func(at time.Time) []string {
		t.Helper()
		ds, err := f.invs.DueReminders(ctx, at, before, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range ds {
			out = append(out, d.Invitation.Email)
		}
		return out
	}
	if got := due(ana.ExpiresAt.Add(-before - time.Second)); len(got) != 0 {
		t.Errorf("due a second early: %v", got)
	}
	if got := due(bea.ExpiresAt.Add(-before)); fmt.Sprint(got) != "[ana@example.com bea@example.com]" {
		t.Errorf("due = %v, want both, soonest expiry first", got)
	}
	ds, _ := f.invs.DueReminders(ctx, ana.ExpiresAt.Add(-before), before, 10)
	if len(ds) != 1 || ds[0].Invitation.ID != ana.ID || len(ds[0].Invitation.Offered) != 1 || ds[0].Invitation.Offered[0].SpaceName != "Sales" {
		t.Fatalf("DueReminders = %+v, want Ana's invitation with its roles", ds)
	}
	if got := due(ana.ExpiresAt); fmt.Sprint(got) != "[bea@example.com]" {
		t.Errorf("due once Ana's expired = %v", got)
	}
	next, err := f.invs.NextReminder(ctx, t0, before)
	if err != nil || !next.Equal(ana.ExpiresAt.Add(-before)) {
		t.Errorf("NextReminder = %v, %v; want %v", next, err, ana.ExpiresAt.Add(-before))
	}

	now := ana.ExpiresAt.Add(-before)
	// A stale expiry (a resend moved it meanwhile) reminds nothing.
	if ok, err := f.invs.Remind(ctx, ana.ID, ana.ExpiresAt.Add(-time.Hour), now, reminderFor(ana)); ok || err != nil {
		t.Fatalf("Remind with a stale expiry = %v, %v", ok, err)
	}
	if ok, err := f.invs.Remind(ctx, ana.ID, ana.ExpiresAt, now, reminderFor(ana)); !ok || err != nil {
		t.Fatalf("Remind = %v, %v", ok, err)
	}
	if ok, err := f.invs.Remind(ctx, ana.ID, ana.ExpiresAt, now, reminderFor(ana)); ok || err != nil {
		t.Fatalf("second Remind = %v, %v; want nothing done", ok, err)
	}
	if got := outboxKinds(t, f.db, ana.ID); fmt.Sprint(got) != "[invitation reminder]" {
		t.Errorf("Ana's outbox: %v", got)
	}
	var reminded int64
	f.db.R.QueryRow(`SELECT coalesce(reminded_at, 0) FROM invitations WHERE id = ?`, ana.ID).Scan(&reminded)
	if reminded != now.Unix() {
		t.Errorf("reminded_at = %d, want %d", reminded, now.Unix())
	}
	ev, _ := f.invs.Events(ctx, ana.ID)
	if n := len(ev); n == 0 || ev[n-1].Kind != invitations.EvReminded {
		t.Errorf("history %+v, want it to end with reminded", ev)
	}
	if got := due(now); len(got) != 0 {
		t.Errorf("due after reminding = %v", got)
	}
	if next, _ := f.invs.NextReminder(ctx, now, before); !next.Equal(bea.ExpiresAt.Add(-before)) {
		t.Errorf("NextReminder = %v, want Bea's", next)
	}

	// Resend clears reminded_at: the new expiry gets its own reminder.
	f.clock.Set(now.Add(time.Hour))
	newExpiry := f.clock.Now().Add(ttl)
	if err := f.invs.Resend(ctx, ana.ID, f.admin, f.clock.Now(), f.clock.Now(), newExpiry, f.budget(), mail.Outgoing{Key: "resend", Kind: mail.Reminder, To: ana.Email, InvitationID: ana.ID}); err != nil {
		t.Fatal(err)
	}
	if got := due(newExpiry.Add(-before)); fmt.Sprint(got) != "[ana@example.com]" {
		t.Errorf("due after the resend = %v", got)
	}
}
