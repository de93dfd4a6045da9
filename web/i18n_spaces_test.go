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
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
)

// Spaces, a member's home, sign-in, setup and the mailbox in German
// (issue 15): whole German sentences, and none of their English left.

var spacesGerman = []string{"Accept-Language", "de-DE,de;q=0.9,en;q=0.5"}

var (
	spacesMainRE = regexp.MustCompile(`(?s)<main[^>]*>(.*)</main>`)
	// spacesAttrRE finds the attributes a person hears or sees as text.
	spacesAttrRE  = regexp.MustCompile(`(?:aria-label|title|label|placeholder)="([^"]*)"`)
	spacesTitleRE = regexp.MustCompile(`<title>([^<]*)</title>`)
	spacesPreRE   = regexp.MustCompile(`(?s)<pre class="mail-body">.*?</pre>`)
)

// spacesReadable is what a person reads or hears in the main part of a
// page (its text, labels, tooltips and placeholders), with data taken
// out: the names of spaces and people, addresses, an email's own words.
func spacesReadable(body string, data ...string) string {
	if m := spacesMainRE.FindStringSubmatch(body); m != nil {
		body = m[1]
	}
	body = spacesPreRE.ReplaceAllString(body, "")
	var b strings.Builder
	b.WriteString(text(body))
	for _, m := range spacesAttrRE.FindAllStringSubmatch(body, -1) {
		b.WriteString(" | " + html.UnescapeString(m[1]))
	}
	s := b.String()
	for _, d := range data {
		if d != "" {
			s = strings.ReplaceAll(s, d, "")
		}
	}
	return s
}

// spacesEnglish are the English texts of this area's messages (spaces.,
// home., auth., mailbox.) that German writes differently, each cut at its
// placeholders into the pieces a page shows.
func spacesEnglish(t *testing.T) map[string]string {
	t.Helper()
	return englishOf(t, "spaces.", "home.", "auth.", "mailbox.")
}

// spacesNoEnglish fails if the page says any of english.
func spacesNoEnglish(t *testing.T, what, page string, english map[string]string) {
	t.Helper()
	for piece, id := range english {
		if strings.Contains(page, piece) {
			t.Errorf("%s still says %q (%s):\n%s", what, piece, id, page)
		}
	}
}

// spacesSays fails unless the page says every one of want.
func spacesSays(t *testing.T, what, page string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("%s should say %q:\n%s", what, w, page)
		}
	}
}

