package web

import (
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/users"
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
	{action: users.CopyLink, item: userviews.Action{Path: "link", Label: "Copy invitation link", Kind: userviews.Copy},
		post: (*Server).copyLink, mw: []echo.MiddlewareFunc{noReferrer}},
	{action: users.ResendLink, item: userviews.Action{Path: "resend", Label: "Resend invitation link"},
		post: (*Server).resend},
	{action: users.SendNew, item: userviews.Action{Path: "renew", Label: "Send new invitation"},
		post: (*Server).renew},
	{action: users.ManageInvite, item: userviews.Action{Path: "invitation", Label: "Manage invitation", Kind: userviews.Dialog},
		get: (*Server).manageInvitation},
	{action: users.EditUser, item: userviews.Action{Path: "edit", Label: "Edit user", Kind: userviews.Dialog, Group: 1},
		get: (*Server).editForm, post: (*Server).edit},
	{action: users.ActivateUser, item: userviews.Action{Path: "activate", Label: "Activate user", Group: 1},
		post: (*Server).activate},
	{action: users.CancelInvite, item: userviews.Action{Path: "cancel", Label: "Cancel invitation", Kind: userviews.Dialog, Danger: true, Group: 2},
		get: (*Server).cancelConfirm, post: (*Server).cancel},
	{action: users.DeactivateUser, item: userviews.Action{Path: "deactivate", Label: "Deactivate user", Danger: true, Group: 2},
		post: (*Server).deactivate},
	{action: users.DeleteUser, item: userviews.Action{Path: "delete", Label: "Delete user", Kind: userviews.Dialog, Danger: true, Group: 2},
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
// makes each row's menu from (userviews.MenuItems).
var menuItems = func() []userviews.Action {
	var out []userviews.Action
	for _, a := range rowActions {
		out = append(out, a.item)
	}
	return out
}()

// rowMenus is the menu of a row in each status: the actions
// users.ActionsFor offers, group by group. (Made by New: rowActions holds
// the handlers, which make rows.)
func rowMenus() map[users.Status][]userviews.Action {
	out := map[users.Status][]userviews.Action{}
	for _, st := range []users.Status{users.Active, users.Invited, users.Expired, users.Deactivated} {
		var items []userviews.Action
		for _, act := range users.ActionsFor(st) {
			i := slices.IndexFunc(rowActions, func(a rowAction) bool { return a.action == act })
			if i < 0 {
				panic("users.ActionsFor offers " + string(act) + ", which rowActions does not declare")
			}
			items = append(items, rowActions[i].item)
		}
		slices.SortStableFunc(items, func(a, b userviews.Action) int { return a.Group - b.Group })
		out[st] = items
	}
	return out
}
