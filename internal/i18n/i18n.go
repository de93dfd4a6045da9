// Package i18n gives every text a person reads in their language: the
// message catalogues (one TOML file per language in locales/), the choice
// of a language from what a person asked for, plural forms, numbers,
// dates and relative times.
//
// Catalogues are read with go-i18n (github.com/nicksnyder/go-i18n/v2),
// whose TOML files carry CLDR's plural categories (one, few, many, other)
// per message; languages are matched and numbers and plural forms chosen
// with golang.org/x/text. A message's text may hold placeholders,
// {{.Name}}, filled from name/value pairs:
//
//	loc.T("invite.sent", "Email", addr)
//
// Adding a language is adding one file, locales/<code>.toml: every
// language found there is offered (README, Languages).
package i18n

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed locales/*.toml
var embedded embed.FS

// Source is the language every other catalogue is checked against, and
// the one used where another has no text.
const Source = "en"

// NameKey is the message holding a language's name in that language
// ("Deutsch"), as the language switch offers it.
const NameKey = "language.name"

// Catalogue is every language Usher speaks.
type Catalogue struct {
	locales map[string]*Locale
	order   []*Locale // the source first, then by code
	matcher language.Matcher
	matched matches // Match's answers by header
}

// matches remembers what Match answered for the Accept-Language headers
// it has seen: a browser sends the same one with every request, and
// reading it costs more than the rest of a kept page. The answer depends
// only on the header and the catalogue, which never changes once loaded.
// At most matchesKept headers are kept; others are read every time.
type matches struct {
	m sync.Map // string → matched
	n atomic.Int32
}

type matched struct {
	l  *Locale
	ok bool
}

const matchesKept = 1024

// Locale is one language: its messages and how it writes numbers.
type Locale struct {
	Code    string // "de"
	Name    string // "Deutsch"
	tag     language.Tag
	msgs    map[string]*compiled // with the source's where this one has none
	own     map[string]bool      // ids this catalogue has itself
	printer *message.Printer
	// The names of months and weekdays, long and short, looked up once:
	// a page of the users list writes some hundred dates.
	months, shortMonths     [12]string
	weekdays, shortWeekdays [7]string
	group                   string // between groups of digits (groupOf); "": the printer writes numbers
}

// compiled is a message cut into its literal text and placeholders, once
// per plural form, so that giving it is a few appends.
type compiled struct {
	forms [plural.Many + 1][]piece // by plural.Form; nil where the message has no such form
}

type piece struct {
	text string
	arg  string // the placeholder's name; "" for literal text
}

var defaultCatalogue = func() *Catalogue {
	c, err := Load(Files())
	if err != nil {
		panic(err)
	}
	return c
}()

// Default is the catalogue built into the binary.
func Default() *Catalogue { return defaultCatalogue }

// Load reads every <code>.toml at the top of fsys. The source language's
// file must be there; every other language falls back to it message by
// message.
func Load(fsys fs.FS) (*Catalogue, error) {
	names, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		return nil, err
	}
	bundle := goi18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files := map[string]*goi18n.MessageFile{}
	for _, name := range names {
		buf, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		mf, err := bundle.ParseMessageFileBytes(buf, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		files[strings.TrimSuffix(path.Base(name), ".toml")] = mf
	}
	src, ok := files[Source]
	if !ok {
		return nil, fmt.Errorf("i18n: no %s.toml, the source catalogue", Source)
	}
	source, err := compileAll(src)
	if err != nil {
		return nil, fmt.Errorf("i18n: %s.toml: %w", Source, err)
	}
	c := &Catalogue{locales: map[string]*Locale{}}
	codes := slices.Sorted(func(yield func(string) bool) {
		for code := range files {
			if code != Source && !yield(code) {
				return
			}
		}
	})
	codes = append([]string{Source}, codes...)
	var tags []language.Tag
	for _, code := range codes {
		tag, err := language.Parse(code)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s.toml: %q is not a language code: %w", code, code, err)
		}
		own, err := compileAll(files[code])
		if err != nil {
			return nil, fmt.Errorf("i18n: %s.toml: %w", code, err)
		}
		l := &Locale{Code: code, tag: tag, msgs: map[string]*compiled{}, own: map[string]bool{}, printer: message.NewPrinter(tag)}
		for id, m := range source {
			l.msgs[id] = m
		}
		for id, m := range own {
			if _, known := source[id]; !known {
				return nil, fmt.Errorf("i18n: %s.toml: %q is not in %s.toml", code, id, Source)
			}
			l.msgs[id] = m
			l.own[id] = true
		}
		l.Name = l.T(NameKey)
		for i := range monthIDs {
			l.months[i], l.shortMonths[i] = l.T(monthIDs[i]), l.T(shortMonthIDs[i])
		}
		for i := range weekdayIDs {
			l.weekdays[i], l.shortWeekdays[i] = l.T(weekdayIDs[i]), l.T(shortWeekdayIDs[i])
		}
		l.group = groupOf(l)
		c.locales[code] = l
		c.order = append(c.order, l)
		tags = append(tags, tag)
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

func compileAll(mf *goi18n.MessageFile) (map[string]*compiled, error) {
	out := map[string]*compiled{}
	for _, m := range mf.Messages {
		cm := &compiled{}
		for form, src := range map[plural.Form]string{
			plural.Zero: m.Zero, plural.One: m.One, plural.Two: m.Two,
			plural.Few: m.Few, plural.Many: m.Many, plural.Other: m.Other,
		} {
			if src == "" {
				continue
			}
			ps, err := compile(src)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", m.ID, err)
			}
			cm.forms[form] = ps
		}
		if cm.forms[plural.Other] == nil {
			return nil, fmt.Errorf("%q has no text (other)", m.ID)
		}
		out[m.ID] = cm
	}
	return out, nil
}

// compile cuts "Hello {{.Name}}," into its pieces. A catalogue's texts hold
// nothing but placeholders: no logic, which belongs in the code that picks
// the message.
func compile(src string) ([]piece, error) {
	var ps []piece
	for src != "" {
		i := strings.Index(src, "{{")
		if i < 0 {
			ps = append(ps, piece{text: src})
			break
		}
		if i > 0 {
			ps = append(ps, piece{text: src[:i]})
		}
		j := strings.Index(src[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("unclosed {{ in %q", src)
		}
		name := strings.TrimSpace(src[i+2 : i+j])
		if !strings.HasPrefix(name, ".") || strings.ContainsAny(name[1:], " .|()") || len(name) < 2 {
			return nil, fmt.Errorf("{{%s}}: a placeholder is {{.Name}} and nothing else", name)
		}
		ps = append(ps, piece{arg: name[1:]})
		src = src[i+j+2:]
	}
	return ps, nil
}

// Locales are the languages offered, the source first.
func (c *Catalogue) Locales() []*Locale { return c.order }

// Has reports whether code is a language offered.
func (c *Catalogue) Has(code string) bool { _, ok := c.locales[code]; return ok }

// Locale is the language with code, or the source language when code is
// not one offered.
func (c *Catalogue) Locale(code string) *Locale {
	if l, ok := c.locales[code]; ok {
		return l
	}
	return c.locales[Source]
}

// Match is the offered language an Accept-Language header asks for first;
// ok is false when it asks for none of them.
func (c *Catalogue) Match(acceptLanguage string) (l *Locale, ok bool) {
	if m, kept := c.matched.m.Load(acceptLanguage); kept {
		return m.(matched).l, m.(matched).ok
	}
	l, ok = c.match(acceptLanguage)
	if c.matched.n.Load() < matchesKept {
		if _, had := c.matched.m.LoadOrStore(acceptLanguage, matched{l, ok}); !had {
			c.matched.n.Add(1)
		}
	}
	return l, ok
}

func (c *Catalogue) match(acceptLanguage string) (l *Locale, ok bool) {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return c.locales[Source], false
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return c.locales[Source], false
	}
	return c.order[i], true
}

// IDs are the ids of the source catalogue, sorted.
func (c *Catalogue) IDs() []string {
	src := c.locales[Source]
	return slices.Sorted(func(yield func(string) bool) {
		for id := range src.msgs {
			if !yield(id) {
				return
			}
		}
	})
}

// Missing are the source's ids this language has no text of its own for.
func (l *Locale) Missing(c *Catalogue) []string {
	var out []string
	for _, id := range c.IDs() {
		if !l.own[id] {
			out = append(out, id)
		}
	}
	return out
}

// Texts are every text of the language's own, each plural form with its
// placeholders left empty: what the check for untranslated sentences reads.
func (l *Locale) Texts() map[string][]string {
	out := map[string][]string{}
	for id := range l.own {
		for _, ps := range l.msgs[id].forms {
			if ps == nil {
				continue
			}
			var b strings.Builder
			for _, p := range ps {
				if p.arg == "" {
					b.WriteString(p.text)
				} else {
					b.WriteString("\x00")
				}
			}
			out[id] = append(out[id], b.String())
		}
	}
	return out
}

// Around is the package's Around, in this language.
func (l *Locale) Around(id, slot string, kv ...any) [2]string {
	const mark = "\x00"
	before, after, _ := strings.Cut(l.T(id, append([]any{slot, mark}, kv...)...), mark)
	return [2]string{before, after}
}

// Tag is the language's BCP 47 tag, for lang attributes and headers.
func (l *Locale) Tag() string { return l.tag.String() }

// T is the message id in this language, its placeholders filled from
// name/value pairs. An int is written as a number of this language
// ("20.000"). An id no catalogue has comes back as itself. A message with
// plural forms takes the form its int Count calls for, as N does (the
// "other" form without one).
func (l *Locale) T(id string, kv ...any) string {
	form := plural.Other
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "Count" {
			if n, ok := kv[i+1].(int); ok {
				form = plural.Cardinal.MatchPlural(l.tag, abs(n), 0, 0, 0, 0)
			}
			break
		}
	}
	return l.give(id, form, kv)
}

// N is the message id in the plural form n takes in this language, with n
// written as a number in {{.Count}}.
func (l *Locale) N(id string, n int, kv ...any) string {
	form := plural.Cardinal.MatchPlural(l.tag, abs(n), 0, 0, 0, 0)
	return l.give(id, form, append(kv, "Count", n))
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func (l *Locale) give(id string, form plural.Form, kv []any) string {
	return l.fill(id, form, func(arg string) string { return l.value(arg, kv) })
}

// fill is message id in form, each placeholder given by value.
func (l *Locale) fill(id string, form plural.Form, value func(arg string) string) string {
	m, ok := l.msgs[id]
	if !ok {
		return id
	}
	var ps []piece
	if int(form) < len(m.forms) {
		ps = m.forms[form]
	}
	if ps == nil {
		ps = m.forms[plural.Other]
	}
	if len(ps) == 1 && ps[0].arg == "" {
		return ps[0].text
	}
	// The parts first, then the text in one allocation: pages give
	// thousands of these.
	var kept [8]string
	parts, n := kept[:0], 0
	for _, p := range ps {
		part := p.text
		if p.arg != "" {
			part = value(p.arg)
		}
		parts = append(parts, part)
		n += len(part)
	}
	var b strings.Builder
	b.Grow(n)
	for _, part := range parts {
		b.WriteString(part)
	}
	return b.String()
}

// value is the pair named arg, as text.
func (l *Locale) value(arg string, kv []any) string {
	for i := 0; i+1 < len(kv); i += 2 {
		if name, _ := kv[i].(string); name == arg {
			switch v := kv[i+1].(type) {
			case string:
				return v
			case int:
				return l.Number(v)
			case int64:
				return l.Number(int(v))
			case fmt.Stringer:
				return v.String()
			default:
				return fmt.Sprint(v)
			}
		}
	}
	return ""
}

// PluralForms are message id's texts for each plural category it has
// ("one", "other", …), {{.Count}} written as "{n}": for a script that picks
// the category itself (Intl.PluralRules) and puts the number in.
func (l *Locale) PluralForms(id string, kv ...any) map[string]string {
	m, ok := l.msgs[id]
	if !ok {
		return map[string]string{"other": id}
	}
	kv = append([]any{"Count", "{n}"}, kv...)
	out := map[string]string{}
	for form, ps := range m.forms {
		if ps == nil {
			continue
		}
		var b strings.Builder
		for _, p := range ps {
			if p.arg == "" {
				b.WriteString(p.text)
			} else {
				b.WriteString(l.value(p.arg, kv))
			}
		}
		out[pluralNames[plural.Form(form)]] = b.String()
	}
	return out
}

var pluralNames = map[plural.Form]string{
	plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few", plural.Many: "many", plural.Other: "other",
}

// Number writes n as this language writes counts: "20,000", "20.000".
func (l *Locale) Number(n int) string {
	if n > -1000 && n < 1000 {
		return strconv.Itoa(n)
	}
	if l.group == "" {
		return l.printer.Sprintf("%d", n)
	}
	return grouped(n, l.group)
}

// grouped writes n with sep between groups of three digits.
func grouped(n int, sep string) string {
	digits := strconv.Itoa(n)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	first := len(digits) % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(digits[:first])
	for i := first; i < len(digits); i += 3 {
		b.WriteString(sep)
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// groupOf is the separator l's printer puts between groups of three
// digits, when that is how it writes numbers (as English and German do):
// then Number writes them itself, without the printer (a list page writes
// a dozen counts). "" otherwise.
func groupOf(l *Locale) string {
	s := l.printer.Sprintf("%d", 1000)
	if len(s) < 5 || s[0] != '1' || s[len(s)-3:] != "000" {
		return ""
	}
	sep := s[1 : len(s)-3]
	for _, n := range []int{1234567, -9876543210, 100000, 999999} {
		if grouped(n, sep) != l.printer.Sprintf("%d", n) {
			return ""
		}
	}
	return sep
}

type ctxKey struct{}

// With is ctx speaking l.
func With(ctx context.Context, l *Locale) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From is the language ctx speaks: the source language when none was set.
func From(ctx context.Context) *Locale {
	if l, ok := ctx.Value(ctxKey{}).(*Locale); ok && l != nil {
		return l
	}
	return defaultCatalogue.locales[Source]
}

// T is From(ctx).T: what templates call.
func T(ctx context.Context, id string, kv ...any) string { return From(ctx).T(id, kv...) }

// Around is message id cut where its placeholder slot stands, for a
// template that renders that part itself (in bold, as a link, a <time>)
// where the language puts it: [before, after].
func Around(ctx context.Context, id, slot string, kv ...any) [2]string {
	return From(ctx).Around(id, slot, kv...)
}

// N is From(ctx).N.
func N(ctx context.Context, id string, n int, kv ...any) string { return From(ctx).N(id, n, kv...) }

// Files are the catalogues built into the binary, one <code>.toml each.
func Files() fs.FS {
	sub, _ := fs.Sub(embedded, "locales")
	return sub
}
