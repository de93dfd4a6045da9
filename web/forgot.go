package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	authviews "github.com/usherhq/usher/views/pages/auth"
)

// forgotForm is Forgot password, linked from the sign-in page.
func (s *Server) forgotForm(c echo.Context) error {
	return s.renderForgot(c, http.StatusOK, authviews.Forgot{})
}

func (s *Server) renderForgot(c echo.Context, status int, v authviews.Forgot) error {
	l := locale(c)
	sh, err := s.shell(c, l.T("reset.forgot.title"), "")
	if err != nil {
		return err
	}
	v.Shell = sh
	v.TTL = l.Span(s.Resets.TTL())
	return s.render(c, status, authviews.ForgotPage(v))
}

// forgot takes the form. Every address gets the same answer after the
// same work: the form is kept, and the email sender's round decides what
// it comes to (resets.Service.Ask). The address is not repeated on the
// page, so known and unknown ones get the same bytes.
func (s *Server) forgot(c echo.Context) error {
	email := c.FormValue("email")
	if err := s.limits.checkForgot(clientKey(c), email); err != nil {
		setRetryAfter(c, err)
		return s.renderForgot(c, http.StatusTooManyRequests, authviews.Forgot{Error: errs.Say(c.Request().Context(), err)})
	}
	err := s.Resets.Ask(c.Request().Context(), email, locale(c).Code)
	if list, fields, ok := formErrors(c.Request().Context(), err); ok {
		return s.renderForgot(c, http.StatusUnprocessableEntity, authviews.Forgot{Email: email, Errors: list, Field: fields})
	}
	if err != nil {
		return err
	}
	s.Notify()
	return s.renderForgot(c, http.StatusOK, authviews.Forgot{Sent: true})
}
