package web

import (
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/i18n"
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
		setLocale(c, s.localeFor(c))
		c.Response().Header().Add("Vary", "Accept-Language")
		return next(c)
	}
}

func (s *Server) localeFor(c echo.Context) *i18n.Locale {
	cat := i18n.Default()
	if l := chosenLocale(c); l != nil {
		return l
	}
	if l, ok := cat.Match(c.Request().Header.Get("Accept-Language")); ok {
		return l
	}
	return cat.Locale(s.defaultLanguage(c))
}

// chosenLocale is the language the reader chose themselves, if they did.
func chosenLocale(c echo.Context) *i18n.Locale {
	cat := i18n.Default()
	if ck, err := c.Cookie(langCookie); err == nil && cat.Has(ck.Value) {
		return cat.Locale(ck.Value)
	}
	return nil
}

// setLocale makes l the language of the rest of the request.
func setLocale(c echo.Context, l *i18n.Locale) {
	r := c.Request()
	c.SetRequest(r.WithContext(i18n.With(r.Context(), l)))
	c.Response().Header().Set("Content-Language", l.Tag())
}

// locale is the language the request is answered in.
func locale(c echo.Context) *i18n.Locale { return i18n.From(c.Request().Context()) }

// defaultLanguage is the account's default language, by code: what an
// invitation speaks unless the inviter picks another.
func (s *Server) defaultLanguage(c echo.Context) string {
	return i18n.Default().Locale(s.Config.DefaultLanguage).Code
}
