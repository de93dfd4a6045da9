package mail_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/dbtest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/smtptest"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/emails"
)

// t0 is a whole second, so times survive the round trip through Unix seconds.
var t0 = time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC)

// waitFor bounds how long a test waits for something that should happen at
// once; it only decides how a broken test fails, never whether it passes.
const waitFor = 10 * time.Second

func linkFor(nonce []byte) string {
	return "https://usher.example/invite/" + base64.RawURLEncoding.EncodeToString(nonce)
}

// rig is a sender wired as in production: a real SQLite outbox, the email
// views, and SMTP to an in-process server, on a fake clock.
type rig struct {
	dir     string // the data folder, to reopen the database as after a restart
	db      *db.DB
	outbox  *db.OutboxStore
	invs    *db.InvitationStore
	clock   *clock.Fake
	server  *smtptest.Server
	smtp    *mail.SMTP
	sender  *mail.Sender
	logs    *bytes.Buffer
	admin   users.User
	account int64
	n       int
}

func newRig(t testing.TB, opts ...smtptest.Option) *rig {
	t.Helper()
	dir := t.TempDir()
	d := dbtest.Open(t, dir)
	admin, err := db.NewUserStore(d).CreateAccountAdmin(context.Background(), "Acme", "admin@example.com", "Ada Admin", "hash", t0, true)
	if err != nil {
		t.Fatalf("CreateAccountAdmin: %v", err)
	}
	r := &rig{dir: dir, db: d, outbox: db.NewOutboxStore(d), invs: db.NewInvitationStore(d), clock: clock.NewFake(t0), admin: admin, logs: &bytes.Buffer{}}
	if err := d.R.QueryRow(`SELECT id FROM spaces WHERE kind = 'account'`).Scan(&r.account); err != nil {
		t.Fatal(err)
	}
	r.server = smtptest.Start(t, opts...)
	r.smtp, err = mail.NewSMTP(r.server.URL(), &netmail.Address{Name: "Usher", Address: "no-reply@usher.example"})
	if err != nil {
		t.Fatal(err)
	}
	r.smtp.Timeout = waitFor
	r.sender = r.newSender(r.smtp)
	return r
}

func (r *rig) newSender(tr mail.Transport) *mail.Sender {
	s := mail.NewSender(r.outbox, tr, emails.Renderer{}, linkFor, r.clock, slog.New(slog.NewTextHandler(r.logs, nil)))
	s.Jitter = func() float64 { return 0.5 } // no spread: exact retry times
	return s
}

// newSenderOn is a sender over SMTP with another outbox store.
func (r *rig) newSenderOn(store mail.Store) *mail.Sender {
	s := mail.NewSender(store, r.smtp, emails.Renderer{}, linkFor, r.clock, slog.New(slog.NewTextHandler(r.logs, nil)))
	s.Jitter = func() float64 { return 0.5 }
	return s
}

