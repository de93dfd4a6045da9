package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/apptest"
)

// The users list, the roles picker, pagination and the error pages in
// German (issue 15): whole German sentences, and none of their English
// left.

var german = []string{"Accept-Language", "de-DE,de;q=0.9,en;q=0.5"}

var (
	mainRE = regexp.MustCompile(`(?s)<main[^>]*>(.*)</main>`)
	// attrRE finds the attributes a person hears or sees as text.
	attrRE = regexp.MustCompile(`(?:aria-label|title|label)="([^"]*)"`)
)

// readable is what a person reads or hears in the main part of a page:
// its text, and its labels and tooltips.
func readable(body string) string {
	if m := mainRE.FindStringSubmatch(body); m != nil {
		body = m[1]
	}
	var b strings.Builder
	b.WriteString(text(body))
	for _, m := range attrRE.FindAllStringSubmatch(body, -1) {
		b.WriteString(" | " + html.UnescapeString(m[1]))
	}
	return b.String()
}

// myEnglish are the English texts of the users list's, the components'
// and the error pages' messages that German writes differently, each cut
// at its placeholders into the pieces a page would show.
func myEnglish(t *testing.T) map[string]string {
	t.Helper()
	return englishOf(t, "users.list.", "users.status.", "components.", "error.", "done.")
}

// only is english without the texts whose ids do not start with prefix.
func only(english map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for piece, id := range english {
		if strings.HasPrefix(id, prefix) {
			out[piece] = id
		}
	}
	return out
}

// but is english without the texts whose ids start with prefix.
func but(english map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for piece, id := range english {
		if !strings.HasPrefix(id, prefix) {
			out[piece] = id
		}
	}
	return out
}

// noEnglish fails when page still says one of english's texts.
func noEnglish(t *testing.T, what, page string, english map[string]string) {
	t.Helper()
	for piece, id := range english {
		re := regexp.MustCompile(`(^|[^\pL])` + regexp.QuoteMeta(piece) + `($|[^\pL])`)
		if re.MatchString(page) {
			t.Errorf("%s still says %q (%s) in English:\n%s", what, piece, id, page)
		}
	}
}

func wantAll(t *testing.T, what, page string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("%s should say %q:\n%s", what, w, page)
		}
	}
}

