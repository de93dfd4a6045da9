package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	userviews "github.com/usherhq/usher/views/pages/users"
)

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
		return c.JSON(http.StatusOK, map[string]string{"link": link, "message": locale(c).T("users.copylink.copied")})
	}
	sh, err := s.shell(c, locale(c).T("users.copylink.title"), "users")
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, userviews.LinkPage(userviews.Link{Shell: sh, Email: u.Email, Link: link, Return: returnTo(c.FormValue("return"))}))
}