// invite writes an invitation, and so its email, at the clock's time.
func (r *rig) invite(t testing.TB, email string, p mail.Payload) (invitations.Invitation, int64) {
	t.Helper()
	r.n++
	now := r.clock.Now()
	nonce := []byte(fmt.Sprintf("nonce-%04d------", r.n))
	h := sha256.Sum256(nonce)
	c := invitations.Create{
		Email: email, InvitedBy: r.admin.ID, InviterName: r.admin.DisplayName(), Nonce: nonce, TokenHash: h[:],
		Offered: []spaces.Grant{{SpaceID: r.account, Role: spaces.Member}}, Now: now, ExpiresAt: now.Add(7 * 24 * time.Hour), Kind: mail.Invitation,
	}
	if p.AccountName == "" {
		p.AccountName = "Acme"
	}
	if p.InviterName == "" {
		p.InviterName = r.admin.DisplayName()
	}
	p.InviteeEmail, p.Roles, p.ExpiresAt = email, "Member", c.ExpiresAt
	out, err := r.invs.Create(context.Background(), []invitations.Create{c}, r.budget(), func(inv invitations.Invitation) mail.Outgoing {
		return mail.Outgoing{Key: fmt.Sprintf("send:%d", inv.ID), Kind: mail.Invitation, To: inv.Email, InvitationID: inv.ID, Payload: p}
	})
	if err != nil || out[0].Existing != nil {
		t.Fatalf("Create %s: %v", email, err)
	}
	inv := out[0].Invitation
	var id int64
	if err := r.db.R.QueryRow(`SELECT id FROM outbox WHERE invitation_id = ?`, inv.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return inv, id
}

// budget is the administrator's, at the default limit.
func (r *rig) budget() invitations.Budget {
	return invitations.Budget{Actor: r.admin.ID, Max: invitations.DefaultSendLimit, Window: invitations.SendWindow}
}

func (r *rig) message(t testing.TB, id int64) mail.Message {
	t.Helper()
	m, err := r.outbox.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (r *rig) flush(t testing.TB, want int) {
	t.Helper()
	n, err := r.sender.Flush(context.Background())
	if err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if n != want {
		t.Fatalf("Flush attempted %d messages, want %d", n, want)
	}
}

func (r *rig) lastEvent(t *testing.T, invID int64) invitations.Event {
	t.Helper()
	ev, err := r.invs.Events(context.Background(), invID)
	if err != nil || len(ev) == 0 {
		t.Fatalf("Events = %v, %v", ev, err)
	}
	return ev[len(ev)-1]
}

// parsed is a received message taken apart.
type parsed struct {
	header     netmail.Header
	headerText string // the raw header block
	text, html string
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	var p parsed
	head, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no end of headers in %q", raw)
	}
	p.headerText = string(head) + "\r\n"
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("reading message: %v", err)
	}
	p.header = m.Header
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(part) // quoted-printable is decoded by NextPart
		switch ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct {
		case "text/plain":
			p.text = string(body)
		case "text/html":
			p.html = string(body)
		}
	}
	return p
}

func TestSenderDelivers(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	inv, id := r.invite(t, "ana@example.com", mail.Payload{InviteeName: "Ana Silva"})
	r.flush(t, 1)

	got := r.server.Messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	msg := got[0]
	if msg.From != "no-reply@usher.example" || !slices.Equal(msg.To, []string{"ana@example.com"}) {
		t.Errorf("envelope: MAIL FROM %q, RCPT TO %q", msg.From, msg.To)
	}
	link := linkFor(inv.Nonce)
	if !bytes.Contains(msg.Raw, []byte(link)) {
		t.Errorf("raw message does not contain the link %s", link)
	}
	p := parse(t, msg.Raw)
	subject, _ := new(mime.WordDecoder).DecodeHeader(p.header.Get("Subject"))
	from, _ := p.header.AddressList("From")
	to, _ := p.header.AddressList("To")
	checks := []struct {
		name string
		ok   bool
	}{
		{"Subject " + subject, subject == "Ada Admin invited you to join Acme"},
		{"From " + p.header.Get("From"), len(from) == 1 && from[0].Name == "Usher" && from[0].Address == "no-reply@usher.example"},
		{"To " + p.header.Get("To"), len(to) == 1 && to[0].Name == "" && to[0].Address == "ana@example.com"},
		{"Message-Id " + p.header.Get("Message-Id"), strings.HasSuffix(p.header.Get("Message-Id"), "@usher.example>")},
		{"Date", p.header.Get("Date") != ""},
		{"Auto-Submitted", p.header.Get("Auto-Submitted") == "auto-generated"},
		{"text part has the link", strings.Contains(p.text, link)},
		{"HTML part links to it", strings.Contains(p.html, `href="`+link+`"`)},
		{"text part greets by name", strings.Contains(p.text, "Hello Ana Silva,")},
		{"text part has the expiry", strings.Contains(p.text, "Monday 30 November 2026 at 14:05 UTC")},
		{"HTML has a language", strings.Contains(p.html, `<html lang="en">`)},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: wrong", c.name)
		}
	}

	m := r.message(t, id)
	if m.State != mail.Sent || m.Attempts != 1 || !m.SentAt.Equal(t0) || m.LastError != "" {
		t.Errorf("after delivery: state %s, attempts %d, sent %v, error %q", m.State, m.Attempts, m.SentAt, m.LastError)
	}
	if ev := r.lastEvent(t, inv.ID); ev.Kind != invitations.EvDelivered || !strings.HasPrefix(ev.Detail, "250 ") {
		t.Errorf("history ends with %s %q, want delivered with the server's 250 reply", ev.Kind, ev.Detail)
	}
	r.flush(t, 0) // never sent twice
	if n := len(r.server.Messages()); n != 1 {
		t.Errorf("server received %d messages after a second Flush, want 1", n)
	}
}

