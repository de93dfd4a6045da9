package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/users"
)

func (s *Server) resend(c echo.Context) error {
	return s.rowAction(c, func(ctx context.Context, id int64) (users.Changed, error) {
		return s.Invitations.Resend(ctx, actor(c), id)
	}, "users.flash.resent")
}
