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

// manageView is the Manage invitation dialog of the user the path names,
// with the roles in removing ticked for the confirmation step of Remove
// roles.
func (s *Server) manageView(c echo.Context, removing []int64, back string) (userviews.Manage, error) {
	id, err := userID(c)
	if err != nil {
		return userviews.Manage{}, err
	}
	a := actor(c)
	u, inv, events, err := s.Invitations.Manage(c.Request().Context(), a, id)
	if err != nil {
		return userviews.Manage{}, err
	}
	now := s.Clock.Now()
	v := userviews.Manage{ID: u.ID, Email: u.Email, Name: u.Name, Now: now, SentAt: inv.SentAt, ExpiresAt: inv.ExpiresAt, Expired: inv.ExpiredAt(now), Return: back}
	for _, g := range inv.Offered {
		v.Offered = append(v.Offered, offeredRole(g))
	}
	for _, e := range events {
		v.History = append(v.History, userviews.HistoryLine{At: e.At, Text: historyText(a.Access, e)})
	}
	chosen, left := inv.Without(removing)
	for _, g := range chosen {
		v.Removing = append(v.Removing, offeredRole(g))
	}
	v.CancelsAll = len(chosen) > 0 && left == 0
	return v, nil
}

// offeredRole is one role an invitation offers, as Manage invitation
// lists it.
func offeredRole(g spaces.Grant) userviews.Offered {
	return userviews.Offered{SpaceID: g.SpaceID, Label: spaces.Describe([]spaces.Grant{g})}
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
	v, err := s.manageView(c, nil, returnTo(c.QueryParam("return")))
	if err != nil {
		return err
	}
	return s.renderManage(c, http.StatusOK, v)
}

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
	b := success("Roles removed from the invitation for %s.", ch.Email)
	if cancelled {
		b = success("Invitation for %s cancelled.", ch.Email)
	}
	return s.rowAfter(c, ch, b)
}

// removeRolesStep is the confirmation step of Remove roles, which changes
// nothing: the dialog naming the roles that would go, or saying what to do
// when none of those ticked is offered.
func (s *Server) removeRolesStep(c echo.Context, ids []int64) error {
	v, err := s.manageView(c, ids, returnTo(c.FormValue("return")))
	if err != nil {
		return s.refuse(c, err)
	}
	if len(v.Removing) == 0 {
		v.Error = "Choose the roles to remove, then select Remove roles."
		return s.renderManage(c, http.StatusUnprocessableEntity, v)
	}
	return s.renderManage(c, http.StatusOK, v)
}