// freeAddr is an address where nothing listens.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestSenderRetriesTemporaryFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, r *rig)
		reply string
	}{
		{"421 at MAIL", func(t *testing.T, r *rig) { r.server.Refuse(smtptest.Mail, 421, "Service not available") }, "421 Service not available"},
		{"451 at RCPT", func(t *testing.T, r *rig) { r.server.Refuse(smtptest.Rcpt, 451, "Greylisted") }, "451 Greylisted"},
		{"451 at DATA", func(t *testing.T, r *rig) { r.server.Refuse(smtptest.Data, 451, "Local error") }, "451 Local error"},
		{"connection refused", func(t *testing.T, r *rig) {
			u, _ := url.Parse("smtp://" + freeAddr(t))
			tr, _ := mail.NewSMTP(u, &netmail.Address{Address: "no-reply@usher.example"})
			r.sender = r.newSender(tr)
		}, "Could not connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			tt.setup(t, r)
			inv, id := r.invite(t, "ana@example.com", mail.Payload{})
			want := 30 * time.Second
			for attempt := 1; attempt <= 4; attempt++ {
				at := r.clock.Now()
				r.flush(t, 1)
				m := r.message(t, id)
				if m.State != mail.Queued || m.Attempts != attempt || !strings.HasPrefix(m.LastError, tt.reply) {
					t.Fatalf("attempt %d: state %s, attempts %d, error %q; want queued, %d, %q…", attempt, m.State, m.Attempts, m.LastError, attempt, tt.reply)
				}
				if got := m.NextAttemptAt.Sub(at); got != want {
					t.Fatalf("attempt %d: next attempt after %s, want %s", attempt, got, want)
				}
				r.clock.Set(m.NextAttemptAt.Add(-time.Second))
				r.flush(t, 0) // not due yet
				r.clock.Set(m.NextAttemptAt)
				want *= 2
			}
			if ev := r.lastEvent(t, inv.ID); ev.Kind != invitations.EvDeliveryFailed || !strings.Contains(ev.Detail, "will retry") {
				t.Errorf("history ends with %s %q, want the first failure", ev.Kind, ev.Detail)
			}

			// The server recovers: the next attempt delivers.
			r.server.Reset()
			r.sender = r.newSender(r.smtp)
			r.flush(t, 1)
			if m := r.message(t, id); m.State != mail.Sent || m.Attempts != 5 {
				t.Errorf("after recovery: state %s, attempts %d; want sent, 5", m.State, m.Attempts)
			}
			attempts, _ := r.outbox.Attempts(context.Background(), id)
			if len(attempts) != 5 || !attempts[4].OK || attempts[0].OK {
				t.Errorf("Attempts = %+v", attempts)
			}
		})
	}
}

func TestSenderGivesUpAfterADay(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.server.Refuse(smtptest.Data, 451, "Try again later")
	inv, id := r.invite(t, "ana@example.com", mail.Payload{})
	var m mail.Message
	for i := 0; i < 100; i++ {
		r.flush(t, 1)
		m = r.message(t, id)
		if m.State != mail.Queued {
			break
		}
		if m.NextAttemptAt.After(t0.Add(24 * time.Hour)) {
			t.Fatalf("next attempt %v is past the day", m.NextAttemptAt)
		}
		r.clock.Set(m.NextAttemptAt)
	}
	// 30s, 1m, … 32m, then hourly, and a last try when the day is up.
	if m.State != mail.Failed || m.Attempts != 31 || !r.clock.Now().Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("state %s after %d attempts at %v; want failed after 31, at %v", m.State, m.Attempts, r.clock.Now(), t0.Add(24*time.Hour))
	}
	if ev := r.lastEvent(t, inv.ID); ev.Kind != invitations.EvDeliveryFailed || ev.Detail != "451 Try again later" {
		t.Errorf("history ends with %s %q", ev.Kind, ev.Detail)
	}
	r.clock.Advance(time.Hour)
	r.flush(t, 0)
}

