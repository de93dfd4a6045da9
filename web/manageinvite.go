package web

import (
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/views/layouts"
	userviews "github.com/usherhq/usher/views/pages/users"
)

// historyText words one event of an invitation's history for the
// administrator with access: the spaces of the roles it concerns are named
// only where they administer them.
func historyText(access *spaces.Access, e invitations.Event) string {
	by := ""
	if e.ActorName != "" {
		by = " by " + e.ActorName
	}
	switch e.Kind {
	case invitations.EvInvited:
		return "Invited" + by
	case invitations.EvResent:
		return "Reminder sent" + by + " (same link)"
	case invitations.EvReminded:
		return "Automatic reminder sent (same link)"
	case invitations.EvRenewed:
		return "New invitation sent" + by + " (new link; the old one stopped working)"
	case invitations.EvDelivered:
		return "Email delivered" + detail(e.Detail)
	case invitations.EvDeliveryFailed:
		return "Email not delivered" + detail(e.Detail)
	case invitations.EvCaptured:
		return "Email kept in the built-in mailbox (no SMTP server configured)"
	case invitations.EvCancelled:
		return "Cancelled" + by + detail(e.Detail)
	case invitations.EvAccepted:
		return "Accepted" + detail(eventRoles(access, e))
	case invitations.EvRoleRemoved:
		// Each removal is an event of its own, with one role.
		named, _ := access.Split(e.Grants)
		switch roles := eventRoles(access, e); {
		case roles == "":
			return "A role was removed" + by
		case e.Grants != nil && len(named) == 0:
			return "A role elsewhere was removed" + by
		default:
			return "Removed " + roles + by
		}
	case invitations.EvRenewalRequested:
		return "The invitee asked for a new invitation"
	}
	return string(e.Kind) + detail(e.Detail)
}

// eventRoles words the roles an event concerns as access may see them.
// Events recorded before roles were kept as roles (migration 0006) name
// them in words only, with no way to tell whose spaces they are: only
// account administrators read those.
func eventRoles(access *spaces.Access, e invitations.Event) string {
	if e.Grants == nil {
		if access.AccountAdmin {
			return e.Detail
		}
		return ""
	}
	return access.Describe(e.Grants)
}

func detail(d string) string {
	if d == "" {
		return ""
	}
	return ": " + d
}

func (s *Server) manageView(c echo.Context, userID int64, back string) (userviews.Manage, invitations.Invitation, error) {
	a := actor(c)
	u, inv, events, err := s.Invitations.Manage(c.Request().Context(), a, userID)
	if err != nil {
		return userviews.Manage{}, inv, err
	}
	now := s.Clock.Now()
	v := userviews.Manage{ID: u.ID, Email: u.Email, Name: u.Name, Now: now, SentAt: inv.SentAt, ExpiresAt: inv.ExpiresAt, Expired: inv.ExpiredAt(now), Return: back}
	for _, g := range inv.Offered {
		v.Offered = append(v.Offered, userviews.Offered{SpaceID: g.SpaceID, Label: spaces.Describe([]spaces.Grant{g})})
	}
	for _, e := range events {
		v.History = append(v.History, userviews.HistoryLine{At: e.At, Text: historyText(a.Access, e)})
	}
	return v, inv, nil
}

func (s *Server) renderManage(c echo.Context, status int, v userviews.Manage) error {
	dialog := userviews.ManageDialog(v)
	if c.Request().Header.Get("HX-Target") == "manage-body" {
		dialog = userviews.ManageBody(v, true) // a step inside the open dialog
	}
	return s.dialogOrPage(c, status, dialog, "Manage invitation for "+v.Email, func(sh layouts.Shell) templ.Component {
		v.Shell = sh
		return userviews.ManagePage(v)
	})
}

func (s *Server) manageInvitation(c echo.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	v, _, err := s.manageView(c, id, returnTo(c.QueryParam("return")))
	if err != nil {
		return err
	}
	return s.renderManage(c, http.StatusOK, v)
}

// removeRoles takes offered roles off a pending invitation, after a
// confirmation step. Taking the last one cancels the invitation.
func (s *Server) removeRoles(c echo.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	back := returnTo(c.FormValue("return"))
	v, inv, err := s.manageView(c, id, back)
	if err != nil {
		return s.refuse(c, err)
	}
	form, _ := c.FormParams()
	chosen := map[int64]bool{}
	for _, raw := range form["space"] {
		if sid, err := strconv.ParseInt(raw, 10, 64); err == nil {
			chosen[sid] = true
		}
	}
	var ids []int64
	for _, o := range v.Offered {
		if chosen[o.SpaceID] {
			ids = append(ids, o.SpaceID)
			v.Removing = append(v.Removing, o)
		}
	}
	if len(ids) == 0 {
		v.Removing, v.Error = nil, "Choose the roles to remove, then select Remove roles."
		return s.renderManage(c, http.StatusUnprocessableEntity, v)
	}
	if c.FormValue("confirm") != "yes" {
		v.CancelsAll = len(ids) == len(inv.Offered)
		return s.renderManage(c, http.StatusOK, v)
	}
	u, cancelled, err := s.Invitations.RemoveRoles(c.Request().Context(), actor(c), id, ids)
	if err != nil {
		return s.refuse(c, err)
	}
	b := success("Roles removed from the invitation for %s.", u.Email)
	if cancelled {
		b = success("Invitation for %s cancelled.", u.Email)
	}
	return s.rowAfter(c, id, b)
}
