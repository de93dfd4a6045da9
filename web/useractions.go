package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/views/components"
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
	return s.render(c, http.StatusOK, userviews.ActionsPage(userviews.Actions{Shell: sh, Row: s.listRow(currentOf(c).Access, l, s.Clock.Now()), Return: returnTo(c.QueryParam("return"))}))
}

// said is a success banner saying message id about the user with email,
// in the reader's language.
func said(c echo.Context, id, email string) components.Banner {
	return components.Banner{Kind: "success", Message: locale(c).T(id, "Email", email)}
}

// saying is message id, in the reader's language, as the format rowAction
// fills with the user's address: %s in the address's place, any other
// percent sign escaped.
func saying(c echo.Context, id string) string {
	const mark = "\x00"
	msg := strings.ReplaceAll(locale(c).T(id, "Email", mark), "%", "%%")
	return strings.Replace(msg, mark, "%s", 1)
}