func TestSenderFailsPermanentRejections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		phase smtptest.Phase
		code  int
		msg   string
	}{
		{smtptest.Mail, 553, "Sender not allowed"},
		{smtptest.Rcpt, 550, "No such user"},
		{smtptest.Data, 554, "Message rejected as spam"},
	}
	for _, tt := range tests {
		reply := fmt.Sprintf("%d %s", tt.code, tt.msg)
		t.Run(reply, func(t *testing.T) {
			r := newRig(t)
			r.server.Refuse(tt.phase, tt.code, tt.msg)
			inv, id := r.invite(t, "ana@example.com", mail.Payload{})
			r.flush(t, 1)
			m := r.message(t, id)
			if m.State != mail.Failed || m.Attempts != 1 || m.LastError != reply {
				t.Fatalf("state %s, attempts %d, error %q; want failed, 1, %q", m.State, m.Attempts, m.LastError, reply)
			}
			if ev := r.lastEvent(t, inv.ID); ev.Kind != invitations.EvDeliveryFailed || ev.Detail != reply {
				t.Errorf("history ends with %s %q", ev.Kind, ev.Detail)
			}
			r.clock.Advance(48 * time.Hour)
			r.flush(t, 0)
			if attempts, _ := r.outbox.Attempts(context.Background(), id); len(attempts) != 1 {
				t.Errorf("%d attempts, want 1", len(attempts))
			}
		})
	}
}

func TestSMTPTimesOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		addr  func(t *testing.T, r *rig) string
		reply string
	}{
		{"silent at greeting", func(t *testing.T, r *rig) string { r.server.Hold(smtptest.Greeting); return r.server.Addr() }, "did not greet us"},
		{"no answer to MAIL", func(t *testing.T, r *rig) string { r.server.Hold(smtptest.Mail); return r.server.Addr() }, "stopped answering"},
		{"no answer to DATA", func(t *testing.T, r *rig) string { r.server.Hold(smtptest.Data); return r.server.Addr() }, "stopped answering"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			u, _ := url.Parse("smtp://" + tt.addr(t, r))
			tr, err := mail.NewSMTP(u, &netmail.Address{Address: "no-reply@usher.example"})
			if err != nil {
				t.Fatal(err)
			}
			tr.Timeout = 200 * time.Millisecond

			_, err = tr.Send(context.Background(), "ana@example.com", mail.Rendered{Subject: "Hi", Text: "Hello"})
			var se *mail.SendError
			if !errors.As(err, &se) || se.Permanent || !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Send = %#v; want a temporary *SendError that timed out", err)
			}
			if !strings.Contains(se.Reply, tt.reply) || !strings.Contains(se.Reply, "no answer within 200ms") {
				t.Errorf("reply %q, want it to say %q and the timeout", se.Reply, tt.reply)
			}

			// Through the sender, the message waits for another try.
			r.sender = r.newSender(tr)
			_, id := r.invite(t, "ana@example.com", mail.Payload{})
			r.flush(t, 1)
			if m := r.message(t, id); m.State != mail.Queued || !strings.Contains(m.LastError, "no answer within") {
				t.Errorf("state %s, error %q; want queued after a timeout", m.State, m.LastError)
			}
		})
	}
}

