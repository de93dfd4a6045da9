package smtptest_test

import (
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/smtptest"
)

func send(s *smtptest.Server, to string) error {
	return smtp.SendMail(s.Addr(), nil, "from@example.com", []string{to}, []byte("Subject: Hi\r\nContent-Type: text/plain\r\n\r\nHello\r\n"))
}

func code(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

func TestServerMisbehaves(t *testing.T) {
	s := smtptest.Start(t)
	s.Refuse(smtptest.Hello, 421, "Not now")
	if err := send(s, "a@example.com"); code(err) != 421 {
		t.Errorf("refused at EHLO: %v, want 421", err)
	}
	s.Reset()
	s.RefuseRcpt("b@example.com", 550, "No such user")
	if err := send(s, "b@example.com"); code(err) != 550 {
		t.Errorf("refused recipient: %v, want 550", err)
	}
	s.Drop(smtptest.Mail, 1)
	if err := send(s, "a@example.com"); err == nil || code(err) != 0 {
		t.Errorf("dropped at MAIL: %v, want a broken connection", err)
	}
	s.Drop(smtptest.Data, 1)
	if err := send(s, "a@example.com"); err == nil || code(err) != 0 {
		t.Errorf("dropped at DATA: %v, want a broken connection", err)
	}
	if err := send(s, "a@example.com"); err != nil {
		t.Errorf("after the drops: %v", err)
	}
	got := s.Await(t, 2, 10*time.Second)
	if len(got) != 2 || got[0].Text != "Hello\r\n" || got[0].Header("Subject") != "Hi" {
		t.Errorf("messages %+v; want the one whose reply was dropped, and the last", got)
	}
	if r := s.Rcpts(); strings.Join(r, " ") != "b@example.com a@example.com a@example.com" {
		t.Errorf("RCPT TO %v", r)
	}
	if n := s.Connections(); n != 5 {
		t.Errorf("%d connections, want 5", n)
	}
}

func TestServerHolds(t *testing.T) {
	s := smtptest.Start(t)
	s.Hold(smtptest.Data)
	done := make(chan error)
	go func() { done <- send(s, "a@example.com") }()
	if p := <-s.Held(); p != smtptest.Data {
		t.Fatalf("held at %s", p)
	}
	if n := len(s.Messages()); n != 0 {
		t.Fatalf("%d messages kept before the reply was released", n)
	}
	s.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(s.Messages()); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
}

// A held reply released under a refusal is refused, even when the test
// resets the server before the reply goes (as a test does that kills the
// client while the reply is held, then starts afresh).
func TestServerReleasesUnderTheRefusalThen(t *testing.T) {
	s := smtptest.Start(t)
	for i := range 20 {
		s.Hold(smtptest.Data)
		done := make(chan error)
		go func() { done <- send(s, "a@example.com") }()
		<-s.Held()
		s.Refuse(smtptest.Data, 451, "connection lost")
		s.Release()
		s.Reset()
		if err := <-done; code(err) != 451 {
			t.Fatalf("round %d: released under a 451: %v", i, err)
		}
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages kept, want none", n)
	}
}
