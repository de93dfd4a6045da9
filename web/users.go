package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	userviews "github.com/usherhq/usher/views/pages/users"
)

var tabs = []struct {
	status users.Status
	label  string
}{
	{"", "All"},
	{users.Active, "Active"},
	{users.Invited, "Invited"},
	{users.Expired, "Invitation expired"},
	{users.Deactivated, "Deactivated"},
}

func parseStatus(s string) users.Status {
	for _, t := range tabs {
		if string(t.status) == s {
			return t.status
		}
	}
	return ""
}

// listURL is the users list address for a query, status and page.
func listURL(q string, st users.Status, page int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if st != "" {
		v.Set("status", string(st))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/settings/users"
	}
	return "/settings/users?" + v.Encode()
}

func (s *Server) usersList(c echo.Context) error {
	cur := currentOf(c)
	q := strings.TrimSpace(c.QueryParam("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	st := parseStatus(c.QueryParam("status"))
	page, _ := strconv.Atoi(c.QueryParam("page"))
	if page < 1 {
		page = 1
	}
	res, err := s.Users.List(c.Request().Context(), cur.Access, users.ListFilter{Status: st, Query: q, Page: page})
	if err != nil {
		return err
	}
	sh, err := s.shell(c, "Users", "users")
	if err != nil {
		return err
	}
	here := listURL(q, st, page)
	v := userviews.List{Shell: sh, Query: q, Status: string(st), Total: res.Total, Page: page, Filtered: q != "" || st != ""}
	for _, t := range tabs {
		n := res.All
		if t.status != "" {
			n = res.Counts[t.status]
		}
		v.Tabs = append(v.Tabs, userviews.Tab{Label: t.label, Href: listURL(q, t.status, 1), Count: n, Current: t.status == st})
	}
	now := s.Clock.Now()
	for _, r := range res.Rows {
		v.Rows = append(v.Rows, s.row(r, now, here))
	}
	v.Pages = (res.Total + users.PerPage - 1) / users.PerPage
	if len(v.Rows) > 0 {
		v.From = (page-1)*users.PerPage + 1
		v.To = v.From + len(v.Rows) - 1
	}
	if page > 1 {
		v.PrevHref = listURL(q, st, page-1)
	}
	if page < v.Pages {
		v.NextHref = listURL(q, st, page+1)
	}
	if isHTMX(c) && c.Request().Header.Get("HX-Target") == "users-results" {
		return s.render(c, http.StatusOK, userviews.Results(v))
	}
	return s.render(c, http.StatusOK, userviews.ListPage(v))
}

// actionLabels are the row actions this build has handlers for, with
// their menu labels; the others of users.ActionsFor are left out.
var actionLabels = map[users.Action]struct {
	label, path, kind string
	danger            bool
}{
	users.CopyLink:     {"Copy invitation link", "link", "copy", false},
	users.ResendLink:   {"Resend invitation link", "resend", "post", false},
	users.SendNew:      {"Send new invitation", "renew", "post", false},
	users.CancelInvite: {"Cancel invitation", "cancel", "dialog", true},
}

// row turns a listed user into the view's row, with exactly the actions
// that apply to its status.
func (s *Server) row(l users.Listed, now time.Time, back string) userviews.Row {
	st := l.StatusAt(now)
	r := userviews.Row{ID: l.ID, Name: l.DisplayName(), Email: l.Email, Status: string(st), StatusLabel: st.Label(), Roles: spaces.Describe(l.Grants), Now: now}
	if l.Invite != nil && st != users.Deactivated {
		r.Invite = &userviews.InviteLine{
			SentAt:           l.Invite.SentAt,
			ExpiresAt:        l.Invite.ExpiresAt,
			Roles:            spaces.Describe(l.Invite.Offered),
			Expired:          st == users.Expired,
			DeliveryFailed:   l.Invite.Delivery.State == "failed",
			DeliveryError:    l.Invite.Delivery.Error,
			Sending:          l.Invite.Delivery.State == "queued" && l.Invite.Delivery.Error != "",
			RenewalRequested: l.Invite.RenewalRequested && st == users.Expired,
		}
	}
	base := "/settings/users/" + strconv.FormatInt(l.ID, 10) + "/"
	for _, a := range users.ActionsFor(st) {
		m, ok := actionLabels[a]
		if !ok {
			continue
		}
		r.Actions = append(r.Actions, userviews.Action{Label: m.label, URL: base + m.path, Kind: m.kind, Danger: m.danger, Return: back})
	}
	return r
}
