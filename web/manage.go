package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/components"
	userviews "github.com/usherhq/usher/views/pages/users"
)

// accountRole is the role a user holds on the account itself.
func accountRole(grants []spaces.Grant) string {
	for _, g := range grants {
		if g.SpaceKind == spaces.Account {
			return string(g.Role)
		}
	}
	return "none"
}

func (s *Server) editView(c echo.Context, l users.Listed, back string) userviews.Edit {
	id := strconv.FormatInt(l.ID, 10)
	v := userviews.Edit{
		ID: l.ID, Email: l.Email, Name: l.Name, Role: accountRole(l.Grants),
		RoleEdit: currentOf(c).Access.AccountAdmin && !l.ActivatedAt.IsZero(),
		Action:   "/settings/users/" + id + "/edit", Target: "user-" + id, Return: back,
	}
	if l.Invite != nil {
		v.Offered = spaces.Describe(l.Invite.Offered)
	}
	return v
}

func (s *Server) editForm(c echo.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	l, err := s.Users.Row(c.Request().Context(), currentOf(c).Access, id)
	if err != nil {
		return err
	}
	v := s.editView(c, l, returnTo(c.QueryParam("return")))
	if isHTMX(c) {
		return s.render(c, http.StatusOK, userviews.EditDialog(v))
	}
	if v.Shell, err = s.shell(c, "Edit user", "users"); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, userviews.EditPage(v))
}

func (s *Server) edit(c echo.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	in := users.EditInput{Name: c.FormValue("name")}
	if r := c.FormValue("role"); r != "" {
		in.ChangeRole = true
		if r != "none" {
			role, ok := spaces.ParseRole(r)
			if !ok {
				return errs.FieldError("role", "Choose a role: Member, Administrator or no role.")
			}
			in.AccountRole = role
		}
	}
	u, err := s.Users.Edit(c.Request().Context(), currentOf(c).Access, id, in)
	if list, fields, ok := formErrors(err); ok && !isHTMX(c) {
		l, lerr := s.Users.Row(c.Request().Context(), currentOf(c).Access, id)
		if lerr != nil {
			return lerr
		}
		v := s.editView(c, l, returnTo(c.FormValue("return")))
		v.Name, v.Errors, v.Field = in.Name, list, fields
		if v.Shell, err = s.shell(c, "Edit user", "users"); err != nil {
			return err
		}
		return s.render(c, http.StatusUnprocessableEntity, userviews.EditPage(v))
	}
	if err != nil {
		return s.refuse(c, err)
	}
	if id == currentOf(c).User.ID {
		// The row may have lost its menu (no longer an administrator).
		c.Response().Header().Set("HX-Refresh", "true")
	}
	return s.rowAfter(c, id, success("Changes to %s saved.", u.Email))
}

func (s *Server) deactivate(c echo.Context) error {
	return s.rowAction(c,
		func(id int64) (users.User, error) {
			return s.Users.Deactivate(c.Request().Context(), currentOf(c).Access, id)
		},
		func(u users.User) components.Banner {
			return success("%s was deactivated and signed out everywhere.", u.Email)
		})
}

func (s *Server) activate(c echo.Context) error {
	return s.rowAction(c,
		func(id int64) (users.User, error) {
			return s.Users.Activate(c.Request().Context(), currentOf(c).Access, id)
		},
		func(u users.User) components.Banner { return success("%s was activated.", u.Email) })
}

func (s *Server) deleteUser(c echo.Context) error {
	return s.rowAction(c,
		func(id int64) (users.User, error) {
			cur := currentOf(c)
			return s.Users.Delete(c.Request().Context(), cur.Access, cur.User, id)
		},
		func(u users.User) components.Banner { return success("%s was deleted.", u.Email) })
}

func (s *Server) deleteConfirm(c echo.Context) error {
	return s.confirm(c, func(l users.Listed, v *userviews.Confirm) {
		v.Heading = "Delete " + l.Email + "?"
		v.Body = "They lose access at once and leave the users list. This cannot be undone."
		if l.Invite != nil {
			v.Body += " Their invitation link stops working."
		}
		v.Confirm, v.Keep, v.Action = "Delete user", "Keep user", v.Action+"delete"
	})
}
