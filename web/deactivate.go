package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/users"
)

func (s *Server) deactivate(c echo.Context) error {
	return s.rowAction(c, func(ctx context.Context, id int64) (users.Changed, error) {
		return s.Users.Deactivate(ctx, currentOf(c).Access, id)
	}, "%s was deactivated and signed out everywhere.")
}
