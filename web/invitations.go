package web

import (
	"net/http"
	"slices"
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
	choices, err := s.roleChoices(c.Request().Context(), cur.Access, preset)
	if err != nil {
		return err
	}
	return s.renderInvite(c, http.StatusOK, userviews.InviteForm{Roles: choices})
}

func (s *Server) renderInvite(c echo.Context, status int, v userviews.InviteForm) error {
	sh, err := s.shell(c, "Invite user", "users")
	if err != nil {
		return err
	}
	v.Shell = sh
	return s.render(c, status, userviews.InvitePage(v))
}

func (s *Server) invite(c echo.Context) error {
	ctx := c.Request().Context()
	cur := currentOf(c)
	v := userviews.InviteForm{Email: c.FormValue("email"), Name: c.FormValue("name")}
	choices, err := s.roleChoices(ctx, cur.Access, nil)
	if err != nil {
		return err
	}
	roles, offered, err := parseRoles(c, choices)
	if err != nil && errs.CodeOf(err) != errs.Invalid {
		return err
	}
	v.Roles = withRoles(choices, roles)
	var emails []string
	if err == nil {
		emails, err = users.ParseEmails("email", v.Email)
	}
	var outcomes []invitations.Outcome
	if err == nil {
		outcomes, err = s.Invitations.InviteMany(ctx, actor(c), emails, v.Name, offered)
	}
	if err != nil {
		list, fields, ok := formErrors(err)
		if !ok {
			return err
		}
		v.Errors, v.Field = list, fields
		return s.renderInvite(c, http.StatusUnprocessableEntity, v)
	}

	// Each address on its own: those already known are said, not sent to.
	var hidden, left []string
	for _, o := range outcomes {
		if o.Existing == nil {
			v.Sent = append(v.Sent, o.Email)
			continue
		}
		again, ex, err := s.known(c, o.Existing, offered)
		switch {
		case err == errHidden:
			hidden = append(hidden, o.Email)
		case err != nil:
			return err
		case again:
			v.Sent = append(v.Sent, o.Email)
		default:
			v.Existing = append(v.Existing, *ex)
			left = append(left, o.Email)
		}
	}
	if len(v.Sent) > 0 {
		s.Notify()
	}
	if len(hidden) > 0 {
		// Someone outside the spaces this administrator sees: say no more
		// than that the address cannot be invited from here.
		msg := "This address cannot be invited from here. Ask an account administrator."
		if len(emails) > 1 {
			msg = components.List(hidden) + " cannot be invited from here. Ask an account administrator."
		}
		v.Errors = []components.FieldError{{Field: "email", Message: msg}}
		v.Field = components.FieldErrors{"email": msg}
		left = append(left, hidden...)
	}
	if len(left) == 0 {
		return s.flashTo(c, "/settings/users", success("%s.", userviews.SentTo(v.Sent)))
	}
	v.Email = strings.Join(left, ", ")
	return s.renderInvite(c, http.StatusConflict, v)
}

// errHidden is known's answer for an address that belongs to someone the
// administrator may not see.
var errHidden = errs.E(errs.NotFound, "This address cannot be invited from here.")

// known says what to tell the administrator about an address the form
// found already known: that it was sent after all (this administrator's
// click a moment ago), or who it belongs to, or errHidden.
func (s *Server) known(c echo.Context, ex *invitations.Existing, offered []spaces.Grant) (bool, *userviews.Existing, error) {
	ctx := c.Request().Context()
	cur := currentOf(c)
	if _, err := s.Users.Row(ctx, cur.Access, ex.User.ID); errs.Is(err, errs.NotFound) {
		return false, nil, errHidden
	} else if err != nil {
		return false, nil, err
	}
	id := strconv.FormatInt(ex.User.ID, 10)
	e := &userviews.Existing{
		Email:     ex.User.Email,
		Status:    ex.Status.Label(),
		Pending:   ex.Status == users.Invited,
		ResendURL: "/settings/users/" + id + "/resend",
		UserHref:  listURL(ex.User.Email, "", 1),
	}
	if e.Pending {
		p, err := s.Invitations.PendingFor(ctx, ex.User.ID)
		if err != nil {
			return false, nil, err
		}
		now := s.Clock.Now()
		// A double click: the first click's invitation is the one we see,
		// offering the same roles.
		if p.InvitedBy == cur.User.ID && now.Sub(p.CreatedAt) < doubleSubmitWindow && p.SentAt.Equal(p.CreatedAt) && sameOffer(p.Offered, offered) {
			return true, nil, nil
		}
		e.SentAt = components.Ago(now, p.SentAt)
	}
	return false, e, nil
}

// sameOffer reports whether two offers hold the same roles in the same
// spaces, in any order.
func sameOffer(a, b []spaces.Grant) bool {
	key := func(gs []spaces.Grant) []string {
		var out []string
		for _, g := range gs {
			out = append(out, strconv.FormatInt(g.SpaceID, 10)+":"+string(g.Role))
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

// doubleSubmitWindow is how soon a second identical invite counts as the
// same click.
const doubleSubmitWindow = 10 * time.Second

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

// rowAfter ends a row action: with htmx, the row of user id as it is now
// (nothing when the user has left the list) and banner b in place;
// without, b as a flash and a redirect back.
func (s *Server) rowAfter(c echo.Context, id int64, b components.Banner) error {
	if !isHTMX(c) {
		// Without JavaScript: a flash and a redirect back; the page that
		// follows shows the row, so there is no row to render here.
		return s.flashTo(c, returnTo(c.FormValue("return")), b)
	}
	var row *userviews.Row
	l, err := s.Users.Row(c.Request().Context(), currentOf(c).Access, id)
	switch {
	case err == nil:
		r := s.row(currentOf(c).Access, l, s.Clock.Now())
		row = &r
	case !errs.Is(err, errs.NotFound):
		return err
	}
	return s.render(c, http.StatusOK, userviews.RowUpdate(row, b))
}

// rowAction runs one of the row's invitation actions and answers with the
// row and a banner. A refused action changes nothing and says why, in the
// same banner: inline with htmx, as a flash without.
func (s *Server) rowAction(c echo.Context, act func(id int64) (users.User, error), banner func(u users.User) components.Banner) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	u, err := act(id)
	if err != nil {
		return s.refuse(c, err)
	}
	s.Notify()
	return s.rowAfter(c, id, banner(u))
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
	return s.rowAction(c,
		func(id int64) (users.User, error) { return s.Invitations.Resend(c.Request().Context(), actor(c), id) },
		func(u users.User) components.Banner { return success("Invitation resent to %s.", u.Email) })
}

func (s *Server) renew(c echo.Context) error {
	return s.rowAction(c,
		func(id int64) (users.User, error) { return s.Invitations.Renew(c.Request().Context(), actor(c), id) },
		func(u users.User) components.Banner { return success("A new invitation was sent to %s.", u.Email) })
}

func (s *Server) cancel(c echo.Context) error {
	return s.rowAction(c,
		func(id int64) (users.User, error) { return s.Invitations.Cancel(c.Request().Context(), actor(c), id) },
		func(u users.User) components.Banner { return success("Invitation for %s cancelled.", u.Email) })
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
