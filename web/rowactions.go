package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/components"
	"github.com/usherhq/usher/views/layouts"
	userviews "github.com/usherhq/usher/views/pages/users"
)

// rowAction is one action of the users list's ••• menu: its item, and the
// handlers behind its address, /settings/users/:id/<path>. Which rows
// offer it is internal/users' rule (users.ActionsFor).
type rowAction struct {
	action users.Action
	item   userviews.Action
	get    func(*Server, echo.Context) error // asks first: a dialog, or a page without JavaScript
	post   func(*Server, echo.Context) error // does it
	mw     []echo.MiddlewareFunc
}

// rowActions declares every row action, and is the only place that does:
// the menus, the no-JavaScript actions page and the routes are made from
// it. Groups, separated in the menu: the invitation's own actions, then
// the user's, then the ones that take something away.
var rowActions = []rowAction{
	{action: users.CopyLink, item: userviews.Action{Path: "link", Label: "Copy invitation link", LabelID: "users.list.action.link", Kind: userviews.Copy},
		post: (*Server).copyLink, mw: []echo.MiddlewareFunc{noReferrer}},
	{action: users.ResendLink, item: userviews.Action{Path: "resend", Label: "Resend invitation link", LabelID: "users.list.action.resend"},
		post: (*Server).resend},
	{action: users.SendNew, item: userviews.Action{Path: "renew", Label: "Send new invitation", LabelID: "users.list.action.renew"},
		post: (*Server).renew},
	{action: users.ManageInvite, item: userviews.Action{Path: "invitation", Label: "Manage invitation", LabelID: "users.list.action.invitation", Kind: userviews.Dialog},
		get: (*Server).invitationPage},
	{action: users.EditUser, item: userviews.Action{Path: "edit", Label: "Edit user", LabelID: "users.list.action.edit", Kind: userviews.Dialog, Group: 1},
		get: (*Server).editForm, post: (*Server).edit},
	{action: users.SendReset, item: userviews.Action{Path: "reset", Label: "Send password reset link", LabelID: "reset.action", Group: 1},
		post: (*Server).sendReset},
	{action: users.ActivateUser, item: userviews.Action{Path: "activate", Label: "Activate user", LabelID: "users.list.action.activate", Group: 1},
		post: (*Server).activate},
	{action: users.CancelInvite, item: userviews.Action{Path: "cancel", Label: "Cancel invitation", LabelID: "users.list.action.cancel", Kind: userviews.Dialog, Danger: true, Group: 2},
		get: (*Server).cancelConfirm, post: (*Server).cancel},
	{action: users.DeactivateUser, item: userviews.Action{Path: "deactivate", Label: "Deactivate user", LabelID: "users.list.action.deactivate", Kind: userviews.Dialog, Danger: true, Group: 2},
		get: (*Server).deactivateConfirm, post: (*Server).deactivate},
	{action: users.DeleteUser, item: userviews.Action{Path: "delete", Label: "Delete user", LabelID: "users.list.action.delete", Kind: userviews.Dialog, Danger: true, Group: 2},
		get: (*Server).deleteConfirm, post: (*Server).deleteUser},
}

// routeRowActions serves each row action under g, the Settings group.
func (s *Server) routeRowActions(g *echo.Group) {
	for _, a := range rowActions {
		path := "/users/:id/" + a.item.Path
		if a.get != nil {
			g.GET(path, s.handle(a.get), a.mw...)
		}
		if a.post != nil {
			g.POST(path, s.handle(a.post), a.mw...)
		}
	}
}

func (s *Server) handle(h func(*Server, echo.Context) error) echo.HandlerFunc {
	return func(c echo.Context) error { return h(s, c) }
}

// menuItems is every row action's item, for the template the browser
// makes each row's menu from (userviews.MenuItems). (Made by New, as
// rowItems.)
func menuItems() []userviews.Action {
	var out []userviews.Action
	for _, a := range rowActions {
		out = append(out, a.item)
	}
	return out
}

// rowItems is each row action's menu item, checked against every status's
// actions in users.ActionsFor. (Made by New: rowActions holds the
// handlers, which make rows.)
func rowItems() map[users.Action]userviews.Action {
	out := map[users.Action]userviews.Action{}
	for _, a := range rowActions {
		out[a.action] = a.item
	}
	for _, st := range []users.Status{users.Active, users.Invited, users.Expired, users.Deactivated} {
		for _, act := range users.ActionsFor(st) {
			if _, ok := out[act]; !ok {
				panic("users.ActionsFor offers " + string(act) + ", which rowActions does not declare")
			}
		}
	}
	return out
}

// menu is the ••• menu of the actions acts (users.ActionsOn), group by
// group. Rows with the same actions share one (not to be changed): a page
// has fifty rows and few menus, and making each row's was an eighth of
// what a page of the list allocated.
func (s *Server) menu(acts []users.Action) []userviews.Action {
	var kb [128]byte
	key := kb[:0]
	for _, act := range acts {
		key = append(append(key, act...), ' ')
	}
	s.menus.mu.RLock()
	items, ok := s.menus.made[string(key)]
	s.menus.mu.RUnlock()
	if ok {
		return items
	}
	items = make([]userviews.Action, 0, len(acts))
	for _, act := range acts {
		items = append(items, s.items[act])
	}
	slices.SortStableFunc(items, func(a, b userviews.Action) int { return a.Group - b.Group })
	s.menus.mu.Lock()
	if s.menus.made == nil {
		s.menus.made = map[string][]userviews.Action{}
	}
	s.menus.made[string(key)] = items // as many as there are ways to leave actions out of a status's: a few hundred at most
	s.menus.mu.Unlock()
	return items
}

