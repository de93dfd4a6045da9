// Package web is the HTTP edge: routes, middleware, sessions and the
// handlers that turn requests into calls on the domain services.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/apitokens"
	"github.com/usherhq/usher/internal/apps"
	"github.com/usherhq/usher/internal/bulk"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/config"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/resets"
	"github.com/usherhq/usher/internal/sessions"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/twofactor"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/internal/webhooks"
	"github.com/usherhq/usher/static"
	userviews "github.com/usherhq/usher/views/pages/users"
)

// Mailbox is what the built-in mailbox page reads.
type Mailbox interface {
	Mailbox(ctx context.Context, f mail.BoxFilter) (mail.BoxPage, error)
	Get(ctx context.Context, id int64) (mail.Message, error)
}

// Deps is everything the web layer needs.
type Deps struct {
	Config      *config.Config
	Users       *users.Service
	Invitations *invitations.Service
	Spaces      *spaces.Service
	Sessions    *sessions.Service
	Resets      *resets.Service
	TwoFactor   *twofactor.Service
	APITokens   *apitokens.Service
	Webhooks    *webhooks.Service
	Apps        *apps.Service
	Activity    *activity.Service
	Bulk        *bulk.Service
	Mailbox     Mailbox          // nil when SMTP is configured
	Deliveries  *mail.Deliveries // the account-wide notice while the mail server fails; nil: none
	Renderer    mail.Renderer    // renders mailbox messages
	Notify      func()           // wakes the email sender after an action
	SessionKey  []byte
	SetupToken  string // the one-time first-run link's secret
	Clock       clock.Clock
	Log         *slog.Logger
	// Changes is the database's generation (db.DB.Generation): what is
	// kept in memory is good while it stands still. Nil keeps nothing.
	Changes func() uint64
	// Seen is the generation as last seen (db.DB.Seen), without the
	// question to the database that Changes asks: what a request asks once
	// it has called Changes. Nil: Changes every time.
	Seen func() uint64
}

// Server holds the wired application.
type Server struct {
	Deps
	echo        *echo.Echo
	sessions    *sessionStore
	limits      *limiters
	who         *memo[int64, *signedIn]    // by user id
	rows        *memo[string, keptSession] // by session token
	pages       *memo[pageKey, page]
	accountLang accountLang                       // the account's language, kept (defaultLanguage)
	items       map[users.Action]userviews.Action // each row action's menu item (rowItems)
	allItems    []userviews.Action                // every row action's item, in order (menuItems)
	menus       menus                             // the rows' menus made so far (menu)
}

// New builds the server and its routes.
func New(d Deps) *Server {
	if d.Notify == nil {
		d.Notify = func() {}
	}
	if d.Changes == nil {
		var n atomic.Uint64 // a new generation every time: nothing is kept
		d.Changes = func() uint64 { return n.Add(1) }
	}
	s := &Server{Deps: d, echo: echo.New(), sessions: newSessionStore(d.SessionKey, d.Config.Secure(), d.Sessions.MaxAge(), d.Clock), limits: newLimiters(d.Clock),
		who: newMemo[int64, *signedIn](1024), rows: newMemo[string, keptSession](4096), pages: newMemo[pageKey, page](256), items: rowItems(), allItems: menuItems()}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	// X-Forwarded-For is believed only from the configured proxies;
	// without any, the client address is the connection's.
	e.IPExtractor = echo.ExtractIPDirect()
	if len(d.Config.TrustedProxies) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range d.Config.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	e.HTTPErrorHandler = s.handleError
	e.Pre(middleware.RemoveTrailingSlash())
	e.Use(s.recoverPanics, s.watchChanges, s.securityHeaders, s.logRequests, middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "64K", Skipper: func(c echo.Context) bool {
		// The CSV import takes files; its routes have a limit of their own.
		return strings.HasPrefix(c.Request().URL.Path, importPath)
	}}), s.loadSession, s.activitySource, s.language, s.wakeSender)
	s.routes()
	return s
}

// Handler is the whole application as an http.Handler, with cross-site
// form posts refused before any handler runs.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header(), s.Config.Secure(), r.URL.Path)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		// Refused before any middleware: the browser's language, as far as
		// Usher speaks it, else the account's.
		l, ok := i18n.Default().Match(r.Header.Get("Accept-Language"))
		if !ok {
			l = i18n.Default().Locale(s.Users.DefaultLanguage(r.Context()))
		}
		w.Header().Set("Content-Language", l.Tag())
		_, _ = w.Write([]byte(l.T("web.cross_site") + "\n"))
	}))
	return cop.Handler(s.echo)
}

