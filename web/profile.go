package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/i18n"
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
	l := locale(c)
	if v.Shell, err = s.shell(c, l.T("profile.title"), "profile"); err != nil {
		return err
	}
	v.Name, v.Email = cur.User.DisplayName(), cur.User.Email
	for _, g := range grants {
		if g.SpaceKind == spaces.Account {
			v.Roles = append(v.Roles, l.T("profile.role_in_account", "Role", g.Role.LabelIn(l), "Account", cur.Account.Name))
		} else {
			v.Roles = append(v.Roles, spaces.DescribeIn(l, []spaces.Grant{g}))
		}
	}
	v.Language = cur.User.Language
	v.TwoFactor = cur.TwoFactor
	v.Browser = s.unchosenLocale(c).Name
	if cur.Access.AccountAdmin {
		v.AccountLanguage = s.defaultLanguage(c)
	}
	if v.Sessions, v.Now, err = s.mySessions(c); err != nil {
		return err
	}
	return s.render(c, status, profile.Page(v))
}

// changePassword ends every session of the user, then signs this browser
// in again with a fresh session.
func (s *Server) changePassword(c echo.Context) error {
	if err := s.limits.checkPasswordChange(clientKey(c), currentOf(c).User.Email); err != nil {
		return err
	}
	u, err := s.Users.ChangePassword(c.Request().Context(), currentOf(c).User, c.FormValue("current"), c.FormValue("new"), deviceOf(c))
	if list, fields, ok := formErrors(c.Request().Context(), err); ok {
		return s.renderProfile(c, http.StatusUnprocessableEntity, profile.View{Errors: list, Field: fields})
	}
	if err != nil {
		return err
	}
	s.Notify()
	return s.startSession(c, u, "/profile", success("%s", locale(c).T("profile.password.changed")))
}

// changeLanguage keeps the language the signed-in person chose, and says
// so in it.
func (s *Server) changeLanguage(c echo.Context) error {
	u, err := s.Users.ChangeOwnLanguage(c.Request().Context(), currentOf(c).User, c.FormValue("language"))
	if err != nil {
		return err
	}
	l := i18n.Default().Locale(u.Language)
	msg := l.T("profile.language.saved", "Language", l.Name)
	if u.Language == "" {
		l = s.unchosenLocale(c)
		msg = l.T("profile.language.follows")
	}
	setLocale(c, l)
	return s.flashTo(c, "/profile", success("%s", msg))
}

// changeAccountLanguage sets the account's default language.
func (s *Server) changeAccountLanguage(c echo.Context) error {
	code := c.FormValue("language")
	if err := s.Users.SetAccountLanguage(c.Request().Context(), currentOf(c).Access, code); err != nil {
		return err
	}
	l := locale(c)
	return s.flashTo(c, "/profile", success("%s", l.T("profile.account_language.saved", "Language", i18n.Default().Locale(code).Name)))
}
