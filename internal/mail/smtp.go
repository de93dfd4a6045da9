package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jordan-wright/email"
)

// Default limits of an SMTP delivery.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultSMTPTimeout = time.Minute
)

// SMTP delivers messages to an SMTP server, one connection per message.
// Every step runs under a deadline, so a server that stops answering costs
// one timeout, not the sender.
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

var _ Transport = (*SMTP)(nil)

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

// Send delivers one message to one recipient.
func (t *SMTP) Send(ctx context.Context, to string, m Rendered) (string, error) {
	rcpt, err := bareAddress(to)
	if err != nil {
		return "", &SendError{Permanent: true, Reply: fmt.Sprintf("%q is not an email address.", to), Err: err}
	}
	raw, err := t.message(rcpt, m)
	if err != nil {
		return "", &SendError{Permanent: true, Reply: "The message could not be encoded.", Err: err}
	}

	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s := session{t: t, ctx: ctx}
	return s.deliver(rcpt, raw)
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

// session is one delivery over one connection.
type session struct {
	t   *SMTP
	ctx context.Context
}

func (s session) deliver(rcpt string, raw []byte) (string, error) {
	t := s.t
	dialer := net.Dialer{Timeout: t.DialTimeout}
	conn, err := dialer.DialContext(s.ctx, "tcp", t.addr)
	if err != nil {
		return "", s.fail(err, "Could not connect to the mail server %s", t.addr)
	}
	defer conn.Close()
	deadline, _ := s.ctx.Deadline()
	conn.SetDeadline(deadline)
	// Cancelling ctx unblocks whatever read or write is in progress.
	stop := context.AfterFunc(s.ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if t.implicitTLS {
		tc := tls.Client(conn, t.tlsConfig())
		if err := tc.HandshakeContext(s.ctx); err != nil {
			return "", s.fail(err, "TLS with the mail server %s failed", t.addr)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, t.host)
	if err != nil {
		return "", s.fail(err, "The mail server %s did not greet us", t.addr)
	}
	defer c.Close()
	if err := c.Hello(t.Hello); err != nil {
		return "", s.fail(err, "The mail server %s refused EHLO", t.addr)
	}
	if !t.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(t.tlsConfig()); err != nil {
				return "", s.fail(err, "STARTTLS with the mail server %s failed", t.addr)
			}
		} else if t.requireTLS {
			return "", &SendError{Reply: fmt.Sprintf("The mail server %s does not offer STARTTLS, and the SMTP URL has tls=required.", t.addr)}
		}
	}
	if t.auth != nil {
		if ok, _ := c.Extension("AUTH"); !ok {
			return "", &SendError{Reply: fmt.Sprintf("The mail server %s does not offer AUTH, but the SMTP URL has credentials.", t.addr)}
		}
		if err := c.Auth(t.auth); err != nil {
			// Wrong credentials are the operator's to fix, not the message's
			// fault: keep retrying until they are.
			return "", s.fail(err, "The mail server %s refused our login", t.addr)
		}
	}

	// From here on, a 5xx reply is about this message and is final.
	if err := c.Mail(t.From.Address); err != nil {
		return "", s.failMessage(err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return "", s.failMessage(err)
	}
	reply, err := data(c.Text, raw)
	if err != nil {
		return "", s.failMessage(err)
	}
	c.Quit() // the message is accepted; a failed goodbye changes nothing
	return reply, nil
}

// data sends DATA by hand to keep the server's final reply (its queue id),
// which net/smtp discards.
func data(text *textproto.Conn, raw []byte) (string, error) {
	id, err := text.Cmd("DATA")
	if err != nil {
		return "", err
	}
	text.StartResponse(id)
	_, _, err = text.ReadResponse(354)
	text.EndResponse(id)
	if err != nil {
		return "", err
	}
	w := text.DotWriter()
	if _, err := w.Write(raw); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	code, msg, err := text.ReadResponse(250)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d %s", code, msg), nil
}

// fail classifies a failure before the message itself was offered: always
// temporary, since it is about the connection or the server.
func (s session) fail(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var te *textproto.Error
	switch {
	case errors.As(err, &te):
		return &SendError{Reply: fmt.Sprintf("%s: %d %s", what, te.Code, te.Msg), Err: err}
	case s.timedOut(err):
		return &SendError{Reply: fmt.Sprintf("%s: no answer within %s.", what, s.t.Timeout), Err: err}
	}
	return &SendError{Reply: what + ": " + err.Error(), Err: err}
}

// failMessage classifies the server's answer to the message: 5xx is final.
func (s session) failMessage(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return &SendError{Permanent: te.Code >= 500 && te.Code < 600, Reply: fmt.Sprintf("%d %s", te.Code, te.Msg), Err: err}
	}
	return s.fail(err, "The mail server %s stopped answering", s.t.addr)
}

func (s session) timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()) || s.ctx.Err() != nil
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