func (s *Server) routes() {
	e := s.echo
	fileServer := http.StripPrefix("/static/", http.FileServerFS(static.FS))
	e.GET("/static/*", echo.WrapHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		fileServer.ServeHTTP(w, r)
	})))
	e.GET("/static/texts/:file", texts)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/", s.home)

	e.GET("/setup/:token", s.setupForm)
	e.POST("/setup/:token", s.setup)
	e.GET("/login", s.loginForm)
	e.POST("/login", s.login)
	e.POST("/logout", s.logout)
	e.POST("/language", s.switchLanguage)

	e.GET("/invite/:token", s.acceptForm, noReferrer)
	e.POST("/invite/:token", s.accept, noReferrer)
	e.POST("/invite/:token/renewal", s.requestRenewal, noReferrer)

	// Forgot password and reset links (issue 16).
	e.GET("/forgot", s.forgotForm)
	e.POST("/forgot", s.forgot)
	e.GET("/reset/:token", s.resetForm, noReferrer)
	e.POST("/reset/:token", s.reset, noReferrer)

	// Two-factor sign-in (issue 16): the code step, and the profile's page.
	e.GET("/login/code", s.codeForm)
	e.POST("/login/code", s.code)
	e.GET("/profile/two-factor", s.twoFactorPage, s.signedInOnly)
	e.POST("/profile/two-factor/start", s.twoFactorStart, s.signedInOnly)
	e.POST("/profile/two-factor/confirm", s.twoFactorConfirm, s.signedInOnly)
	e.GET("/profile/two-factor/codes.txt", s.twoFactorCodesFile, s.signedInOnly)
	e.POST("/profile/two-factor/off", s.twoFactorOff, s.signedInOnly)

	e.GET("/profile", s.profile, s.signedInOnly)
	e.POST("/profile/password", s.changePassword, s.signedInOnly)
	e.POST("/profile/name", s.changeName, s.signedInOnly)
	e.POST("/profile/language", s.changeLanguage, s.signedInOnly)
	e.POST("/profile/sessions/others/end", s.endOtherSessions, s.signedInOnly)
	e.POST("/profile/sessions/:sid/end", s.endSession, s.signedInOnly)
	e.POST("/settings/account/language", s.changeAccountLanguage, s.signedInOnly, s.accountAdminOnly)

	admin := e.Group("/settings", s.signedInOnly, s.adminOnly)
	admin.GET("/users", s.usersList)
	admin.GET("/users.csv", s.exportUsers)
	admin.GET("/users/invite", s.inviteForm)
	admin.POST("/users/invite", s.invite)
	admin.GET("/users/:id/actions", s.userActions)
	admin.GET("/users/:id", s.userPage)
	admin.GET("/users/:id/sessions/end", s.endUserSessionsConfirm)
	admin.POST("/users/:id/sessions/end", s.endUserSessions)
	s.routeImport(admin)
	s.routeBulk(admin) // before the row actions: /users/bulk is no user id
	s.routeRowActions(admin)
	admin.POST("/users/:id/invitation/remove", s.removeRoles) // a step inside Manage invitation

	admin.GET("/spaces", s.spacesList)
	admin.POST("/spaces", s.createSpace)
	admin.GET("/spaces/:sid", s.spacePage)
	admin.GET("/spaces/:sid/people/:id/remove", s.removeFromSpaceConfirm)
	admin.POST("/spaces/:sid/people/:id/remove", s.removeFromSpace)
	admin.GET("/spaces/:sid/rename", s.renameForm)
	admin.POST("/spaces/:sid/rename", s.rename)
	admin.GET("/spaces/:sid/delete", s.deleteSpaceConfirm)
	admin.POST("/spaces/:sid/delete", s.deleteSpace)

	// The activity log (issue 17): the page and its export.
	admin.GET("/activity", s.activityPage)
	admin.GET("/activity.csv", s.activityCSV)
	admin.GET("/api-tokens", s.apiTokensPage)
	admin.POST("/api-tokens", s.createAPIToken)
	admin.POST("/api-tokens/:tid/revoke", s.revokeAPIToken)
	ap := e.Group("/settings/apps", s.signedInOnly, s.accountAdminOnly)
	ap.GET("", s.appsPage)
	ap.POST("", s.registerApp)
	ap.GET("/:aid", s.appPage)
	ap.POST("/:aid/secret", s.rotateAppSecret)
	ap.POST("/:aid/secret/revoke", s.revokeAppSecret)
	ap.POST("/:aid/delete", s.deleteApp)
	hooks := e.Group("/settings/webhooks", s.signedInOnly, s.accountAdminOnly)
	hooks.GET("", s.webhooksPage)
	hooks.POST("", s.createWebhook)
	hooks.GET("/:wid", s.webhookPage)
	hooks.POST("/:wid/delete", s.deleteWebhook)
	hooks.POST("/:wid/resume", s.resumeWebhook)
	hooks.POST("/:wid/deliveries/:did/again", s.sendWebhookAgain)

	s.routeAPI()

	dev := e.Group("/dev", s.signedInOnly, s.accountAdminOnly, s.mailboxOn)
	dev.GET("/mailbox", s.mailbox)
	dev.GET("/mailbox/:id", s.mailboxMessage, noReferrer)
	dev.GET("/mailbox/:id/html", s.mailboxHTML, noReferrer)
}

// Routes lists what the server serves (for tests that compare it with
// what the API's document says).
func (s *Server) Routes() []*echo.Route { return s.echo.Routes() }
