package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/users"
)

func (s *Server) renew(c echo.Context) error {
	return s.rowAction(c, func(ctx context.Context, id int64) (users.Changed, error) {
		return s.Invitations.Renew(ctx, actor(c), id)
	}, "users.flash.renewed")
}