// spacesTitle is a page's <title>.
func spacesTitle(body string) string {
	if m := spacesTitleRE.FindStringSubmatch(body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

// spacesErrorSays checks that an error page says message id, whose German
// is de. Until the error page itself speaks German (web/errors.go, helper
// A's part of issue 15) it says the message's English, which must be
// what it said before.
func spacesErrorSays(t *testing.T, what string, res apptest.Response, id, de string) {
	t.Helper()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("%s: status %d, want 404", what, res.StatusCode)
	}
	want := de
	if got := i18n.Default().Locale("de").T(id); got != de {
		t.Errorf("%s: the catalogue's German is %q, want %q", id, got, de)
	}
	if strings.Contains(res.Body, "Page not found") {
		want = i18n.Default().Locale("en").T(id)
	}
	spacesSays(t, what, text(res.Body), want)
}

// Settings > Spaces, a space's page, Remove from this space, Rename and
// Delete, each in German, with their banners.
func TestSpacesInGerman(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	english := spacesEnglish(t)
	var data []string
	for _, name := range w.names {
		data = append(data, name)
	}
	admin := w.signIn(t, apptest.AdminEmail)
	get := func(path string) apptest.Response {
		t.Helper()
		res := w.e.Get(t, admin, path, spacesGerman...)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d to %q", path, res.StatusCode, res.Header.Get("Location"))
		}
		return res
	}
	// banner posts a form in German and reads the banner of the page it
	// leads to.
	banner := func(path string, form url.Values) string {
		t.Helper()
		res := w.e.Post(t, admin, path, form, spacesGerman...)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: status %d\n%s", path, res.StatusCode, res.Body)
		}
		_, msg := bannerOf(w.e.Get(t, admin, res.Header.Get("Location"), spacesGerman...).Body)
		return msg
	}

	list := get("/settings/spaces")
	page := spacesReadable(list.Body, data...)
	spacesSays(t, "Settings > Spaces", page,
		"Bereiche Laden Sie Personen in das gesamte Konto oder in einen Bereich darin ein. Wer eine Organisationseinheit verwaltet, verwaltet auch ihre Wartebereiche und Besprechungsräume.",
		"Bereich Art", "Organisationseinheit", "Wartebereich", "Besprechungsraum", "Konto",
		"Bereich hinzufügen", "In Organisationseinheit", "Die Einheit, zu der der Wartebereich oder Besprechungsraum gehört.", "Einheit auswählen")
	spacesNoEnglish(t, "Settings > Spaces", page, english)
	if got := spacesTitle(list.Body); !strings.HasPrefix(got, "Bereiche") {
		t.Errorf("title %q", got)
	}
	if msg := banner("/settings/spaces", url.Values{"kind": {"waiting_area"}, "parent": {cid(w.south)}, "name": {"Lobby"}}); msg != "Der Wartebereich Lobby wurde hinzugefügt." {
		t.Errorf("adding a space: banner %q", msg)
	}

	// A space's page: people who joined, and one who is invited.
	kim, _ := w.join(t, w.admin, "kim@example.com", "Kim", memberOf(w.wa2))
	data = append(data, "Kim", "kim@example.com", "Una Unit", unaEmail, "Walt Waiting", waltEmail, "Mo Member", moEmail)
	space := "/settings/spaces/" + cid(w.wa2)
	res := get(space)
	page = spacesReadable(res.Body, data...)
	spacesSays(t, "a space's page", spacesReadable(res.Body),
		"Zurück zu den Bereichen", "Wartebereich Personen in Waiting Area 2", "Zu Waiting Area 2 einladen",
		"Personen in Waiting Area 2 suchen", "Name oder E-Mail-Adresse", "Suchen", "Administratoren", "Mitglieder", "Aus diesem Bereich entfernen")
	spacesNoEnglish(t, "a space's page", page, english)
	if got := spacesTitle(res.Body); !strings.HasPrefix(got, "Personen in Waiting Area 2") {
		t.Errorf("title %q", got)
	}
	empty := spacesReadable(get(space+"?q=zzz").Body, data...)
	spacesSays(t, "a search that finds nobody", empty, "Keine Administratoren passen zu „zzz“.", "Keine Mitglieder passen zu „zzz“.", "Suche zurücksetzen")
	spacesNoEnglish(t, "a search that finds nobody", empty, english)
	past := spacesReadable(get(space+"?members=9").Body, data...)
	spacesSays(t, "a page past the last", past, "Auf dieser Seite ist niemand. Zur ersten Seite")

	pending := w.invite(t, w.admin, "pia@example.com", memberOf(w.wa2))
	w.e.Clock.Advance(48 * time.Hour)
	admin = w.signIn(t, apptest.AdminEmail) // past the idle timeout
	res = get(space)
	// The roles offered are described by spaces.Describe (helper D's);
	// the sentence around them is this page's.
	spacesSays(t, "an invitee's row", spacesReadable(res.Body),
		"pia@example.com Eingeladen vor 2 Tagen als ", "Einladungslink erneut senden an pia@example.com", "Einladung zurückziehen für pia@example.com")

	// Remove from this space: the dialog, its page, and the banners.
	remove := "/settings/spaces/" + cid(w.wa2) + "/people/" + cid(kim.ID) + "/remove"
	dialog := w.e.Get(t, admin, remove+"?return="+url.QueryEscape(space), append(spacesGerman, apptest.HTMX...)...)
	mustStatusCode(t, "the remove dialog", dialog, http.StatusOK)
	spacesSays(t, "the remove dialog", text(dialog.Body),
		"Kim aus Waiting Area 2 entfernen?", "Kim hat dann nicht mehr die Rolle Mitglied in Waiting Area 2. Rollen in anderen Bereichen bleiben bestehen.",
		"Aus diesem Bereich entfernen", "Kim behalten")
	spacesNoEnglish(t, "the remove dialog", spacesReadable(dialog.Body, data...), english)
	confirm := get(remove + "?return=" + url.QueryEscape(space))
	spacesSays(t, "the remove page", spacesReadable(confirm.Body), "Kim aus Waiting Area 2 entfernen?")
	if msg := banner(remove, url.Values{"return": {space}}); msg != "Kim wurde aus Waiting Area 2 entfernt." {
		t.Errorf("removing a member: banner %q", msg)
	}
	removePia := "/settings/spaces/" + cid(w.wa2) + "/people/" + cid(pending.ID) + "/remove"
	spacesSays(t, "removing an invitee's only role", text(get(removePia).Body),
		"Die Einladung bietet sonst nichts an. Sie wird daher zurückgezogen, und ihr Link funktioniert nicht mehr.")
	if msg := banner(removePia, url.Values{"return": {space}}); msg != "Die Einladung für pia@example.com wurde zurückgezogen, da sie sonst nichts anbot." {
		t.Errorf("removing an invitee's only role: banner %q", msg)
	}
	both := w.invite(t, w.admin, "bo@example.com", memberOf(w.wa2), memberOf(w.room))
	removeBo := "/settings/spaces/" + cid(w.wa2) + "/people/" + cid(both.ID) + "/remove"
	spacesSays(t, "removing one of an invitee's roles", text(get(removeBo).Body),
		"Die Einladung bietet dann nicht mehr die Rolle Mitglied in Waiting Area 2 an. Alles andere an ihr bleibt bestehen, der Link ebenfalls.")
	if msg := banner(removeBo, url.Values{"return": {space}}); msg != "Waiting Area 2 wurde aus der Einladung für bo@example.com entfernt." {
		t.Errorf("removing one of an invitee's roles: banner %q", msg)
	}

	// Rename.
	rename := get("/settings/spaces/" + cid(w.room) + "/rename")
	page = spacesReadable(rename.Body, data...)
	spacesSays(t, "Rename space", page, "Bereich umbenennen", "Speichern", "Abbrechen")
	spacesNoEnglish(t, "Rename space", page, english)
	if msg := banner("/settings/spaces/"+cid(w.room)+"/rename", url.Values{"name": {"Room 7"}}); msg != "Der Bereich heißt jetzt Room 7." {
		t.Errorf("renaming: banner %q", msg)
	}

	// Delete: what goes with a unit, counted in German.
	del := get("/settings/spaces/" + cid(w.north) + "/delete")
	page = spacesReadable(del.Body, append(data, "Room 7")...)
	spacesSays(t, "Delete space", spacesReadable(del.Body),
		"North Clinic löschen?", "Mit North Clinic wird auch Folgendes entfernt:", "3 Bereiche darin",
		"Rollen, die Personen dort innehaben", "Bereich löschen", "Bereich behalten")
	spacesNoEnglish(t, "Delete space", page, english)
	lobby := get("/settings/spaces/" + cid(w.southWA) + "/delete")
	spacesSays(t, "Delete an empty space", spacesReadable(lobby.Body),
		"In South Waiting Area hat niemand eine Rolle, und keine Einladung bietet dort eine an. Das Löschen ändert sonst nichts.")
	if msg := banner("/settings/spaces/"+cid(w.southWA)+"/delete", nil); msg != "South Waiting Area wurde gelöscht." {
		t.Errorf("deleting: banner %q", msg)
	}
}

