package web

import (
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/layouts"
	userviews "github.com/usherhq/usher/views/pages/users"
)

func (s *Server) editView(c echo.Context, l users.Listed, roles map[int64]spaces.Role, back string) (userviews.Edit, error) {
	id := strconv.FormatInt(l.ID, 10)
	v := userviews.Edit{
		ID: l.ID, Email: l.Email, Name: l.Name,
		Action: "/settings/users/" + id + "/edit", Target: userviews.RowID(l.ID), Return: back,
	}
	if l.Invite != nil {
		v.Offered = currentOf(c).Access.DescribeIn(locale(c), l.Invite.Offered)
	}
	if l.ActivatedAt.IsZero() {
		return v, nil // roles come from the invitation until they join
	}
	if roles == nil {
		roles = roleMap(l.Grants)
	}
	var err error
	v.Roles, err = s.roleChoices(c.Request().Context(), currentOf(c).Access, roles)
	return v, err
}

func (s *Server) editForm(c echo.Context) error {
	l, err := s.listedUser(c)
	if err != nil {
		return err
	}
	v, err := s.editView(c, l, nil, returnTo(c.QueryParam("return")))
	if err != nil {
		return err
	}
	return s.dialogOrPage(c, http.StatusOK, userviews.EditDialog(v), locale(c).T("users.edit.title"), func(sh layouts.Shell) templ.Component {
		v.Shell = sh
		return userviews.EditPage(v)
	})
}

func (s *Server) edit(c echo.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	cur := currentOf(c)
	in := users.EditInput{Name: c.FormValue("name")}
	if c.FormValue("roles_shown") == "1" {
		if in.Roles, _, err = parseRoles(c, cur); err != nil {
			return s.refuse(c, err)
		}
		in.ChangeRole = true
		if focus, step, err := pickerStep(c, cur, in.Roles); step {
			return s.editAgain(c, in, focus, err)
		}
	}
	ch, err := s.Users.Edit(c.Request().Context(), cur.Access, id, in)
	if list, fields, ok := formErrors(c.Request().Context(), err); ok && !isHTMX(c) && ch.Row != nil {
		v, verr := s.editView(c, *ch.Row, in.Roles, returnTo(c.FormValue("return")))
		if verr != nil {
			return verr
		}
		v.Name, v.Errors, v.Field = in.Name, list, fields
		if v.Shell, err = s.shell(c, locale(c).T("users.edit.title"), "users"); err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, userviews.EditPage(v))
	}
	if err != nil {
		return s.refuse(c, err)
	}
	if id == cur.User.ID {
		// The row may have lost its menu (no longer an administrator).
		c.Response().Header().Set("HX-Refresh", "true")
	}
	return s.rowAfter(c, ch, successT(c, "users.flash.edited", "Email", ch.Email))
}

// editAgain shows the Edit user page again after the roles picker's Add
// or Remove (without JavaScript), with the name and roles in as the form
// holds them now, or with what was wrong with the step, err; nothing is
// saved.
func (s *Server) editAgain(c echo.Context, in users.EditInput, focus string, err error) error {
	list, fields, invalid := formErrors(c.Request().Context(), err)
	if err != nil && !invalid {
		return s.refuse(c, err)
	}
	l, lerr := s.listedUser(c)
	if lerr != nil {
		return lerr
	}
	v, verr := s.editView(c, l, in.Roles, returnTo(c.FormValue("return")))
	if verr != nil {
		return verr
	}
	v.Name, v.Focus, v.Errors, v.Field = in.Name, focus, list, fields
	if v.Shell, err = s.shell(c, locale(c).T("users.edit.title"), "users"); err != nil {
		return err
	}
	status := http.StatusOK
	if invalid {
		status = http.StatusUnprocessableEntity
	}
	return s.render(c, status, userviews.EditPage(v))
}
