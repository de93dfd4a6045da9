package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/users"
)

// sendReset is the row action "Send password reset link" (active users),
// POST /settings/users/:id/reset, which the user's page may post to too.
func (s *Server) sendReset(c echo.Context) error {
	return s.rowAction(c, func(ctx context.Context, id int64) (users.Changed, error) {
		return s.Resets.Send(ctx, actor(c), id)
	}, "reset.flash.sent")
}
