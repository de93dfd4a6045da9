package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/components"
	"github.com/usherhq/usher/views/layouts"
	userviews "github.com/usherhq/usher/views/pages/users"
)

func actor(c echo.Context) invitations.Actor {
	cur := currentOf(c)
	return invitations.Actor{User: cur.User, Access: cur.Access}
}

func (s *Server) inviteForm(c echo.Context) error {
	cur := currentOf(c)
	preset := map[int64]spaces.Role{}
	if id, err := strconv.ParseInt(c.QueryParam("space"), 10, 64); err == nil && cur.Access.Administers(id) {
		preset[id] = spaces.Member
	} else if cur.Access.AccountAdmin {
		preset[cur.Account.ID] = spaces.Member
	}
	return s.renderInvite(c, http.StatusOK, userviews.InviteForm{}, preset)
}

// renderInvite shows the Invite user form v, its roles picker set to
// roles.
func (s *Server) renderInvite(c echo.Context, status int, v userviews.InviteForm, roles map[int64]spaces.Role) error {
	var err error
	if v.Roles, err = s.roleChoices(c.Request().Context(), currentOf(c).Access, roles); err != nil {
		return err
	}
	if v.Shell, err = s.shell(c, "Invite user", "users"); err != nil {
		return err
	}
	v.LinkLasts = components.Span(s.Invitations.TTL())
	return s.render(c, status, userviews.InvitePage(v))
}

func (s *Server) invite(c echo.Context) error {
	v := userviews.InviteForm{Email: c.FormValue("email"), Name: c.FormValue("name")}
	roles, offered, err := parseRoles(c, currentOf(c))
	var emails []string
	if err == nil {
		emails, err = users.ParseEmails("email", v.Email)
	}
	var res invitations.Result
	if err == nil {
		res, err = s.Invitations.InviteMany(c.Request().Context(), actor(c), emails, v.Name, offered)
	}
	if err != nil {
		list, fields, ok := formErrors(err)
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
		return s.flashTo(c, "/settings/users", success("%s.", userviews.SentTo(v.Sent)))
	}
	sayKnown(&v, res, s.Clock.Now(), len(emails) > 1)
	return s.renderInvite(c, http.StatusConflict, v, roles)
}

// sayKnown words on the form v the addresses res found already known,
// which the form keeps: who each belongs to, with a resend for a pending
// invitation, and no more than that the others cannot be invited from
// here, as they belong to someone outside the administrator's spaces.
func sayKnown(v *userviews.InviteForm, res invitations.Result, now time.Time, several bool) {
	var left []string
	for _, ex := range res.Known {
		e := userviews.Existing{
			Email:     ex.User.Email,
			Status:    ex.Status.Label(),
			Pending:   ex.Status == users.Invited,
			ResendURL: "/settings/users/" + strconv.FormatInt(ex.User.ID, 10) + "/resend",
			UserHref:  listURL(ex.User.Email, "", 1),
		}
		if e.Pending {
			e.SentAt = components.Ago(now, ex.SentAt)
		}
		v.Existing = append(v.Existing, e)
		left = append(left, ex.User.Email)
	}
	if len(res.Hidden) > 0 {
		msg := "This address cannot be invited from here. Ask an account administrator."
		if several {
			msg = components.List(res.Hidden) + " cannot be invited from here. Ask an account administrator."
		}
		v.Errors = []components.FieldError{{Field: "email", Message: msg}}
		v.Field = components.FieldErrors{"email": msg}
		left = append(left, res.Hidden...)
	}
	v.Email = strings.Join(left, ", ")
}

// userRow is the user named by the :id of the path, as the list shows
// them, if the signed-in administrator may see them at all.
func (s *Server) userRow(c echo.Context) (users.Listed, error) {
	id, err := userID(c)
	if err != nil {
		return users.Listed{}, err
	}
	return s.Users.Row(c.Request().Context(), currentOf(c).Access, id)
}

func userID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "There is no such user.")
	}
	return id, nil
}

// rowAfter ends a row action that changed ch: with htmx, the row as it
// is now (nothing when the user has left the list) and banner b in place;
// without, b as a flash and a redirect back.
func (s *Server) rowAfter(c echo.Context, ch users.Changed, b components.Banner) error {
	if !isHTMX(c) {
		// Without JavaScript: a flash and a redirect back; the page that
		// follows shows the row, so there is no row to render here.
		return s.flashTo(c, returnTo(c.FormValue("return")), b)
	}
	var row *userviews.Row
	if ch.Row != nil {
		r := s.row(currentOf(c).Access, *ch.Row, s.Clock.Now())
		row = &r
	}
	return s.render(c, http.StatusOK, userviews.RowUpdate(row, b))
}

