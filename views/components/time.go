package components

import (
	"context"
	"io"
	"time"

	"github.com/a-h/templ"

	"github.com/usherhq/usher/internal/i18n"
)

// TimeAgo shows "3 days ago" with the exact time on hover and focus, in
// the language of the request.
func TimeAgo(now, t time.Time) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		h := NewWriter(w)
		h.TimeAgo(i18n.From(ctx), now, t)
		return h.Err()
	})
}

// TimeIn shows "in 6 days" with the exact time on hover and focus.
func TimeIn(now, t time.Time) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		h := NewWriter(w)
		h.TimeIn(i18n.From(ctx), now, t)
		return h.Err()
	})
}
