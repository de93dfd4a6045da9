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
	}, "%s was deleted.")
}

func (s *Server) deleteConfirm(c echo.Context) error {
	return s.confirm(c, func(l users.Listed, v *userviews.Confirm) {
		v.Heading = "Delete " + l.Email + "?"
		v.Body = "They lose access at once and leave the users list. This cannot be undone."
		if l.Invite != nil {
			v.Body += " Their invitation link stops working."
		}
		v.Confirm, v.Keep, v.Action = "Delete user", "Keep user", v.Action+"delete"
	})
}
