package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/views/pages/profile"
)

func (s *Server) profile(c echo.Context) error {
	return s.renderProfile(c, http.StatusOK, profile.View{})
}

func (s *Server) renderProfile(c echo.Context, status int, v profile.View) error {
	cur := currentOf(c)
	grants, err := s.Users.Grants(c.Request().Context(), cur.User)
	if err != nil {
		return err
	}
	if v.Shell, err = s.shell(c, "Your profile", "profile"); err != nil {
		return err
	}
	v.Name, v.Email = cur.User.DisplayName(), cur.User.Email
	for _, g := range grants {
		if g.SpaceKind == spaces.Account {
			v.Roles = append(v.Roles, g.Role.Label()+" of "+cur.Account.Name)
		} else {
			v.Roles = append(v.Roles, spaces.Describe([]spaces.Grant{g}))
		}
	}
	return s.render(c, status, profile.Page(v))
}

// changePassword ends every session of the user, then signs this browser
// in again with a fresh session.
func (s *Server) changePassword(c echo.Context) error {
	if err := s.limits.checkPasswordChange(clientKey(c), currentOf(c).User.Email); err != nil {
		return err
	}
	u, err := s.Users.ChangePassword(c.Request().Context(), currentOf(c).User, c.FormValue("current"), c.FormValue("new"))
	if list, fields, ok := formErrors(err); ok {
		return s.renderProfile(c, http.StatusUnprocessableEntity, profile.View{Errors: list, Field: fields})
	}
	if err != nil {
		return err
	}
	return s.startSession(c, u, "/profile", success("Your password was changed. You were signed out everywhere else."))
}
