package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
	spaceviews "github.com/usherhq/usher/views/pages/spaces"
)

func spaceID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("sid"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.T(errs.NotFound, "spaces.not_found")
	}
	return id, nil
}

// spacesList is Settings > Spaces. ?kind= and ?parent= preset the Add a
// space form: after each add it comes back with the kind (and unit) just
// used, ready for the next of the same.
func (s *Server) spacesList(c echo.Context) error {
	v := spaceviews.List{}
	if k := spaces.Kind(c.QueryParam("kind")); k == spaces.Unit || k == spaces.WaitingArea || k == spaces.MeetingRoom {
		v.Kind = string(k)
	}
	v.Parent, _ = strconv.ParseInt(c.QueryParam("parent"), 10, 64)
	return s.renderSpaces(c, http.StatusOK, v)
}

func (s *Server) renderSpaces(c echo.Context, status int, v spaceviews.List) error {
	access := currentOf(c).Access
	listed, err := s.Spaces.List(c.Request().Context(), access)
	if err != nil {
		return err
	}
	for _, n := range listed {
		node := spaceviews.Node{ID: n.ID, Name: n.Name, Kind: string(n.Kind), KindName: n.Kind.LabelIn(locale(c)), Depth: n.Depth, Administered: n.Administered}
		v.Nodes = append(v.Nodes, node)
		if n.Kind == spaces.Unit {
			v.Units = append(v.Units, node)
		}
	}
	v.CanEdit = access.AccountAdmin
	if v.Shell, err = s.shell(c, locale(c).T("spaces.list.title"), "spaces"); err != nil {
		return err
	}
	return s.render(c, status, spaceviews.ListPage(v))
}

func (s *Server) createSpace(c echo.Context) error {
	cur := currentOf(c)
	parent, _ := strconv.ParseInt(c.FormValue("parent"), 10, 64)
	kind := spaces.Kind(c.FormValue("kind"))
	sp, err := s.Spaces.Create(c.Request().Context(), cur.Access, kind, parent, c.FormValue("name"))
	if list, fields, ok := formErrors(c.Request().Context(), err); ok {
		return s.renderSpaces(c, http.StatusUnprocessableEntity, spaceviews.List{Errors: list, Field: fields, Name: c.FormValue("name"), Kind: string(kind), Parent: parent})
	}
	if err != nil {
		return err
	}
	next := url.Values{"kind": {string(sp.Kind)}}
	if sp.Kind != spaces.Unit {
		next.Set("parent", strconv.FormatInt(sp.ParentID, 10))
	}
	return s.flashTo(c, "/settings/spaces?"+next.Encode(), success("%s", locale(c).T("spaces.added."+string(sp.Kind), "Name", sp.Name)))
}
