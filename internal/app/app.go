// Package app is Usher's one composition root: the only place that wires
// the database, the domain services, the email sender and the web server
// together. Every command of cmd/usher gets what it runs from here, and
// tests use it to get the real thing with a fake clock.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/apitokens"
	"github.com/usherhq/usher/internal/apps"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/bulk"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/config"
	"github.com/usherhq/usher/internal/demo"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/resets"
	"github.com/usherhq/usher/internal/sessions"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/twofactor"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/internal/webhooks"
	"github.com/usherhq/usher/views/emails"
	"github.com/usherhq/usher/web"
)

// App is a wired Usher: what `usher serve` runs.
type App struct {
	*Data
	Config      *config.Config
	Invitations *invitations.Service
	Spaces      *spaces.Service
	Sessions    *sessions.Service
	Bulk        *bulk.Service
	APITokens   *apitokens.Service
	Webhooks    *webhooks.Service
	Apps        *apps.Service
	Outbox      *db.OutboxStore
	Sender      *mail.Sender
	Web         *web.Server
	// SMTP is the mail server emails go out through; nil with the
	// built-in mailbox.
	SMTP *mail.SMTP
	log  *slog.Logger
	// SetupToken is the one-time first-run secret, empty once set up.
	SetupToken string
}

// Data is a data folder opened for a command that runs and exits, and the
// part of App every command shares: the database, brought up to date, and
// the users service over it. Opening it starts nothing and reads no keys.
type Data struct {
	DB     *db.DB
	Users  *users.Service
	hasher *auth.Hasher
}

// ResetTwoFactor removes the second factor and recovery codes of the
// person with email and ends their sessions (`usher admin reset-2fa`); it
// reports whether they had one. Safe while a server has the database open.
func (d *Data) ResetTwoFactor(ctx context.Context, email string) (users.User, bool, error) {
	return db.NewTwoFactorStore(d.DB).ResetTwoFactor(ctx, email, clock.Real{}.Now())
}

// Open opens the data folder for `usher migrate` and `usher admin create`.
func Open(ctx context.Context, dataDir string, log *slog.Logger) (*Data, error) {
	return open(ctx, dataDir, clock.Real{}, log, nil)
}

// open opens dataDir; hasher nil is argon2id at OWASP's cost.
func open(ctx context.Context, dataDir string, clk clock.Clock, log *slog.Logger, hasher *auth.Hasher) (*Data, error) {
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
	if hasher == nil {
		hasher = auth.NewHasher(runtime.NumCPU())
	}
	return &Data{DB: d, Users: users.NewService(db.NewUserStore(d), hasher, clk), hasher: hasher}, nil
}

// Close closes the database.
func (d *Data) Close() error { return d.DB.Close() }

// RemoveDB deletes the database of a data folder that is not open; its
// keys stay.
func RemoveDB(dataDir string) error { return db.Remove(dataDir) }

// Demo is a data folder opened for `usher demo`.
type Demo struct {
	*Data
	Seeder *demo.Seeder
}

// OpenDemo opens cfg's data folder for `usher demo`. The seeder derives
// invitation links with the folder's link key, as the server will, so the
// demo's links work.
func OpenDemo(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Demo, error) {
	data, err := Open(ctx, cfg.DataDir, log)
	if err != nil {
		return nil, err
	}
	links, err := linksOf(cfg)
	if err != nil {
		data.Close()
		return nil, err
	}
	return &Demo{Data: data, Seeder: demo.NewSeeder(db.NewDemoStore(data.DB), links, data.hasher, cfg.InviteTTL)}, nil
}

func linksOf(cfg *config.Config) (*auth.Links, error) {
	key, err := auth.Secret(cfg.DataDir, "link", cfg.LinkSecret)
	if err != nil {
		return nil, err
	}
	return auth.NewLinks(key), nil
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
	var sm seams
	for _, o := range opts {
		o(&sm)
	}
	data, err := open(ctx, cfg.DataDir, clk, log, sm.hasher)
	if err != nil {
		return nil, err
	}
	a, err := wire(ctx, data, cfg, clk, log, sm)
	if err != nil {
		data.Close()
		return nil, err
	}
	return a, nil
}

