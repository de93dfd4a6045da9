package web

import (
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/views/layouts"
	userviews "github.com/usherhq/usher/views/pages/users"
)

// historyLine is one event of an invitation's history, for the
// administrator with access: a sentence, and the mail server's own reply
// as a detail where it has one.
func historyLine(access *spaces.Access, e invitations.Event) userviews.HistoryLine {
	switch e.Kind {
	case invitations.EvDelivered:
		return userviews.HistoryLine{At: e.At, Text: "Accepted by the mail server", Detail: e.Detail}
	case invitations.EvDeliveryFailed:
		if reply, ok := strings.CutSuffix(e.Detail, " (will retry)"); ok {
			return userviews.HistoryLine{At: e.At, Text: "Not delivered yet — retrying" + detail(reply)}
		}
	}
	return userviews.HistoryLine{At: e.At, Text: historyText(access, e)}
}

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
		return "Invitation link resent" + by + " (same link)"
	case invitations.EvReminded:
		return "Invitation link resent automatically before expiry (same link)"
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

// invitationView is the Manage invitation dialog of the user the path names,
// with the roles in removing ticked for the confirmation step of Remove
// roles.
func (s *Server) invitationView(c echo.Context, removing []int64, back string) (userviews.Invitation, error) {
	id, err := userID(c)
	if err != nil {
		return userviews.Invitation{}, err
	}
	a := actor(c)
	u, inv, events, err := s.Invitations.Details(c.Request().Context(), a, id)
	if err != nil {
		return userviews.Invitation{}, err
	}
	now := s.Clock.Now()
	v := userviews.Invitation{ID: u.ID, Email: u.Email, Name: u.Name, Now: now, CreatedAt: inv.CreatedAt, SentAt: inv.SentAt, ExpiresAt: inv.ExpiresAt, Expired: inv.ExpiredAt(now), Return: back}
	for _, g := range inv.Offered {
		v.Offered = append(v.Offered, offeredRole(g))
	}
	for _, e := range events {
		v.History = append(v.History, historyLine(a.Access, e))
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

func (s *Server) renderInvitation(c echo.Context, status int, v userviews.Invitation) error {
	dialog := userviews.InvitationDialog(v)
	if c.Request().Header.Get("HX-Target") == "manage-body" {
		dialog = userviews.InvitationBody(v, true) // a step inside the open dialog
	}
	return s.dialogOrPage(c, status, dialog, "Manage invitation for "+v.Email, func(sh layouts.Shell) templ.Component {
		v.Shell = sh
		return userviews.InvitationPage(v)
	})
}

func (s *Server) invitationPage(c echo.Context) error {
	v, err := s.invitationView(c, nil, returnTo(c.QueryParam("return")))
	if err != nil {
		return err
	}
	return s.renderInvitation(c, http.StatusOK, v)
}
