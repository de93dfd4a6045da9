package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/users"
	userviews "github.com/usherhq/usher/views/pages/users"
)

func (s *Server) deleteUser(c echo.Context) error {
	return s.rowAction(c, func(ctx context.Context, id int64) (users.Changed, error) {
		cur := currentOf(c)
		return s.Users.Delete(ctx, cur.Access, cur.User, id)
	}, "users.flash.deleted")
}

func (s *Server) deleteConfirm(c echo.Context) error {
	return s.confirm(c, func(l users.Listed, v *userviews.Confirm) {
		loc := locale(c)
		v.Heading = loc.T("users.confirm.delete.heading", "Email", l.Email)
		v.Body = loc.T("users.confirm.delete.body")
		if l.Invite != nil {
			v.Body = loc.T("users.confirm.delete.body_invited")
		}
		v.Confirm, v.Keep, v.Action = loc.T("users.confirm.delete.confirm"), loc.T("users.confirm.delete.keep"), v.Action+"delete"
	})
}
