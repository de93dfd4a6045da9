package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/components"
	userviews "github.com/usherhq/usher/views/pages/users"
)

// notDelivered is the tab of the Not delivered filter (?status=undelivered):
// users whose invitation email failed, or failed once and is retried.
const notDelivered users.Status = "undelivered"

var tabs = []struct {
	status users.Status
	label  string
}{
	{"", "All"},
	{users.Active, "Active"},
	{users.Invited, "Invited"},
	{users.Expired, "Invitation expired"},
	{users.Deactivated, "Deactivated"},
	{notDelivered, "Not delivered"},
}

func parseStatus(s string) users.Status {
	for _, t := range tabs {
		if string(t.status) == s {
			return t.status
		}
	}
	return ""
}

// listQuery is the state of the users list that lives in its URL.
type listQuery struct {
	Q      string
	Status users.Status
	Sort   users.Sort
	Desc   bool
	Page   int
}

func parseListQuery(c echo.Context) listQuery {
	q := listQuery{Q: strings.TrimSpace(c.QueryParam("q")), Status: parseStatus(c.QueryParam("status"))}
	if len(q.Q) > 200 {
		q.Q = q.Q[:200]
	}
	switch s := users.Sort(c.QueryParam("sort")); s {
	case users.ByEmail, users.ByStatus, users.ByCreated:
		q.Sort = s
	default:
		q.Sort = users.ByName
	}
	q.Desc = c.QueryParam("dir") == "desc"
	q.Page = pageParam(c, "page")
	return q
}

// url is the users list address for q; defaults are left out.
func (q listQuery) url() string {
	v := url.Values{}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	if q.Status != "" {
		v.Set("status", string(q.Status))
	}
	if q.Sort != "" && q.Sort != users.ByName {
		v.Set("sort", string(q.Sort))
	}
	if q.Desc {
		v.Set("dir", "desc")
	}
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if len(v) == 0 {
		return "/settings/users"
	}
	return "/settings/users?" + v.Encode()
}

func (q listQuery) with(f func(*listQuery)) string {
	f(&q)
	return q.url()
}

// listURL is the list filtered to a search and a status, first page.
func listURL(search string, st users.Status, page int) string {
	return listQuery{Q: search, Status: st, Page: page}.url()
}

var sortColumns = []struct {
	sort  users.Sort
	label string
}{
	{users.ByName, "Name"},
	{users.ByStatus, "Status"},
	{users.ByCreated, "Invited or joined"},
}

func (s *Server) usersList(c echo.Context) error {
	gen := s.Changes() // before reading anything
	cur := currentOf(c)
	q := parseListQuery(c)
	fragment := isHTMX(c) && c.Request().Header.Get("HX-Target") == "users-results" && c.Request().Header.Get("HX-History-Restore-Request") == ""
	key := pageKey{user: cur.User.ID, uri: q.url(), fragment: fragment}
	c.Response().Header().Set("Vary", "HX-Request, HX-Target, HX-History-Restore-Request, Accept-Encoding")
	if sent, err := s.sendKept(c, gen, key); sent || err != nil {
		return err
	}
	res, err := s.Users.List(c.Request().Context(), cur.Access, users.ListFilter{Status: q.Status, Undelivered: q.Status == notDelivered, Query: q.Q, Sort: q.Sort, Desc: q.Desc, Page: q.Page})
	if err != nil {
		return err
	}
	sh, err := s.shell(c, "Users", "users")
	if err != nil {
		return err
	}
	v := userviews.List{Shell: sh, Query: q.Q, Status: string(q.Status), Sort: string(q.Sort), Desc: q.Desc, Total: res.Total, Filtered: q.Q != "" || q.Status != "", MenuItems: menuItems}
	for _, t := range tabs {
		n := res.All
		switch t.status {
		case "":
		case notDelivered:
			n = res.Undelivered
			if n == 0 && q.Status != notDelivered {
				continue // shown while something was not delivered
			}
		default:
			n = res.Counts[t.status]
		}
		st := t.status
		v.Tabs = append(v.Tabs, userviews.Tab{Label: t.label, Href: q.with(func(x *listQuery) { x.Status, x.Page = st, 1 }), Count: n, Current: t.status == q.Status})
	}
	for _, col := range sortColumns {
		h := userviews.Column{Label: col.label, Sorted: col.sort == q.Sort}
		if h.Sorted {
			h.Desc = q.Desc
		}
		desc := h.Sorted && !q.Desc
		sort := col.sort
		h.Href = q.with(func(x *listQuery) { x.Sort, x.Desc, x.Page = sort, desc, 1 })
		v.Columns = append(v.Columns, h)
	}
	now := s.Clock.Now()
	for _, r := range res.Rows {
		v.Rows = append(v.Rows, s.listRow(cur.Access, r, now))
	}
	page := func(n int) string { return q.with(func(x *listQuery) { x.Page = n }) }
	v.Pages = pagination(q.Page, users.PerPage, len(v.Rows), res.Total, page)
	v.Pages.Numbers = pageNumbers(q.Page, (res.Total+users.PerPage-1)/users.PerPage, page)
	comp := userviews.ListPage(v)
	if fragment {
		comp = userviews.Results(v)
	}
	return s.renderKept(c, gen, key, keptUntil(now, res.Until), sh.Banner == (components.Banner{}), comp)
}

// listRow turns a listed user into the view's row as the administrator with
// access sees it (roles outside their spaces counted, not named), with
// exactly the actions that apply to its status.
func (s *Server) listRow(access *spaces.Access, l users.Listed, now time.Time) userviews.Row {
	st := l.StatusAt(now)
	r := userviews.Row{ID: l.ID, Name: l.DisplayName(), HasName: l.Name != "", Email: l.Email, Status: string(st), StatusLabel: st.Label(), Roles: access.Describe(l.Grants), Actions: s.menus[st], Now: now, Since: l.CreatedAt}
	if !l.ActivatedAt.IsZero() {
		r.Since, r.Joined = l.ActivatedAt, true
	}
	if l.Invite != nil && st != users.Deactivated {
		r.Invite = &userviews.InviteLine{
			CreatedAt:        l.Invite.CreatedAt,
			Reminded:         l.Invite.SentAt.After(l.Invite.CreatedAt),
			SentAt:           l.Invite.SentAt,
			ExpiresAt:        l.Invite.ExpiresAt,
			Roles:            access.Describe(l.Invite.Offered),
			Expired:          st == users.Expired,
			DeliveryFailed:   l.Invite.Delivery.State == "failed",
			DeliveryError:    l.Invite.Delivery.Error,
			Sending:          l.Invite.Delivery.State == "queued" && l.Invite.Delivery.Error != "",
			RenewalRequested: l.Invite.RenewalRequested && st == users.Expired,
		}
	}
	return r
}