// The impact list's plural forms, in both languages.
func TestSpaceDeleteCountsInGerman(t *testing.T) {
	t.Parallel()
	de, en := i18n.Default().Locale("de"), i18n.Default().Locale("en")
	for _, tt := range []struct {
		id     string
		n      int
		en, de string
	}{
		{"spaces.delete.inside", 1, "1 space inside it", "1 Bereich darin"},
		{"spaces.delete.inside", 3, "3 spaces inside it", "3 Bereiche darin"},
		{"spaces.delete.grants", 1, "1 role people hold there", "1 Rolle, die dort jemand innehat"},
		{"spaces.delete.grants", 20000, "20,000 roles people hold there", "20.000 Rollen, die Personen dort innehaben"},
		{"home.more_admins", 1, "and 1 more administrator", "und 1 weiterer Administrator"},
		{"home.more_admins", 2, "and 2 more administrators", "und 2 weitere Administratoren"},
	} {
		if got := en.N(tt.id, tt.n); got != tt.en {
			t.Errorf("%s(%d) in English: %q, want %q", tt.id, tt.n, got, tt.en)
		}
		if got := de.N(tt.id, tt.n); got != tt.de {
			t.Errorf("%s(%d) in German: %q, want %q", tt.id, tt.n, got, tt.de)
		}
	}
	// Each kind has a German name of its own.
	for _, k := range []spaces.Kind{spaces.Account, spaces.Unit, spaces.WaitingArea, spaces.MeetingRoom} {
		if got := k.LabelIn(de); got == k.Label() || got == "spaces.kind."+string(k) {
			t.Errorf("%s has no German name: %q", k, got)
		}
	}
}

