package web

import (
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/views/layouts"
	userviews "github.com/usherhq/usher/views/pages/users"
)

// historyLine is one event of an invitation's history, for the
// administrator with access, in l: a sentence, and the mail server's own
// reply as a detail where it has one.
func historyLine(l *i18n.Locale, access *spaces.Access, e invitations.Event) userviews.HistoryLine {
	switch e.Kind {
	case invitations.EvDelivered:
		return userviews.HistoryLine{At: e.At, Text: l.T("users.invitation.event.accepted_by_server"), Detail: e.Detail}
	case invitations.EvDeliveryFailed:
		// The reply is the mail server's (and the mail package's) English,
		// marked as such on the page.
		if reply, ok := strings.CutSuffix(e.Detail, " (will retry)"); ok {
			return userviews.HistoryLine{At: e.At, Text: l.T("users.invitation.event.retrying"), Reply: reply}
		}
		return userviews.HistoryLine{At: e.At, Text: l.T("users.invitation.event.not_delivered"), Reply: e.Detail}
	}
	return userviews.HistoryLine{At: e.At, Text: historyText(l, access, e)}
}

// historyText words one event of an invitation's history for the
// administrator with access, in l: the spaces of the roles it concerns are
// named only where they administer them.
func historyText(l *i18n.Locale, access *spaces.Access, e invitations.Event) string {
	// by is the event's sentence id, or its variant naming who did it.
	by := func(id string, kv ...any) string {
		if e.ActorName != "" {
			return l.T(id+"_by", append(kv, "Name", e.ActorName)...)
		}
		return l.T(id, kv...)
	}
	switch e.Kind {
	case invitations.EvInvited:
		return by("users.invitation.event.invited")
	case invitations.EvResent:
		return by("users.invitation.event.resent")
	case invitations.EvReminded:
		return l.T("users.invitation.event.reminded")
	case invitations.EvRenewed:
		return by("users.invitation.event.renewed")
	case invitations.EvDelivered:
		return withDetail(l, l.T("users.invitation.event.delivered"), e.Detail)
	case invitations.EvDeliveryFailed:
		return withDetail(l, l.T("users.invitation.event.not_delivered"), e.Detail)
	case invitations.EvCaptured:
		return l.T("users.invitation.event.captured")
	case invitations.EvCancelled:
		return withDetail(l, by("users.invitation.event.cancelled"), cancelReason(l, e.Detail))
	case invitations.EvAccepted:
		return withDetail(l, l.T("users.invitation.event.accepted"), eventRoles(l, access, e))
	case invitations.EvRoleRemoved:
		// Each removal is an event of its own, with one role.
		named, _ := access.Split(e.Grants)
		switch roles := eventRoles(l, access, e); {
		case roles == "":
			return by("users.invitation.event.role_removed")
		case e.Grants != nil && len(named) == 0:
			return by("users.invitation.event.role_elsewhere_removed")
		default:
			return by("users.invitation.event.removed", "Roles", roles)
		}
	case invitations.EvRenewalRequested:
		return l.T("users.invitation.event.renewal_requested")
	case invitations.EvResetSent:
		return by("reset.history.sent")
	}
	return withDetail(l, string(e.Kind), e.Detail)
}

// cancelReasons are the reasons the store writes when it cancels an
// invitation itself (db), by the message that says them.
var cancelReasons = map[string]string{
	"no roles left":         "users.invitation.reason.no_roles_left",
	"its space was deleted": "users.invitation.reason.space_deleted",
	"user deleted":          "users.invitation.reason.user_deleted",
}

// cancelReason is why an invitation was cancelled, in l where it is one of
// the store's own reasons.
func cancelReason(l *i18n.Locale, d string) string {
	if id, ok := cancelReasons[d]; ok {
		return l.T(id)
	}
	return d
}

// eventRoles words the roles an event concerns as access may see them.
// Events recorded before roles were kept as roles (migration 0006) name
// them in words only, with no way to tell whose spaces they are: only
// account administrators read those.
func eventRoles(l *i18n.Locale, access *spaces.Access, e invitations.Event) string {
	if e.Grants == nil {
		if access.AccountAdmin {
			return e.Detail
		}
		return ""
	}
	return access.DescribeIn(l, e.Grants)
}

// withDetail is an event's sentence with its detail (a mail server's
// reply, the roles), if it has one.
func withDetail(l *i18n.Locale, event, d string) string {
	if d == "" {
		return event
	}
	return l.T("users.invitation.event.with_detail", "Event", event, "Detail", d)
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
		v.Offered = append(v.Offered, offeredRole(locale(c), g))
	}
	for _, e := range events {
		v.History = append(v.History, historyLine(locale(c), a.Access, e))
	}
	chosen, left := inv.Without(removing)
	for _, g := range chosen {
		v.Removing = append(v.Removing, offeredRole(locale(c), g))
	}
	v.CancelsAll = len(chosen) > 0 && left == 0
	return v, nil
}

// offeredRole is one role an invitation offers, as Manage invitation
// lists it.
func offeredRole(l *i18n.Locale, g spaces.Grant) userviews.Offered {
	return userviews.Offered{SpaceID: g.SpaceID, Label: spaces.DescribeIn(l, []spaces.Grant{g})}
}

func (s *Server) renderInvitation(c echo.Context, status int, v userviews.Invitation) error {
	dialog := userviews.InvitationDialog(v)
	if c.Request().Header.Get("HX-Target") == "manage-body" {
		dialog = userviews.InvitationBody(v, true) // a step inside the open dialog
	}
	return s.dialogOrPage(c, status, dialog, locale(c).T("users.invitation.title", "Email", v.Email), func(sh layouts.Shell) templ.Component {
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
