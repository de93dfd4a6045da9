package web

import (
	"context"
	"sync/atomic"

	"github.com/labstack/echo/v4"
)

// changesKey holds a request's changesAsked.
type changesKey struct{}

// changesAsked says whether the request has asked the database once
// whether anything changed (Changes). Once is enough: what any process
// committed before the request came is seen by it, and this process's
// own writes during it move the generation on by themselves (Seen).
type changesAsked struct{ done atomic.Bool }

// watchChanges gives each request its changesAsked.
func (s *Server) watchChanges(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), changesKey{}, &changesAsked{})))
		return next(c)
	}
}

// changes is the database's generation for the request of ctx: asked of
// the database the first time, as last seen afterwards.
func (s *Server) changes(ctx context.Context) uint64 {
	if a, ok := ctx.Value(changesKey{}).(*changesAsked); ok && s.Seen != nil && !a.done.CompareAndSwap(false, true) {
		return s.Seen()
	}
	return s.Changes()
}
