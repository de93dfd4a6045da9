package web

import (
	"bytes"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/views/layouts"
)

// render writes a component with status. It renders into a buffer first, so
// a failed render never sends half a page with a 200.
func (s *Server) render(c echo.Context, status int, page templ.Component) error {
	var buf bytes.Buffer
	if err := page.Render(c.Request().Context(), &buf); err != nil {
		return errs.Wrap(err, "rendering page")
	}
	c.Response().Header().Add("Vary", "HX-Request")
	return c.HTMLBlob(status, buf.Bytes())
}

// isHTMX reports whether the request came from htmx (wants a fragment).
func isHTMX(c echo.Context) bool {
	return c.Request().Header.Get("HX-Request") == "true"
}

// shell is the page frame for the current request, with any flash banner.
func (s *Server) shell(c echo.Context, title, nav string) (layouts.Shell, error) {
	sh := s.bareShell(c, title, nav)
	b, err := s.takeFlash(c)
	sh.Banner = b
	return sh, err
}

// bareShell is the page frame without taking the flash, for error pages: a
// banner waiting for the next page is not spent on an error.
func (s *Server) bareShell(c echo.Context, title, nav string) layouts.Shell {
	sh := layouts.Shell{Title: title, Nav: nav, Mailbox: s.Mailbox != nil, Lang: locale(c).Tag()}
	// The language switch returns to the page, unless its address holds a
	// token: that is echoed only where it is meant to be (acceptView).
	if !tokenInPath(c.Request().URL.Path) {
		sh.Path = c.Request().URL.RequestURI()
	}
	if cur := currentOf(c); cur != nil {
		sh.AccountName = cur.Account.Name
		sh.UserName = cur.User.DisplayName()
		sh.IsAdmin = cur.Access.IsAdmin()
		sh.AccountAdmin = cur.Access.AccountAdmin
		if sh.AccountAdmin && s.Deliveries != nil {
			sh.MailOutage = s.mailOutage(c, cur)
		}
	} else if acc, err := s.Users.Account(c.Request().Context()); err == nil {
		sh.AccountName = acc.Name
	}
	return sh
}

// dialogOrPage answers an htmx request with the <dialog> and any other
// with the same content as a page of its own (the no-JavaScript path).
func (s *Server) dialogOrPage(c echo.Context, status int, dialog templ.Component, title string, page func(layouts.Shell) templ.Component) error {
	if isHTMX(c) {
		return s.render(c, status, dialog)
	}
	sh, err := s.shell(c, title, "users")
	if err != nil {
		return err
	}
	return s.render(c, status, page(sh))
}

// mailOutage is the account-wide notice while the mail server fails every
// message, for an account administrator. A page is shown without it
// rather than not at all when it cannot be read.
func (s *Server) mailOutage(c echo.Context, cur *current) *layouts.MailOutage {
	o, err := s.Deliveries.Outage(c.Request().Context(), cur.Access)
	if err != nil {
		s.logError(c, "reading how email delivery goes", "err", err)
		return nil
	}
	if o.IsZero() {
		return nil
	}
	return &layouts.MailOutage{Reason: o.Reply, Since: o.Since, Now: s.Clock.Now(), Queued: o.Queued}
}
