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

// Rule is what one kind of name may be, and how its errors are worded.
type Rule struct {
	What    string // how the sentences call it: "name", "space name"
	Max     int    // characters at most
	Empty   string // the sentence for a required name left empty
	TooLong string // the sentence for one too long, with %d for Max
}

var (
	// Person is the rule for people's names.
	Person = Rule{What: "name", Max: 200, Empty: "Enter a name.", TooLong: "A name has at most %d characters."}
	// Account is the rule for the account's (the organisation's) name.
	Account = Rule{What: "account name", Max: 200, Empty: "Enter the name of your organisation.", TooLong: "An account name has at most %d characters."}
	// Space is the rule for the names of units, waiting areas and rooms.
	Space = Rule{What: "space name", Max: 100, Empty: "Enter a name for the space.", TooLong: "A space name has at most %d characters."}
)

// Clean is the one way a name enters Usher. It folds every run of spaces
// (of any width, tabs included) into one plain space and trims the ends,
// then refuses, as an error on field, an empty name when required, one too
// long, and one holding anything the package comment rules out.
func (r Rule) Clean(field, s string, required bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", errs.FieldError(field, "The %s is not valid text. Type it again.", r.What)
	}
	s = strings.Join(strings.FieldsFunc(s, foldable), " ")
	switch {
	case s == "" && required:
		return "", errs.FieldError(field, "%s", r.Empty)
	case utf8.RuneCountInString(s) > r.Max:
		return "", errs.FieldError(field, r.TooLong, r.Max)
	}
	if what := refused(s); what != "" {
		return "", errs.FieldError(field, "The %s contains %s. Type it again.", r.What, what)
	}
	return s, nil
}

// foldable is a space a person may have typed between words: it shows as
// one, and is stored as a plain one.
func foldable(c rune) bool { return c == '\t' || unicode.Is(unicode.Zs, c) }

// refused names the first character s may not hold ("" when none).
func refused(s string) string {
	runes := []rune(s)
	for i, c := range runes {
		switch {
		case lineBreak(c):
			return "a line break"
		case unicode.IsControl(c):
			return fmt.Sprintf("a control character (%U)", c)
		case bidi(c):
			return fmt.Sprintf("an invisible character that changes the order of the text around it (%U)", c)
		case c == '\u200c' || c == '\u200d':
			if i == 0 || i == len(runes)-1 || !visible(runes[i-1]) || !visible(runes[i+1]) {
				return fmt.Sprintf("an invisible character (%U) that joins nothing", c)
			}
		case unicode.In(c, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point):
			return fmt.Sprintf("an invisible character (%U)", c)
		}
	}
	return ""
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
