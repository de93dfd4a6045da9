package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
)

const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// tokenInPath reports whether a URL path holds a secret: an invitation or
// first-run setup link.
func tokenInPath(path string) bool {
	return strings.HasPrefix(path, "/invite/") || strings.HasPrefix(path, "/setup/")
}

func setSecurityHeaders(h http.Header, secure bool, path string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if tokenInPath(path) {
		// By path, not by route: error pages that no route's middleware
		// reached (413, 405, a refused cross-site post) hold the token too.
		h.Set("Referrer-Policy", "no-referrer")
	}
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if secure {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
}

// securityHeaders puts the headers on every response, error pages and
// htmx fragments included.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		setSecurityHeaders(c.Response().Header(), s.Config.Secure(), c.Request().URL.Path)
		return next(c)
	}
}

// noReferrer keeps a token in the URL from leaking to other sites.
func noReferrer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		return next(c)
	}
}

// recoverPanics turns a panic into a 500 page and a log line with the stack.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r) // a response cut short on purpose (exportUsers)
				}
				s.Log.Error("panic", "path", c.Path(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = errs.Wrap(fmt.Errorf("panic: %v", r), "handling request")
			}
		}()
		return next(c)
	}
}

// logRequests writes one structured line per request. Paths that hold a
// token are logged with the token cut out.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := s.Clock.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		path := c.Request().URL.Path
		if tokenInPath(path) {
			path = c.Path()
		}
		level := slog.LevelInfo
		if c.Response().Status >= 500 {
			level = slog.LevelError
		}
		if path != "/healthz" && !strings.HasPrefix(path, "/static/") {
			s.Log.Log(c.Request().Context(), level, "request", "method", c.Request().Method, "path", path,
				"status", c.Response().Status, "ms", s.Clock.Now().Sub(start).Milliseconds(), "ip", c.RealIP())
		}
		return nil
	}
}

// activitySource puts who is acting, and from which address, in the
// context of every request that may change something, for the activity
// row the store writes with the change (activity.Source). Pages that only
// read are left alone: they write nothing, and the users page is the
// hottest path there is.
func (s *Server) activitySource(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return next(c)
		}
		src := activity.Source{IP: c.RealIP()}
		cur := currentOf(c)
		if cur == nil {
			cur, _ = c.Get(pendingKey).(*current)
		}
		if cur != nil {
			src.ActorID, src.ActorName, src.ActorEmail = cur.User.ID, cur.User.Name, cur.User.Email
		}
		c.SetRequest(r.WithContext(activity.With(r.Context(), src)))
		return next(c)
	}
}

// signedInOnly sends people who are not signed in to the sign-in page.
func (s *Server) signedInOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentOf(c) == nil {
			return errs.T(errs.Unauthorized, "session.sign_in_to_continue")
		}
		return next(c)
	}
}

// adminOnly refuses people who administer nothing. Which rows and spaces an
// administrator may touch is checked again by each action.
func (s *Server) adminOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !currentOf(c).Access.IsAdmin() {
			return errs.T(errs.Forbidden, "web.admins_only")
		}
		return next(c)
	}
}

func (s *Server) accountAdminOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !currentOf(c).Access.AccountAdmin {
			return errs.T(errs.Forbidden, "web.account_admins_only")
		}
		return next(c)
	}
}

func (s *Server) mailboxOn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.Mailbox == nil {
			return errs.T(errs.NotFound, "web.mailbox_off")
		}
		return next(c)
	}
}

// wakeSender wakes the email sender after any change that went through: a
// change may have queued an email or a webhook (with its activity row),
// whichever page or operation made it; accepting an invitation queues a
// webhook and no email. Waking it costs a channel send, and it finds
// nothing due when nothing was queued.
func (s *Server) wakeSender(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead && err == nil && c.Response().Status < 400 {
			s.Notify()
		}
		return err
	}
}