func TestHeaderInjection(t *testing.T) {
	t.Parallel()
	const evil = "\r\nBcc: evil@example.com"
	r := newRig(t)
	r.smtp.From = &netmail.Address{Name: "Usher" + evil, Address: "no-reply@usher.example"}
	inv, id := r.invite(t, "ana@example.com", mail.Payload{AccountName: "Acme" + evil, InviterName: "Ada" + evil, InviteeName: "Ana" + evil})
	r.flush(t, 1)
	got := r.server.Messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages (state %s)", len(got), r.message(t, id).State)
	}
	if rcpts := r.server.Rcpts(); !slices.Equal(rcpts, []string{"ana@example.com"}) {
		t.Errorf("RCPT TO %q, want only ana@example.com", rcpts)
	}
	p := parse(t, got[0].Raw)
	for _, line := range strings.Split(p.headerText, "\r\n") {
		name, _, _ := strings.Cut(line, ":")
		if n := strings.ToLower(strings.TrimSpace(name)); n == "bcc" || n == "cc" {
			t.Errorf("header line %q was added", line)
		}
	}
	if p.header.Get("Bcc") != "" || p.header.Get("Cc") != "" {
		t.Errorf("Bcc %q, Cc %q, want none", p.header.Get("Bcc"), p.header.Get("Cc"))
	}
	if to, _ := p.header.AddressList("To"); len(to) != 1 || to[0].Address != "ana@example.com" {
		t.Errorf("To = %q", p.header.Get("To"))
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(p.header.Get("Subject"))
	if strings.ContainsAny(subject, "\r\n") || !strings.Contains(subject, "evil@example.com") {
		t.Errorf("Subject %q: want the name kept on one line", subject)
	}
	if !strings.Contains(p.text, linkFor(inv.Nonce)) {
		t.Error("the message lost its link")
	}

	// A recipient that tries to carry a second one is refused before the server sees it.
	res, err := r.db.W.Exec(`INSERT INTO outbox (idempotency_key, kind, recipient, payload, state, next_attempt_at, created_at)
		VALUES ('evil', 'renewal_request', ?, '{"account_name":"Acme"}', 'queued', ?, ?)`,
		"ana@example.com>\r\nRCPT TO:<evil@example.com", t0.Unix(), t0.Unix())
	if err != nil {
		t.Fatal(err)
	}
	evilID, _ := res.LastInsertId()
	r.flush(t, 1)
	if m := r.message(t, evilID); m.State != mail.Failed {
		t.Errorf("a recipient with a line break: state %s, want failed", m.State)
	}
	if rcpts := r.server.Rcpts(); len(rcpts) != 1 {
		t.Errorf("RCPT TO %q, want only the first message's", rcpts)
	}
}

