package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/webhooks"
	"github.com/usherhq/usher/views/components"
	tokenviews "github.com/usherhq/usher/views/pages/apitokens"
	hookviews "github.com/usherhq/usher/views/pages/webhooks"
)

// Settings > Webhooks, for account administrators: the events are the
// whole account's.

func (s *Server) webhooksPage(c echo.Context) error {
	return s.renderWebhooks(c, http.StatusOK, hookviews.List{}, webhooks.CreateInput{Events: []webhooks.Event{webhooks.InvitationAccepted}})
}

func (s *Server) renderWebhooks(c echo.Context, status int, v hookviews.List, in webhooks.CreateInput) error {
	l := locale(c)
	list, err := s.Webhooks.Endpoints(c.Request().Context(), currentOf(c).Access)
	if err != nil {
		return err
	}
	for _, e := range list {
		v.Endpoints = append(v.Endpoints, endpointView(e))
	}
	v.URL, v.Private = in.URL, s.Webhooks.AllowPrivate
	for _, ev := range webhooks.Events {
		checked := false
		for _, x := range in.Events {
			checked = checked || x == ev
		}
		v.Events = append(v.Events, tokenviews.Choice{Value: string(ev), Label: l.T("webhooks.event." + string(ev)), Checked: checked})
	}
	if v.Shell, err = s.shell(c, l.T("webhooks.title"), "webhooks"); err != nil {
		return err
	}
	if v.Secret != "" {
		c.Response().Header().Set("Cache-Control", "no-store")
	}
	return s.render(c, status, hookviews.ListPage(v))
}

func endpointView(e webhooks.Endpoint) hookviews.Endpoint {
	v := hookviews.Endpoint{ID: e.ID, URL: e.URL, Paused: !e.PausedAt.IsZero(), PausedWhy: e.PausedWhy, Queued: e.Queued, Failed: e.Failed}
	for _, ev := range e.Events {
		v.Events = append(v.Events, string(ev))
	}
	return v
}

func (s *Server) createWebhook(c echo.Context) error {
	cur := currentOf(c)
	in := webhooks.CreateInput{URL: c.FormValue("url")}
	form, _ := c.FormParams()
	for _, ev := range form["event"] {
		in.Events = append(in.Events, webhooks.Event(ev))
	}
	e, secret, err := s.Webhooks.Create(c.Request().Context(), cur.Access, cur.User.ID, in)
	if err != nil {
		list, fields, ok := formErrors(c.Request().Context(), err)
		if !ok {
			return err
		}
		return s.renderWebhooks(c, http.StatusUnprocessableEntity, hookviews.List{Errors: list, Field: fields}, in)
	}
	// Shown in this answer only, as a token's secret is.
	return s.renderWebhooks(c, http.StatusCreated, hookviews.List{Secret: secret, SecretURL: e.URL}, webhooks.CreateInput{Events: []webhooks.Event{webhooks.InvitationAccepted}})
}

// webhookID is the :wid of the path.
func webhookID(c echo.Context, param string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(param), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.T(errs.NotFound, "webhooks.err.no_such")
	}
	return id, nil
}

func (s *Server) webhookPage(c echo.Context) error {
	id, err := webhookID(c, "wid")
	if err != nil {
		return err
	}
	e, ds, err := s.Webhooks.Endpoint(c.Request().Context(), currentOf(c).Access, id)
	if err != nil {
		return err
	}
	v := hookviews.Detail{Now: s.Clock.Now(), Endpoint: endpointView(e)}
	for _, d := range ds {
		v.Deliveries = append(v.Deliveries, hookviews.Delivery{ID: d.ID, Event: string(d.Event), EventID: d.EventID, State: d.State, Attempts: d.Attempts,
			Created: d.CreatedAt, LastAt: d.LastAt, LastStatus: d.LastStatus, LastError: d.LastError, NextAt: d.NextAt})
	}
	if v.Shell, err = s.shell(c, e.URL, "webhooks"); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, hookviews.DetailPage(v))
}

func (s *Server) deleteWebhook(c echo.Context) error {
	id, err := webhookID(c, "wid")
	if err != nil {
		return err
	}
	e, err := s.Webhooks.Delete(c.Request().Context(), currentOf(c).Access, id)
	if err != nil {
		return err
	}
	return s.flashTo(c, "/settings/webhooks", components.Banner{Kind: "success", Message: locale(c).T("webhooks.flash.deleted", "URL", e.URL)})
}

func (s *Server) resumeWebhook(c echo.Context) error {
	id, err := webhookID(c, "wid")
	if err != nil {
		return err
	}
	e, err := s.Webhooks.Resume(c.Request().Context(), currentOf(c).Access, id)
	if err != nil {
		return err
	}
	return s.flashTo(c, "/settings/webhooks/"+strconv.FormatInt(id, 10), components.Banner{Kind: "success", Message: locale(c).T("webhooks.flash.resumed", "URL", e.URL)})
}

func (s *Server) sendWebhookAgain(c echo.Context) error {
	id, err := webhookID(c, "wid")
	if err != nil {
		return err
	}
	did, err := webhookID(c, "did")
	if err != nil {
		return err
	}
	if err := s.Webhooks.SendAgain(c.Request().Context(), currentOf(c).Access, id, did); err != nil {
		return err
	}
	return s.flashTo(c, "/settings/webhooks/"+strconv.FormatInt(id, 10), components.Banner{Kind: "success", Message: locale(c).T("webhooks.flash.again")})
}