// rowAction runs one of the row's actions on the user of the path and
// answers with the row and a banner. A refused action changes nothing and
// says why, in the same banner: inline with htmx, as a flash without.
func (s *Server) rowAction(c echo.Context, act func(ctx context.Context, id int64) (users.Changed, error), banner string) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	ch, err := act(c.Request().Context(), id)
	if err != nil {
		return s.refuse(c, err)
	}
	s.Notify()
	return s.rowAfter(c, ch, success(banner, ch.Email))
}

// refuse answers a refused row action: the error handler's banner with
// htmx, or a flash and a redirect back to the list without. Missing rows
// and failures on our side get the error page.
func (s *Server) refuse(c echo.Context, err error) error {
	if isHTMX(c) || errs.CodeOf(err) == errs.Internal || errs.CodeOf(err) == errs.NotFound {
		return err
	}
	if ferr := s.flash(c, components.Banner{Kind: "error", Message: errs.MessageOf(err)}); ferr != nil {
		// Nothing was done: the error page says the same words.
		s.Log.Error("keeping a banner for the next page", "path", c.Path(), "err", ferr)
		return err
	}
	return c.Redirect(http.StatusSeeOther, returnTo(c.FormValue("return")))
}

func (s *Server) resend(c echo.Context) error {
	return s.rowAction(c, func(ctx context.Context, id int64) (users.Changed, error) {
		return s.Invitations.Resend(ctx, actor(c), id)
	}, "Invitation resent to %s.")
}

func (s *Server) renew(c echo.Context) error {
	return s.rowAction(c, func(ctx context.Context, id int64) (users.Changed, error) {
		return s.Invitations.Renew(ctx, actor(c), id)
	}, "A new invitation was sent to %s.")
}

func (s *Server) cancel(c echo.Context) error {
	return s.rowAction(c, func(ctx context.Context, id int64) (users.Changed, error) {
		return s.Invitations.Cancel(ctx, actor(c), id)
	}, "Invitation for %s cancelled.")
}

func (s *Server) cancelConfirm(c echo.Context) error {
	return s.confirm(c, func(l users.Listed, v *userviews.Confirm) {
		v.Heading = "Cancel the invitation for " + l.Email + "?"
		v.Body = "The invitation link stops working at once."
		if l.ActivatedAt.IsZero() {
			v.Body += " " + l.Email + " has never joined, so they leave the users list."
		}
		v.Confirm, v.Keep, v.Action = "Cancel invitation", "Keep invitation", v.Action+"cancel"
	})
}

// confirm asks before a destructive row action: a <dialog> for htmx, a
// page without JavaScript. fill words the question for the user.
func (s *Server) confirm(c echo.Context, fill func(l users.Listed, v *userviews.Confirm)) error {
	l, err := s.userRow(c)
	if err != nil {
		return err
	}
	v := userviews.Confirm{
		Action: "/settings/users/" + strconv.FormatInt(l.ID, 10) + "/",
		Target: userviews.RowID(l.ID),
		Return: returnTo(c.QueryParam("return")),
	}
	fill(l, &v)
	return s.dialogOrPage(c, http.StatusOK, userviews.ConfirmDialog(v), v.Heading, func(sh layouts.Shell) templ.Component {
		v.Shell = sh
		return userviews.ConfirmPage(v)
	})
}

// copyLink reveals a pending invitation's link: as JSON for the script that
// puts it on the clipboard, or on a page to copy by hand.
func (s *Server) copyLink(c echo.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	link, u, err := s.Invitations.Link(c.Request().Context(), actor(c), id)
	if err != nil {
		if c.Request().Header.Get("Accept") == "application/json" {
			return err
		}
		return s.refuse(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if c.Request().Header.Get("Accept") == "application/json" {
		return c.JSON(http.StatusOK, map[string]string{"link": link, "message": "Invitation link copied."})
	}
	sh, err := s.shell(c, "Invitation link", "users")
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, userviews.LinkPage(userviews.Link{Shell: sh, Email: u.Email, Link: link, Return: returnTo(c.FormValue("return"))}))
}

// userActions is the no-JavaScript page behind a row's ••• link.
func (s *Server) userActions(c echo.Context) error {
	l, err := s.userRow(c)
	if err != nil {
		return err
	}
	sh, err := s.shell(c, "Actions for "+l.Email, "users")
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, userviews.ActionsPage(userviews.Actions{Shell: sh, Row: s.row(currentOf(c).Access, l, s.Clock.Now()), Return: returnTo(c.QueryParam("return"))}))
}
