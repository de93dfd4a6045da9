package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	userviews "github.com/usherhq/usher/views/pages/users"
)

// userActions is the no-JavaScript page behind a row's ••• link.
func (s *Server) userActions(c echo.Context) error {
	l, err := s.listedUser(c)
	if err != nil {
		return err
	}
	sh, err := s.shell(c, locale(c).T("users.actions.title", "Email", l.Email), "users")
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, userviews.ActionsPage(userviews.Actions{Shell: sh, Row: s.listRow(locale(c), currentOf(c).Access, l, s.Clock.Now()), Return: returnTo(c.QueryParam("return"))}))
}
