package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	spaceviews "github.com/usherhq/usher/views/pages/spaces"
)

func (s *Server) renameForm(c echo.Context) error {
	id, err := spaceID(c)
	if err != nil {
		return err
	}
	sp, err := s.Spaces.Editable(c.Request().Context(), currentOf(c).Access, id)
	if err != nil {
		return err
	}
	return s.renderRename(c, http.StatusOK, spaceviews.Rename{ID: id, Name: sp.Name})
}

func (s *Server) renderRename(c echo.Context, status int, v spaceviews.Rename) error {
	var err error
	if v.Shell, err = s.shell(c, locale(c).T("spaces.rename.title"), "spaces"); err != nil {
		return err
	}
	return s.render(c, status, spaceviews.RenamePage(v))
}

func (s *Server) rename(c echo.Context) error {
	id, err := spaceID(c)
	if err != nil {
		return err
	}
	name := c.FormValue("name")
	sp, err := s.Spaces.Rename(c.Request().Context(), currentOf(c).Access, id, name)
	if list, fields, ok := formErrors(c.Request().Context(), err); ok {
		return s.renderRename(c, http.StatusUnprocessableEntity, spaceviews.Rename{ID: id, Name: name, Errors: list, Field: fields})
	}
	if err != nil {
		return err
	}
	return s.flashTo(c, "/settings/spaces", success("%s", locale(c).T("spaces.renamed", "Name", sp.Name)))
}
