package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/apitokens"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/views/components"
	tokenviews "github.com/usherhq/usher/views/pages/apitokens"
)

// Settings > API tokens: every administrator makes tokens that act for
// them; an account administrator sees, and may revoke, everyone's.

func (s *Server) apiTokensPage(c echo.Context) error {
	return s.renderTokens(c, http.StatusOK, tokenviews.Page{}, apitokens.CreateInput{Days: apitokens.Lifetimes[1], Scopes: []apitokens.Scope{apitokens.UsersRead}})
}

// renderTokens shows the page v, its form holding in.
func (s *Server) renderTokens(c echo.Context, status int, v tokenviews.Page, in apitokens.CreateInput) error {
	cur := currentOf(c)
	l := locale(c)
	list, err := s.APITokens.List(c.Request().Context(), cur.User, cur.Access)
	if err != nil {
		return err
	}
	v.Now = s.Clock.Now()
	v.ShowOwner = cur.Access.AccountAdmin
	for _, t := range list {
		r := tokenviews.Row{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Owner: t.OwnerName, Created: t.CreatedAt,
			Expires: t.ExpiresAt, LastUsed: t.LastUsedAt, Revoked: !t.RevokedAt.IsZero(), Expired: !t.ExpiresAt.IsZero() && !v.Now.Before(t.ExpiresAt)}
		if r.Owner == "" {
			r.Owner = t.OwnerEmail
		}
		for _, sc := range t.Scopes {
			r.Scopes = append(r.Scopes, string(sc))
		}
		v.Rows = append(v.Rows, r)
	}
	v.Name = in.Name
	for _, d := range apitokens.Lifetimes {
		label := l.N("apitokens.days", d)
		if d == 0 {
			label = l.T("apitokens.never")
		}
		v.Lifetimes = append(v.Lifetimes, tokenviews.Choice{Value: strconv.Itoa(d), Label: label, Checked: d == in.Days})
	}
	for _, sc := range apitokens.Scopes {
		key := "apitokens.scope." + scopeKey(sc)
		v.Scopes = append(v.Scopes, tokenviews.Choice{Value: string(sc), Label: l.T(key), Hint: l.T(key + "_hint"), Checked: slices.Contains(in.Scopes, sc)})
	}
	if v.Shell, err = s.shell(c, l.T("apitokens.title"), "api-tokens"); err != nil {
		return err
	}
	if v.Secret != "" {
		c.Response().Header().Set("Cache-Control", "no-store")
	}
	return s.render(c, status, tokenviews.TokensPage(v))
}

// scopeKey is a scope as a catalogue key: "users:read" → "users_read".
func scopeKey(sc apitokens.Scope) string { return strings.ReplaceAll(string(sc), ":", "_") }

func (s *Server) createAPIToken(c echo.Context) error {
	cur := currentOf(c)
	in := apitokens.CreateInput{Name: c.FormValue("name")}
	days, err := strconv.Atoi(c.FormValue("days"))
	if err != nil {
		days = -1 // said by Create
	}
	in.Days = days
	form, _ := c.FormParams()
	for _, sc := range form["scope"] {
		in.Scopes = append(in.Scopes, apitokens.Scope(sc))
	}
	t, secret, err := s.APITokens.Create(c.Request().Context(), cur.User, cur.Access, in)
	if err != nil {
		list, fields, ok := formErrors(c.Request().Context(), err)
		if !ok {
			return err
		}
		return s.renderTokens(c, http.StatusUnprocessableEntity, tokenviews.Page{Errors: list, Field: fields}, in)
	}
	// The secret is shown in this answer and nowhere else: not in a
	// redirect's flash, which the session cookie would carry.
	v := tokenviews.Page{Secret: secret, NewName: t.Name}
	return s.renderTokens(c, http.StatusCreated, v, apitokens.CreateInput{Days: apitokens.Lifetimes[1], Scopes: []apitokens.Scope{apitokens.UsersRead}})
}

func (s *Server) revokeAPIToken(c echo.Context) error {
	cur := currentOf(c)
	id, err := strconv.ParseInt(c.Param("tid"), 10, 64)
	if err != nil {
		return errs.T(errs.NotFound, "apitokens.err.no_such")
	}
	t, err := s.APITokens.Revoke(c.Request().Context(), cur.User, cur.Access, id)
	if errs.Is(err, errs.Conflict) {
		// Revoked meanwhile (another tab, another administrator).
		return s.flashTo(c, "/settings/api-tokens", components.Banner{Kind: "error", Message: errs.Say(c.Request().Context(), err)})
	}
	if err != nil {
		return err
	}
	return s.flashTo(c, "/settings/api-tokens", components.Banner{Kind: "success", Message: locale(c).T("apitokens.flash.revoked", "Name", t.Name)})
}
