package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
)

// Without a choice, the browser's Accept-Language decides, else the
// account's default; <html lang> and Content-Language say which.
func TestLanguageFromBrowserThenAccount(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	e.SetupAdmin(t)
	guest := e.Client(t)
	for _, c := range []struct{ header, lang, says string }{
		{"de-DE,de;q=0.9,en;q=0.5", "de", "Zum Hauptinhalt springen"},
		{"de-AT", "de", "Zum Hauptinhalt springen"},
		{"en-GB,de;q=0.5", "en", "Skip to main content"},
		{"fr-FR", "en", "Skip to main content"}, // a language Usher does not speak: the account's
	} {
		res := e.Get(t, guest, "/login", "Accept-Language", c.header)
		mustStatusCode(t, "sign-in", res, http.StatusOK)
		if pageLang(res.Body) != c.lang || res.Header.Get("Content-Language") != c.lang {
			t.Errorf("Accept-Language %q: want lang %s; Content-Language %q", c.header, c.lang, res.Header.Get("Content-Language"))
		}
		if !strings.Contains(res.Body, c.says) {
			t.Errorf("Accept-Language %q: the page should say %q", c.header, c.says)
		}
		if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Accept-Language") {
			t.Error("a page that follows Accept-Language should say Vary: Accept-Language")
		}
	}

	// The account's default, set by an account administrator, decides for
	// a browser that asks for nothing Usher speaks.
	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	res := e.Post(t, admin, "/settings/account/language", url.Values{"language": {"de"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("setting the account's language: %d", res.StatusCode)
	}
	if res := e.Get(t, guest, "/login", "Accept-Language", "fr-FR"); pageLang(res.Body) != "de" {
		t.Error("with the account's language German, a French browser should get German")
	}
	if res := e.Get(t, guest, "/login", "Accept-Language", "en"); pageLang(res.Body) != "en" {
		t.Error("the browser's English still beats the account's default")
	}
	if got := e.App.Users.DefaultLanguage(context.Background()); got != "de" {
		t.Errorf("the account's language is %q", got)
	}
	res = e.Post(t, admin, "/settings/account/language", url.Values{"language": {"xx"}})
	mustStatusCode(t, "an unknown language", res, http.StatusUnprocessableEntity)
}

// An account's default language is theirs to set: any other administrator
// is refused on the server.
func TestAccountLanguageOnlyForAccountAdministrators(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	una := w.signIn(t, unaEmail)
	res := w.e.Post(t, una, "/settings/account/language", url.Values{"language": {"de"}})
	mustStatusCode(t, "a unit administrator setting the account's language", res, http.StatusForbidden)
	if got := w.e.App.Users.DefaultLanguage(context.Background()); got != "en" {
		t.Errorf("the account's language became %q", got)
	}
	if strings.Contains(w.e.Get(t, una, "/profile").Body, "/settings/account/language") {
		t.Error("a unit administrator's profile should not offer the account's language")
	}
}

// Signed out, the switch keeps the choice in a cookie and returns to the
// page; it never sends anyone off the site.
func TestLanguageSwitchSignedOut(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	e.SetupAdmin(t)
	guest := e.Client(t)
	login := e.Get(t, guest, "/login")
	if !strings.Contains(login.Body, `action="/language"`) || !strings.Contains(login.Body, `<option value="de" lang="de">Deutsch</option>`) {
		t.Fatal("the sign-in page should have the language switch offering Deutsch")
	}
	res := e.Post(t, guest, "/language", url.Values{"language": {"de"}, "return": {"/login?next=%2Fprofile"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fprofile" {
		t.Fatalf("switching: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := e.Get(t, guest, "/login", "Accept-Language", "en"); pageLang(res.Body) != "de" {
		t.Error("the choice should beat the browser's language")
	}
	for _, evil := range []string{"//evil.example/x", "https://evil.example/", `/\evil.example`, "javascript:alert(1)", ""} {
		res := e.Post(t, guest, "/language", url.Values{"language": {"en"}, "return": {evil}})
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("return %q: sent to %q, want /", evil, loc)
		}
	}
	// An unknown language changes nothing.
	e.Post(t, guest, "/language", url.Values{"language": {"de"}, "return": {"/login"}})
	e.Post(t, guest, "/language", url.Values{"language": {"xx"}, "return": {"/login"}})
	if res := e.Get(t, guest, "/login"); pageLang(res.Body) != "de" {
		t.Error("an unknown language should leave the choice as it was")
	}
}

// Signed in, the profile keeps the choice; it beats the browser's, and
// the users list a page cache keeps is not given in the old language.
func TestLanguageOnTheProfile(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	admin := e.SetupAdmin(t)
	c := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	if res := e.Get(t, c, "/settings/users"); pageLang(res.Body) != "en" {
		t.Fatal("the list starts in English")
	}
	profile := e.Get(t, c, "/profile", "Accept-Language", "en")
	if !strings.Contains(profile.Body, `action="/profile/language"`) || !strings.Contains(profile.Body, "language (now English)") {
		t.Fatal("the profile should offer a language, following the browser's until chosen")
	}
	res := e.Post(t, c, "/profile/language", url.Values{"language": {"de"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("choosing German: %d", res.StatusCode)
	}
	if got := e.User(t, admin.ID).Language; got != "de" {
		t.Errorf("kept language %q", got)
	}
	page := e.Get(t, c, "/profile", "Accept-Language", "en")
	if pageLang(page.Body) != "de" || !strings.Contains(page.Body, "Usher spricht jetzt Deutsch mit Ihnen.") {
		t.Errorf("after choosing German the profile should be German and say so:\n%s", page.Body)
	}
	if res := e.Get(t, c, "/settings/users", "Accept-Language", "en"); pageLang(res.Body) != "de" {
		t.Error("the users list was given in the language it was kept in")
	}
	e.Post(t, c, "/profile/language", url.Values{"language": {""}})
	if got := e.User(t, admin.ID).Language; got != "" {
		t.Errorf("back to the browser's: kept %q", got)
	}
	if res := e.Get(t, c, "/profile", "Accept-Language", "en"); pageLang(res.Body) != "en" {
		t.Error("with no choice the browser's English should count again")
	}
	res = e.Post(t, c, "/profile/language", url.Values{"language": {"klingon"}})
	mustStatusCode(t, "an unknown language", res, http.StatusUnprocessableEntity)
}

// The invitation's language is the accept page's; the switch there beats
// it, and whoever joins keeps the language they joined in.
func TestAcceptPageSpeaksTheInvitationsLanguage(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	ctx := context.Background()
	inv, err := w.e.App.Invitations.Invite(ctx, w.actor(t, w.admin), invitations.InviteInput{Email: "jonas@example.com", Offered: []spaces.Grant{memberOf(w.wa1)}, Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Language != "de" {
		t.Errorf("the invitation keeps %q", inv.Language)
	}
	path := w.linkPath(t, inv.UserID)
	guest := w.e.Client(t)
	page := w.e.Get(t, guest, path, "Accept-Language", "en-US")
	if pageLang(page.Body) != "de" || !strings.Contains(page.Body, "Acme Clinics beitreten") || !strings.Contains(page.Body, "als Mitglied von Waiting Area 1") {
		t.Fatalf("the accept page should open in the invitation's German:\n%s", page.Body)
	}
	// Switched to English, it speaks English; and the invitee joins in it.
	other := w.e.Client(t)
	w.e.Post(t, other, "/language", url.Values{"language": {"en"}, "return": {path}})
	if page := w.e.Get(t, other, path); !strings.Contains(page.Body, "Join Acme Clinics") {
		t.Error("after the switch the accept page should be English")
	}

	res := w.e.Post(t, guest, path, url.Values{"name": {"Jonas"}, "password": {clinicPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("joining: %d\n%s", res.StatusCode, res.Body)
	}
	if got := w.e.User(t, inv.UserID).Language; got != "de" {
		t.Errorf("Jonas joined in German but keeps %q", got)
	}
	home := w.e.Get(t, guest, "/", "Accept-Language", "en")
	if pageLang(home.Body) != "de" || !strings.Contains(home.Body, "Willkommen, Jonas. Ihr Konto ist eingerichtet.") {
		t.Errorf("after joining Jonas should see Usher in German:\n%s", home.Body)
	}
	// Who joins from an invitation in English keeps English, as the accept
	// page spoke, whatever their browser says, until they choose on their
	// profile to follow it.
	kim := w.invite(t, w.admin, "kim.de@example.com", memberOf(w.wa1))
	kimc := w.e.Client(t)
	if res := w.e.Post(t, kimc, w.linkPath(t, kim.ID), url.Values{"name": {"Kim"}, "password": {clinicPassword}}, "Accept-Language", "de-DE"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("Kim joining: %d", res.StatusCode)
	}
	if got := w.e.User(t, kim.ID).Language; got != "en" {
		t.Errorf("Kim joined from an English invitation but keeps %q", got)
	}
	if home := w.e.Get(t, kimc, "/", "Accept-Language", "de-DE"); pageLang(home.Body) != "en" {
		t.Error("Kim joined in English: her home should be English")
	}
	w.e.Post(t, kimc, "/profile/language", url.Values{"language": {""}})
	if home := w.e.Get(t, kimc, "/", "Accept-Language", "de-DE"); pageLang(home.Body) != "de" {
		t.Error("following her browser, Kim's home should be German")
	}
	// The inviter keeps English.
	if res := w.e.Get(t, w.signIn(t, apptest.AdminEmail), "/settings/users"); pageLang(res.Body) != "en" {
		t.Error("the inviter should keep English")
	}
}

var htmlLangRE = regexp.MustCompile(`<html lang="([^"]*)"`)

// pageLang is the language a page says it is in (<html lang>).
func pageLang(body string) string {
	m := htmlLangRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// The account's language is kept in memory, and stays right: a change
// through this server counts at once, one by another process on the same
// data folder within a minute.
func TestAccountLanguageChangedElsewhere(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	admin := e.SetupAdmin(t)
	guest := e.Client(t)
	lang := func() string { return pageLang(e.Get(t, guest, "/login", "Accept-Language", "fr-FR").Body) }
	if got := lang(); got != "en" {
		t.Fatalf("before: %s", got)
	}
	other := apptest.New(t, apptest.Options{Env: map[string]string{"USHER_DATA_DIR": e.App.Config.DataDir}})
	access, err := other.App.Users.Access(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.App.Users.SetAccountLanguage(context.Background(), access, "de"); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Minute)
	if got := lang(); got != "de" {
		t.Errorf("a minute after another process set German: %s", got)
	}
	c := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	e.Post(t, c, "/settings/account/language", url.Values{"language": {"en"}})
	if got := lang(); got != "en" {
		t.Errorf("at once after this server set English: %s", got)
	}
}

var textsRE = regexp.MustCompile(`(?:src|href)="(/static/texts/[a-z]+\.(?:js|css)\?v=[0-9a-f]+)"`)

// The words the page script and the stylesheet say come in files of their
// own per language, named by each page and kept by the browser, not
// carried by every page (or every row).
func TestTextsInThePagesLanguage(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	e.SetupAdmin(t)
	guest := e.Client(t)
	for _, c := range []struct{ accept, says, labels string }{
		{"de", "Kopieren Sie diesen Einladungslink", `--label-roles: "Rollen: ";`},
		{"en", "Copy this invitation link", `--label-invited-by: "Invited by ";`},
	} {
		page := e.Get(t, guest, "/login", "Accept-Language", c.accept)
		files := textsRE.FindAllStringSubmatch(page.Body, -1)
		if len(files) != 2 {
			t.Fatalf("%s: the page should name a texts script and stylesheet:\n%s", c.accept, page.Body)
		}
		if strings.Contains(page.Body, "data-texts") || strings.Contains(page.Body, c.says) {
			t.Errorf("%s: the page itself carries the script's sentences", c.accept)
		}
		for _, f := range files {
			src := html.UnescapeString(f[1])
			res := e.Get(t, guest, src)
			mustStatusCode(t, src, res, http.StatusOK)
			script := strings.Contains(src, ".js?")
			switch {
			case script && (!strings.HasPrefix(res.Body, "window.usherTexts = {") || !strings.Contains(res.Body, c.says)),
				!script && !strings.Contains(res.Body, c.labels):
				t.Errorf("%s: %s says\n%s", c.accept, src, res.Body)
			}
			want := "text/css; charset=utf-8"
			if script {
				want = "text/javascript; charset=utf-8"
			}
			if got := res.Header.Get("Content-Type"); got != want {
				t.Errorf("%s: Content-Type %q", src, got)
			}
			if got := res.Header.Get("Cache-Control"); !strings.Contains(got, "immutable") {
				t.Errorf("%s: Cache-Control %q; the versioned address is kept for a year", src, got)
			}
			// Another version (a page from before a release) is not kept.
			stale := e.Get(t, guest, strings.Split(src, "?")[0]+"?v=000000000000")
			if got := stale.Header.Get("Cache-Control"); stale.StatusCode != http.StatusOK || got != "no-cache" {
				t.Errorf("%s at another version: %d, Cache-Control %q", src, stale.StatusCode, got)
			}
		}
	}
	for _, bad := range []string{"/static/texts/xx.js", "/static/texts/de", "/static/texts/de.json", "/static/texts/de.js.css"} {
		mustStatusCode(t, bad, e.Get(t, guest, bad), http.StatusNotFound)
	}
}
