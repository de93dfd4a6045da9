package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/jordan-wright/email"
)

// Default limits of an SMTP delivery.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultSMTPTimeout = time.Minute
)

// SMTP delivers messages to an SMTP server: one per connection with Send,
// or many over one connection with OpenSession. Every step runs under a
// deadline, so a server that stops answering costs one timeout, not the
// sender.
type SMTP struct {
	From        *netmail.Address
	DialTimeout time.Duration // connecting, TLS included
	Timeout     time.Duration // the whole delivery, from dialling to the final reply
	// TLSConfig, when set, is used for implicit TLS and STARTTLS (tests use
	// it to trust their own server). Its ServerName defaults to the host.
	TLSConfig *tls.Config
	// Hello is the name given in EHLO.
	Hello string

	addr        string // host:port
	host        string
	implicitTLS bool // smtps://
	requireTLS  bool // ?tls=required: never send over plain text
	auth        smtp.Auth
	redacted    string
}

var _ SessionOpener = (*SMTP)(nil)

// NewSMTP reads a server URL: smtp://user:pass@host:587 (STARTTLS when the
// server offers it; with ?tls=required, only then) or smtps://host:465
// (TLS from the first byte).
func NewSMTP(u *url.URL, from *netmail.Address) (*SMTP, error) {
	if u == nil || from == nil {
		return nil, errors.New("mail: an SMTP URL and a From address are required")
	}
	t := &SMTP{
		From:        from,
		DialTimeout: DefaultDialTimeout,
		Timeout:     DefaultSMTPTimeout,
		Hello:       "localhost",
		host:        u.Hostname(),
		redacted:    u.Redacted(),
	}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
	case "smtps":
		t.implicitTLS = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, fmt.Errorf("mail: %s: the scheme must be smtp:// or smtps://", t.redacted)
	}
	if t.host == "" {
		return nil, fmt.Errorf("mail: %s: no host", t.redacted)
	}
	switch mode := u.Query().Get("tls"); mode {
	case "", "opportunistic":
	case "required":
		t.requireTLS = true
	default:
		return nil, fmt.Errorf("mail: %s: tls=%q is not known; use tls=required or leave it out", t.redacted, mode)
	}
	t.addr = net.JoinHostPort(t.host, port)
	if u.User != nil {
		pass, _ := u.User.Password()
		// PlainAuth refuses to send the password over a connection that is
		// neither TLS nor to localhost.
		t.auth = smtp.PlainAuth("", u.User.Username(), pass, t.host)
	}
	return t, nil
}

// String describes the server without its password, for logs.
func (t *SMTP) String() string { return t.redacted }

// Addr is the server's host:port.
func (t *SMTP) Addr() string { return t.addr }

// DefaultCheckTimeout bounds Check: at start-up a server that does not
// answer should be said soon, not after the dial timeout.
const DefaultCheckTimeout = 5 * time.Second

// Check connects to the server as a delivery does (dial, TLS, EHLO,
// STARTTLS, login) and says goodbye without sending anything. Its error
// says what went wrong, naming host:port.
func (t *SMTP) Check(ctx context.Context) error {
	s := &smtpSession{t: t}
	if err := s.connect(ctx); err != nil {
		return err
	}
	s.Close() // connected and greeted: a failed goodbye changes nothing
	return nil
}

// Send delivers one message to one recipient over a connection of its own.
func (t *SMTP) Send(ctx context.Context, to string, m Rendered) (string, error) {
	s := t.OpenSession()
	defer s.Close()
	return s.Send(ctx, to, m)
}

// OpenSession returns a session that delivers messages one after another
// over one connection, made by its first Send.
func (t *SMTP) OpenSession() Session { return &smtpSession{t: t} }

func (t *SMTP) timeout() time.Duration {
	if t.Timeout <= 0 {
		return DefaultSMTPTimeout
	}
	return t.Timeout
}

func (t *SMTP) dialTimeout() time.Duration {
	if t.DialTimeout <= 0 {
		return DefaultDialTimeout
	}
	return t.DialTimeout
}

// message encodes the message: the To header is the bare address, and
// every header built from names goes through HeaderSafe.
func (t *SMTP) message(rcpt string, m Rendered) ([]byte, error) {
	from := netmail.Address{Name: HeaderSafe(t.From.Name), Address: t.From.Address}
	e := &email.Email{
		From:    from.String(),
		To:      []string{rcpt},
		Subject: HeaderSafe(m.Subject),
		Text:    []byte(m.Text),
		HTML:    []byte(m.HTML),
		Headers: textproto.MIMEHeader{},
	}
	// Tells auto-responders not to answer (RFC 3834).
	e.Headers.Set("Auto-Submitted", "auto-generated")
	e.Headers.Set("Message-Id", messageID(t.From.Address))
	return e.Bytes()
}

