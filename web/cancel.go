package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/users"
	userviews "github.com/usherhq/usher/views/pages/users"
)

func (s *Server) cancel(c echo.Context) error {
	return s.rowAction(c, func(ctx context.Context, id int64) (users.Changed, error) {
		return s.Invitations.Cancel(ctx, actor(c), id)
	}, "Invitation for %s cancelled.")
}

func (s *Server) cancelConfirm(c echo.Context) error {
	return s.confirm(c, func(l users.Listed, v *userviews.Confirm) {
		v.Heading = "Cancel the invitation for " + l.Email + "?"
		v.Body = "The invitation link stops working at once."
		if l.ActivatedAt.IsZero() {
			v.Body += " " + l.Email + " has never joined, so they leave the users list."
		}
		v.Confirm, v.Keep, v.Action = "Cancel invitation", "Keep invitation", v.Action+"cancel"
	})
}
