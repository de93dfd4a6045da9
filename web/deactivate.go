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
	}, "users.flash.deactivated")
}

func (s *Server) deactivateConfirm(c echo.Context) error {
	return s.confirm(c, func(l users.Listed, v *userviews.Confirm) {
		loc := locale(c)
		v.Heading = loc.T("users.confirm.deactivate.heading", "Email", l.Email)
		v.Body = loc.T("users.confirm.deactivate.body")
		if l.Invite != nil {
			v.Body = loc.T("users.confirm.deactivate.body_invited")
		}
		v.Confirm, v.Keep, v.Action = loc.T("users.confirm.deactivate.confirm"), loc.T("users.confirm.deactivate.keep"), v.Action+"deactivate"
	})
}
