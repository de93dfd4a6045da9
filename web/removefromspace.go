package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/views/components"
	spaceviews "github.com/usherhq/usher/views/pages/spaces"
	userviews "github.com/usherhq/usher/views/pages/users"
)

// spaceReturn is where an action on a space's page goes back to: the
// "return" field when it is that space's page, else the page itself.
func spaceReturn(raw string, space int64) string {
	base := "/settings/spaces/" + strconv.FormatInt(space, 10)
	r := returnTo(raw)
	if u, err := url.Parse(r); err == nil && u.Path == base {
		return r
	}
	return base
}

// removeFromSpaceConfirm asks before Remove from this space: a <dialog>
// with htmx, a page without JavaScript.
func (s *Server) removeFromSpaceConfirm(c echo.Context) error {
	sid, err := spaceID(c)
	if err != nil {
		return err
	}
	uid, err := userID(c)
	if err != nil {
		return err
	}
	r, err := s.Invitations.Removing(c.Request().Context(), actor(c), sid, uid)
	if err != nil {
		return err
	}
	ret := spaceReturn(c.QueryParam("return"), sid)
	l := locale(c)
	v := userviews.Confirm{
		Action:  "/settings/spaces/" + strconv.FormatInt(sid, 10) + "/people/" + strconv.FormatInt(uid, 10) + "/remove",
		Target:  spaceviews.PeopleID,
		Return:  ret,
		Heading: l.T("spaces.remove.heading", "Person", r.DisplayName(), "Space", r.Grant.SpaceName),
		Confirm: l.T("spaces.remove.confirm"),
		Keep:    l.T("spaces.remove.keep", "Person", r.DisplayName()),
	}
	role := r.Grant.Role.LabelIn(l)
	switch {
	case r.Cancelled:
		v.Body = l.T("spaces.remove.body_cancelled")
	case r.Pending:
		v.Body = l.T("spaces.remove.body_pending", "Role", role, "Space", r.Grant.SpaceName)
	default:
		v.Body = l.T("spaces.remove.body", "Person", r.DisplayName(), "Role", role, "Space", r.Grant.SpaceName)
	}
	if isHTMX(c) {
		return s.render(c, http.StatusOK, userviews.ConfirmDialog(v))
	}
	if v.Shell, err = s.shell(c, v.Heading, "spaces"); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, userviews.ConfirmPage(v))
}

// removeFromSpace takes the person out of the space. With htmx the
// space's people are listed again (their counts and pages as they are
// now) with the banner; without, a flash and a redirect back.
func (s *Server) removeFromSpace(c echo.Context) error {
	sid, err := spaceID(c)
	if err != nil {
		return err
	}
	uid, err := userID(c)
	if err != nil {
		return err
	}
	r, err := s.Invitations.RemoveFromSpace(c.Request().Context(), actor(c), sid, uid)
	if err != nil {
		return s.refuse(c, err)
	}
	b := removedBanner(locale(c), r)
	ret := spaceReturn(c.FormValue("return"), sid)
	if !isHTMX(c) {
		return s.flashTo(c, ret, b)
	}
	u, _ := url.Parse(ret)
	v, err := s.spaceView(c, sid, u.Query())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, spaceviews.PeopleUpdate(v, b))
}

func removedBanner(l *i18n.Locale, r invitations.Removal) components.Banner {
	switch {
	case r.Cancelled:
		return success("%s", l.T("spaces.removed.cancelled", "Email", r.Email))
	case r.Pending:
		return success("%s", l.T("spaces.removed.pending", "Space", r.Grant.SpaceName, "Email", r.Email))
	}
	return success("%s", l.T("spaces.removed.person", "Person", r.DisplayName(), "Space", r.Grant.SpaceName))
}