// quitTimeout bounds the goodbye when a session closes.
const quitTimeout = 5 * time.Second

// smtpSession is a series of deliveries over one connection: RSET between
// messages, and a new connection when the old one breaks. Each Send has
// its own deadline, from dialling (if it has to) to the final reply.
type smtpSession struct {
	t    *SMTP
	conn net.Conn // the TCP connection, where deadlines are set
	c    *smtp.Client
	used bool // a message was tried on this connection: RSET before the next
}

var _ Session = (*smtpSession)(nil)

func (s *smtpSession) Send(ctx context.Context, to string, m Rendered) (string, error) {
	t := s.t
	rcpt, err := bareAddress(to)
	if err != nil {
		return "", &SendError{Permanent: true, Reply: fmt.Sprintf("%q is not an email address.", to), Err: err}
	}
	raw, err := t.message(rcpt, m)
	if err != nil {
		return "", &SendError{Permanent: true, Reply: "The message could not be encoded.", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout())
	defer cancel()
	reused := s.c != nil
	reply, offered, err := s.deliver(ctx, rcpt, raw)
	if err != nil && reused && !offered && s.c == nil && ctx.Err() == nil {
		// The connection kept from the last message had gone (servers close
		// idle ones). The server never had this message, so trying it on a
		// new connection is a first try, not a repeat.
		reply, _, err = s.deliver(ctx, rcpt, raw)
	}
	return reply, err
}

// deliver makes one attempt. offered reports whether the message's
// content reached the server, after which it may have been accepted even
// if the reply was lost: never to be retried within the session.
func (s *smtpSession) deliver(ctx context.Context, rcpt string, raw []byte) (reply string, offered bool, err error) {
	t := s.t
	if s.c == nil {
		if err := s.connect(ctx); err != nil {
			return "", false, err
		}
	} else {
		deadline, _ := ctx.Deadline()
		s.conn.SetDeadline(deadline)
	}
	conn := s.conn
	// Cancelling ctx unblocks whatever read or write is in progress.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() {
			s.drop() // its deadline is in the past now: not reusable
		}
	}()

	if s.used {
		if err := s.c.Reset(); err != nil {
			s.drop()
			return "", false, fail(ctx, t.timeout(), err, "The mail server %s stopped answering", t.addr)
		}
	}
	s.used = true
	// From here on, a 5xx reply is about this message and is final.
	if err := s.c.Mail(t.From.Address); err != nil {
		return "", false, s.failMessage(ctx, err)
	}
	if err := s.c.Rcpt(rcpt); err != nil {
		return "", false, s.failMessage(ctx, err)
	}
	reply, offered, err = data(s.c.Text, raw)
	if err != nil {
		return "", offered, s.failMessage(ctx, err)
	}
	return reply, true, nil
}

// connect dials, greets, secures and logs in, all within the dial timeout
// and ctx.
func (s *smtpSession) connect(ctx context.Context) error {
	t := s.t
	dctx, cancel := context.WithTimeout(ctx, t.dialTimeout())
	defer cancel()
	dialer := net.Dialer{}
	conn, err := dialer.DialContext(dctx, "tcp", t.addr)
	if err != nil {
		return fail(dctx, s.limit(), err, "Could not connect to the mail server %s", t.addr)
	}
	deadline, _ := dctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(dctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c, err := s.greet(dctx, conn)
	if err != nil {
		conn.Close()
		return err
	}
	if !stop() {
		conn.Close()
		return fail(dctx, s.limit(), context.DeadlineExceeded, "The mail server %s did not greet us", t.addr)
	}
	s.conn, s.c, s.used = conn, c, false
	deadline, _ = ctx.Deadline()
	conn.SetDeadline(deadline)
	return nil
}

func (s *smtpSession) greet(ctx context.Context, conn net.Conn) (*smtp.Client, error) {
	t := s.t
	if t.implicitTLS {
		tc := tls.Client(conn, t.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fail(ctx, s.limit(), err, "TLS with the mail server %s failed", t.addr)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, t.host)
	if err != nil {
		return nil, fail(ctx, s.limit(), err, "The mail server %s did not greet us", t.addr)
	}
	if err := c.Hello(t.Hello); err != nil {
		return nil, fail(ctx, s.limit(), err, "The mail server %s refused EHLO", t.addr)
	}
	if !t.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(t.tlsConfig()); err != nil {
				return nil, fail(ctx, s.limit(), err, "STARTTLS with the mail server %s failed", t.addr)
			}
		} else if t.requireTLS {
			return nil, &SendError{Outage: true, Reply: fmt.Sprintf("The mail server %s does not offer STARTTLS, and the SMTP URL has tls=required.", t.addr)}
		}
	}
	if t.auth != nil {
		if ok, _ := c.Extension("AUTH"); !ok {
			return nil, &SendError{Outage: true, Reply: fmt.Sprintf("The mail server %s does not offer AUTH, but the SMTP URL has credentials.", t.addr)}
		}
		if err := c.Auth(t.auth); err != nil {
			// Wrong credentials are the operator's to fix, not the message's
			// fault: keep retrying until they are.
			return nil, fail(ctx, s.limit(), err, "The mail server %s refused our login", t.addr)
		}
	}
	return c, nil
}

