package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/spaces"
	spaceviews "github.com/usherhq/usher/views/pages/spaces"
)

// spacePage lists a space's administrators and members, pending ones with
// their invitation: searchable, a page at a time.
func (s *Server) spacePage(c echo.Context) error {
	id, err := spaceID(c)
	if err != nil {
		return err
	}
	v, err := s.spaceView(c, id, c.QueryParams())
	if err != nil {
		return err
	}
	if v.Shell, err = s.shell(c, locale(c).T("spaces.page.title", "Space", v.Name), "spaces"); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, spaceviews.SpacePage(v))
}

// spaceQuery is the state of a space's page that lives in its URL: the
// search (?q=) and each role's page (?admins=N, ?members=N).
type spaceQuery struct {
	base   string
	search string
	pages  map[spaces.Role]int
}

var rolePageParams = map[spaces.Role]string{spaces.Admin: "admins", spaces.Member: "members"}

func parseSpaceQuery(id int64, q url.Values) spaceQuery {
	sq := spaceQuery{base: "/settings/spaces/" + strconv.FormatInt(id, 10), search: strings.TrimSpace(q.Get("q")), pages: map[spaces.Role]int{}}
	for role, name := range rolePageParams {
		sq.pages[role] = 1
		if n, err := strconv.Atoi(q.Get(name)); err == nil && n > 1 {
			sq.pages[role] = min(n, maxPage)
		}
	}
	return sq
}

// url is the page's address with role's page set to page (role "" keeps
// every page as it is); defaults are left out.
func (q spaceQuery) url(role spaces.Role, page int) string {
	v := url.Values{}
	if q.search != "" {
		v.Set("q", q.search)
	}
	for r, name := range rolePageParams {
		n := q.pages[r]
		if r == role {
			n = page
		}
		if n > 1 {
			v.Set(name, strconv.Itoa(n))
		}
	}
	if len(v) == 0 {
		return q.base
	}
	return q.base + "?" + v.Encode()
}

// spaceView is a space's page in the state the query values q name, as
// the signed-in administrator sees it.
func (s *Server) spaceView(c echo.Context, id int64, values url.Values) (spaceviews.Space, error) {
	q := parseSpaceQuery(id, values)
	access := currentOf(c).Access
	sp, byRole, err := s.Spaces.Members(c.Request().Context(), access, id, spaces.MembersQuery{Search: q.search, Pages: q.pages})
	if err != nil {
		return spaceviews.Space{}, err
	}
	here := q.url("", 0)
	v := spaceviews.Space{ID: id, Name: sp.Name, KindName: sp.Kind.LabelIn(locale(c)), Now: s.Clock.Now(), Return: here, Search: q.search, Action: q.base}
	for _, role := range []spaces.Role{spaces.Admin, spaces.Member} {
		people, total := byRole[role].People, byRole[role].Total
		section := spaceviews.People{Total: total, First: q.url(role, 1)}
		for _, p := range people {
			row := spaceviews.Person{UserID: p.UserID, Name: p.Name, Email: p.Email, Pending: p.Pending, InvitedAt: p.InvitedAt, Expired: p.Expired,
				UserURL: listURL(p.Email, "", 1), Manageable: p.Manageable}
			if p.Manageable && p.UserID != currentOf(c).User.ID {
				// Nobody removes themselves (the service refuses it).
				row.RemoveURL = removeURL(id, p.UserID, here)
			}
			if row.Name == "" {
				row.Name = p.Email
			}
			if p.Pending {
				row.Offered = access.DescribeIn(locale(c), p.Offered)
			}
			section.List = append(section.List, row)
		}
		page := func(n int) string { return q.url(role, n) }
		section.Pages = pagination(q.pages[role], spaces.MembersPerPage, len(people), total, page)
		section.Pages.Numbers = pageNumbers(q.pages[role], (total+spaces.MembersPerPage-1)/spaces.MembersPerPage, page)
		if role == spaces.Admin {
			v.Admins = section
		} else {
			v.Members = section
		}
	}
	return v, nil
}

// removeURL asks to remove user from space, coming back to ret.
func removeURL(space, user int64, ret string) string {
	return "/settings/spaces/" + strconv.FormatInt(space, 10) + "/people/" + strconv.FormatInt(user, 10) + "/remove?return=" + url.QueryEscape(ret)
}
