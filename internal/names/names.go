// Package names holds the one rule for what a name may be: a person's, the
// account's or a space's, whichever page, form or command it comes from.
//
// Names are shown in pages, in emails and in their subjects, next to words
// the reader trusts ("Ana Admin invited you to Acme Clinics"), so a name
// must read as what it is. It may not hold a line break, a control
// character, or an invisible format character: no bidirectional override
// or isolate, which shows the text around it in another order (after
// U+202E, "moc.elpmaxe@ana" reads "ana@example.com"), and no zero-width
// space, byte order mark, soft hyphen or other character that renderers
// are told not to show.
//
// The zero-width joiner and non-joiner (U+200D, U+200C) are the exception,
// between two visible characters: Persian and Kurdish write some names
// with a non-joiner between letters (نیک‌نام, Niknam), Sinhala and other
// Indic scripts need the joiner for some conjuncts (ශ්‍රී, Sri, which
// starts many Sinhala names), and emoji such as 👩‍💻 are joined by it.
// There they reorder nothing and hide nothing a reader would miss. At
// either end of a name, next to a space or next to each other they do
// nothing but make two names that look the same differ, so there they are
// refused too.
package names

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/usherhq/usher/internal/errs"
)

// Rule is what one kind of name may be, and how its errors are worded:
// each refusal is a whole sentence of the catalogue (internal/i18n), so
// that every language can say "the space name" its own way.
type Rule struct {
	Max int // characters at most
	// The messages' ids: not valid UTF-8, required but empty, longer than
	// Max ({{.Max}}), and holding a character refused ({{.Char}}, U+XXXX).
	Invalid, Empty, TooLong, LineBreak, Control, Bidi, Joiner, Invisible string
}

var (
	// Person is the rule for people's names.
	Person = Rule{Max: 200,
		Invalid: "err.names.person.invalid", Empty: "err.names.person.empty", TooLong: "err.names.person.too_long",
		LineBreak: "err.names.person.line_break", Control: "err.names.person.control", Bidi: "err.names.person.bidi",
		Joiner: "err.names.person.joiner", Invisible: "err.names.person.invisible"}
	// Account is the rule for the account's (the organisation's) name.
	Account = Rule{Max: 200,
		Invalid: "err.names.account.invalid", Empty: "err.names.account.empty", TooLong: "err.names.account.too_long",
		LineBreak: "err.names.account.line_break", Control: "err.names.account.control", Bidi: "err.names.account.bidi",
		Joiner: "err.names.account.joiner", Invisible: "err.names.account.invisible"}
	// Space is the rule for the names of units, waiting areas and rooms.
	Space = Rule{Max: 100,
		Invalid: "err.names.space.invalid", Empty: "err.names.space.empty", TooLong: "err.names.space.too_long",
		LineBreak: "err.names.space.line_break", Control: "err.names.space.control", Bidi: "err.names.space.bidi",
		Joiner: "err.names.space.joiner", Invisible: "err.names.space.invisible"}
)

// Clean is the one way a name enters Usher. It folds every run of spaces
// (of any width, tabs included) into one plain space and trims the ends,
// then refuses, as an error on field, an empty name when required, one too
// long, and one holding anything the package comment rules out.
func (r Rule) Clean(field, s string, required bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", errs.FieldT(field, r.Invalid)
	}
	s = strings.Join(strings.FieldsFunc(s, foldable), " ")
	switch {
	case s == "" && required:
		return "", errs.FieldT(field, r.Empty)
	case utf8.RuneCountInString(s) > r.Max:
		return "", errs.FieldT(field, r.TooLong, "Max", r.Max)
	}
	if id, c := r.refused(s); id != "" {
		return "", errs.FieldT(field, id, "Char", fmt.Sprintf("%U", c))
	}
	return s, nil
}

// foldable is a space a person may have typed between words: it shows as
// one, and is stored as a plain one.
func foldable(c rune) bool { return c == '\t' || unicode.Is(unicode.Zs, c) }

// refused is the message saying why s may not hold its first character
// refused, and that character ("" when none is).
func (r Rule) refused(s string) (id string, c rune) {
	runes := []rune(s)
	for i, c := range runes {
		switch {
		case lineBreak(c):
			return r.LineBreak, c
		case unicode.IsControl(c):
			return r.Control, c
		case bidi(c):
			return r.Bidi, c
		case c == '\u200c' || c == '\u200d':
			if i == 0 || i == len(runes)-1 || !visible(runes[i-1]) || !visible(runes[i+1]) {
				return r.Joiner, c
			}
		case unicode.In(c, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point):
			return r.Invisible, c
		}
	}
	return "", 0
}

// lineBreak is every character that ends a line (the Unicode line and
// paragraph separators too); tabs and spaces were folded before.
func lineBreak(c rune) bool {
	switch c {
	case '\n', '\v', '\f', '\r', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// bidi is every character that sets the direction of text: the marks
// (ALM, LRM, RLM), embeddings and overrides (U+202A–U+202E) and isolates
// (U+2066–U+2069).
func bidi(c rune) bool {
	return c == '\u061c' || c == '\u200e' || c == '\u200f' || ('\u202a' <= c && c <= '\u202e') || ('\u2066' <= c && c <= '\u2069')
}

// visible is a letter, mark, digit, punctuation or symbol.
func visible(c rune) bool { return unicode.IsGraphic(c) && !unicode.IsSpace(c) }