// A member's home and changing one's own name, in German.
func TestMemberHomeInGerman(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	english := spacesEnglish(t)
	_, kim := w.join(t, w.admin, "kim@example.com", "Kim", memberOf(w.wa2), memberOf(w.wa1), memberOf(w.acct))
	// Kim joined from an English invitation; she lets Usher follow her
	// browser, which asks for German.
	w.e.Post(t, kim, "/profile/language", url.Values{"language": {""}})
	res := w.e.Get(t, kim, "/", spacesGerman...)
	mustStatusCode(t, "a member's home", res, http.StatusOK)
	page := spacesReadable(res.Body)
	spacesSays(t, "a member's home", page,
		"Ihre Bereiche in Acme Clinics",
		"Wo Sie Mitglied sind und an wen Sie sich jeweils wenden können.",
		"Waiting Area 1 Wartebereich · Ihre Rolle: Mitglied Verwaltet von den Administratoren von North Clinic: Una Unit una@example.com",
		"Waiting Area 2 Wartebereich · Ihre Rolle: Mitglied Verwaltet von: Walt Waiting walt@example.com",
		"Acme Clinics Konto · Ihre Rolle: Mitglied",
		"Ihr Name So sehen andere Sie in Acme Clinics. Sie melden sich mit kim@example.com an.",
		"Name speichern")
	spacesNoEnglish(t, "a member's home", spacesReadable(res.Body, "Acme Clinics", "Waiting Area 1", "Waiting Area 2", "North Clinic", "Una Unit", "Walt Waiting", "Ana Admin", "Kim"), english)
	if got := spacesTitle(res.Body); !strings.HasPrefix(got, "Ihre Bereiche") {
		t.Errorf("title %q", got)
	}
	post := w.e.Post(t, kim, "/profile/name", url.Values{"name": {"Kim Park"}}, spacesGerman...)
	if post.StatusCode != http.StatusSeeOther {
		t.Fatalf("changing the name: status %d", post.StatusCode)
	}
	if _, msg := bannerOf(w.e.Get(t, kim, post.Header.Get("Location"), spacesGerman...).Body); msg != "Ihr Name lautet jetzt Kim Park." {
		t.Errorf("changing the name: banner %q", msg)
	}

	// A member with no role anywhere.
	lone := w.invite(t, w.admin, "lee@example.com", memberOf(w.wa2))
	_, lee := w.accept(t, w.linkPath(t, lone.ID), "Lee")
	w.e.Post(t, lee, "/profile/language", url.Values{"language": {""}}) // his browser's German
	remove := "/settings/spaces/" + cid(w.wa2) + "/people/" + cid(lone.ID) + "/remove"
	if res := w.e.Post(t, w.signIn(t, apptest.AdminEmail), remove, url.Values{}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("removing Lee: status %d", res.StatusCode)
	}
	res = w.e.Get(t, lee, "/", spacesGerman...)
	page = spacesReadable(res.Body)
	spacesSays(t, "a home without spaces", page,
		"Noch keine Bereiche", "Sie haben noch in keinem Bereich eine Rolle. Ein Administrator von Acme Clinics kann Ihnen eine zuweisen.")
	spacesNoEnglish(t, "a home without spaces", spacesReadable(res.Body, "Acme Clinics", "Lee"), english)
}

