// Package smtptest is a real SMTP server in the test process: it speaks
// SMTP on a loopback port and keeps what it receives, so tests read the
// email Usher actually sent. Tests can tell it to misbehave the ways mail
// servers do: refuse (421/451) or reject (550) at a step, hold a reply,
// hang at the greeting, or drop the connection.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
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
	TLS    bool   // it came over TLS (STARTTLS or implicit)
}

// Header returns a header of the message, decoded.
func (m Message) Header(name string) string {
	if m.Parsed == nil {
		return ""
	}
	v := m.Parsed.Header.Get(name)
	if d, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// Phase is a step of an SMTP conversation, where a test can make the
// server misbehave.
type Phase string

const (
	Greeting Phase = "greeting" // the 220 banner on connecting
	Hello    Phase = "hello"    // EHLO
	Mail     Phase = "mail"     // MAIL FROM
	Rcpt     Phase = "rcpt"     // RCPT TO
	Data     Phase = "data"     // the reply to the message's content
)

// Server records every message it accepts.
type Server struct {
	srv      *gosmtp.Server
	addr     string
	implicit bool

	mu       sync.Mutex
	msgs     []Message
	rcpts    []string // every RCPT TO, accepted or not
	logins   []string
	users    map[string]string // AUTH PLAIN accounts; none: AUTH not offered
	conns    int               // connections accepted
	refuse   map[Phase]error
	refuseTo map[string]error // by recipient, at RCPT
	drop     map[Phase]int
	perConn  int // messages a connection may carry; 0: no limit
	hold     map[Phase]*gate
	held     chan Phase    // told each time a reply is held
	arrived  chan struct{} // closed and replaced when a message arrives
	greeting []net.Conn    // connections held before their greeting
}

// Option configures a server.
type Option func(*Server)

// WithTLS offers STARTTLS with cert.
func WithTLS(cert tls.Certificate) Option {
	return func(s *Server) { s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}} }
}

// WithImplicitTLS speaks TLS from the first byte (smtps://) with cert.
func WithImplicitTLS(cert tls.Certificate) Option {
	return func(s *Server) {
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.implicit = true
	}
}

// WithMaxMessages makes the server take at most n messages per
// connection, as busy servers do: it answers the next MAIL with 421, which
// tells the client to close the connection.
func WithMaxMessages(n int) Option {
	return func(s *Server) { s.perConn = n }
}

// WithUser offers AUTH PLAIN and accepts this account.
func WithUser(name, pass string) Option {
	return func(s *Server) {
		if s.users == nil {
			s.users = map[string]string{}
		}
		s.users[name] = pass
	}
}

// WithAddr listens at addr (host:port) instead of a free loopback port:
// a test starts the server where Usher was pointed at nothing, as an
// operator mending the mail server would.
func WithAddr(addr string) Option {
	return func(s *Server) { s.addr = addr }
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		refuse:   map[Phase]error{},
		refuseTo: map[string]error{},
		drop:     map[Phase]int{},
		hold:     map[Phase]*gate{},
		held:     make(chan Phase, 1024),
		arrived:  make(chan struct{}),
	}
	s.srv = gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		if err := s.misbehave(Hello, c); err != nil {
			return nil, err
		}
		return &session{s: s, conn: c}, nil
	}))
	s.srv.Domain = "mx.test"
	s.srv.ErrorLog = nopLogger{}
	for _, o := range opts {
		o(s)
	}
	// Credentials over plain text only when there is no TLS to use.
	s.srv.AllowInsecureAuth = s.srv.TLSConfig == nil
	var l net.Listener
	var err error
	at := s.addr
	if at == "" {
		at = "127.0.0.1:0"
	}
	if s.implicit {
		l, err = tls.Listen("tcp", at, s.srv.TLSConfig)
	} else {
		l, err = net.Listen("tcp", at)
	}
	if err != nil {
		t.Fatalf("smtptest: %v", err)
	}
	s.addr = l.Addr().String()
	go s.srv.Serve(&listener{Listener: l, s: s})
	t.Cleanup(s.Close)
	return s
}

// Close releases whatever is held and stops the server.
func (s *Server) Close() {
	s.Release()
	s.srv.Close()
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL is the USHER_SMTP_URL that reaches this server.
func (s *Server) URL() *url.URL {
	if s.implicit {
		return &url.URL{Scheme: "smtps", Host: s.addr}
	}
	return &url.URL{Scheme: "smtp", Host: s.addr}
}

// Refuse makes the server answer code and msg at phase (Hello, Mail, Rcpt
// or Data) from now on: 421 or 451 say "try later", 550 "never". Code 0
// accepts again.
func (s *Server) Refuse(phase Phase, code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		delete(s.refuse, phase)
		return
	}
	s.refuse[phase] = &gosmtp.SMTPError{Code: code, EnhancedCode: gosmtp.NoEnhancedCode, Message: msg}
}

// RefuseRcpt makes the server answer code and msg to RCPT TO addr only.
// Code 0 accepts it again.
func (s *Server) RefuseRcpt(addr string, code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	addr = strings.ToLower(addr)
	if code == 0 {
		delete(s.refuseTo, addr)
		return
	}
	s.refuseTo[addr] = &gosmtp.SMTPError{Code: code, EnhancedCode: gosmtp.NoEnhancedCode, Message: msg}
}

// Drop makes the server close the connection instead of answering at
// phase, the next n times (0: stop dropping). At Data the message is kept
// first, as by a server that accepted it and then lost the connection
// before its reply got through.
func (s *Server) Drop(phase Phase, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop[phase] = n
}