func TestSenderMailbox(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.sender = r.newSender(mail.Mailbox{})
	inv, id := r.invite(t, "ana@example.com", mail.Payload{})
	r.flush(t, 1)
	m := r.message(t, id)
	if m.State != mail.Captured || m.Attempts != 1 || m.SentAt.IsZero() {
		t.Errorf("state %s, attempts %d, sent %v; want captured", m.State, m.Attempts, m.SentAt)
	}
	if ev := r.lastEvent(t, inv.ID); ev.Kind != invitations.EvCaptured {
		t.Errorf("history ends with %s, want captured", ev.Kind)
	}
	logs := r.logs.String()
	for _, want := range []string{"link=" + linkFor(inv.Nonce), "to=ana@example.com", `subject="Ada Admin invited you to join Acme"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	if len(r.server.Messages()) != 0 {
		t.Error("the mailbox sent a message over SMTP")
	}
}

// TestSenderFinishesSendOnShutdown cancels Run (SIGTERM) while the server
// holds its reply to a message's DATA: that message is still delivered
// and recorded, the ones after it stay queued, untouched, and Run returns.
func TestSenderFinishesSendOnShutdown(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ids := r.inviteMany(t, 4)
	r.server.Hold(smtptest.Data)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		r.sender.Run(ctx)
		close(done)
	}()
	select {
	case <-r.server.Held():
	case <-time.After(waitFor):
		t.Fatal("the sender never sent the first message")
	}
	cancel()
	r.server.Release()
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Run did not return after its context was cancelled")
	}
	if m := r.message(t, ids[0]); m.State != mail.Sent || m.Attempts != 1 {
		t.Errorf("the message in flight at shutdown: state %s, attempts %d; want sent", m.State, m.Attempts)
	}
	for _, id := range ids[1:] {
		if m := r.message(t, id); m.State != mail.Queued || m.Attempts != 0 {
			t.Errorf("email %d: state %s, attempts %d; want queued, untouched", id, m.State, m.Attempts)
		}
	}
	if n := len(r.server.Messages()); n != 1 {
		t.Errorf("server received %d messages, want 1", n)
	}

	// The next start sends the rest.
	r.sender = r.newSender(r.smtp)
	r.flush(t, 3)
}

func TestSenderNotify(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.sender.Notify()
	r.sender.Notify() // never blocks, even with nobody listening

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		r.sender.Run(ctx)
		close(done)
	}()
	defer func() {
		cancel()
		<-done
	}()
	for i, email := range []string{"ana@example.com", "bea@example.com"} {
		r.invite(t, email, mail.Payload{})
		r.sender.Notify()
		// Without Notify the loop would sleep for a minute.
		r.server.Await(t, i+1, waitFor)
	}
}

func TestSMTPSecurity(t *testing.T) {
	cert, pool := smtptest.SelfSigned(t)
	tests := []struct {
		name      string
		opts      []smtptest.Option
		url       string // %s is the server's address
		wantErr   string // "" for success
		wantLogin bool
		untrusted bool // the client does not trust the server's certificate
	}{
		{"STARTTLS and login", []smtptest.Option{smtptest.WithTLS(cert), smtptest.WithUser("usher", "s3cret")}, "smtp://usher:s3cret@%s", "", true, false},
		{"STARTTLS required and offered", []smtptest.Option{smtptest.WithTLS(cert)}, "smtp://%s?tls=required", "", false, false},
		{"implicit TLS", []smtptest.Option{smtptest.WithImplicitTLS(cert), smtptest.WithUser("usher", "s3cret")}, "smtps://usher:s3cret@%s", "", true, false},
		{"STARTTLS required, not offered", nil, "smtp://%s?tls=required", "does not offer STARTTLS", false, false},
		{"wrong password", []smtptest.Option{smtptest.WithTLS(cert), smtptest.WithUser("usher", "s3cret")}, "smtp://usher:wrong@%s", "refused our login", false, false},
		{"credentials, no AUTH", []smtptest.Option{smtptest.WithTLS(cert)}, "smtp://usher:s3cret@%s", "does not offer AUTH", false, false},
		{"STARTTLS, certificate not trusted", []smtptest.Option{smtptest.WithTLS(cert), smtptest.WithUser("usher", "s3cret")}, "smtp://usher:s3cret@%s", "STARTTLS with the mail server", false, true},
		{"STARTTLS required, certificate not trusted", []smtptest.Option{smtptest.WithTLS(cert)}, "smtp://%s?tls=required", "STARTTLS with the mail server", false, true},
		{"implicit TLS, certificate not trusted", []smtptest.Option{smtptest.WithImplicitTLS(cert), smtptest.WithUser("usher", "s3cret")}, "smtps://usher:s3cret@%s", "TLS with the mail server", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := smtptest.Start(t, tt.opts...)
			u, err := url.Parse(fmt.Sprintf(tt.url, ts.Addr()))
			if err != nil {
				t.Fatal(err)
			}
			tr, err := mail.NewSMTP(u, &netmail.Address{Address: "no-reply@usher.example"})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.untrusted {
				tr.TLSConfig = &tls.Config{RootCAs: pool}
			}
			tr.Timeout = waitFor
			reply, err := tr.Send(context.Background(), "ana@example.com", mail.Rendered{Subject: "Hi", Text: "Hello", HTML: "<p>Hello</p>"})
			if tt.wantErr == "" {
				if err != nil || !strings.HasPrefix(reply, "250 ") {
					t.Fatalf("Send = %q, %v", reply, err)
				}
				got := ts.Messages()
				if len(got) != 1 {
					t.Fatal("server received nothing")
				}
				if wantTLS := len(tt.opts) > 0; got[0].TLS != wantTLS {
					t.Errorf("message came over TLS: %v, want %v", got[0].TLS, wantTLS)
				}
			} else {
				if n := len(ts.Rcpts()); n != 0 {
					t.Errorf("the server was offered %d recipients, want none", n)
				}
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || mail.IsPermanent(err) {
					t.Fatalf("Send error = %v, want a temporary error saying %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "wrong") {
					t.Errorf("error %q shows the password", err)
				}
			}
			logins := ts.Logins()
			if tt.wantLogin != (len(logins) == 1) {
				t.Errorf("logins %q, want login %v", logins, tt.wantLogin)
			}
		})
	}
}

// TestSenderSkipsWithdrawnInvitations: an email still queued (say, SMTP was
// down) when its invitation is cancelled must not deliver a dead link.
func TestSenderSkipsWithdrawnInvitations(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	inv, id := r.invite(t, "ana@example.com", mail.Payload{})
	if err := r.invs.Cancel(context.Background(), inv.ID, r.admin, t0); err != nil {
		t.Fatal(err)
	}
	r.flush(t, 1)
	if m := r.message(t, id); m.State != mail.Failed || !strings.Contains(m.LastError, "cancelled") {
		t.Errorf("state %s, error %q; want failed, saying why", m.State, m.LastError)
	}
	if n := len(r.server.Rcpts()); n != 0 {
		t.Errorf("the server was offered %d recipients, want none", n)
	}
	if ev := r.lastEvent(t, inv.ID); ev.Kind != invitations.EvDeliveryFailed {
		t.Errorf("history ends with %s, want delivery_failed", ev.Kind)
	}
}

// TestCredentialsNeverLogged runs deliveries that log in, fail to log in,
// and are refused, and searches everything logged and stored for the
// password, plain or as AUTH PLAIN sends it.
func TestCredentialsNeverLogged(t *testing.T) {
	t.Parallel()
	cert, pool := smtptest.SelfSigned(t)
	const user, pass = "usher", "Tr0ub4dor&3-secret"
	secrets := []string{
		pass,
		url.QueryEscape(pass),
		base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00wrong-" + pass)),
	}
	for _, tt := range []struct {
		name, pass string
		refuse     bool
	}{
		{"delivered", pass, false},
		{"login refused", "wrong-" + pass, false},
		{"recipient refused", pass, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, smtptest.WithTLS(cert), smtptest.WithUser(user, pass))
			u, _ := url.Parse("smtp://" + r.server.Addr())
			u.User = url.UserPassword(user, tt.pass)
			tr, err := mail.NewSMTP(u, &netmail.Address{Address: "no-reply@usher.example"})
			if err != nil {
				t.Fatal(err)
			}
			tr.TLSConfig = &tls.Config{RootCAs: pool}
			if tt.refuse {
				r.server.Refuse(smtptest.Rcpt, 550, "No such user")
			}
			r.sender = r.newSender(tr)
			r.logs.WriteString(tr.String() + "\n") // what the app logs at start
			_, id := r.invite(t, "ana@example.com", mail.Payload{})
			r.flush(t, 1)
			m := r.message(t, id)
			attempts, _ := r.outbox.Attempts(context.Background(), id)
			stored := m.LastError
			for _, a := range attempts {
				stored += "\n" + a.Reply
			}
			for _, s := range secrets {
				if strings.Contains(r.logs.String(), s) {
					t.Errorf("the log shows %q:\n%s", s, r.logs.String())
				}
				if strings.Contains(stored, s) {
					t.Errorf("the outbox keeps %q: %s", s, stored)
				}
			}
			if !strings.Contains(r.logs.String(), "email") {
				t.Errorf("nothing was logged about the email:\n%s", r.logs.String())
			}
		})
	}
}

// TestSenderStopsRetryingAtExpiry: an invitation email that cannot be
// delivered is retried no later than its invitation's expiry, and then
// given up with the reason, instead of retrying a dead link.
func TestSenderStopsRetryingAtExpiry(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.server.Refuse(smtptest.Data, 451, "Try again later")
	r.sender.GiveUpAfter = 30 * 24 * time.Hour // longer than the invitation runs
	inv, id := r.invite(t, "ana@example.com", mail.Payload{})
	var m mail.Message
	for i := 0; i < 500; i++ {
		r.flush(t, 1)
		m = r.message(t, id)
		if m.State != mail.Queued {
			break
		}
		if m.NextAttemptAt.After(inv.ExpiresAt) {
			t.Fatalf("attempt %d: next attempt %v is after the invitation expires (%v)", m.Attempts, m.NextAttemptAt, inv.ExpiresAt)
		}
		r.clock.Set(m.NextAttemptAt)
	}
	if m.State != mail.Failed || !strings.Contains(m.LastError, "expired") || !r.clock.Now().Equal(inv.ExpiresAt) {
		t.Fatalf("state %s, error %q at %v; want failed at the expiry (%v), saying it expired", m.State, m.LastError, r.clock.Now(), inv.ExpiresAt)
	}
	if ev := r.lastEvent(t, inv.ID); ev.Kind != invitations.EvDeliveryFailed || !strings.Contains(ev.Detail, "expired") {
		t.Errorf("history ends with %s %q, want the reason it was not sent", ev.Kind, ev.Detail)
	}
	r.clock.Advance(time.Hour)
	r.flush(t, 0)
}
