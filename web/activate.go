package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/users"
)

func (s *Server) activate(c echo.Context) error {
	return s.rowAction(c, func(ctx context.Context, id int64) (users.Changed, error) {
		return s.Users.Activate(ctx, currentOf(c).Access, id)
	}, "users.flash.activated")
}
