package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/users"
	userviews "github.com/usherhq/usher/views/pages/users"
)

func (s *Server) deactivate(c echo.Context) error {
	return s.rowAction(c, func(ctx context.Context, id int64) (users.Changed, error) {
		return s.Users.Deactivate(ctx, currentOf(c).Access, id)
	}, "%s was deactivated and signed out everywhere.")
}

func (s *Server) deactivateConfirm(c echo.Context) error {
	return s.confirm(c, func(l users.Listed, v *userviews.Confirm) {
		v.Heading = "Deactivate " + l.Email + "?"
		v.Body = "They are signed out everywhere at once and cannot sign in until someone activates them again. Their roles are kept."
		if l.Invite != nil {
			v.Body += " Their invitation link stops working while they are deactivated."
		}
		v.Confirm, v.Keep, v.Action = "Deactivate user", "Don't deactivate", v.Action+"deactivate"
	})
}
