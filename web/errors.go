package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
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

var headingOf = map[int]string{
	http.StatusBadRequest:            "That request did not make sense",
	http.StatusUnprocessableEntity:   "Please check what you entered",
	http.StatusNotFound:              "Page not found",
	http.StatusConflict:              "That could not be done",
	http.StatusForbidden:             "You cannot open this page",
	http.StatusUnauthorized:          "Please sign in",
	http.StatusTooManyRequests:       "Too many attempts",
	http.StatusMethodNotAllowed:      "That request did not make sense",
	http.StatusRequestEntityTooLarge: "That was too much to send",
	http.StatusInternalServerError:   "Something went wrong",
}

// handleError is the one place errors become responses: a domain code
// becomes a status and a sentence saying what to do. Internal details go to
// the log only.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, errs.MessageOf(err)
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		switch status {
		case http.StatusNotFound:
			msg = "There is nothing at this address. Check the link, or go back to the start."
		case http.StatusRequestEntityTooLarge:
			msg = "The form sent more than Usher accepts. Shorten what you entered and try again."
		case http.StatusMethodNotAllowed:
			msg = "This address does not accept that kind of request. Go back and use the page's buttons."
		default:
			msg = http.StatusText(status)
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
	sh := s.bareShell(c, headingOf[status], "")
	v := errorpage.View{Shell: sh, Status: status, Heading: headingOf[status], Message: msg}
	if v.Heading == "" {
		v.Heading = http.StatusText(status)
		v.Shell.Title = v.Heading
	}
	if cur := currentOf(c); cur != nil && cur.Access.IsAdmin() {
		v.Back, v.BackText = "/settings/users", "Go to Settings > Users"
	} else if cur != nil {
		v.Back, v.BackText = "/profile", "Go to your profile"
	} else {
		v.Back, v.BackText = "/login", "Go to sign in"
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
