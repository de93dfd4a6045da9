package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/components"
	userviews "github.com/usherhq/usher/views/pages/users"
)

// notDelivered is the tab of the Not delivered filter (?status=undelivered):
// users whose invitation email failed, or failed once and is retried.
const notDelivered users.Status = "undelivered"

// tabs are the status filters, each with its name's message id.
var tabs = []struct {
	status users.Status
	label  string
}{
	{"", "users.list.tab.all"},
	{users.Active, "users.list.tab.active"},
	{users.Invited, "users.list.tab.invited"},
	{users.Expired, "users.list.tab.expired"},
	{users.Deactivated, "users.list.tab.deactivated"},
	{notDelivered, "users.list.tab.undelivered"},
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

func parseListQuery(c echo.Context) listQuery { return listQueryOf(c.QueryParams()) }

// listQueryOf reads the list's state from an address's query; anything
// that makes no sense is the default.
func listQueryOf(v url.Values) listQuery {
	q := listQuery{Q: strings.TrimSpace(v.Get("q")), Status: parseStatus(v.Get("status"))}
	if len(q.Q) > 200 {
		q.Q = q.Q[:200]
	}
	switch s := users.Sort(v.Get("sort")); s {
	case users.ByEmail, users.ByStatus, users.ByJoined, users.ByLastSignIn:
		q.Sort = s
	case "created": // the column's name before it was Joined (issue 14)
		q.Sort = users.ByJoined
	default:
		q.Sort = users.ByName
	}
	q.Desc = v.Get("dir") == "desc"
	q.Page = 1
	if p := v.Get("page"); p != "" { // the first page needs no parsing
		if n, err := strconv.Atoi(p); err == nil && n > 1 {
			q.Page = min(n, maxPage)
		}
	}
	return q
}

// listQueryFrom is the list's state in a "return" address, when that
// address is the users list (not a space's page, say).
func listQueryFrom(raw string) (listQuery, bool) {
	u, err := url.Parse(returnTo(raw))
	if err != nil || u.Path != "/settings/users" {
		return listQuery{}, false
	}
	return listQueryOf(u.Query()), true
}

// filter is the service's filter for q.
func (q listQuery) filter() users.ListFilter {
	return users.ListFilter{Status: q.Status, Undelivered: q.Status == notDelivered, Query: q.Q, Sort: q.Sort, Desc: q.Desc, Page: q.Page}
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

// exportURL is the address of Download CSV for the list at q: its tab,
// search and sort, every page.
func (q listQuery) exportURL() string {
	q.Page = 1
	return "/settings/users.csv" + strings.TrimPrefix(q.url(), "/settings/users")
}

func (q listQuery) with(f func(*listQuery)) string {
	f(&q)
	return q.url()
}

// listURL is the list filtered to a search and a status, first page.
func listURL(search string, st users.Status, page int) string {
	return listQuery{Q: search, Status: st, Page: page}.url()
}

// sortColumns are the column headings that sort the list, each with its
// name's message id.
var sortColumns = []struct {
	sort  users.Sort
	label string
}{
	{users.ByName, "users.list.column.name"},
	{users.ByStatus, "users.list.column.status"},
	{users.ByJoined, "users.list.column.joined"},
	{users.ByLastSignIn, "users.list.column.last_sign_in"},
}

// sortChoices are the orders the small screens' sort control offers (the
// column headings sort on wide ones).
var sortChoices = []struct {
	sort  users.Sort
	label string
}{
	{users.ByName, "users.list.column.name"},
	{users.ByEmail, "users.list.column.email"},
	{users.ByStatus, "users.list.column.status"},
	{users.ByJoined, "users.list.column.joined"},
	{users.ByLastSignIn, "users.list.column.last_sign_in"},
}

// tabLabel is the message id of the name of the tab that lists status st.
func tabLabel(st users.Status) string {
	for _, t := range tabs {
		if t.status == st {
			return t.label
		}
	}
	return st.LabelID()
}

func (s *Server) usersList(c echo.Context) error {
	gen := s.changes(c.Request().Context()) // before reading anything
	cur := currentOf(c)
	q := parseListQuery(c)
	fragment := isHTMX(c) && c.Request().Header.Get("HX-Target") == "users-results" && c.Request().Header.Get("HX-History-Restore-Request") == ""
	key := pageKey{user: cur.User.ID, lang: locale(c).Code, uri: q.url(), fragment: fragment}
	c.Response().Header().Set("Vary", "HX-Request, HX-Target, HX-History-Restore-Request, Accept-Encoding, Accept-Language")
	sent, done, err := s.sendKept(c, gen, key)
	if sent || err != nil {
		return err
	}
	if done != nil {
		defer done()
	}
	res, err := s.Users.List(c.Request().Context(), cur.Access, q.filter())
	if err != nil {
		return err
	}
	sh, err := s.shell(c, locale(c).T("users.list.title"), "users")
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	v := s.listView(locale(c), cur.Access, q, res, now)
	v.Shell = sh
	v.Jobs = s.jobsView(c, q.url())
	comp := userviews.ListPage(v)
	if fragment {
		comp = userviews.Results(v)
	}
	return s.renderKept(c, gen, key, keptUntil(now, res.Until), sh.Banner == (components.Banner{}), done, comp)
}

// listView is the users list at q, from the page res the service listed.
func (s *Server) listView(loc *i18n.Locale, access *spaces.Access, q listQuery, res users.ListPage, now time.Time) userviews.List {
	v := userviews.List{Query: q.Q, Status: string(q.Status), Sort: string(q.Sort), Desc: q.Desc, Total: res.Total, Filtered: q.Q != "" || q.Status != "", MenuItems: s.allItems, ExportHref: q.exportURL(),
		Bar: bulkBar(q, res), Cleanup: cleanup(q, res)}
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
		v.Tabs = append(v.Tabs, userviews.Tab{LabelID: t.label, Href: q.with(func(x *listQuery) { x.Status, x.Page = st, 1 }), Count: n, Current: t.status == q.Status})
	}
	for _, col := range sortColumns {
		h := userviews.Column{LabelID: col.label, Sorted: col.sort == q.Sort}
		if h.Sorted {
			h.Desc = q.Desc
		}
		desc := h.Sorted && !q.Desc
		sort := col.sort
		h.Href = q.with(func(x *listQuery) { x.Sort, x.Desc, x.Page = sort, desc, 1 })
		v.Columns = append(v.Columns, h)
	}
	for _, o := range sortChoices {
		v.SortChoices = append(v.SortChoices, userviews.Choice{Value: string(o.sort), LabelID: o.label, Selected: o.sort == q.Sort})
	}
	v.Rows = make([]userviews.Row, 0, len(res.Rows))
	for _, r := range res.Rows {
		v.Rows = append(v.Rows, s.listRow(loc, access, r, now))
	}
	page := func(n int) string { return q.with(func(x *listQuery) { x.Page = n }) }
	last := res.Pages(users.PerPage)
	v.Pages = pagination(q.Page, users.PerPage, len(v.Rows), res.Total, page)
	v.Pages.Numbers = pageNumbers(q.Page, last, page)
	if len(v.Rows) == 0 && res.Total > 0 {
		// A page number past the end (an old link, a hand-edited address,
		// the last rows gone meanwhile): say so, and link to the last page.
		v.PastEnd = &userviews.PastEnd{Page: q.Page, Last: last, Href: page(last)}
	}
	return v
}

// listRow turns a listed user into the view's row as the administrator with
// access sees it (roles outside their spaces counted, not named), with
// exactly the actions that apply to it.
func (s *Server) listRow(loc *i18n.Locale, access *spaces.Access, l users.Listed, now time.Time) userviews.Row {
	st := l.StatusAt(now)
	r := userviews.Row{ID: l.ID, Name: l.DisplayName(), HasName: l.Name != "", Email: l.Email, Status: string(st), StatusLabel: st.Label(), StatusID: st.LabelID(), Roles: access.DescribeIn(loc, l.Grants), Actions: s.menu(users.ActionsOn(access, l, now)), Now: now, JoinedAt: l.ActivatedAt, LastSignIn: l.LastSignInAt, InvitedBy: l.InvitedBy}
	if l.Invite != nil {
		r.Offered = access.DescribeIn(loc, l.Invite.Offered)
	}
	if l.Invite != nil && st != users.Deactivated {
		r.Invite = &userviews.InviteLine{
			CreatedAt:        l.Invite.CreatedAt,
			Reminded:         l.Invite.SentAt.After(l.Invite.CreatedAt),
			SentAt:           l.Invite.SentAt,
			ExpiresAt:        l.Invite.ExpiresAt,
			Expired:          st == users.Expired,
			DeliveryFailed:   l.Invite.Delivery.State == "failed",
			DeliveryError:    l.Invite.Delivery.Error,
			Sending:          l.Invite.Delivery.State == "queued" && l.Invite.Delivery.Error != "",
			RenewalRequested: l.Invite.RenewalRequested && st == users.Expired,
		}
	}
	return r
}
