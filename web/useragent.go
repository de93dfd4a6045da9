package web

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/users"
)

// deviceOf names the browser and system of the request, as an email
// telling of a change says them ("Firefox", "Linux"), and the page's
// language. Only the common ones are told apart; the rest are "" (the
// email then says "an unknown browser"). The order matters: Edge and
// Opera say "Chrome" too, and Chrome says "Safari".
func deviceOf(c echo.Context) users.Device {
	ua := c.Request().UserAgent()
	d := users.Device{Language: locale(c).Code}
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"Chrome/", "Chrome"}, {"CriOS/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			d.Browser = b.name
			break
		}
	}
	for _, o := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			d.System = o.name
			break
		}
	}
	return d
}
