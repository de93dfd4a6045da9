package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	spaceviews "github.com/usherhq/usher/views/pages/spaces"
)

func (s *Server) deleteSpaceConfirm(c echo.Context) error {
	id, err := spaceID(c)
	if err != nil {
		return err
	}
	sp, im, err := s.Spaces.Impact(c.Request().Context(), currentOf(c).Access, id)
	if err != nil {
		return err
	}
	v := spaceviews.Delete{ID: id, Name: sp.Name, Inside: im.Spaces - 1, Grants: im.Grants, Invitations: im.Invitations}
	if v.Shell, err = s.shell(c, locale(c).T("spaces.delete.title", "Space", sp.Name), "spaces"); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, spaceviews.DeletePage(v))
}

func (s *Server) deleteSpace(c echo.Context) error {
	id, err := spaceID(c)
	if err != nil {
		return err
	}
	sp, err := s.Spaces.Delete(c.Request().Context(), currentOf(c).Access, id)
	if err != nil {
		return err
	}
	return s.flashTo(c, "/settings/spaces", success("%s", locale(c).T("spaces.deleted", "Space", sp.Name)))
}
