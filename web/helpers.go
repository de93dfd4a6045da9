package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/views/components"
)

// actor is the signed-in person, as the services take them.
func actor(c echo.Context) invitations.Actor {
	cur := currentOf(c)
	return invitations.Actor{User: cur.User, Access: cur.Access}
}

// userID is the :id of the path; anything but a positive number names no
// user.
func userID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.T(errs.NotFound, "error.no_such_user")
	}
	return id, nil
}

// returnTo accepts only a path inside Settings (the users list or a
// space's page), so the "return" field can never send anyone to another
// site.
func returnTo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.IsAbs() || u.Host != "" || strings.HasPrefix(raw, "//") ||
		!(strings.HasPrefix(u.Path, "/settings/users") || strings.HasPrefix(u.Path, "/settings/spaces/")) {
		return "/settings/users"
	}
	return u.RequestURI()
}

func success(format string, a ...any) components.Banner {
	return components.Banner{Kind: "success", Message: fmt.Sprintf(format, a...)}
}

// successT is a success banner saying message id in the request's
// language, its placeholders filled from name/value pairs.
func successT(c echo.Context, id string, kv ...any) components.Banner {
	return components.Banner{Kind: "success", Message: locale(c).T(id, kv...)}
}

// formErrors turns an Invalid error about a field into what a form
// shows, in the language ctx speaks.
func formErrors(ctx context.Context, err error) ([]components.FieldError, components.FieldErrors, bool) {
	var e *errs.Error
	if !asError(err, &e) || e.Code != errs.Invalid || e.Field == "" {
		return nil, nil, false
	}
	msg := errs.Say(ctx, e)
	return []components.FieldError{{Field: e.Field, Message: msg}}, components.FieldErrors{e.Field: msg}, true
}

// flashKey holds the one banner waiting for the next page.
const flashKey = "_flash"

// maxFlash bounds, in bytes, the message a banner keeps in the cookie,
// well inside the cookie's 4 KB once signed and encrypted: messages name a
// few addresses and count the rest, and this holds whatever a message says.
const maxFlash = 1024

// flash keeps banner b for the next page, in place of any banner still
// waiting there: a client that never follows its redirects does not pile
// them up.
func (s *Server) flash(c echo.Context, b components.Banner) error {
	sess := s.session(c)
	sess.Values[flashKey] = b.Kind + "\x00" + clip(b.Message, maxFlash)
	err := s.saveSession(c, sess)
	if err != nil {
		delete(sess.Values, flashKey)
	}
	return err
}

// flashTo ends an action that is done: banner b on the page at path, after
// a redirect. What is done stays done, so when the session cannot keep the
// banner the answer is not an error: this response shows b itself, with a
// link on to path.
func (s *Server) flashTo(c echo.Context, path string, b components.Banner) error {
	if err := s.flash(c, b); err != nil {
		s.Log.Error("keeping a banner for the next page", "path", c.Path(), "err", err)
		return s.donePage(c, path, b)
	}
	return c.Redirect(http.StatusSeeOther, path)
}

// clip cuts msg to at most n bytes, at a character boundary, and says so
// with an ellipsis.
func clip(msg string, n int) string {
	if len(msg) <= n {
		return msg
	}
	const more = "…"
	cut := n - len(more)
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + more
}

// hasFlash reports whether a banner waits for the next page.
func (s *Server) hasFlash(c echo.Context) bool {
	_, ok := s.session(c).Values[flashKey]
	return ok
}

// takeFlash returns and clears the stored banner, if any.
func (s *Server) takeFlash(c echo.Context) (components.Banner, error) {
	sess := s.session(c)
	v, ok := sess.Values[flashKey]
	if !ok {
		return components.Banner{}, nil
	}
	delete(sess.Values, flashKey)
	var b components.Banner
	if kept, ok := v.(string); ok {
		b.Kind, b.Message, _ = strings.Cut(kept, "\x00")
	}
	return b, s.saveSession(c, sess)
}
