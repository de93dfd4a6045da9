package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/spaces"
	spaceviews "github.com/usherhq/usher/views/pages/spaces"
)

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
