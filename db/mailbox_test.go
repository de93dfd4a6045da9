package db

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/mail"
)

// The built-in mailbox reads a page at a time, newest first, and finds
// messages by recipient or by the subject kept when each was written,
// any ASCII case, % and _ meaning themselves.
func TestOutboxMailbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	for i := range 120 {
		kind := mail.Invitation
		if i%3 == 0 {
			kind = mail.Reminder
		}
		p := mail.Payload{AccountName: "Acme", InviterName: "Ada", InviteeEmail: fmt.Sprintf("p%03d@example.com", i)}
		if err := enqueue(ctx, f.db.W, mail.Outgoing{Key: fmt.Sprint(i), Kind: kind, To: p.InviteeEmail, Payload: p}, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	s := NewOutboxStore(f.db)
	page := func(search string, n int) ([]string, int) {
		t.Helper()
		res, err := s.Mailbox(ctx, mail.BoxFilter{Search: search, Page: n})
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, m := range res.Messages {
			to = append(to, m.To)
		}
		return to, res.Total
	}
	first, total := page("", 1)
	if total != 120 || len(first) != mail.BoxPerPage || first[0] != "p119@example.com" {
		t.Errorf("first page: %d of %d, starting %v", len(first), total, first[:1])
	}
	if third, _ := page("", 3); len(third) != 20 || third[19] != "p000@example.com" {
		t.Errorf("third page: %v", third)
	}
	if to, total := page("P00", 1); total != 10 || !slices.Equal(to[:2], []string{"p009@example.com", "p008@example.com"}) {
		t.Errorf("search by recipient: %v of %d", to, total)
	}
	if to, total := page("reminder: your", 1); total != 40 || to[0] != "p117@example.com" {
		t.Errorf("search by subject: %d, first %v", total, to[:1])
	}
	if to, total := page("ADA INVITED", 3); total != 80 || len(to) != 0 {
		t.Errorf("past the last page of a search: %v of %d", to, total)
	}
	if _, total := page("%", 1); total != 0 {
		t.Errorf("%% matched %d, want none", total)
	}
	res, _ := s.Mailbox(ctx, mail.BoxFilter{Page: 1})
	if got := res.Messages[0].Subject; got != "Ada invited you to join Acme" {
		t.Errorf("kept subject %q", got)
	}
}

// Migration 0009 gives the messages from before it their subject, as
// mail.Subject words it.
func TestMigration0009SubjectsOfExistingMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := provider(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	payloads := map[mail.Kind]mail.Payload{
		mail.Invitation:     {AccountName: "Acme", InviterName: "Ada", InviteeEmail: "a@example.com"},
		mail.Reminder:       {AccountName: "Acme", InviteeEmail: "b@example.com"},
		mail.NewInvitation:  {AccountName: "Acme", InviteeEmail: "c@example.com"},
		mail.RenewalRequest: {AccountName: "Acme", InviterName: "Ada", InviteeEmail: "d@example.com", InviteeName: "Dee"},
		"invitation_noname": {AccountName: "Acme", InviteeEmail: "e@example.com"},
	}
	for kind, pl := range payloads {
		b, _ := json.Marshal(pl)
		k := kind
		if k == "invitation_noname" {
			k = mail.Invitation
		}
		if _, err := d.W.Exec(`INSERT INTO outbox (idempotency_key, kind, recipient, payload, state, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'captured', 0, 0)`, string(kind), k, pl.InviteeEmail, string(b)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := d.R.Query(`SELECT idempotency_key, kind, payload, subject FROM outbox`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var key, payload, subject string
		var kind mail.Kind
		if err := rows.Scan(&key, &kind, &payload, &subject); err != nil {
			t.Fatal(err)
		}
		var pl mail.Payload
		if err := json.Unmarshal([]byte(payload), &pl); err != nil {
			t.Fatal(err)
		}
		if want := mail.Subject(kind, pl); subject != want || want == "" {
			t.Errorf("%s: subject %q, want %q", key, subject, want)
		}
		n++
	}
	if n != len(payloads) {
		t.Errorf("%d messages", n)
	}
}