// Sign-in, its rate limit, the first-run notice and setup, in German.
func TestSignInAndSetupInGerman(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	english := spacesEnglish(t)

	res := e.Get(t, e.Client(t), "/", spacesGerman...)
	mustStatusCode(t, "the first-run notice", res, http.StatusOK)
	page := spacesReadable(res.Body)
	spacesSays(t, "the first-run notice", page,
		"Usher ist noch nicht eingerichtet",
		"Öffnen Sie den einmaligen Einrichtungslink, den usher serve beim Start auf der Konsole ausgegeben hat.")
	if !strings.Contains(res.Body, "den <code>usher serve</code> beim Start") {
		t.Error("the command should stay code inside the German sentence")
	}
	spacesNoEnglish(t, "the first-run notice", page, english)

	bad := e.Get(t, e.Client(t), "/setup/wrong", spacesGerman...)
	spacesErrorSays(t, "a wrong setup link", bad, "auth.setup.bad_link", "Dieser Einrichtungslink ist ungültig. Verwenden Sie den Link, den usher serve auf der Konsole ausgegeben hat.")

	setup := "/setup/" + e.App.SetupToken
	res = e.Get(t, e.Client(t), setup, spacesGerman...)
	mustStatusCode(t, "setup", res, http.StatusOK)
	page = spacesReadable(res.Body)
	spacesSays(t, "setup", page,
		"Usher einrichten",
		"Geben Sie den Namen Ihrer Organisation ein und legen Sie den ersten Administrator an. Alle anderen können Sie einladen, sobald Sie angemeldet sind.",
		"Name der Organisation", "Erscheint in der Kopfzeile und in Einladungs-E-Mails.", "Ihr Name", "Ihre E-Mail-Adresse",
		"Passwort festlegen", "Mindestens 12 Zeichen.", "Konto erstellen")
	spacesNoEnglish(t, "setup", page, english)

	c := e.Client(t)
	res = e.Post(t, c, setup, url.Values{"account": {"Acme"}, "name": {"Ada"}, "email": {"ada@example.com"}, "password": {apptest.AdminPassword}}, spacesGerman...)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("setting up: status %d\n%s", res.StatusCode, res.Body)
	}
	if _, msg := bannerOf(e.Get(t, c, res.Header.Get("Location"), spacesGerman...).Body); msg != "Willkommen bei Usher, Ada. Laden Sie jetzt die Personen ein, mit denen Sie zusammenarbeiten." {
		t.Errorf("after setup: banner %q", msg)
	}
	done := e.Get(t, e.Client(t), setup, spacesGerman...)
	spacesErrorSays(t, "setup done", done, "auth.setup.done", "Usher ist bereits eingerichtet. Bitte melden Sie sich an.")

	res = e.Get(t, e.Client(t), "/login", spacesGerman...)
	mustStatusCode(t, "sign-in", res, http.StatusOK)
	page = spacesReadable(res.Body)
	spacesSays(t, "sign-in", page, "Anmelden", "E-Mail-Adresse", "Passwort")
	spacesNoEnglish(t, "sign-in", page, english)
	if got := spacesTitle(res.Body); !strings.HasPrefix(got, "Anmelden") {
		t.Errorf("title %q", got)
	}

	// Ten wrong passwords for one address from one network, then the limit.
	for range 10 {
		e.Post(t, e.Client(t), "/login", url.Values{"email": {"ada@example.com"}, "password": {"wrong wrong wrong"}}, spacesGerman...)
	}
	res = e.Post(t, e.Client(t), "/login", url.Values{"email": {"ada@example.com"}, "password": {"wrong wrong wrong"}}, spacesGerman...)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the 11th failure: status %d", res.StatusCode)
	}
	spacesSays(t, "the rate limit", text(res.Body), "Zu viele Versuche. Bitte warten Sie 15 Minuten und versuchen Sie es dann noch einmal.")
	spacesNoEnglish(t, "the rate limit", spacesReadable(res.Body, "ada@example.com"), english)
	e.Clock.Advance(14*time.Minute + 30*time.Second)
	res = e.Post(t, e.Client(t), "/login", url.Values{"email": {"ada@example.com"}, "password": {"wrong wrong wrong"}}, spacesGerman...)
	spacesSays(t, "the rate limit's last minute", text(res.Body), "Zu viele Versuche. Bitte warten Sie 1 Minute und versuchen Sie es dann noch einmal.")
	// English is what it was.
	res = e.Post(t, e.Client(t), "/login", url.Values{"email": {"ada@example.com"}, "password": {"wrong wrong wrong"}})
	spacesSays(t, "the rate limit in English", text(res.Body), "Too many attempts. Wait 1 minute, then try again.")
}

