package web

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/apps"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/views/components"
	tokenviews "github.com/usherhq/usher/views/pages/apitokens"
	appviews "github.com/usherhq/usher/views/pages/apps"
)

// Settings > Apps, for account administrators: the apps that sign people
// in with Usher (issue 21).

func (s *Server) appsPage(c echo.Context) error {
	return s.renderApps(c, http.StatusOK, appviews.List{}, apps.Input{Kind: apps.Server})
}

func (s *Server) renderApps(c echo.Context, status int, v appviews.List, in apps.Input) error {
	ctx := c.Request().Context()
	cur := currentOf(c)
	l := locale(c)
	list, err := s.Apps.List(ctx, cur.Access)
	if err != nil {
		return err
	}
	for _, a := range list {
		v.Apps = append(v.Apps, appRow(a))
	}
	spaceList, err := s.Spaces.List(ctx, cur.Access)
	if err != nil {
		return err
	}
	for _, sp := range spaceList {
		if !sp.Administered {
			continue
		}
		label := sp.Name + " (" + sp.Kind.LabelIn(l) + ")"
		id := strconv.FormatInt(sp.ID, 10)
		v.Visible = append(v.Visible, tokenviews.Choice{Value: id, Label: label, Checked: slices.Contains(in.Visible, sp.ID)})
		v.Required = append(v.Required, tokenviews.Choice{Value: id, Label: label, Checked: slices.Contains(in.Required, sp.ID)})
	}
	v.Name, v.Kind, v.Redirects, v.First = in.Name, string(in.Kind), in.RedirectURIs, in.FirstParty
	if v.Shell, err = s.shell(c, l.T("apps.title"), "apps"); err != nil {
		return err
	}
	return s.render(c, status, appviews.ListPage(v))
}

func appRow(a apps.App) appviews.Row {
	return appviews.Row{ID: a.ID, Name: a.Name, Kind: string(a.Kind), ClientID: a.ClientID, FirstParty: a.FirstParty}
}

// formIDs are the ids a form's checkboxes named name hold; an id that is
// not a number names no space (and is refused as one).
func formIDs(c echo.Context, name string) []int64 {
	form, _ := c.FormParams()
	var out []int64
	for _, v := range form[name] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			id = -1
		}
		out = append(out, id)
	}
	return out
}

func (s *Server) registerApp(c echo.Context) error {
	cur := currentOf(c)
	in := apps.Input{Name: c.FormValue("name"), Kind: apps.Kind(c.FormValue("kind")), RedirectURIs: c.FormValue("redirect_uris"),
		FirstParty: c.FormValue("first_party") == "1", Visible: formIDs(c, "visible"), Required: formIDs(c, "required")}
	a, secret, err := s.Apps.Register(c.Request().Context(), cur.Access, in)
	if err != nil {
		list, fields, ok := formErrors(c.Request().Context(), err)
		if !ok {
			return err
		}
		return s.renderApps(c, http.StatusUnprocessableEntity, appviews.List{Errors: list, Field: fields}, in)
	}
	return s.renderApp(c, http.StatusCreated, a, secret)
}

func appID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("aid"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.T(errs.NotFound, "apps.err.no_such")
	}
	return id, nil
}

func (s *Server) appPage(c echo.Context) error {
	id, err := appID(c)
	if err != nil {
		return err
	}
	a, err := s.Apps.Get(c.Request().Context(), currentOf(c).Access, id)
	if err != nil {
		return err
	}
	return s.renderApp(c, http.StatusOK, a, "")
}

// renderApp shows app a's page, with its new client secret when one was
// just made (and then kept by no cache).
func (s *Server) renderApp(c echo.Context, status int, a apps.App, secret string) error {
	ctx := c.Request().Context()
	v := appviews.Detail{Now: s.Clock.Now(), App: appRow(a), Redirects: a.RedirectURIs, HasSecret: a.HasSecret(), Prefix: a.SecretPrefix, SecretAt: a.SecretAt, Secret: secret}
	all, err := s.Users.Spaces(ctx)
	if err != nil {
		return err
	}
	name := map[int64]string{}
	for _, sp := range all {
		name[sp.ID] = sp.Name
	}
	for _, id := range a.Visible {
		v.Visible = append(v.Visible, name[id])
	}
	for _, id := range a.Required {
		v.Required = append(v.Required, name[id])
	}
	if v.Shell, err = s.shell(c, a.Name, "apps"); err != nil {
		return err
	}
	if secret != "" {
		c.Response().Header().Set("Cache-Control", "no-store")
	}
	return s.render(c, status, appviews.DetailPage(v))
}

func (s *Server) rotateAppSecret(c echo.Context) error {
	id, err := appID(c)
	if err != nil {
		return err
	}
	a, secret, err := s.Apps.RotateSecret(c.Request().Context(), currentOf(c).Access, id)
	if err != nil {
		return err
	}
	return s.renderApp(c, http.StatusOK, a, secret)
}

func (s *Server) revokeAppSecret(c echo.Context) error {
	id, err := appID(c)
	if err != nil {
		return err
	}
	a, err := s.Apps.RevokeSecret(c.Request().Context(), currentOf(c).Access, id)
	if errs.Is(err, errs.Conflict) {
		return s.flashTo(c, "/settings/apps/"+strconv.FormatInt(id, 10), components.Banner{Kind: "error", Message: errs.Say(c.Request().Context(), err)})
	}
	if err != nil {
		return err
	}
	return s.flashTo(c, "/settings/apps/"+strconv.FormatInt(id, 10), components.Banner{Kind: "success", Message: locale(c).T("apps.flash.revoked", "Name", a.Name)})
}

func (s *Server) deleteApp(c echo.Context) error {
	id, err := appID(c)
	if err != nil {
		return err
	}
	a, err := s.Apps.Delete(c.Request().Context(), currentOf(c).Access, id)
	if err != nil {
		return err
	}
	return s.flashTo(c, "/settings/apps", components.Banner{Kind: "success", Message: locale(c).T("apps.flash.deleted", "Name", a.Name)})
}
