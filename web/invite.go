package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/components"
	userviews "github.com/usherhq/usher/views/pages/users"
)

func (s *Server) inviteForm(c echo.Context) error {
	cur := currentOf(c)
	preset := map[int64]spaces.Role{}
	if id, err := strconv.ParseInt(c.QueryParam("space"), 10, 64); err == nil && cur.Access.Administers(id) {
		preset[id] = spaces.Member
	} else if cur.Access.AccountAdmin {
		preset[cur.Account.ID] = spaces.Member
	}
	return s.renderInvite(c, http.StatusOK, userviews.InviteForm{Language: s.defaultLanguage(c)}, preset)
}

// renderInvite shows the Invite user form v, its roles picker set to
// roles.
func (s *Server) renderInvite(c echo.Context, status int, v userviews.InviteForm, roles map[int64]spaces.Role) error {
	var err error
	if v.Roles, err = s.roleChoices(c.Request().Context(), currentOf(c).Access, roles); err != nil {
		return err
	}
	if v.Shell, err = s.shell(c, locale(c).T("users.invite.title"), "users"); err != nil {
		return err
	}
	v.LinkLasts = locale(c).Span(s.Invitations.TTL())
	return s.render(c, status, userviews.InvitePage(v))
}

func (s *Server) invite(c echo.Context) error {
	v := userviews.InviteForm{Email: c.FormValue("email"), Name: c.FormValue("name"), Language: c.FormValue("language")}
	if v.Language == "" {
		v.Language = s.defaultLanguage(c) // a form from before the field
	}
	cur := currentOf(c)
	roles, offered, err := parseRoles(c, cur)
	if err == nil {
		var step bool
		if v.Focus, step, err = pickerStep(c, cur, roles); step {
			return s.inviteAgain(c, v, roles, err)
		}
	}
	var emails []string
	if err == nil {
		emails, err = users.ParseEmails("email", v.Email)
	}
	var res invitations.Result
	if err == nil {
		res, err = s.Invitations.InviteMany(c.Request().Context(), actor(c), emails, v.Name, offered, v.Language)
	}
	if err != nil {
		list, fields, ok := formErrors(c.Request().Context(), err)
		if !ok {
			return err
		}
		v.Errors, v.Field = list, fields
		return s.renderInvite(c, http.StatusUnprocessableEntity, v, roles)
	}
	if len(res.Sent) > 0 {
		s.Notify()
	}
	for _, inv := range res.Sent {
		v.Sent = append(v.Sent, inv.Email)
	}
	if len(res.Known) == 0 && len(res.Hidden) == 0 {
		return s.flashTo(c, "/settings/users", components.Banner{Kind: "success", Message: userviews.SentTo(locale(c), v.Sent)})
	}
	sayKnown(locale(c), &v, res, s.Clock.Now(), len(emails) > 1)
	return s.renderInvite(c, http.StatusConflict, v, roles)
}

// inviteAgain shows the form v again after the roles picker's Add or
// Remove (without JavaScript), with roles as they are now, or with what
// was wrong with the step, err; nothing is sent.
func (s *Server) inviteAgain(c echo.Context, v userviews.InviteForm, roles map[int64]spaces.Role, err error) error {
	if err == nil {
		return s.renderInvite(c, http.StatusOK, v, roles)
	}
	list, fields, ok := formErrors(c.Request().Context(), err)
	if !ok {
		return err
	}
	v.Errors, v.Field = list, fields
	return s.renderInvite(c, http.StatusUnprocessableEntity, v, roles)
}

// sayKnown words on the form v the addresses res found already known,
// which the form keeps: who each belongs to, with a resend for a pending
// invitation, and no more than that the others cannot be invited from
// here, as they belong to someone outside the administrator's spaces.
func sayKnown(l *i18n.Locale, v *userviews.InviteForm, res invitations.Result, now time.Time, several bool) {
	var left []string
	for _, ex := range res.Known {
		e := userviews.Existing{
			Email:     ex.User.Email,
			Status:    l.T(ex.Status.LabelID()),
			Pending:   ex.Status == users.Invited,
			ResendURL: "/settings/users/" + strconv.FormatInt(ex.User.ID, 10) + "/resend",
			UserHref:  listURL(ex.User.Email, "", 1),
		}
		if e.Pending {
			e.SentAt = l.Ago(now, ex.SentAt)
		}
		v.Existing = append(v.Existing, e)
		left = append(left, ex.User.Email)
	}
	if len(res.Hidden) > 0 {
		msg := l.T("users.invite.hidden_one")
		if several {
			msg = l.T("users.invite.hidden_many", "Emails", l.List(res.Hidden))
		}
		v.Errors = []components.FieldError{{Field: "email", Message: msg}}
		v.Field = components.FieldErrors{"email": msg}
		left = append(left, res.Hidden...)
	}
	v.Email = strings.Join(left, ", ")
}