// The built-in mailbox, its list and a message's page, in German.
func TestMailboxInGerman(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	english := spacesEnglish(t)
	ctx := context.Background()

	res := f.Get(t, f.admin, "/dev/mailbox", spacesGerman...)
	mustStatusCode(t, "an empty mailbox", res, http.StatusOK)
	page := spacesReadable(res.Body)
	spacesSays(t, "an empty mailbox", page,
		"Postfach Es ist kein SMTP-Server eingerichtet. Deshalb bewahrt Usher seine E-Mails hier auf, statt sie zu versenden.",
		"E-Mails suchen", "Empfänger oder Betreff", "Noch keine E-Mails", "Einladungen, die Sie versenden, erscheinen hier.")
	if !strings.Contains(res.Body, "Setzen Sie <code>USHER_SMTP_URL</code>, um sie tatsächlich zu versenden.") {
		t.Error("the setting should stay code inside the German sentence")
	}
	spacesNoEnglish(t, "an empty mailbox", page, english)
	if got := spacesTitle(res.Body); !strings.HasPrefix(got, "Postfach") {
		t.Errorf("title %q", got)
	}

	admin, err := f.App.Users.Authenticate(ctx, apptest.AdminEmail, apptest.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := f.App.Users.Account(ctx)
	actor := invitations.Actor{User: admin, Access: f.AdminAccess(t)}
	if _, err := f.App.Invitations.Invite(ctx, actor, invitations.InviteInput{Email: "kim@example.com", Offered: []spaces.Grant{{SpaceID: acc.ID, Role: spaces.Member}}}); err != nil {
		t.Fatal(err)
	}
	f.Deliver(t)
	f.Clock.Advance(3 * time.Hour)
	f.signInAgain(t)

	res = f.Get(t, f.admin, "/dev/mailbox", spacesGerman...)
	page = spacesReadable(res.Body)
	spacesSays(t, "the mailbox", page, "An kim@example.com · vor 3 Stunden")
	m := regexp.MustCompile(`href="(/dev/mailbox/\d+)">([^<]*)<`).FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatalf("no message listed:\n%s", res.Body)
	}
	subject := html.UnescapeString(m[2])
	spacesNoEnglish(t, "the mailbox", spacesReadable(res.Body, subject, "kim@example.com"), english)

	none := spacesReadable(f.Get(t, f.admin, "/dev/mailbox?q=nobody", spacesGerman...).Body)
	spacesSays(t, "a search that finds nothing", none, "Keine passenden E-Mails", "Weder ein Empfänger noch ein Betreff enthält „nobody“.", "Suche zurücksetzen")
	spacesNoEnglish(t, "a search that finds nothing", none, english)
	past := spacesReadable(f.Get(t, f.admin, "/dev/mailbox?page=5", spacesGerman...).Body)
	spacesSays(t, "a page past the last", past, "Auf dieser Seite gibt es nichts", "Zur ersten Seite")
	spacesNoEnglish(t, "a page past the last", past, english)

	msg := f.Get(t, f.admin, m[1], spacesGerman...)
	mustStatusCode(t, "a message", msg, http.StatusOK)
	page = spacesReadable(msg.Body, subject)
	spacesSays(t, "a message", page,
		"Zurück zum Postfach", "Von", "An kim@example.com", "Datum Mo., 23. Nov. 2026, 09:00 UTC", "Nur-Text", "HTML-Teil der E-Mail")
	spacesNoEnglish(t, "a message", page, english)
	gone := f.Get(t, f.admin, "/dev/mailbox/x", spacesGerman...)
	spacesErrorSays(t, "no such email", gone, "mailbox.not_found", "Diese E-Mail gibt es nicht.")
	spacesErrorSays(t, "no such space", f.Get(t, f.admin, "/settings/spaces/x", spacesGerman...), "spaces.not_found", "Diesen Bereich gibt es nicht.")
}
