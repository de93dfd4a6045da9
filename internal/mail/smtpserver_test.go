package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// testServer is an in-process SMTP server that records what it receives
// and refuses or stalls when a test asks it to.
type testServer struct {
	addr string
	srv  *gosmtp.Server

	mu      sync.Mutex
	got     []received
	rcpts   []string // every RCPT TO, accepted or not
	refuse  map[string]error
	users   map[string]string // AUTH PLAIN accounts; none: AUTH not offered
	logins  []string
	inData  chan struct{} // when set, told each time a message's data has arrived
	hold    chan struct{} // when set, the reply to DATA waits for it to close
	arrived chan struct{} // told each time a message is accepted
}

type received struct {
	from  string
	rcpts []string
	data  []byte
}

type serverOption func(*testServer, *gosmtp.Server)

// withTLS serves TLS: STARTTLS, or from the first byte when implicit.
func withTLS(cert tls.Certificate, implicit bool) serverOption {
	return func(ts *testServer, s *gosmtp.Server) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		if implicit {
			ts.addr = "implicit"
		}
	}
}

func withUser(name, pass string) serverOption {
	return func(ts *testServer, s *gosmtp.Server) { ts.users = map[string]string{name: pass} }
}

func newTestServer(t *testing.T, opts ...serverOption) *testServer {
	t.Helper()
	ts := &testServer{refuse: map[string]error{}, arrived: make(chan struct{}, 100)}
	s := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		return &session{ts: ts}, nil
	}))
	s.Domain = "mx.test"
	s.ErrorLog = nopLogger{}
	ts.srv = s
	for _, o := range opts {
		o(ts, s)
	}
	s.AllowInsecureAuth = s.TLSConfig == nil
	var l net.Listener
	var err error
	if ts.addr == "implicit" {
		l, err = tls.Listen("tcp", "127.0.0.1:0", s.TLSConfig)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = l.Addr().String()
	go s.Serve(l)
	t.Cleanup(func() {
		ts.release()
		s.Close()
	})
	return ts
}

// refuseAt makes the server answer err at phase "mail", "rcpt" or "data"
// (nil: accept again).
func (ts *testServer) refuseAt(phase string, err error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.refuse[phase] = err
}

// stall makes the server hold its reply to DATA until release.
func (ts *testServer) stall() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.inData = make(chan struct{}, 100)
	ts.hold = make(chan struct{})
}

func (ts *testServer) release() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.hold != nil {
		close(ts.hold)
		ts.hold = nil
	}
}

func (ts *testServer) messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.got...)
}

func (ts *testServer) allRcpts() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.rcpts...)
}

func smtpErr(code int, msg string) error {
	return &gosmtp.SMTPError{Code: code, EnhancedCode: gosmtp.NoEnhancedCode, Message: msg}
}

type session struct {
	ts    *testServer
	from  string
	rcpts []string
}

func (s *session) Reset()        { s.from, s.rcpts = "", nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *gosmtp.MailOptions) error {
	s.ts.mu.Lock()
	defer s.ts.mu.Unlock()
	if err := s.ts.refuse["mail"]; err != nil {
		return err
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.ts.mu.Lock()
	defer s.ts.mu.Unlock()
	s.ts.rcpts = append(s.ts.rcpts, to)
	if err := s.ts.refuse["rcpt"]; err != nil {
		return err
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ts.mu.Lock()
	inData, hold := s.ts.inData, s.ts.hold
	s.ts.mu.Unlock()
	if inData != nil {
		inData <- struct{}{}
	}
	if hold != nil {
		<-hold
	}
	s.ts.mu.Lock()
	defer s.ts.mu.Unlock()
	if err := s.ts.refuse["data"]; err != nil {
		return err
	}
	s.ts.got = append(s.ts.got, received{from: s.from, rcpts: s.rcpts, data: data})
	s.ts.arrived <- struct{}{}
	return nil
}

func (s *session) AuthMechanisms() []string {
	if s.ts.users == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		s.ts.mu.Lock()
		defer s.ts.mu.Unlock()
		if p, ok := s.ts.users[username]; !ok || p != password {
			return errors.New("invalid credentials")
		}
		s.ts.logins = append(s.ts.logins, username)
		return nil
	}), nil
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
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