// limit is the longest connecting may take.
func (s *smtpSession) limit() time.Duration { return min(s.t.dialTimeout(), s.t.timeout()) }

// drop forgets a connection that cannot be trusted any more.
func (s *smtpSession) drop() {
	if s.conn != nil {
		s.conn.Close()
	}
	s.conn, s.c, s.used = nil, nil, false
}

// Close says goodbye and closes the connection, if there is one.
func (s *smtpSession) Close() error {
	if s.c == nil {
		return nil
	}
	s.conn.SetDeadline(time.Now().Add(min(quitTimeout, s.t.timeout())))
	err := s.c.Quit() // the messages are delivered; a failed goodbye changes nothing
	s.drop()
	return err
}

// failMessage classifies the server's answer to the message: 5xx is final.
// A reply keeps the connection usable, except 421, the server closing it.
func (s *smtpSession) failMessage(ctx context.Context, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		// 421: the server is closing the connection, for every message.
		if te.Code == 421 {
			s.drop()
		}
		return &SendError{Permanent: te.Code >= 500 && te.Code < 600, Outage: te.Code == 421, Reply: fmt.Sprintf("%d %s", te.Code, te.Msg), Err: err}
	}
	s.drop()
	return fail(ctx, s.t.timeout(), err, "The mail server %s stopped answering", s.t.addr)
}

// data sends DATA by hand to keep the server's final reply (its queue id),
// which net/smtp discards. offered reports whether the message's end was
// sent, after which the server may have it.
func data(text *textproto.Conn, raw []byte) (reply string, offered bool, err error) {
	id, err := text.Cmd("DATA")
	if err != nil {
		return "", false, err
	}
	text.StartResponse(id)
	_, _, err = text.ReadResponse(354)
	text.EndResponse(id)
	if err != nil {
		return "", false, err
	}
	w := text.DotWriter()
	if _, err := w.Write(raw); err != nil {
		return "", false, err
	}
	// Close writes the final dot; once it may have gone out, so may the message.
	if err := w.Close(); err != nil {
		return "", true, err
	}
	code, msg, err := text.ReadResponse(250)
	if err != nil {
		return "", true, err
	}
	return fmt.Sprintf("%d %s", code, msg), true, nil
}

// fail classifies a failure that is about the connection or the server,
// not the message: always temporary, and an outage.
func fail(ctx context.Context, limit time.Duration, err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var te *textproto.Error
	var se *SendError
	switch {
	case errors.As(err, &se):
		return err
	case errors.As(err, &te):
		return &SendError{Outage: true, Reply: fmt.Sprintf("%s: %d %s", what, te.Code, te.Msg), Err: err}
	case timedOut(ctx, err):
		return &SendError{Outage: true, Reply: fmt.Sprintf("%s: no answer within %s.", what, limit), Err: err}
	}
	return &SendError{Outage: true, Reply: what + ": " + netReason(err), Err: err}
}

// netReason says in a few words why the network failed us, without Go's
// "dial tcp 127.0.0.1:1: connect:" before it.
func netReason(err error) string {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return "no such host " + dns.Name
	case errors.As(err, &dns):
		return "looking up " + dns.Name + " failed: " + dns.Err
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	case errors.Is(err, io.EOF):
		return "the connection was closed"
	}
	return err.Error()
}

func timedOut(ctx context.Context, err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) || ctx.Err() != nil
}

func (t *SMTP) tlsConfig() *tls.Config {
	var c *tls.Config
	if t.TLSConfig != nil {
		c = t.TLSConfig.Clone()
	} else {
		c = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if c.ServerName == "" {
		c.ServerName = t.host
	}
	return c
}

// bareAddress accepts exactly one address with no display name, so a
// recipient can never carry a second one or a header.
func bareAddress(s string) (string, error) {
	if strings.ContainsAny(s, "\r\n\x00<>,;\" ") {
		return "", errors.New("not a bare address")
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return "", err
	}
	if a.Name != "" || a.Address != s {
		return "", errors.New("not a bare address")
	}
	return a.Address, nil
}

// messageID is a Message-Id in the sender's domain that reveals nothing
// about the host.
func messageID(from string) string {
	domain := "localhost"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i+1 < len(from) {
		domain = from[i+1:]
	}
	b := make([]byte, 16)
	rand.Read(b)
	return "<" + hex.EncodeToString(b) + "@" + domain + ">"
}
