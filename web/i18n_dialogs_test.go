package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
)

// The users dialogs, their confirmations and banners, and the Invite user
// form's language in German (issue 15): whole German sentences, and none
// of their English left.

// dlgGerman is the header of a browser that reads German.
var dlgGerman = []string{"Accept-Language", "de-DE,de;q=0.9,en;q=0.5"}

// dlgGermanHTMX is dlgGerman for an htmx request.
var dlgGermanHTMX = append(append([]string{}, dlgGerman...), apptest.HTMX...)

var dlgMainRE = regexp.MustCompile(`(?s)<main[^>]*>(.*)</main>`)

// dlgPrefixes are the ids of the users dialogs' messages.
var dlgPrefixes = []string{"users.invite.", "users.invitation.", "users.confirm.", "users.copylink.", "users.actions.", "users.edit.", "users.flash."}

// englishOf are the English texts of messages with prefix that German
// writes differently, cut at their placeholders into the pieces a page
// would show: what a German page of that area must not say.
func englishOf(t *testing.T, prefixes ...string) map[string]string {
	t.Helper()
	cat := i18n.Default()
	en, de := cat.Locale("en").Texts(), cat.Locale("de").Texts()
	out := map[string]string{}
	for id, texts := range en {
		if !hasAnyPrefix(id, prefixes) {
			continue
		}
		if de[id] == nil {
			t.Errorf("%s has no German", id)
			continue
		}
		for _, s := range texts {
			for _, piece := range strings.Split(s, "\x00") {
				piece = strings.Trim(piece, " ,.:?")
				if len(piece) < 4 || strings.Contains(strings.Join(de[id], " "), piece) {
					continue // "Name", "Status": German says the same
				}
				out[piece] = id
			}
		}
	}
	return out
}

