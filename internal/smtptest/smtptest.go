// Package smtptest is a real SMTP server in the test process: it speaks
// SMTP on a loopback port and keeps what it receives, so tests read the
// email Usher actually sent.
package smtptest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"

	gosmtp "github.com/emersion/go-smtp"
)

// Message is one email as received.
type Message struct {
	From   string
	To     []string
	Raw    []byte
	Parsed *mail.Message
	Text   string // the text/plain part
	HTML   string // the text/html part
}

// Header returns a header of the message.
func (m Message) Header(name string) string {
	dec := new(mime.WordDecoder)
	v := m.Parsed.Header.Get(name)
	if d, err := dec.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// Server records every message it accepts.
type Server struct {
	srv  *gosmtp.Server
	addr string
	mu   sync.Mutex
	msgs []Message
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	s.srv = gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return &session{s: s}, nil
	}))
	s.srv.Domain = "mx.test"
	s.srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	s.addr = l.Addr().String()
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// URL is the USHER_SMTP_URL that reaches this server.
func (s *Server) URL() *url.URL { return &url.URL{Scheme: "smtp", Host: s.addr} }

// Messages returns what has arrived so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// To returns the messages sent to addr, oldest first.
func (s *Server) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, r := range m.To {
			if strings.EqualFold(r, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) Mail(from string, _ *gosmtp.MailOptions) error { x.from = from; return nil }
func (x *session) Rcpt(to string, _ *gosmtp.RcptOptions) error   { x.to = append(x.to, to); return nil }
func (x *session) Reset()                                        { x.from, x.to = "", nil }
func (x *session) Logout() error                                 { return nil }

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: x.from, To: append([]string(nil), x.to...), Raw: raw}
	if p, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Parsed = p
		m.Text, m.HTML = parts(p)
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, m)
	x.s.mu.Unlock()
	return nil
}

// parts finds the text and HTML bodies of a (possibly multipart) message.
func parts(m *mail.Message) (text, html string) {
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		return "", ""
	}
	if !strings.HasPrefix(mt, "multipart/") {
		b, _ := io.ReadAll(decode(m.Header.Get("Content-Transfer-Encoding"), m.Body))
		if mt == "text/html" {
			return "", string(b)
		}
		return string(b), ""
	}
	return walk(multipart.NewReader(m.Body, params["boundary"]))
}

func walk(mr *multipart.Reader) (text, html string) {
	for {
		p, err := mr.NextPart()
		if err != nil {
			return text, html
		}
		mt, params, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch {
		case strings.HasPrefix(mt, "multipart/"):
			t, h := walk(multipart.NewReader(p, params["boundary"]))
			text, html = text+t, html+h
		case mt == "text/plain":
			b, _ := io.ReadAll(decode(p.Header.Get("Content-Transfer-Encoding"), p))
			text += string(b)
		case mt == "text/html":
			b, _ := io.ReadAll(decode(p.Header.Get("Content-Transfer-Encoding"), p))
			html += string(b)
		}
	}
}
