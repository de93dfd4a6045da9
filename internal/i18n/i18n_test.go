package i18n_test

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/usherhq/usher/internal/i18n"
)

var (
	en = i18n.Default().Locale("en")
	de = i18n.Default().Locale("de")
)

func TestPluralsInBothLanguages(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		l    *i18n.Locale
		got  string
		want string
	}{
		{en, en.In(now, now.Add(24*time.Hour+time.Hour)), "tomorrow"},
		{en, en.In(now, now.Add(3*24*time.Hour)), "in 3 days"},
		{en, en.Ago(now, now.Add(-3*24*time.Hour)), "3 days ago"},
		{en, en.Span(24 * time.Hour), "1 day"},
		{en, en.Span(3 * 24 * time.Hour), "3 days"},
		{en, en.Span(36*time.Hour + 30*time.Minute), "1 day, 12 hours and 30 minutes"},
		{en, en.Ago(now, now.Add(-time.Minute)), "1 minute ago"},
		{en, en.Ago(now, now.Add(-5*time.Minute)), "5 minutes ago"},
		{de, de.N("time.in_days", 1), "in 1 Tag"},
		{de, de.In(now, now.Add(3*24*time.Hour)), "in 3 Tagen"},
		{de, de.Ago(now, now.Add(-3*24*time.Hour)), "vor 3 Tagen"},
		{de, de.Ago(now, now.Add(-5*time.Minute)), "vor 5 Minuten"},
		{de, de.Ago(now, now.Add(-time.Hour)), "vor 1 Stunde"},
		{de, de.Span(24 * time.Hour), "1 Tag"},
		{de, de.Span(3 * 24 * time.Hour), "3 Tage"},
		{de, de.Span(25 * time.Hour), "1 Tag und 1 Stunde"},
		{de, de.Ago(now, now.Add(-30*time.Second)), "gerade eben"},
		{en, en.List([]string{"a", "b", "c"}), "a, b and c"},
		{de, de.List([]string{"a", "b", "c"}), "a, b und c"},
		{de, de.List([]string{"a", "b", "c", "d", "e", "f"}), "a, b, c und 3 weitere"},
		{en, en.List([]string{"a", "b", "c", "d", "e", "f"}), "a, b, c and 3 others"},
		// T takes the plural form its Count calls for, as N does.
		{en, en.T("twofactor.remaining", "Count", 1), "You have 1 unused recovery code."},
		{en, en.T("twofactor.remaining", "Count", 3), "You have 3 unused recovery codes."},
		{de, de.T("time.in_days", "Count", 1), "in 1 Tag"},
		{en, en.T("time.in_days", "Count", "{n}"), "in {n} days"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.l.Code, c.got, c.want)
		}
	}
}

