package browser_test

import (
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/i18n"
)

// Every page, in every state, of an account that speaks German is German:
// <html lang="de">, and no sentence of the English catalogue left in what
// a person reads (text, titles, labels, placeholders), nor the small words
// of an English sentence that the catalogue does not hold.
func TestEveryPageSpeaksGerman(t *testing.T) {
	t.Parallel()
	h := &htmlCollector{t: t}
	collectEveryPage(t, h, "de")
	if len(h.pages) < 40 {
		t.Fatalf("only %d pages collected", len(h.pages))
	}
	leaks := newLeakFinder()
	for _, p := range h.pages {
		if !strings.Contains(p.body, `<html lang="de">`) {
			t.Errorf("%s: not <html lang=\"de\">", p.name)
		}
		for _, leak := range leaks.find(readable(p.body)) {
			t.Errorf("%s: English left: %q", p.name, leak)
		}
	}
}

// leakFinder knows the English that must not be in a German page.
type leakFinder struct {
	sentences []string // the English catalogue's texts German words differently
}

// englishWords are small words of English sentences that German pages do
// not use: one of them in a German page is a sentence nobody translated.
var englishWords = regexp.MustCompile(`\b(?i:the|you|your|and|with|this|that|has|have|been|are|for|from|who|can|cannot|there|their|they|please|yet|already|invited|invitation|sent|expired|expires|deactivated|active|joined|members?|users?|spaces?)\b`)

func newLeakFinder() *leakFinder {
	cat := i18n.Default()
	en, de := cat.Locale("en").Texts(), cat.Locale("de").Texts()
	lf := &leakFinder{}
	for id, texts := range en {
		for _, text := range texts {
			for _, frag := range strings.Split(text, "\x00") {
				frag = strings.Join(strings.Fields(frag), " ")
				if len(frag) < 12 || !strings.Contains(frag, " ") || slices.ContainsFunc(de[id], func(g string) bool { return strings.Contains(g, frag) }) {
					continue
				}
				lf.sentences = append(lf.sentences, frag)
			}
		}
	}
	return lf
}

// find lists the English in text.
func (lf *leakFinder) find(text string) []string {
	var out []string
	for _, s := range lf.sentences {
		if strings.Contains(text, s) {
			out = append(out, s)
		}
	}
	for _, m := range englishWords.FindAllStringIndex(text, -1) {
		out = append(out, "…"+text[max(0, m[0]-40):min(len(text), m[1]+40)]+"…")
	}
	return out
}

var (
	hiddenRE = regexp.MustCompile(`(?s)<(script|style|template)\b.*?</(script|style|template)>`)
	// englishPartRE is a part a page marks as English (lang="en"): a mail
	// server's reply, the switch's "English".
	englishPartRE = regexp.MustCompile(`(?s)<(span|code|option)\b[^>]*\blang="en"[^>]*>.*?</(span|code|option)>`)
	attrRE        = regexp.MustCompile(`\b(?:title|aria-label|placeholder|alt|aria-description)="([^"]*)"`)
	tagRE         = regexp.MustCompile(`(?s)<[^>]*>`)
	addressRE     = regexp.MustCompile(`[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+`)
	// dataRE is what the seeded account calls its people and spaces: names
	// are data, not Usher's words.
	dataRE = regexp.MustCompile(`\b(?:Ivy Invited|Cy Active|Eli Expired|Dan Deactivated|Gus Gone|Jo Joining|Tom|Sales lobby|Sales|Room 4|Acme Clinics|Ana Admin|HR system|CRM)\b`)
)

// readable is what a person reads of a page: its text and the texts of
// attributes read out or shown on hover, addresses and the seeded names
// taken out.
func readable(page string) string {
	page = strings.ReplaceAll(page, "<wbr>", "")
	page = hiddenRE.ReplaceAllString(page, " ")
	page = englishPartRE.ReplaceAllString(page, " ")
	var b strings.Builder
	for _, m := range attrRE.FindAllStringSubmatch(page, -1) {
		b.WriteString(m[1])
		b.WriteString(" · ")
	}
	b.WriteString(tagRE.ReplaceAllString(page, " "))
	text := html.UnescapeString(b.String())
	text = addressRE.ReplaceAllString(text, " ")
	text = dataRE.ReplaceAllString(text, " ")
	return strings.Join(strings.Fields(text), " ")
}

// The German pages pass axe-core in the light and the dark scheme; at
// phone width the users list and the accept page, whose German words are
// long, do not scroll sideways.
func TestAccessibilityGerman(t *testing.T) {
	t.Parallel()
	axe := newAxeChecker(t)
	s := newCheckSiteIn(t, "de")
	s.seed(t)
	b := newBrowser(t, s.e)
	defer axe.report()

	// A guest whose browser asks for English switches to German at the
	// foot of the page; the invitation's own pages are German already.
	guest := b.person()
	guest.open("/login")
	guest.chooseLanguage("#language-switch", ".language-switch button", "de")
	for _, pg := range []checkPage{
		{"sign-in", "/login"},
		{"accept, valid link", s.validLink},
		{"accept, already accepted", s.acceptedLink},
		{"accept, expired link", s.expiredLink},
		{"accept, invalid link", s.cancelledLink},
		{"404, signed out", "/no-such-page"},
	} {
		guest.open(pg.path)
		axe.check(guest, pg.name+", German")
	}
	guest.do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	guest.open(s.validLink)
	guest.overflow("the German accept page at 375 px")
	axe.check(guest, "accept at 375 px, German")

	// The administrator signs in (their browser asks for English) and
	// chooses German on their profile.
	admin := b.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.open("/profile")
	admin.chooseLanguage("#language", ".profile-language button", "de")
	for _, pg := range append(append([]checkPage{
		{"users, every status", "/settings/users"},
		{"users, nothing found", "/settings/users?q=nobody-here"},
		{"invite", "/settings/users/invite"},
	}, s.adminPages(t)...), checkPage{"404, signed in", "/settings/nothing-here"}) {
		admin.open(pg.path)
		if lang := eval[string](admin, `document.documentElement.lang`); lang != "de" {
			t.Fatalf("%s: lang %q, want de", pg.path, lang)
		}
		axe.check(admin, pg.name+", German")
	}
	// The picker's script speaks German too: its count, with German plurals.
	admin.open("/settings/users/invite")
	admin.do("focus Add a role", chromedp.Focus(chromedp.CSS("#role-search")))
	admin.search("room", "1 Bereich passt.")
	admin.open("/settings/users/invite")
	admin.do("focus Add a role", chromedp.Focus(chromedp.CSS("#role-search")))
	admin.search("sales", "3 Bereiche passen.")
	axe.check(admin, "invite, space search open, German")
	admin.do("phone viewport", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	for _, path := range []string{"/settings/users", "/settings/users/invite", spacePath(s.sales, ""), "/settings/spaces", "/profile"} {
		admin.open(path)
		admin.overflow("German " + path + " at 375 px")
	}
	admin.open("/settings/users")
	axe.check(admin, "users at 375 px, German")
}
