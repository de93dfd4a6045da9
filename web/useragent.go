package web

import (
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/sessions"
	"github.com/usherhq/usher/internal/users"
)

// deviceOf names the browser and system of the request, as an email
// telling of a change says them ("Firefox", "Linux"), read as the
// sessions list reads them (sessions.ParseBrowser), and the page's
// language. An unknown browser is "" (the email then says "an unknown
// browser").
func deviceOf(c echo.Context) users.Device {
	b := sessions.ParseBrowser(c.Request().UserAgent())
	return users.Device{Browser: b.Name, System: b.OS, Language: locale(c).Code}
}
