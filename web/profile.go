package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/views/pages/profile"
)

func (s *Server) profile(c echo.Context) error {
	cur := currentOf(c)
	grants, err := s.Users.Grants(c.Request().Context(), cur.User)
	if err != nil {
		return err
	}
	sh, err := s.shell(c, "Your profile", "profile")
	if err != nil {
		return err
	}
	v := profile.View{Shell: sh, Name: cur.User.DisplayName(), Email: cur.User.Email}
	for _, g := range grants {
		if g.SpaceKind == spaces.Account {
			v.Roles = append(v.Roles, g.Role.Label()+" of "+cur.Account.Name)
		} else {
			v.Roles = append(v.Roles, spaces.Describe([]spaces.Grant{g}))
		}
	}
	return s.render(c, http.StatusOK, profile.Page(v))
}