func hasAnyPrefix(id string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

// dlgReadable is what a person reads in body: a page's main part, or the
// whole of a fragment, as text, with its labels and tooltips.
func dlgReadable(body string) string {
	if m := dlgMainRE.FindStringSubmatch(body); m != nil {
		body = m[1]
	}
	out := text(body)
	for _, m := range regexp.MustCompile(`(?:aria-label|title|label)="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		out += " | " + html.UnescapeString(m[1])
	}
	return out
}

// dlgCheck fails unless body says every one of want, and none of english.
func dlgCheck(t *testing.T, what, body string, english map[string]string, want ...string) {
	t.Helper()
	page := dlgReadable(body)
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("%s should say %q:\n%s", what, w, page)
		}
	}
	for piece, id := range english {
		re := regexp.MustCompile(`(^|[^\pL])` + regexp.QuoteMeta(piece) + `($|[^\pL])`)
		if re.MatchString(page) {
			t.Errorf("%s still says %q (%s) in English:\n%s", what, piece, id, page)
		}
	}
}

func dlgStatus(t *testing.T, what string, res apptest.Response, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, res.StatusCode, want, res.Body)
	}
}

func TestInviteFormInGerman(t *testing.T) {
	t.Parallel()
	english := englishOf(t, "users.invite.")
	f := newFixture(t, apptest.Options{SMTP: true})

	res := f.Get(t, f.admin, "/settings/users/invite", dlgGerman...)
	dlgStatus(t, "the form", res, http.StatusOK)
	dlgCheck(t, "the form", res.Body, english,
		"Benutzer einladen", "Der Link ist 7 Tage lang gültig.", "E-Mail-Adressen", "Eine oder mehrere, durch Kommas getrennt.",
		"Sprache", "In dieser Sprache erscheinen die Einladungs-E-Mail und die Seite, auf die sie verlinkt.", "Einladung senden", "Abbrechen")
	// One option per language, each named in itself; the account's
	// default chosen.
	for _, want := range []string{`<option value="en" lang="en" selected>English</option>`, `<option value="de" lang="de">Deutsch</option>`} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the language field should offer %s:\n%s", want, res.Body)
		}
	}

	res = f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"bea@example.com"}, "role": {"member"}, "language": {"de"}}, dlgGerman...)
	dlgStatus(t, "inviting", res, http.StatusSeeOther)
	next := f.Get(t, f.admin, res.Header.Get("Location"), dlgGerman...)
	if !strings.Contains(text(next.Body), "Die Einladung wird an bea@example.com gesendet.") {
		t.Errorf("the banner should say where the invitation goes, in German:\n%s", text(next.Body))
	}
	res = f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"cem@example.com, dua@example.com"}, "role": {"member"}}, dlgGerman...)
	dlgStatus(t, "inviting two", res, http.StatusSeeOther)
	next = f.Get(t, f.admin, res.Header.Get("Location"), dlgGerman...)
	if !strings.Contains(text(next.Body), "Die Einladungen werden an cem@example.com und dua@example.com gesendet.") {
		t.Errorf("the banner should name both addresses, in German:\n%s", text(next.Body))
	}

	// Known addresses: the boxes and the sentences past them.
	f.Clock.Advance(time.Hour)
	res = f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"bea@example.com, cem@example.com, dua@example.com, ana@example.com, eli@example.com"}, "role": {"member"}}, dlgGerman...)
	dlgStatus(t, "known addresses", res, http.StatusConflict)
	dlgCheck(t, "known addresses", res.Body, english,
		"Die Einladung wird an eli@example.com gesendet.",
		"bea@example.com hat bereits eine offene Einladung, vor 1 Stunde gesendet. Es wurde nichts gesendet.",
		"Einladungslink erneut senden",
		"Auch ana@example.com ist bereits Benutzer. Es wurde nichts gesendet.")

	res = f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"ana@example.com"}, "role": {"member"}}, dlgGerman...)
	dlgStatus(t, "a user", res, http.StatusConflict)
	dlgCheck(t, "a user", res.Body, english, "Es wurde nichts gesendet.", "ana@example.com in der Benutzerliste anzeigen")

	// A failed submit keeps the language chosen.
	res = f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"not-an-email"}, "role": {"member"}, "language": {"de"}}, dlgGerman...)
	dlgStatus(t, "a wrong address", res, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Body, `<option value="de" lang="de" selected>Deutsch</option>`) || strings.Contains(res.Body, `value="en" lang="en" selected`) {
		t.Errorf("the form should keep German chosen:\n%s", res.Body)
	}

	// The service is what refuses a language Usher does not speak: the
	// posted value reaches it.
	res = f.Post(t, f.admin, "/settings/users/invite", url.Values{"email": {"fin@example.com"}, "role": {"member"}, "language": {"xx"}}, dlgGerman...)
	dlgStatus(t, "an unknown language", res, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Body, `href="#language"`) || !strings.Contains(text(res.Body), "Wählen Sie eine der angebotenen Sprachen.") ||
		!strings.Contains(res.Body, `aria-invalid`) || f.UserID(t, "fin@example.com") != 0 {
		t.Errorf("an unknown language: want an error on the field and nobody invited:\n%s", res.Body)
	}
}

func TestInviteLanguageDefault(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{Env: map[string]string{"USHER_DEFAULT_LANGUAGE": "de"}})
	res := f.Get(t, f.admin, "/settings/users/invite", "Accept-Language", "en")
	if !strings.Contains(res.Body, `<option value="de" lang="de" selected>Deutsch</option>`) {
		t.Errorf("the account's default language should be chosen:\n%s", res.Body)
	}
}

// The invitees' language reaches the invitation and is kept with it; one
// Usher does not speak is refused.
func TestInviteManyLanguage(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	admin := e.SetupAdmin(t)
	actor := invitations.Actor{User: admin, Access: e.AdminAccess(t)}
	acc, _ := e.App.Users.Account(context.Background())
	offered := []spaces.Grant{{SpaceID: acc.ID, Role: spaces.Member}}
	res, err := e.App.Invitations.InviteMany(context.Background(), actor, []string{"gil@example.com"}, "", offered, "de")
	if err != nil || len(res.Sent) != 1 || res.Sent[0].Language != "de" {
		t.Errorf("InviteMany in German: %+v, %v; want one invitation speaking de", res, err)
	}
	_, details, _, err := e.App.Invitations.Details(context.Background(), actor, res.Sent[0].UserID)
	if err != nil || details.Language != "de" {
		t.Errorf("the invitation as read back speaks %q (%v), want de", details.Language, err)
	}
	_, err = e.App.Invitations.InviteMany(context.Background(), actor, []string{"hal@example.com"}, "", offered, "klingon")
	var fe *errs.Error
	if !errors.As(err, &fe) || fe.Code != errs.Invalid || fe.Field != "language" {
		t.Errorf("an unknown language: %v, want an Invalid error about the language", err)
	}
}

func TestUsersDialogsInGerman(t *testing.T) {
	t.Parallel()
	english := englishOf(t, dlgPrefixes...)
	f := newFixture(t, apptest.Options{SMTP: true})
	id := f.invite(t, "ivy@example.com", "member")
	f.Deliver(t)
	f.Clock.Advance(3 * time.Minute)
	base := fmt.Sprintf("/settings/users/%d", id)

	res := f.Get(t, f.admin, base+"/invitation", dlgGermanHTMX...)
	dlgStatus(t, "Manage invitation", res, http.StatusOK)
	dlgCheck(t, "Manage invitation", res.Body, english,
		"Einladung verwalten", "Eingeladen vor 3 Minuten , läuft in 7 Tagen ab", "Angebotene Rollen", "Rollen entfernen",
		"Einladungslink erneut senden", "Verlauf", "Eingeladen von Ana Admin", "Vom Mailserver angenommen", "Antwort des Servers", "Schließen")
	res = f.Get(t, f.admin, base+"/invitation", dlgGerman...)
	dlgCheck(t, "Manage invitation without JavaScript", res.Body, english, "Zurück zu den Benutzern", "Einladung verwalten")
	if !strings.Contains(res.Body, "<title>Einladung für ivy@example.com verwalten") {
		t.Errorf("the page's title should be German:\n%s", res.Body)
	}

	res = f.Post(t, f.admin, base+"/invitation/remove", url.Values{"return": {"/settings/users"}}, dlgGermanHTMX...)
	dlgCheck(t, "Remove roles with none ticked", res.Body, english, "Wählen Sie die Rollen aus, die entfernt werden sollen, und klicken Sie dann auf „Rollen entfernen“.")
	acc, _ := f.App.Users.Account(context.Background())
	res = f.Post(t, f.admin, base+"/invitation/remove", url.Values{"space": {fmt.Sprint(acc.ID)}, "return": {"/settings/users"}}, dlgGermanHTMX...)
	dlgCheck(t, "Remove roles", res.Body, english, "Diese Rollen aus der Einladung entfernen?",
		"Es bliebe keine Rolle übrig. Die Einladung wird daher zurückgezogen und ihr Link funktioniert nicht mehr.", "Rollen behalten")

	res = f.Post(t, f.admin, base+"/resend", url.Values{"return": {"/settings/users"}}, dlgGermanHTMX...)
	dlgStatus(t, "resend", res, http.StatusOK)
	checkOOBBanner(t, res.Body, "success", "Der Einladungslink wird erneut an ivy@example.com gesendet.")
	f.Clock.Advance(time.Minute)
	res = f.Get(t, f.admin, base+"/invitation", dlgGermanHTMX...)
	dlgCheck(t, "Manage invitation after a resend", res.Body, english,
		"Link vor 1 Minute erneut gesendet", "Einladungslink erneut gesendet von Ana Admin (derselbe Link)")

	for _, c := range []struct{ path, what string }{
		{"/cancel", "Einladung für ivy@example.com zurückziehen?"},
		{"/deactivate", "ivy@example.com deaktivieren?"},
		{"/delete", "ivy@example.com löschen?"},
	} {
		res = f.Get(t, f.admin, base+c.path, dlgGermanHTMX...)
		dlgStatus(t, c.path, res, http.StatusOK)
		dlgCheck(t, c.path, res.Body, english, c.what)
		res = f.Get(t, f.admin, base+c.path, dlgGerman...)
		dlgCheck(t, c.path+" without JavaScript", res.Body, english, c.what)
	}
	res = f.Get(t, f.admin, base+"/cancel", dlgGermanHTMX...)
	dlgCheck(t, "Cancel invitation", res.Body, english, "Der Einladungslink funktioniert ab sofort nicht mehr. ivy@example.com ist nie beigetreten und wird daher aus der Benutzerliste entfernt.",
		"Einladung zurückziehen", "Einladung behalten")
	res = f.Get(t, f.admin, base+"/deactivate", dlgGermanHTMX...)
	dlgCheck(t, "Deactivate user", res.Body, english, "Solange sie deaktiviert ist, funktioniert ihr Einladungslink nicht.", "Benutzer deaktivieren", "Nicht deaktivieren")
	res = f.Get(t, f.admin, base+"/delete", dlgGermanHTMX...)
	dlgCheck(t, "Delete user", res.Body, english, "Das lässt sich nicht rückgängig machen. Ihr Einladungslink funktioniert nicht mehr.", "Benutzer löschen", "Benutzer behalten")

	res = f.Post(t, f.admin, base+"/link", url.Values{}, append([]string{"Accept", "application/json"}, dlgGerman...)...)
	var got struct{ Message string }
	if err := json.Unmarshal([]byte(res.Body), &got); err != nil || got.Message != "Einladungslink kopiert." {
		t.Errorf("Copy link: %q, %v; want it said in German", res.Body, err)
	}
	res = f.Post(t, f.admin, base+"/link", url.Values{}, dlgGerman...)
	dlgStatus(t, "the link page", res, http.StatusOK)
	dlgCheck(t, "the link page", res.Body, english, "Einladungslink für ivy@example.com",
		"Kopieren Sie diesen Link und senden Sie ihn selbst an ivy@example.com.", "Zurück zu den Benutzern")

	res = f.Get(t, f.admin, base+"/edit", dlgGermanHTMX...)
	dlgStatus(t, "Edit user", res, http.StatusOK)
	dlgCheck(t, "Edit user", res.Body, english, "Benutzer bearbeiten", "Eingeladen als Mitglied.", "Änderungen speichern", "Abbrechen")
	res = f.Post(t, f.admin, base+"/edit", url.Values{"name": {"Ivy"}, "return": {"/settings/users"}}, dlgGermanHTMX...)
	checkOOBBanner(t, res.Body, "success", "Die Änderungen an ivy@example.com wurden gespeichert.")

	res = f.Get(t, f.admin, base+"/actions", dlgGerman...)
	dlgStatus(t, "the actions page", res, http.StatusOK)
	// The status and the menu's items are the users list's words.
	dlgCheck(t, "the actions page", res.Body, englishOf(t, "users.actions."), "Aktionen für ivy@example.com", "Zurück zu den Benutzern", "Rollen")

	for _, c := range []struct{ path, banner string }{
		{"/deactivate", "ivy@example.com wurde deaktiviert und überall abgemeldet."},
		{"/activate", "ivy@example.com wurde aktiviert."},
		{"/cancel", "Die Einladung für ivy@example.com wurde zurückgezogen."},
	} {
		f.Clock.Advance(time.Minute)
		res = f.Post(t, f.admin, base+c.path, url.Values{"return": {"/settings/users"}}, dlgGermanHTMX...)
		dlgStatus(t, c.path, res, http.StatusOK)
		checkOOBBanner(t, res.Body, "success", c.banner)
	}

	other := f.invite(t, "jo@example.com", "member")
	res = f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/delete", other), url.Values{"return": {"/settings/users"}}, dlgGermanHTMX...)
	checkOOBBanner(t, res.Body, "success", "jo@example.com wurde gelöscht.")
	other = f.invite(t, "kai@example.com", "member")
	res = f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/invitation/remove", other), url.Values{"space": {fmt.Sprint(acc.ID)}, "confirm": {"yes"}, "return": {"/settings/users"}}, dlgGermanHTMX...)
	checkOOBBanner(t, res.Body, "success", "Die Einladung für kai@example.com wurde zurückgezogen.")

	other = f.invite(t, "lee@example.com", "member")
	f.Clock.Advance(8 * 24 * time.Hour)
	f.signInAgain(t)
	res = f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/invitation", other), dlgGermanHTMX...)
	dlgCheck(t, "an expired invitation", res.Body, english, "Eingeladen vor 8 Tagen , gestern abgelaufen", "Die Einladung ist abgelaufen")
	res = f.Post(t, f.admin, fmt.Sprintf("/settings/users/%d/renew", other), url.Values{"return": {"/settings/users"}}, dlgGermanHTMX...)
	checkOOBBanner(t, res.Body, "success", "Eine neue Einladung wird an lee@example.com gesendet.")
	res = f.Get(t, f.admin, fmt.Sprintf("/settings/users/%d/invitation", other), dlgGermanHTMX...)
	dlgCheck(t, "Manage invitation after a new one", res.Body, english, "Neue Einladung gesendet von Ana Admin (neuer Link; der alte funktioniert nicht mehr)")
}
