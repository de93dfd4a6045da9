// Package app wires Usher together from a Config: the database, the domain
// services, the email sender and the web server. main uses it to run, and
// tests use it to get the real thing with a fake clock.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"runtime"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/config"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/emails"
	"github.com/usherhq/usher/web"
)

// App is a wired Usher.
type App struct {
	Config      *config.Config
	DB          *db.DB
	Users       *users.Service
	Invitations *invitations.Service
	Spaces      *spaces.Service
	Outbox      *db.OutboxStore
	Sender      *mail.Sender
	Web         *web.Server
	// SetupToken is the one-time first-run secret, empty once set up.
	SetupToken string
}

// OpenDB opens the database in dataDir and brings it up to date.
func OpenDB(ctx context.Context, dataDir string, log *slog.Logger) (*db.DB, error) {
	d, err := db.Open(dataDir)
	if err != nil {
		return nil, err
	}
	applied, err := d.Migrate(ctx)
	for _, m := range applied {
		log.Info("migration applied", "file", m)
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Option changes how New wires Usher. The binary uses none: they are
// seams for tests.
type Option func(*seams)

type seams struct {
	invitations func(invitations.Store) invitations.Store
	hasher      *auth.Hasher
}

// WrapInvitations puts wrap between the invitations service and its
// store, so that a test can hold an action at the store's door.
func WrapInvitations(wrap func(invitations.Store) invitations.Store) Option {
	return func(s *seams) { s.invitations = wrap }
}

// UseHasher hashes passwords with h instead of argon2id at OWASP's cost
// (auth.NewHasher), so that tests can sign in by the hundred.
func UseHasher(h *auth.Hasher) Option {
	return func(s *seams) { s.hasher = h }
}

// New opens the data folder and wires everything; it starts nothing.
func New(ctx context.Context, cfg *config.Config, clk clock.Clock, log *slog.Logger, opts ...Option) (*App, error) {
	d, err := OpenDB(ctx, cfg.DataDir, log)
	if err != nil {
		return nil, err
	}
	var sm seams
	for _, o := range opts {
		o(&sm)
	}
	a, err := wire(ctx, d, cfg, clk, log, sm)
	if err != nil {
		d.Close()
		return nil, err
	}
	return a, nil
}

func wire(ctx context.Context, d *db.DB, cfg *config.Config, clk clock.Clock, log *slog.Logger, sm seams) (*App, error) {
	sessionKey, err := auth.Secret(cfg.DataDir, "session", cfg.SessionSecret)
	if err != nil {
		return nil, err
	}
	linkKey, err := auth.Secret(cfg.DataDir, "link", cfg.LinkSecret)
	if err != nil {
		return nil, err
	}

	hasher := sm.hasher
	if hasher == nil {
		hasher = auth.NewHasher(runtime.NumCPU())
	}
	us := users.NewService(db.NewUserStore(d), hasher, clk)
	var invStore invitations.Store = db.NewInvitationStore(d)
	if sm.invitations != nil {
		invStore = sm.invitations(invStore)
	}
	invs := invitations.NewService(invStore, us, auth.NewLinks(linkKey), hasher, clk, cfg.InviteTTL, cfg.BaseURL.String(), cfg.SendLimit)

	sp := spaces.NewService(db.NewSpaceStore(d), clk.Now)

	outbox := db.NewOutboxStore(d)
	renderer := emails.Renderer{}
	var transport mail.Transport = mail.Mailbox{}
	var mailbox web.Mailbox = outbox
	if cfg.SMTPURL != nil {
		smtp, err := mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return nil, err
		}
		transport, mailbox = smtp, nil
		log.Info("email goes out through SMTP", "server", smtp.String())
	} else {
		log.Info("no SMTP configured: emails are kept in the built-in mailbox at /dev/mailbox")
	}
	sender := mail.NewSender(outbox, transport, renderer, invs.LinkFor, clk, log)
	if cfg.RemindBefore > 0 {
		sender.AddProducer(invitations.NewReminders(db.NewInvitationStore(d), us, clk, cfg.RemindBefore))
		log.Info("invitees are reminded before their invitation expires", "before", cfg.RemindBefore.String())
	}

	a := &App{Config: cfg, DB: d, Users: us, Invitations: invs, Spaces: sp, Outbox: outbox, Sender: sender}
	need, err := us.NeedsSetup(ctx)
	if err != nil {
		return nil, err
	}
	if need {
		a.SetupToken = randomToken()
	}
	a.Web = web.New(web.Deps{
		Config: cfg, Users: us, Invitations: invs, Spaces: sp, Mailbox: mailbox, Renderer: renderer,
		Notify: sender.Notify, SessionKey: sessionKey, SetupToken: a.SetupToken, Clock: clk, Log: log,
		Changes: a.DB.Generation,
	})
	return a, nil
}

// Handler is the web app.
func (a *App) Handler() http.Handler { return a.Web.Handler() }

// SetupURL is the first-run link, or "" once set up.
func (a *App) SetupURL() string {
	if a.SetupToken == "" {
		return ""
	}
	return a.Config.BaseURL.String() + "/setup/" + a.SetupToken
}

// Close closes the database.
func (a *App) Close() error { return a.DB.Close() }

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
