package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	authviews "github.com/usherhq/usher/views/pages/auth"
	"github.com/usherhq/usher/views/pages/home"
)

// landing is where a signed-in person starts, after signing in, setting
// up or accepting an invitation, and whenever they open the site: the
// users list for anyone who administers a space (the page they work in),
// their home for a member. It is the one rule for all of those.
func landing(a *spaces.Access) string {
	if a.IsAdmin() {
		return "/settings/users"
	}
	return "/"
}

// landingOf is landing for u, who has just been signed in afresh.
func (s *Server) landingOf(c echo.Context, u users.User) (string, error) {
	a, err := s.Users.Access(c.Request().Context(), u)
	if err != nil {
		return "", err
	}
	return landing(a), nil
}

// home is the site's front door: a member's home page; for an
// administrator, their landing; signed out, sign-in (or the first-run
// notice).
func (s *Server) home(c echo.Context) error {
	if cur := currentOf(c); cur != nil {
		if to := landing(cur.Access); to != "/" {
			return c.Redirect(http.StatusSeeOther, to)
		}
		return s.renderHome(c, http.StatusOK, home.View{Name: cur.User.Name})
	}
	need, err := s.Users.NeedsSetup(c.Request().Context())
	if err != nil {
		return err
	}
	if need {
		sh, err := s.shell(c, locale(c).T("auth.not_set_up.title"), "")
		if err != nil {
			return err
		}
		return s.render(c, http.StatusOK, authviews.NotSetUpPage(sh))
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

func (s *Server) renderHome(c echo.Context, status int, v home.View) error {
	cur := currentOf(c)
	ms, err := s.Spaces.Memberships(c.Request().Context(), cur.Access)
	if err != nil {
		return err
	}
	v.Email, v.Account = cur.User.Email, cur.Account.Name
	for _, m := range ms {
		sp := home.Space{Name: m.Space.Name, KindName: m.Space.Kind.LabelIn(locale(c)), Role: m.Role.LabelIn(locale(c)), MoreAdmins: m.MoreAdmins}
		if m.Space.Kind == spaces.Account {
			sp.Name = cur.Account.Name
		}
		if m.AdminsOf.ID != m.Space.ID {
			sp.AdminsOf = m.AdminsOf.Name
		}
		for _, a := range m.Admins {
			name := a.Name
			if name == "" {
				name = a.Email
			}
			sp.Admins = append(sp.Admins, home.Admin{Name: name, Email: a.Email})
		}
		v.Spaces = append(v.Spaces, sp)
	}
	if v.Shell, err = s.shell(c, locale(c).T("home.title"), "home"); err != nil {
		return err
	}
	return s.render(c, status, home.Page(v))
}

// changeName is a person changing their own name, from their home.
func (s *Server) changeName(c echo.Context) error {
	cur := currentOf(c)
	name := c.FormValue("name")
	u, err := s.Users.ChangeOwnName(c.Request().Context(), cur.User, cur.User.ID, name)
	if list, fields, ok := formErrors(c.Request().Context(), err); ok {
		return s.renderHome(c, http.StatusUnprocessableEntity, home.View{Name: name, Errors: list, Field: fields})
	}
	if err != nil {
		return err
	}
	return s.flashTo(c, landing(cur.Access), success("%s", locale(c).T("home.name.changed", "Name", u.Name)))
}
