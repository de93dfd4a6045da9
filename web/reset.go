package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/users"
	authviews "github.com/usherhq/usher/views/pages/auth"
)

// resetForm is the page a reset link opens. Opening it never uses the
// link: mail scanners open links before people do.
func (s *Server) resetForm(c echo.Context) error {
	_, u, err := s.Resets.Lookup(c.Request().Context(), c.Param("token"))
	if errs.Is(err, errs.NotFound) {
		return s.deadResetLink(c)
	}
	if err != nil {
		return err
	}
	return s.renderReset(c, http.StatusOK, u, authviews.Reset{})
}

func (s *Server) renderReset(c echo.Context, status int, u users.User, v authviews.Reset) error {
	// The page speaks the person's language, if they chose one.
	if chosenLocale(c) == nil && u.Language != "" {
		setLocale(c, i18n.Default().Locale(u.Language))
	}
	l := locale(c)
	sh, err := s.shell(c, l.T("reset.form.title"), "")
	if err != nil {
		return err
	}
	sh.Path = "/reset/" + c.Param("token") // the switch comes back to this link
	v.Shell = sh
	v.Action = "/reset/" + c.Param("token")
	v.Email = u.Email
	v.Account = sh.AccountName
	return s.render(c, status, authviews.ResetPage(v))
}

// deadResetLink answers a link that does not work, whatever the reason
// (used, expired, replaced, unknown): the same page and status, with the
// way to ask for a new one. Each counts against the client's address, so
// that guessing links is slow.
func (s *Server) deadResetLink(c echo.Context) error {
	if err := check(s.limits.badToken, clientKey(c)); err != nil {
		return err
	}
	sh, err := s.shell(c, locale(c).T("reset.dead.title"), "")
	if err != nil {
		return err
	}
	sh.Path = "/reset/" + c.Param("token")
	return s.render(c, http.StatusNotFound, authviews.ResetPage(authviews.Reset{Shell: sh, Dead: true}))
}

// reset takes the new password: the person is signed in afresh, and
// every other session of theirs ends.
func (s *Server) reset(c echo.Context) error {
	if err := check(s.limits.accept, clientKey(c)); err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.Resets.Reset(ctx, c.Param("token"), c.FormValue("password"), deviceOf(c))
	if errs.Is(err, errs.NotFound) {
		return s.deadResetLink(c)
	}
	if list, fields, ok := formErrors(ctx, err); ok {
		return s.renderReset(c, http.StatusUnprocessableEntity, u, authviews.Reset{Errors: list, Field: fields})
	}
	if err != nil {
		return err
	}
	s.Notify()
	to, err := s.landingOf(c, u)
	if err != nil {
		return err
	}
	if u.Language != "" {
		setLocale(c, i18n.Default().Locale(u.Language))
	}
	return s.startSession(c, u, to, successT(c, "reset.done"))
}
