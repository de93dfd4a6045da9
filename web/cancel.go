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
	}, "users.flash.cancelled")
}

func (s *Server) cancelConfirm(c echo.Context) error {
	return s.confirm(c, func(l users.Listed, v *userviews.Confirm) {
		loc := locale(c)
		v.Heading = loc.T("users.confirm.cancel.heading", "Email", l.Email)
		v.Body = loc.T("users.confirm.cancel.body")
		if l.ActivatedAt.IsZero() {
			v.Body = loc.T("users.confirm.cancel.body_never_joined", "Email", l.Email)
		}
		v.Confirm, v.Keep, v.Action = loc.T("users.confirm.cancel.confirm"), loc.T("users.confirm.cancel.keep"), v.Action+"cancel"
	})
}
