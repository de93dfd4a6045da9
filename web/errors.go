package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/views/components"
	"github.com/usherhq/usher/views/pages/errorpage"
)

func asError(err error, target **errs.Error) bool { return errors.As(err, target) }

var statusOf = map[errs.Code]int{
	errs.Invalid:      http.StatusUnprocessableEntity,
	errs.NotFound:     http.StatusNotFound,
	errs.Conflict:     http.StatusConflict,
	errs.Forbidden:    http.StatusForbidden,
	errs.Unauthorized: http.StatusUnauthorized,
	errs.TooMany:      http.StatusTooManyRequests,
	errs.Internal:     http.StatusInternalServerError,
}

// headingOf is the message id of the error page's heading for a status.
var headingOf = map[int]string{
	http.StatusBadRequest:            "error.heading.bad_request",
	http.StatusUnprocessableEntity:   "error.heading.invalid",
	http.StatusNotFound:              "error.heading.not_found",
	http.StatusConflict:              "error.heading.conflict",
	http.StatusForbidden:             "error.heading.forbidden",
	http.StatusUnauthorized:          "error.heading.unauthorized",
	http.StatusTooManyRequests:       "error.heading.too_many",
	http.StatusMethodNotAllowed:      "error.heading.bad_request",
	http.StatusRequestEntityTooLarge: "error.heading.too_large",
	http.StatusInternalServerError:   "error.heading.internal",
}

// statusTexts are the statuses whose standard text has a message of its
// own, error.status.<code>, for an Echo error that says nothing else.
var statusTexts = map[int]bool{400: true, 401: true, 403: true, 408: true, 415: true, 429: true, 500: true, 503: true}

// statusText is what an Echo error of status says, in loc.
func statusText(loc *i18n.Locale, status int) string {
	if statusTexts[status] {
		return loc.T("error.status." + strconv.Itoa(status))
	}
	return http.StatusText(status)
}

// statusClientGone is the status logged for a request whose client went
// away before the answer (nginx's 499).
const statusClientGone = 499

// clientGone says whether the client of c went away before its answer (a
// closed tab, a load generator stopping): its queries are interrupted.
func clientGone(c echo.Context) bool {
	return errors.Is(c.Request().Context().Err(), context.Canceled)
}

// logError logs a failure serving c, unless the client went away and the
// failure is only its interrupted query: that is said at INFO.
func (s *Server) logError(c echo.Context, msg string, args ...any) {
	if clientGone(c) {
		s.Log.Info(msg+" (the client went away)", args...)
		return
	}
	s.Log.Error(msg, args...)
}

// handleError is the one place errors become responses: a domain code
// becomes a status and a sentence saying what to do. Internal details go to
// the log only.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if clientGone(c) {
		// Whatever failed, failed because its query was interrupted, and
		// nobody reads an answer. Said as nginx does, 499, not as a failure.
		s.logError(c, "request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
		c.Response().WriteHeader(statusClientGone)
		return
	}
	if isAPI(c) {
		s.apiError(err, c)
		return
	}
	loc := locale(c)
	status, msg := http.StatusInternalServerError, errs.Say(c.Request().Context(), err)
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		switch status {
		case http.StatusNotFound:
			msg = loc.T("error.not_found")
		case http.StatusRequestEntityTooLarge:
			msg = loc.T("error.too_large")
		case http.StatusMethodNotAllowed:
			msg = loc.T("error.method")
		default:
			msg = statusText(loc, status)
		}
	default:
		status = statusOf[errs.CodeOf(err)]
	}
	if status >= 500 {
		s.Log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}

	if status == http.StatusUnauthorized && c.Request().Method == http.MethodGet && !isHTMX(c) {
		_ = c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		return
	}
	if status == http.StatusTooManyRequests {
		setRetryAfter(c, err)
	}
	banner := components.Banner{Kind: "error", Message: msg}
	if isHTMX(c) {
		// Leave the page as it is and show the banner.
		c.Response().Header().Set("HX-Reswap", "none")
		_ = s.render(c, status, components.BannerOOB(banner))
		return
	}
	if c.Request().Header.Get("Accept") == "application/json" {
		_ = c.JSON(status, map[string]string{"message": msg})
		return
	}
	heading := http.StatusText(status)
	if id, ok := headingOf[status]; ok {
		heading = loc.T(id)
	}
	sh := s.bareShell(c, heading, "")
	v := errorpage.View{Shell: sh, Status: status, Heading: heading, Message: msg}
	if cur := currentOf(c); cur != nil && cur.Access.IsAdmin() {
		v.Back, v.BackText = "/settings/users", loc.T("error.back.users")
	} else if cur != nil {
		v.Back, v.BackText = "/profile", loc.T("error.back.profile")
	} else {
		v.Back, v.BackText = "/login", loc.T("error.back.login")
	}
	if err := s.render(c, status, errorpage.Page(v)); err != nil {
		s.Log.Error("rendering error page", "err", err)
		_ = c.String(status, msg)
	}
}

// setRetryAfter says in Retry-After how long a rate-limited err asks to
// wait: whole seconds, rounded up; a minute when it does not say.
func setRetryAfter(c echo.Context, err error) {
	secs := int64(60)
	if d := errs.RetryAfterOf(err); d > 0 {
		secs = int64((d + time.Second - 1) / time.Second)
	}
	c.Response().Header().Set("Retry-After", strconv.FormatInt(secs, 10))
}