// menus are the menus made, by their actions' names.
type menus struct {
	mu   sync.RWMutex
	made map[string][]userviews.Action
}

// listedUser is the user named by the :id of the path, as the list shows
// them, if the signed-in administrator may see them at all.
func (s *Server) listedUser(c echo.Context) (users.Listed, error) {
	id, err := userID(c)
	if err != nil {
		return users.Listed{}, err
	}
	return s.Users.Row(c.Request().Context(), currentOf(c).Access, id)
}

// rowAfter ends a row action that changed ch: without htmx, b as a flash
// and a redirect back; with htmx, the answer brings the page up to date
// in place. On the users list (the "return" address says which view of
// it) the tab counts and "Showing" follow, from the same service call as
// the list: a row still in the view is replaced, and one that left it
// (another tab, deleted, no longer found by the search) takes the results
// with it, which are read again, and b says where it went. Elsewhere (a
// space's page), the row and b.
func (s *Server) rowAfter(c echo.Context, ch users.Changed, b components.Banner) error {
	if !isHTMX(c) {
		// Without JavaScript: a flash and a redirect back; the page that
		// follows shows the row, so there is no row to render here.
		return s.flashTo(c, returnTo(c.FormValue("return")), b)
	}
	access, now := currentOf(c).Access, s.Clock.Now()
	var row *userviews.Row
	if ch.Row != nil {
		r := s.listRow(locale(c), access, *ch.Row, now)
		row = &r
	}
	q, onList := listQueryFrom(c.FormValue("return"))
	if !onList {
		return s.render(c, http.StatusOK, userviews.RowUpdate(row, nil, b))
	}
	f := q.filter()
	if ch.Row != nil {
		f.Holding = ch.Row.ID
	}
	res, err := s.Users.List(c.Request().Context(), access, f)
	if err != nil {
		// What was done is done: say so, with the row, if not the counts
		// (which someone no longer an administrator may not read).
		if errs.CodeOf(err) == errs.Internal {
			s.logError(c, "counting the users list after a row action", "path", c.Path(), "err", err)
		}
		return s.render(c, http.StatusOK, userviews.RowUpdate(row, nil, b))
	}
	v := s.listView(locale(c), access, q, res, now)
	if row != nil && res.Holds {
		return s.render(c, http.StatusOK, userviews.RowUpdate(row, &v, b))
	}
	if ch.Row != nil {
		b.Message = strings.TrimSpace(b.Message + " " + wentWhere(locale(c), q, *ch.Row, now))
	}
	c.Response().Header().Set("HX-Retarget", "#users-results")
	c.Response().Header().Set("HX-Reswap", "outerHTML")
	return s.render(c, http.StatusOK, userviews.ResultsUpdate(v, b))
}

// wentWhere says, in loc, where l's row went when it left the view q: to
// the tab of its new status, or out of the search's results.
func wentWhere(loc *i18n.Locale, q listQuery, l users.Listed, now time.Time) string {
	if st := l.StatusAt(now); q.Status != "" && st != q.Status {
		return loc.T("users.list.now_under", "Tab", loc.T(tabLabel(st)))
	}
	if q.Q != "" {
		return loc.T("users.list.no_longer_match")
	}
	return ""
}

// rowAction runs one of the row's actions on the user of the path and
// answers with the row and a banner. A refused action changes nothing and
// says why, in the same banner: inline with htmx, as a flash without.
func (s *Server) rowAction(c echo.Context, act func(ctx context.Context, id int64) (users.Changed, error), banner string) error {
	// banner is a catalogue message id; its {{.Email}} is the user's.
	id, err := userID(c)
	if err != nil {
		return err
	}
	ch, err := act(c.Request().Context(), id)
	if err != nil {
		return s.refuse(c, err)
	}
	s.Notify()
	return s.rowAfter(c, ch, successT(c, banner, "Email", ch.Email))
}

// refuse answers a refused row action: the error handler's banner with
// htmx, or a flash and a redirect back to the list without. Missing rows
// and failures on our side get the error page.
func (s *Server) refuse(c echo.Context, err error) error {
	if isHTMX(c) || errs.CodeOf(err) == errs.Internal || errs.CodeOf(err) == errs.NotFound {
		return err
	}
	if ferr := s.flash(c, components.Banner{Kind: "error", Message: errs.Say(c.Request().Context(), err)}); ferr != nil {
		// Nothing was done: the error page says the same words.
		s.Log.Error("keeping a banner for the next page", "path", c.Path(), "err", ferr)
		return err
	}
	return c.Redirect(http.StatusSeeOther, returnTo(c.FormValue("return")))
}

// confirm asks before a destructive row action: a <dialog> for htmx, a
// page without JavaScript. fill words the question for the user.
func (s *Server) confirm(c echo.Context, fill func(l users.Listed, v *userviews.Confirm)) error {
	l, err := s.listedUser(c)
	if err != nil {
		return err
	}
	v := userviews.Confirm{
		Action: "/settings/users/" + strconv.FormatInt(l.ID, 10) + "/",
		Target: userviews.RowID(l.ID),
		Return: returnTo(c.QueryParam("return")),
	}
	fill(l, &v)
	return s.dialogOrPage(c, http.StatusOK, userviews.ConfirmDialog(v), v.Heading, func(sh layouts.Shell) templ.Component {
		v.Shell = sh
		return userviews.ConfirmPage(v)
	})
}