// dropNow reports whether to drop the connection at phase, counting it.
// The caller holds mu.
func (s *Server) dropNow(phase Phase) bool {
	if s.drop[phase] <= 0 {
		return false
	}
	s.drop[phase]--
	return true
}

// Hold makes the server keep its reply at phase until Release; at Greeting
// it accepts connections and never says a word. Held reports each time a
// reply is held. A server held until the test ends hangs.
func (s *Server) Hold(phase Phase) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold[phase] == nil {
		s.hold[phase] = &gate{open: make(chan struct{})}
	}
}

// Held receives the phase each time the server starts holding a reply.
func (s *Server) Held() <-chan Phase { return s.held }

// Release lets every held reply go and stops holding: each gives the
// refusal in force now (a Refuse before the Release refuses it, whatever
// comes after). Connections held at their greeting are closed: they were
// never greeted.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p, g := range s.hold {
		g.refuse = s.refuse[p]
		close(g.open)
		delete(s.hold, p)
	}
	for _, c := range s.greeting {
		c.Close()
	}
	s.greeting = nil
}

// Reset stops every refusal, drop and hold.
func (s *Server) Reset() {
	s.Release()
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refuse)
	clear(s.refuseTo)
	clear(s.drop)
}

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

// Rcpts returns every RCPT TO the server was offered, accepted or not.
func (s *Server) Rcpts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rcpts...)
}

// Logins returns the user names that authenticated.
func (s *Server) Logins() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.logins...)
}

// Connections is how many connections the server has accepted.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Await waits until at least n messages have arrived and returns them; it
// fails the test after timeout, which only decides how a broken test
// fails, never whether a working one passes.
func (s *Server) Await(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, arrived := len(s.msgs), s.arrived
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-arrived:
		case <-deadline.C:
			t.Fatalf("smtptest: %d messages arrived, want %d", got, n)
		}
	}
}

// misbehave does what the test asked for at phase: hold, drop, refuse.
func (s *Server) misbehave(phase Phase, c *gosmtp.Conn) error {
	s.mu.Lock()
	g := s.hold[phase]
	s.mu.Unlock()
	if g != nil {
		s.tell(phase)
		<-g.open
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if phase != Data && s.dropNow(phase) {
		c.Conn().Close()
		return errors.New("connection dropped")
	}
	if g != nil {
		// The refusal in force when it was released, not whatever the
		// test has set since (a Reset right after the Release).
		return g.refuse
	}
	return s.refuse[phase]
}

// gate is a held reply: open is closed by Release, which sets refuse, the
// refusal the reply then gives (nil: none).
type gate struct {
	open   chan struct{}
	refuse error
}

func (s *Server) tell(p Phase) {
	select {
	case s.held <- p:
	default: // nobody is counting
	}
}

func (s *Server) keep(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// listener counts connections and holds them before their greeting when
// asked to.
type listener struct {
	net.Listener
	s *Server
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.s.mu.Lock()
		l.s.conns++
		hold := l.s.hold[Greeting]
		if hold != nil {
			l.s.greeting = append(l.s.greeting, c)
		}
		l.s.mu.Unlock()
		if hold == nil {
			return c, nil
		}
		l.s.tell(Greeting)
		// Never greeted: the client waits until it gives up, or Release.
	}
}

type session struct {
	s    *Server
	conn *gosmtp.Conn
	from string
	to   []string
	n    int // messages accepted on this connection
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *gosmtp.MailOptions) error {
	if err := x.s.misbehave(Mail, x.conn); err != nil {
		return err
	}
	x.s.mu.Lock()
	limit := x.s.perConn
	x.s.mu.Unlock()
	if limit > 0 && x.n >= limit {
		// 421 tells the client this connection is closing.
		return &gosmtp.SMTPError{Code: 421, EnhancedCode: gosmtp.EnhancedCode{4, 7, 0}, Message: "Too many messages on this connection"}
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	x.s.mu.Lock()
	x.s.rcpts = append(x.s.rcpts, to)
	x.s.mu.Unlock()
	if err := x.s.misbehave(Rcpt, x.conn); err != nil {
		return err
	}
	x.s.mu.Lock()
	err := x.s.refuseTo[strings.ToLower(to)]
	x.s.mu.Unlock()
	if err != nil {
		return err
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := x.s.misbehave(Data, x.conn); err != nil {
		return err
	}
	m := Message{From: x.from, To: append([]string(nil), x.to...), Raw: raw}
	_, m.TLS = x.conn.TLSConnectionState()
	if p, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Parsed = p
		m.Text, m.HTML = parts(p)
		// parts consumed the body; keep a fresh reader for callers.
		p.Body = bytes.NewReader(raw[len(raw)-bodyLen(raw):])
	}
	x.s.keep(m)
	x.n++
	x.s.mu.Lock()
	drop := x.s.dropNow(Data)
	x.s.mu.Unlock()
	if drop {
		// Accepted, but the reply never gets through.
		x.conn.Conn().Close()
		return errors.New("connection dropped")
	}
	return nil
}

func (x *session) AuthMechanisms() []string {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.users == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		x.s.mu.Lock()
		defer x.s.mu.Unlock()
		if p, ok := x.s.users[username]; !ok || p != password {
			return errors.New("invalid credentials")
		}
		x.s.logins = append(x.s.logins, username)
		return nil
	}), nil
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

// bodyLen is the length of the body after the header block.
func bodyLen(raw []byte) int {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return len(raw) - i - 4
	}
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		return len(raw) - i - 2
	}
	return 0
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

// SelfSigned returns a certificate for 127.0.0.1 and a pool that trusts
// it, for TLS tests.
func SelfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mx.test"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