func wire(ctx context.Context, data *Data, cfg *config.Config, clk clock.Clock, log *slog.Logger, sm seams) (*App, error) {
	sessionKey, err := auth.Secret(cfg.DataDir, "session", cfg.SessionSecret)
	if err != nil {
		return nil, err
	}
	links, err := linksOf(cfg)
	if err != nil {
		return nil, err
	}

	d, us := data.DB, data.Users
	us.SetDefaultLanguage(cfg.DefaultLanguage)
	var invStore invitations.Store = db.NewInvitationStore(d)
	if sm.invitations != nil {
		invStore = sm.invitations(invStore)
	}
	invs := invitations.NewService(invStore, us, links, data.hasher, clk, cfg.InviteTTL, cfg.BaseURL.String(), cfg.SendLimit)

	sp := spaces.NewService(db.NewSpaceStore(d), clk.Now)

	sess := sessions.NewService(db.NewSessionStore(d), us, clk, cfg.SessionIdle, cfg.SessionMax)
	// The TOTP secrets are sealed with a key from the session secret, which
	// lives in the data folder, not the database.
	tf := twofactor.NewService(db.NewTwoFactorStore(d), sessionKey, clk)

	a := &App{Data: data, Config: cfg, Invitations: invs, Spaces: sp, Sessions: sess, log: log}
	outbox := db.NewOutboxStore(d)
	renderer := emails.Renderer{}
	var transport mail.Transport = mail.Mailbox{}
	var mailbox web.Mailbox = outbox
	if cfg.SMTPURL != nil {
		smtp, err := mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return nil, err
		}
		transport, mailbox, a.SMTP = smtp, nil, smtp
		log.Info("email goes out through SMTP", "server", smtp.String())
	} else {
		log.Info("no SMTP configured: emails are kept in the built-in mailbox at /dev/mailbox")
	}
	us.SetBaseURL(cfg.BaseURL.String())
	rs := resets.NewService(db.NewResetStore(d), us, invs, links, data.hasher, clk, cfg.ResetTTL, cfg.BaseURL.String())
	sender := mail.NewSender(outbox, transport, renderer, invs.LinkFor, clk, log)
	sender.SetLink(mail.PasswordReset, rs.LinkFor)
	sender.AddProducer(rs) // answers the Forgot password forms
	if cfg.RemindBefore > 0 {
		sender.AddProducer(invitations.NewReminders(db.NewInvitationStore(d), us, clk, cfg.RemindBefore))
		log.Info("invitees are reminded before their invitation expires", "before", cfg.RemindBefore.String())
	}

	// Expiries are written to the activity log as they pass.
	sender.AddProducer(&invitations.Expiries{Store: db.NewInvitationStore(d), Clock: clk})
	// Timed-out sessions are deleted by the same loop, every hour, and the
	// users list's notes of changes older than a day.
	sender.AddProducer(sess)
	sender.AddProducer(db.ListChangesPruner{DB: d, Now: clk.Now})
	// And activity older than its retention, every hour, in batches.
	if cfg.ActivityRetention > 0 {
		sender.AddProducer(activity.NewPurger(db.NewActivityStore(d), clk, cfg.ActivityRetention))
		log.Info("activity older than the retention is deleted", "days", cfg.ActivityRetention)
	}

	// Bulk actions run between the sender's rounds, one batch at a time,
	// so the emails of a batch go out before the next one is made.
	bk := bulk.NewService(db.NewBulkStore(d), us, invs, clk, cfg.SendLimit)
	bk.Notify, bk.Log = sender.Notify, log
	sender.AddProducer(bk)
	a.Bulk = bk

	// Webhooks go out between the sender's rounds too, woken by the same
	// Notify: queued in each change's transaction, retried for a day.
	hookKeys := webhooks.NewKeys(sessionKey)
	hookStore := db.NewWebhookStore(d)
	a.Webhooks = webhooks.New(hookStore, hookKeys, clk)
	a.Webhooks.AllowPrivate = cfg.WebhookAllowPrivate
	a.Apps = apps.New(db.NewAppStore(d), clk)
	sender.AddProducer(&webhooks.Deliverer{Store: hookStore, Keys: hookKeys, Clock: clk, Log: log,
		Client: webhooks.NewClient(cfg.WebhookAllowPrivate), Batch: 50, Parallel: 8})

	a.Outbox, a.Sender = outbox, sender
	need, err := us.NeedsSetup(ctx)
	if err != nil {
		return nil, err
	}
	if need {
		a.SetupToken = randomToken()
	}
	tokens := db.NewAPITokenStore(d)
	a.APITokens = apitokens.New(tokens, tokens, clk)
	a.Web = web.New(web.Deps{
		Config: cfg, Users: us, Invitations: invs, Spaces: sp, Sessions: sess, Resets: rs, TwoFactor: tf, APITokens: a.APITokens, Webhooks: a.Webhooks, Apps: a.Apps, Activity: &activity.Service{Store: db.NewActivityStore(d)}, Bulk: bk, Mailbox: mailbox, Renderer: renderer,
		Deliveries: mail.NewDeliveries(outbox, cfg.SMTPURL != nil),
		Notify:     sender.Notify, SessionKey: sessionKey, SetupToken: a.SetupToken, Clock: clk, Log: log,
		Changes: a.DB.Generation,
		Seen:    a.DB.Seen,
	})
	return a, nil
}

// CheckMail tries the SMTP server once, as a delivery would, within
// timeout, and logs a warning naming it and what went wrong when it cannot
// be used. Usher serves all the same: emails wait in the outbox and go out
// once the server works. It returns what it logged (nil when fine, or
// with the built-in mailbox).
func (a *App) CheckMail(ctx context.Context, timeout time.Duration) error {
	if a.SMTP == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := a.SMTP.Check(ctx)
	if err != nil {
		a.log.Warn("the mail server cannot be used: emails wait in the outbox and go out once it works", "server", a.SMTP.Addr(), "err", err)
	} else {
		a.log.Info("the mail server answers", "server", a.SMTP.Addr())
	}
	return err
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

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