func TestUsersListInGerman(t *testing.T) {
	t.Parallel()
	// The roles a row names come from spaces.Describe, which helper D's
	// part of issue 15 puts in German.
	english := but(myEnglish(t), "components.roles.")
	f := newFixture(t, apptest.Options{SMTP: true, Env: map[string]string{"USHER_SEND_LIMIT": "100000"}})
	seedInvited(t, f, 60) // 61 users: two pages
	f.invite(t, "ada@example.com", "admin")

	// The list in English first: the page kept for it must not be what
	// a German reader gets.
	if res := f.Get(t, f.admin, "/settings/users"); !strings.Contains(res.Body, "Invite user") {
		t.Fatalf("the list in English:\n%s", text(res.Body))
	}
	res := f.Get(t, f.admin, "/settings/users", german...)
	if !strings.Contains(res.Header.Get("Vary"), "Accept-Language") {
		t.Errorf("the list's Vary should name Accept-Language: %q", res.Header.Get("Vary"))
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	page := readable(res.Body)
	wantAll(t, "the list", page,
		"Benutzer einladen", "Nach Name oder E-Mail-Adresse suchen", "Alle 62", "Aktiv 1", "Eingeladen 61",
		"Eingeladen gerade eben", "Läuft in 7 Tagen ab", "Sortieren nach", "Aufsteigend",
		"Rollen", "Eingeladen von", "Beigetreten", "Noch nicht", "Angeboten:",
		"1–50 von 62", "Weiter", "| Nach Status filtern", "| Aktionen für ada@example.com", "| Seiten",
		"Einladungslink erneut senden", "Einladung zurückziehen", "Benutzer deaktivieren", "Einladungslink kopieren")
	noEnglish(t, "the list", page, english)

	// A tab with nothing in it, a search that finds nobody.
	page = readable(f.Get(t, f.admin, "/settings/users?status=deactivated&q=nobody", german...).Body)
	wantAll(t, "an empty search", page, "Keine passenden Benutzer", "Versuchen Sie eine andere Suche oder zeigen Sie alle Benutzer an")
	noEnglish(t, "an empty search", page, english)

	// Past the end, with the counts written as German writes numbers.
	page = readable(f.Get(t, f.admin, "/settings/users?page=1200", german...).Body)
	wantAll(t, "past the end", page, "Seite 1200 gibt es nicht", "Es gibt 62 Benutzer auf 2 Seiten.", "Zur letzten Seite (Seite 2)")
	noEnglish(t, "past the end", page, english)

	// The second page: Previous, and the tabs' counts.
	page = readable(f.Get(t, f.admin, "/settings/users?page=2", german...).Body)
	wantAll(t, "page 2", page, "51–62 von 62", "Zurück")
	noEnglish(t, "page 2", page, english)

	// A row action's banner says where the row went, in German.
	id := f.UserID(t, "ada@example.com")
	res = f.Post(t, f.admin, "/settings/users/"+strconv.FormatInt(id, 10)+"/deactivate", url.Values{"return": {"/settings/users?status=invited"}}, append(german, apptest.HTMX...)...)
	if !strings.Contains(text(res.Body), "Der Benutzer steht jetzt unter „Deaktiviert“.") {
		t.Errorf("the banner after a deactivation should say where the row went:\n%s", text(res.Body))
	}
}

func TestRolesPickerInGerman(t *testing.T) {
	t.Parallel()
	english := myEnglish(t)
	f := newFixture(t, apptest.Options{})
	// With only the account, the picker is two radio buttons.
	page := readable(f.Get(t, f.admin, "/settings/users/invite", german...).Body)
	wantAll(t, "the account's roles", page, "Mitglied Nutzt das Konto.", "Administrator Lädt außerdem Benutzer ein und verwaltet sie.")
	noEnglish(t, "the account's roles", page, only(english, "components."))

	// With spaces, the picker: its combobox and its no-JS select.
	res := f.Post(t, f.admin, "/settings/spaces", url.Values{"kind": {"unit"}, "name": {"Nord"}}, german...)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding a unit: status %d\n%s", res.StatusCode, text(res.Body))
	}
	body := f.Get(t, f.admin, "/settings/users/invite", german...).Body
	if m := mainRE.FindStringSubmatch(body); m != nil {
		body = m[1]
	}
	i := strings.Index(body, "data-roles-picker")
	if i < 0 {
		t.Fatalf("no roles picker:\n%s", text(body))
	}
	picker := body[i:]
	picker = readable(picker[:strings.Index(picker, "</fieldset>")])
	wantAll(t, "the roles picker", picker, "Noch keine Rollen.", "Rolle hinzufügen in", "Bereich auswählen",
		"Nord (Organisationseinheit)", "Acme Clinics (Konto)", "| Konto", "Als", "Mitglied", "Rolle hinzufügen",
		"Geben Sie einen Teil des Bereichsnamens ein", "Nur die ersten 50 werden angezeigt", "| Bereiche", "Rolle in Acme Clinics")
	noEnglish(t, "the roles picker", picker, only(english, "components."))
}

func TestErrorPagesInGerman(t *testing.T) {
	t.Parallel()
	english := myEnglish(t)
	f := newFixture(t, apptest.Options{})
	res := f.Get(t, f.admin, "/nowhere", german...)
	page := readable(res.Body)
	wantAll(t, "the 404 page", page, "Seite nicht gefunden", "Unter dieser Adresse gibt es nichts.", "Zu Einstellungen > Benutzer")
	noEnglish(t, "the 404 page", page, english)

	page = readable(f.Get(t, f.admin, "/settings/users/abc/actions", german...).Body)
	wantAll(t, "an unknown user", page, "Diesen Benutzer gibt es nicht.")

	page = readable(f.Get(t, f.Client(t), "/nowhere", german...).Body)
	wantAll(t, "the 404 page signed out", page, "Zur Anmeldung")
}

func TestDeliveryNoteInGerman(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTPDown: true})
	f.invite(t, "ada@example.com", "member")
	f.Deliver(t)
	page := readable(f.Get(t, f.admin, "/settings/users?status=undelivered", german...).Body)
	wantAll(t, "an invitation not delivered", page, "Nicht zugestellt 1", "Noch nicht zugestellt – neuer Versuch läuft")
	noEnglish(t, "an invitation not delivered", page, but(myEnglish(t), "components.roles."))
}
