package web

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/views/layouts"
)

// langCookie keeps the language someone chose with the switch while
// signed out (signed in, their profile keeps it).
const langCookie = "usher_lang"

// language answers each request in the language its reader reads: their
// profile's choice when signed in; else the one they chose with the
// switch; else the first their browser asks for (Accept-Language) that
// Usher speaks; else the account's default.
func (s *Server) language(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if p := c.Request().URL.Path; p == "/healthz" || strings.HasPrefix(p, "/static/") {
			return next(c) // no words to say
		}
		l := chosenLocale(c)
		if l == nil {
			l = s.unchosenLocale(c)
		}
		setLocale(c, l)
		if h := c.Response().Header(); h["Vary"] == nil {
			h["Vary"] = varyLanguage
		} else {
			h.Add("Vary", "Accept-Language")
		}
		return next(c)
	}
}

// chosenLocale is the language the reader chose themselves, if they did:
// on their profile, or with the switch.
func chosenLocale(c echo.Context) *i18n.Locale {
	cat := i18n.Default()
	if cur := currentOf(c); cur != nil && cat.Has(cur.User.Language) {
		return cat.Locale(cur.User.Language)
	}
	if !hasCookie(c.Request(), langCookie) {
		return nil // most requests: not read
	}
	if ck, err := c.Cookie(langCookie); err == nil && cat.Has(ck.Value) {
		return cat.Locale(ck.Value)
	}
	return nil
}

// hasCookie reports whether r may carry the cookie name: reading cookies
// costs an allocation each, this nothing.
func hasCookie(r *http.Request, name string) bool {
	for _, line := range r.Header["Cookie"] {
		if strings.Contains(line, name+"=") {
			return true
		}
	}
	return false
}

// varyLanguage is the Vary header of a page that follows Accept-Language,
// made once (appending to it makes a new one).
var varyLanguage = []string{"Accept-Language"}

// unchosenLocale is the language of a reader who chose none: their
// browser's, else the account's.
func (s *Server) unchosenLocale(c echo.Context) *i18n.Locale {
	cat := i18n.Default()
	if l, ok := cat.Match(c.Request().Header.Get("Accept-Language")); ok {
		return l
	}
	return cat.Locale(s.defaultLanguage(c))
}

// setLocale makes l the language of the rest of the request.
func setLocale(c echo.Context, l *i18n.Locale) {
	r := c.Request()
	c.SetRequest(r.WithContext(i18n.With(r.Context(), l)))
	h := c.Response().Header()
	if v, ok := contentLanguage[l]; ok {
		h["Content-Language"] = v // made once: every page says it
	} else {
		h.Set("Content-Language", l.Tag())
	}
}

// contentLanguage is each language's Content-Language header.
var contentLanguage = func() map[*i18n.Locale][]string {
	m := map[*i18n.Locale][]string{}
	for _, l := range i18n.Default().Locales() {
		m[l] = []string{l.Tag()}
	}
	return m
}()

// locale is the language the request is answered in.
func locale(c echo.Context) *i18n.Locale { return i18n.From(c.Request().Context()) }

// defaultLanguage is the account's default language, by code: what an
// invitation speaks unless the inviter picks another, and the pages' for
// anyone whose browser asks for none Usher speaks. It is read once and
// kept while the database's generation stands and into the next minute
// at most, as a kept page is: a write through this server or by another
// process (an operator's SQL) is seen at the next request.
func (s *Server) defaultLanguage(c echo.Context) string {
	gen, now := s.changes(c.Request().Context()), s.Clock.Now()
	k := &s.accountLang
	k.mu.Lock()
	if k.read && k.gen == gen && now.Before(k.until) {
		code := k.code
		k.mu.Unlock()
		return code
	}
	k.mu.Unlock()
	code := s.Users.DefaultLanguage(c.Request().Context())
	k.mu.Lock()
	k.gen, k.until, k.code, k.read = gen, keptUntil(now, time.Time{}), code, true
	k.mu.Unlock()
	return code
}

// accountLang is the account's language as last read.
type accountLang struct {
	mu    sync.Mutex
	read  bool
	gen   uint64
	until time.Time
	code  string
}

// switchLanguage is the language switch every page has: signed in, it
// keeps the choice on the profile; signed out, in a cookie for a year.
// Then back to the page it was on, now in that language.
func (s *Server) switchLanguage(c echo.Context) error {
	code := c.FormValue("language")
	back := sameSitePath(c.FormValue("return"))
	if !i18n.Default().Has(code) {
		return c.Redirect(http.StatusSeeOther, back)
	}
	if cur := currentOf(c); cur != nil {
		if _, err := s.Users.ChangeOwnLanguage(c.Request().Context(), cur.User, code); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{
		Name: langCookie, Value: code, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, Secure: s.Config.Secure(), SameSite: http.SameSiteLaxMode,
	})
	return c.Redirect(http.StatusSeeOther, back)
}

// sameSitePath is raw if it is a path on this site, else "/": the switch
// never sends anyone elsewhere.
func sameSitePath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" || u.IsAbs() || u.Host != "" || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || strings.Contains(raw, `\`) {
		return "/"
	}
	return u.RequestURI()
}

// texts is /static/texts/<code>.js and .css: the words the page script
// and the stylesheet say, in one language (layouts.Texts). Kept for a
// year when asked for by the version the pages name.
func texts(c echo.Context) error {
	body, contentType, version, ok := layouts.File(c.Param("file"))
	if !ok {
		return echo.ErrNotFound
	}
	if c.QueryParam("v") == version {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "no-cache")
	}
	return c.Blob(http.StatusOK, contentType, body)
}
