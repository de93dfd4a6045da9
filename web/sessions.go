package web

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/sessions"
	"github.com/usherhq/usher/views/components"
)

// Profile > Sessions: the person's own sign-ins, each but this one ended
// by a plain form.

// endSession ends one of the signed-in person's other sessions. Another
// person's session id is not found: a person reaches only their own.
func (s *Server) endSession(c echo.Context) error {
	cur := currentOf(c)
	id, err := strconv.ParseInt(c.Param("sid"), 10, 64)
	if err != nil || id <= 0 {
		return errs.T(errs.NotFound, "sessions.err.no_such")
	}
	if id == cur.Session.ID {
		// This device's session is ended by signing out.
		return errs.T(errs.Conflict, "sessions.err.this_device")
	}
	if err := s.Sessions.End(c.Request().Context(), cur.User.ID, id); err != nil {
		return err
	}
	return s.flashTo(c, "/profile#sessions", successT(c, "sessions.ended"))
}

// endOtherSessions ends every session of the person but this one.
func (s *Server) endOtherSessions(c echo.Context) error {
	cur := currentOf(c)
	n, err := s.Sessions.EndOthers(c.Request().Context(), cur.User.ID, cur.Session.ID)
	if err != nil {
		return err
	}
	msg := locale(c).T("sessions.ended_none")
	if n > 0 {
		msg = locale(c).N("sessions.ended_others", n)
	}
	return s.flashTo(c, "/profile#sessions", success("%s", msg))
}

// sessionRows are sessions as the pages list them; this is the id of the
// request's own session (0: none of them).
func sessionRows(l *i18n.Locale, list []sessions.Session, this int64) []components.SessionRow {
	out := make([]components.SessionRow, 0, len(list))
	for _, x := range list {
		out = append(out, components.SessionRow{
			ID: x.ID, Browser: browserWords(l, x.Browser), IP: x.IP,
			SignedIn: x.CreatedAt, LastSeen: x.LastSeenAt, ThisDevice: x.ID == this,
		})
	}
	return out
}

// browserWords says b as a person would: "Firefox on Windows".
func browserWords(l *i18n.Locale, b sessions.Browser) string {
	switch {
	case b.Name != "" && b.OS != "":
		return l.T("sessions.browser_on", "Browser", b.Name, "OS", b.OS)
	case b.Name != "":
		return b.Name
	case b.OS != "":
		return l.T("sessions.unknown_browser_on", "OS", b.OS)
	}
	return l.T("sessions.unknown_browser")
}

// mySessions are the signed-in person's sessions for their profile.
func (s *Server) mySessions(c echo.Context) ([]components.SessionRow, time.Time, error) {
	cur := currentOf(c)
	list, err := s.Sessions.Mine(c.Request().Context(), cur.User.ID)
	return sessionRows(locale(c), list, cur.Session.ID), s.Clock.Now(), err
}
