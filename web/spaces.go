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
		return 0, errs.E(errs.NotFound, "There is no such space.")
	}
	return id, nil
}

func (s *Server) spacesList(c echo.Context) error {
	return s.renderSpaces(c, http.StatusOK, spaceviews.List{})
}

func (s *Server) renderSpaces(c echo.Context, status int, v spaceviews.List) error {
	access := currentOf(c).Access
	listed, err := s.Spaces.List(c.Request().Context(), access)
	if err != nil {
		return err
	}
	for _, n := range listed {
		node := spaceviews.Node{ID: n.ID, Name: n.Name, Kind: string(n.Kind), KindName: n.Kind.Label(), Depth: n.Depth, Manage: n.Administered}
		v.Nodes = append(v.Nodes, node)
		if n.Kind == spaces.Unit {
			v.Units = append(v.Units, node)
		}
	}
	v.CanEdit = access.AccountAdmin
	if v.Shell, err = s.shell(c, "Spaces", "spaces"); err != nil {
		return err
	}
	return s.render(c, status, spaceviews.ListPage(v))
}

func (s *Server) createSpace(c echo.Context) error {
	cur := currentOf(c)
	parent, _ := strconv.ParseInt(c.FormValue("parent"), 10, 64)
	kind := spaces.Kind(c.FormValue("kind"))
	sp, err := s.Spaces.Create(c.Request().Context(), cur.Access, kind, parent, c.FormValue("name"))
	if list, fields, ok := formErrors(err); ok {
		return s.renderSpaces(c, http.StatusUnprocessableEntity, spaceviews.List{Errors: list, Field: fields, Name: c.FormValue("name"), Kind: string(kind), Parent: parent})
	}
	if err != nil {
		return err
	}
	return s.flashTo(c, "/settings/spaces", success("%s %s was added.", sp.Kind.Label(), sp.Name))
}

// spacePage lists a space's administrators and members, pending ones with
// their invitation.
func (s *Server) spacePage(c echo.Context) error {
	id, err := spaceID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	base := "/settings/spaces/" + strconv.FormatInt(id, 10)
	// Each role is listed a page at a time: ?admins=N and ?members=N.
	params := map[spaces.Role]string{spaces.Admin: "admins", spaces.Member: "members"}
	pages := map[spaces.Role]int{}
	for role, name := range params {
		pages[role] = pageParam(c, name)
	}
	here := func(role spaces.Role, page int) string {
		v := url.Values{}
		for r, name := range params {
			n := pages[r]
			if r == role {
				n = page
			}
			if n > 1 {
				v.Set(name, strconv.Itoa(n))
			}
		}
		if len(v) == 0 {
			return base
		}
		return base + "?" + v.Encode()
	}
	access := currentOf(c).Access
	sp, byRole, err := s.Spaces.Members(ctx, access, id, pages)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	v := spaceviews.Space{ID: id, Name: sp.Name, KindName: sp.Kind.Label(), Heading: "Manage users", Now: now, Return: here("", 0)}
	if sp.Kind == spaces.Unit || sp.Kind == spaces.Account {
		v.Heading = "Manage administrators"
	}
	for _, role := range []spaces.Role{spaces.Admin, spaces.Member} {
		people, total := byRole[role].People, byRole[role].Total
		section := spaceviews.People{Total: total, First: here(role, 1)}
		for _, p := range people {
			row := spaceviews.Person{UserID: p.UserID, Name: p.Name, Email: p.Email, Role: string(p.Role), Pending: p.Pending, InvitedAt: p.InvitedAt, ExpiresAt: p.ExpiresAt}
			if row.Name == "" {
				row.Name = p.Email
			}
			if p.Pending {
				row.Offered = access.Describe(p.Offered)
				row.Expired = !now.Before(p.ExpiresAt)
			}
			section.List = append(section.List, row)
		}
		section.Pages = pagination(pages[role], spaces.MembersPerPage, len(people), total, func(n int) string { return here(role, n) })
		if role == spaces.Admin {
			v.Admins = section
		} else {
			v.Members = section
		}
	}
	if v.Shell, err = s.shell(c, v.Heading+" · "+v.Name, "spaces"); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, spaceviews.SpacePage(v))
}

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
	if v.Shell, err = s.shell(c, "Rename space", "spaces"); err != nil {
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
	if list, fields, ok := formErrors(err); ok {
		return s.renderRename(c, http.StatusUnprocessableEntity, spaceviews.Rename{ID: id, Name: name, Errors: list, Field: fields})
	}
	if err != nil {
		return err
	}
	return s.flashTo(c, "/settings/spaces", success("Renamed to %s.", sp.Name))
}

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
	if v.Shell, err = s.shell(c, "Delete "+sp.Name, "spaces"); err != nil {
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
	return s.flashTo(c, "/settings/spaces", success("%s was deleted.", sp.Name))
}
