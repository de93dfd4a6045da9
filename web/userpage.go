package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	userviews "github.com/usherhq/usher/views/pages/users"
)

// userPage is a user's page: who they are, their last sign-in and their
// sessions, for the administrators who may see them on the users list
// (users.Row's rule, the row actions' own).
func (s *Server) userPage(c echo.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	cur := currentOf(c)
	l, list, err := s.Sessions.Of(c.Request().Context(), cur.Access, id)
	if err != nil {
		return err
	}
	loc := locale(c)
	now := s.Clock.Now()
	sh, err := s.shell(c, loc.T("userpage.title", "Name", l.DisplayName()), "users")
	if err != nil {
		return err
	}
	row := s.listRow(loc, cur.Access, l, now)
	row.Name = l.DisplayName()
	this := int64(0)
	if l.ID == cur.User.ID {
		this = cur.Session.ID
	}
	return s.render(c, http.StatusOK, userviews.UserPage(userviews.User{
		Shell: sh, Row: row, LastSignIn: l.LastSignInAt, Sessions: sessionRows(loc, list, this), Now: now,
	}))
}

// endUserSessionsConfirm asks before an administrator ends all of a
// user's sessions (a page of its own: the user's page has no dialog).
func (s *Server) endUserSessionsConfirm(c echo.Context) error {
	l, err := s.listedUser(c)
	if err != nil {
		return err
	}
	loc := locale(c)
	back := userviews.UserPath(l.ID)
	v := userviews.Confirm{
		Heading: loc.T("userpage.end_all.heading", "Name", l.DisplayName()),
		Body:    loc.T("userpage.end_all.body", "Email", l.Email),
		Action:  back + "/sessions/end",
		Confirm: loc.T("userpage.end_all.confirm"),
		Keep:    loc.T("userpage.end_all.keep"),
		Return:  back,
	}
	if v.Shell, err = s.shell(c, v.Heading, "users"); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, userviews.ConfirmPage(v))
}

// endUserSessions ends every session of a user the administrator may see;
// the banner says how many ended.
func (s *Server) endUserSessions(c echo.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	l, n, err := s.Sessions.EndAllOf(c.Request().Context(), currentOf(c).Access, id)
	if err != nil {
		return err
	}
	msg := locale(c).T("userpage.ended_none", "Email", l.Email)
	if n > 0 {
		msg = locale(c).N("userpage.ended", n, "Email", l.Email)
	}
	return s.flashTo(c, userviews.UserPath(l.ID), success("%s", msg))
}