func TestDatesAndNumbersInBothLanguages(t *testing.T) {
	t.Parallel()
	d := time.Date(2026, 12, 5, 14, 5, 0, 0, time.UTC)
	for _, c := range []struct{ got, want string }{
		{en.Date(d), "5 December 2026"},
		{de.Date(d), "5. Dezember 2026"},
		{en.Exact(d), "Sat 5 Dec 2026, 14:05 UTC"},
		{de.Exact(d), "Sa., 5. Dez. 2026, 14:05 UTC"},
		{en.Full(d), "Saturday 5 December 2026 at 14:05 UTC"},
		{de.Full(d), "Samstag, 5. Dezember 2026 um 14:05 Uhr UTC"},
		{en.Ago(d.Add(90*24*time.Hour), d), "on 5 Dec 2026"},
		{de.Ago(d.Add(90*24*time.Hour), d), "am 5. Dez. 2026"},
		{en.Number(20000), "20,000"},
		{de.Number(20000), "20.000"},
		{en.Number(1234567), "1,234,567"},
		{de.Number(999), "999"},
		{de.N("time.days", 20000), "20.000 Tage"},
		// In a time zone other than UTC the day is still UTC's.
		{de.Date(time.Date(2026, 12, 6, 0, 30, 0, 0, time.FixedZone("CET", 3600))), "5. Dezember 2026"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestLanguageIsChosenFromAcceptLanguage(t *testing.T) {
	t.Parallel()
	c := i18n.Default()
	for _, x := range []struct {
		header string
		want   string
		ok     bool
	}{
		{"de-DE,de;q=0.9,en;q=0.8", "de", true},
		{"de-AT", "de", true},
		{"fr-FR,de;q=0.5", "de", true},
		{"en-GB,de;q=0.5", "en", true},
		{"fr-FR", "en", false},
		{"", "en", false},
		{"not a header;;;", "en", false},
	} {
		// Asked again, the remembered answer is the same.
		for range 2 {
			l, ok := c.Match(x.header)
			if l.Code != x.want || ok != x.ok {
				t.Errorf("Match(%q) = %s, %v; want %s, %v", x.header, l.Code, ok, x.want, x.ok)
			}
		}
	}
	// Past the headers kept, each is still read and answered right.
	for i := range 3000 {
		header, want := fmt.Sprintf("fr-CH;q=0.%d, de;q=0.1", i%9+1), "de"
		if i%2 == 1 {
			header, want = fmt.Sprintf("x-%d, en;q=0.5", i), "en"
		}
		if l, ok := c.Match(header); l.Code != want || !ok {
			t.Fatalf("Match(%q) = %s, %v; want %s", header, l.Code, ok, want)
		}
	}
	if got := c.Locale("xx").Code; got != "en" {
		t.Errorf("an unknown code gives %s, want the source language", got)
	}
	if got := i18n.From(context.Background()).Code; got != "en" {
		t.Errorf("a context without a language speaks %s", got)
	}
	if got := i18n.T(i18n.With(context.Background(), de), "time.yesterday"); got != "gestern" {
		t.Errorf("a German context says %q", got)
	}
}

func TestEveryLanguageHasEveryMessage(t *testing.T) {
	t.Parallel()
	c := i18n.Default()
	if len(c.Locales()) < 2 {
		t.Fatalf("languages: %d", len(c.Locales()))
	}
	for _, l := range c.Locales() {
		if missing := l.Missing(c); len(missing) > 0 {
			t.Errorf("%s.toml has no text for %d messages: %s", l.Code, len(missing), strings.Join(missing, ", "))
		}
		if l.Code != i18n.Source && l.Name == c.Locale(i18n.Source).Name {
			t.Errorf("%s.toml does not name its language in it (%s)", l.Code, i18n.NameKey)
		}
	}
}

// A third language is one more file: it is offered, chosen from the
// browser's header and speaks its own texts, the source's where it has none.
func TestAThirdLanguageIsOneFile(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{}
	for _, l := range i18n.Default().Locales() {
		buf, err := fs.ReadFile(i18n.Files(), l.Code+".toml")
		if err != nil {
			t.Fatal(err)
		}
		fsys[l.Code+".toml"] = &fstest.MapFile{Data: buf}
	}
	fsys["fr.toml"] = &fstest.MapFile{Data: []byte(`"language.name" = "Français"
"time.yesterday" = "hier"
["time.days_ago"]
one = "il y a 1 jour"
other = "il y a {{.Count}} jours"
`)}
	c, err := i18n.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range c.Locales() {
		names = append(names, l.Name)
	}
	if got := strings.Join(names, ","); got != "English,Deutsch,Français" {
		t.Errorf("languages offered: %s", got)
	}
	fr, ok := c.Match("fr-CA,en;q=0.5")
	if !ok || fr.Code != "fr" {
		t.Fatalf("Accept-Language fr-CA gives %s", fr.Code)
	}
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	if got := fr.Ago(now, now.Add(-2*24*time.Hour)); got != "il y a 2 jours" {
		t.Errorf("French plural: %q", got)
	}
	if got := fr.T("time.tomorrow"); got != "tomorrow" {
		t.Errorf("a message French lacks: %q, want the English", got)
	}
	if n := len(fr.Missing(c)); n == 0 {
		t.Error("the small catalogue is reported complete")
	}
}

func TestACatalogueThatCannotBeReadIsRefused(t *testing.T) {
	t.Parallel()
	for name, files := range map[string]fstest.MapFS{
		"no source":       {"de.toml": {Data: []byte(`"a" = "b"`)}},
		"logic in a text": {"en.toml": {Data: []byte(`"a" = "{{if .X}}b{{end}}"`)}},
		"unclosed":        {"en.toml": {Data: []byte(`"a" = "{{.X"`)}},
		"unknown id":      {"en.toml": {Data: []byte(`"a" = "b"`)}, "de.toml": {Data: []byte(`"z" = "b"`)}},
		"bad toml":        {"en.toml": {Data: []byte(`"a" = `)}},
		"not a language":  {"en.toml": {Data: []byte(`"a" = "b"`)}, "zz-!!.toml": {Data: []byte(`"a" = "b"`)}},
	} {
		if _, err := i18n.Load(files); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

func TestSpan(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		168 * time.Hour:              "7 days",
		24 * time.Hour:               "1 day",
		36 * time.Hour:               "1 day and 12 hours",
		time.Hour:                    "1 hour",
		90 * time.Minute:             "1 hour and 30 minutes",
		49*time.Hour + 5*time.Minute: "2 days, 1 hour and 5 minutes",
		time.Minute + 29*time.Second: "1 minute",
		20 * time.Second:             "less than a minute",
	} {
		if got := en.Span(d); got != want {
			t.Errorf("Span(%s) = %q, want %q", d, got, want)
		}
	}
	if got := de.Span(49*time.Hour + 5*time.Minute); got != "2 Tage, 1 Stunde und 5 Minuten" {
		t.Errorf("German span: %q", got)
	}
}

// What a page pays per message: a fixed text, one with a placeholder, a
// plural, a relative time with its tooltip.
func BenchmarkMessages(b *testing.B) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, l := range []*i18n.Locale{en, de} {
		b.Run(l.Code+"/fixed", func(b *testing.B) {
			for b.Loop() {
				_ = l.T("time.yesterday")
			}
		})
		b.Run(l.Code+"/placeholder", func(b *testing.B) {
			for b.Loop() {
				_ = l.T("time.on_date", "Date", "5 Dec 2026")
			}
		})
		b.Run(l.Code+"/plural", func(b *testing.B) {
			for b.Loop() {
				_ = l.N("time.days_ago", 3)
			}
		})
		b.Run(l.Code+"/ago+exact", func(b *testing.B) {
			for b.Loop() {
				_ = l.Ago(now, now.Add(-50*time.Hour))
				_ = l.Exact(now)
			}
		})
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	many := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprint(i+1))
		}
		return out
	}
	tests := map[int]string{
		0:  "",
		1:  "1",
		2:  "1 and 2",
		3:  "1, 2 and 3",
		4:  "1, 2, 3 and 4",
		5:  "1, 2, 3 and 2 others",
		50: "1, 2, 3 and 47 others",
	}
	for n, want := range tests {
		if got := en.List(many(n)); got != want {
			t.Errorf("List of %d = %q, want %q", n, got, want)
		}
	}
}

func TestNumber(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 20000: "20,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := en.Number(n); got != want {
			t.Errorf("Number(%d) = %q, want %q", n, got, want)
		}
	}
}
