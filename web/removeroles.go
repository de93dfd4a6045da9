package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// removeRoles takes offered roles off a pending invitation, after a
// confirmation step: the dialog again, asking about the roles ticked.
// Taking the last one cancels the invitation.
func (s *Server) removeRoles(c echo.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	form, _ := c.FormParams()
	var ids []int64
	for _, raw := range form["space"] {
		if sid, err := strconv.ParseInt(raw, 10, 64); err == nil {
			ids = append(ids, sid)
		}
	}
	if len(ids) == 0 || c.FormValue("confirm") != "yes" {
		return s.removeRolesStep(c, ids)
	}
	ch, cancelled, err := s.Invitations.RemoveRoles(c.Request().Context(), actor(c), id, ids)
	if err != nil {
		return s.refuse(c, err)
	}
	b := successT(c, "users.flash.roles_removed", "Email", ch.Email)
	if cancelled {
		b = successT(c, "users.flash.cancelled", "Email", ch.Email)
	}
	return s.rowAfter(c, ch, b)
}

// removeRolesStep is the confirmation step of Remove roles, which changes
// nothing: the dialog naming the roles that would go, or saying what to do
// when none of those ticked is offered.
func (s *Server) removeRolesStep(c echo.Context, ids []int64) error {
	v, err := s.invitationView(c, ids, returnTo(c.FormValue("return")))
	if err != nil {
		return s.refuse(c, err)
	}
	if len(v.Removing) == 0 {
		v.Error = locale(c).T("users.invitation.choose_roles")
		return s.renderInvitation(c, http.StatusUnprocessableEntity, v)
	}
	return s.renderInvitation(c, http.StatusOK, v)
}
