// Package apptest starts the real Usher for tests: a real SQLite file in a
// temporary folder, the real web server on a loopback port, a fake clock,
// and, when asked, a real SMTP server in the process.
package apptest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/app"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/config"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/smtptest"
	"github.com/usherhq/usher/internal/users"
)

// Start is the fake clock's starting time: a fixed Monday morning.
var Start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// Options change the environment.
type Options struct {
	SMTP bool // deliver through an in-process SMTP server (default: built-in mailbox)
	// SMTPDown points Usher at a loopback port nothing listens on, so
	// every delivery finds the connection refused, until StartSMTP.
	SMTPDown  bool
	InviteTTL time.Duration // default 168h
	Env       map[string]string
	// Log, when set, receives the server's log lines as text (slog's
	// key=value format), so tests can read what was logged.
	Log io.Writer
	// WrapInvitations, when set, stands between the invitations service
	// and its store (app.WrapInvitations).
	WrapInvitations func(invitations.Store) invitations.Store
	// ProductionHasher hashes passwords as the binary does (argon2id at
	// OWASP's cost), for tests that measure that cost. Without it the
	// cheapest argon2id is used (auth.NewCheapHasher).
	ProductionHasher bool
}

// Env is a running Usher.
type Env struct {
	App    *app.App
	Server *httptest.Server
	Clock  *clock.Fake
	SMTP   *smtptest.Server // nil without Options.SMTP
	URL    string
	admin  users.User // SetupAdmin's, for the helpers of state.go
	// smtpAddr is where SMTPDown pointed Usher.
	smtpAddr string
}

// Admin is the account administrator SetupAdmin creates.
const (
	AdminEmail    = "ana@example.com"
	AdminName     = "Ana Admin"
	AdminPassword = "correct horse battery staple"
	AccountName   = "Acme Clinics"
)

// New starts Usher with o.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	e := &Env{Clock: clock.NewFake(Start)}
	e.Server = httptest.NewUnstartedServer(nil)
	e.Server.Start()
	t.Cleanup(e.Server.Close)
	e.URL = e.Server.URL

	env := map[string]string{
		"USHER_DATA_DIR": t.TempDir(),
		"USHER_ADDR":     strings.TrimPrefix(e.URL, "http://"),
		"USHER_BASE_URL": e.URL,
	}
	if o.InviteTTL != 0 {
		env["USHER_INVITE_TTL"] = o.InviteTTL.String()
	}
	if o.SMTP {
		e.SMTP = smtptest.Start(t)
		env["USHER_SMTP_URL"] = e.SMTP.URL().String()
	} else if o.SMTPDown {
		e.smtpAddr = closedPort(t)
		env["USHER_SMTP_URL"] = "smtp://" + e.smtpAddr
	}
	for k, v := range o.Env {
		env[k] = v
	}
	fs := flagSet()
	build := config.Flags(fs, func(k string) string { return env[k] })
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := build()
	if err != nil {
		t.Fatal(err)
	}
	var out io.Writer = io.Discard
	// Not a fuzz test's F: the server logs while the fuzz target runs, and
	// F.Log there panics.
	if _, fuzz := t.(*testing.F); testing.Verbose() && !fuzz {
		out = testWriter{t}
	}
	if o.Log != nil {
		out = io.MultiWriter(out, o.Log)
	}
	log := slog.New(slog.NewTextHandler(out, nil))
	var opts []app.Option
	if !o.ProductionHasher {
		opts = append(opts, app.UseHasher(auth.NewCheapHasher(runtime.NumCPU())))
	}
	if o.WrapInvitations != nil {
		opts = append(opts, app.WrapInvitations(o.WrapInvitations))
	}
	a, err := app.New(context.Background(), cfg, e.Clock, log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	e.App = a
	e.Server.Config.Handler = a.Handler()
	return e
}

// closedPort is a loopback address nothing listens on (for now).
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// SMTPAddr is where Usher sends email: host:port.
func (e *Env) SMTPAddr() string {
	if e.SMTP != nil {
		return e.SMTP.Addr()
	}
	return e.smtpAddr
}

// StartSMTP starts the in-process SMTP server where an SMTPDown Usher
// sends email: deliveries work from then on.
func (e *Env) StartSMTP(t testing.TB) *smtptest.Server {
	t.Helper()
	if e.smtpAddr == "" {
		t.Fatal("StartSMTP needs Options.SMTPDown")
	}
	e.SMTP = smtptest.Start(t, smtptest.WithAddr(e.smtpAddr))
	return e.SMTP
}

// SetupAdmin creates the account and its first administrator.
func (e *Env) SetupAdmin(t testing.TB) users.User {
	t.Helper()
	u, err := e.App.Users.Setup(context.Background(), users.SetupInput{AccountName: AccountName, Email: AdminEmail, Name: AdminName, Password: AdminPassword})
	if err != nil {
		t.Fatal(err)
	}
	e.admin = u
	return u
}

// Client is a browser-like HTTP client with its own cookies. It does not
// follow redirects, so tests see them.
func (e *Env) Client(t testing.TB) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// SignIn returns a client signed in as email.
func (e *Env) SignIn(t testing.TB, email, password string) *http.Client {
	t.Helper()
	c := e.Client(t)
	res := e.Post(t, c, "/login", url.Values{"email": {email}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d", email, res.StatusCode)
	}
	return c
}

// Response is a finished request with its body read.
type Response struct {
	*http.Response
	Body string
}

// Get requests path.
func (e *Env) Get(t testing.TB, c *http.Client, path string, header ...string) Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	setHeaders(req, header)
	return Send(t, c, req)
}

// Post sends a form, as a same-origin browser would.
func (e *Env) Post(t testing.TB, c *http.Client, path string, form url.Values, header ...string) Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	setHeaders(req, header)
	return Send(t, c, req)
}

// PostFile posts data as a form's file field "file" named name
// (multipart), as a same-origin browser would; header overrides or adds
// headers.
func (e *Env) PostFile(t testing.TB, c *http.Client, path, name string, data []byte, header ...string) Response {
	t.Helper()
	return e.postFile(t, c, path, name, data, false, header)
}

// PostFileChunked is PostFile with the body's length hidden from the
// server: no Content-Length, the body sent in chunks.
func (e *Env) PostFileChunked(t testing.TB, c *http.Client, path, name string, data []byte, header ...string) Response {
	t.Helper()
	return e.postFile(t, c, path, name, data, true, header)
}

func (e *Env) postFile(t testing.TB, c *http.Client, path, name string, data []byte, chunked bool, header []string) Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := part.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	var r io.Reader = &body
	if chunked {
		r = io.MultiReader(r) // not a type whose length the client knows
	}
	req, err := http.NewRequest(http.MethodPost, e.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", e.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	setHeaders(req, header)
	return Send(t, c, req)
}

// HTMX is the header pair htmx sends; pass it to Get or Post.
var HTMX = []string{"HX-Request", "true"}

func setHeaders(req *http.Request, kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
}

// Send sends req with c and reads the whole answer.
func Send(t testing.TB, c *http.Client, req *http.Request) Response {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Response: res, Body: string(b)}
}

// Deliver sends every queued email now (the background sender's work,
// done synchronously).
func (e *Env) Deliver(t testing.TB) {
	t.Helper()
	if _, err := e.App.Sender.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+/invite/[A-Za-z0-9_-]+`)

// Link finds the invitation link in a text.
func Link(text string) string { return linkRE.FindString(text) }

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
