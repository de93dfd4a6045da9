package names_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/names"
)

// What a name may hold: spaces of any width fold into one; line breaks,
// controls, direction controls and invisible characters are refused with a
// sentence naming the character; the joiners stay only where scripts and
// emoji need them, between two visible characters.
//
// ASVS 5.0: V2.2.1, V1.3.11 (no header tricks through a name)
func TestClean(t *testing.T) {
	tests := []struct {
		in, want string
		msg      string // the refusal's sentence, "" when accepted
	}{
		{"  Ana   María  López ", "Ana María López", ""},
		{"Ana\tMaría\u00a0López", "Ana María López", ""},
		{"山田\u3000太郎", "山田 太郎", ""},          // the ideographic space of Japanese input
		{"نیک\u200cنام", "نیک\u200cنام", ""}, // Persian: the non-joiner between letters
		{"ශ්\u200dරී", "ශ්\u200dරී", ""},     // Sinhala Sri: the joiner after the virama
		{"Dev 👩\u200d💻", "Dev 👩\u200d💻", ""}, // an emoji sequence
		{"Zoë ❤\ufe0f", "Zoë ❤\ufe0f", ""},   // a variation selector is a mark, not a format character
		{"Ana\u202eeva", "", "The name contains an invisible character that changes the order of the text around it (U+202E). Type it again."},
		{"Ana\u2067eva\u2069", "", "The name contains an invisible character that changes the order of the text around it (U+2067). Type it again."},
		{"Ana\u200f", "", "The name contains an invisible character that changes the order of the text around it (U+200F). Type it again."},
		{"An\u200ba", "", "The name contains an invisible character (U+200B). Type it again."},
		{"\ufeffAna", "", "The name contains an invisible character (U+FEFF). Type it again."},
		{"Ana\u00adMaría", "", "The name contains an invisible character (U+00AD). Type it again."},
		{"Ana\u2060", "", "The name contains an invisible character (U+2060). Type it again."},
		{"Ana\U000e0041", "", "The name contains an invisible character (U+E0041). Type it again."},
		{"\u3164", "", "The name contains an invisible character (U+3164). Type it again."}, // the Hangul filler, a blank letter
		{"Ana\u200d", "", "The name contains an invisible character (U+200D) that joins nothing. Type it again."},
		{"\u200cAna", "", "The name contains an invisible character (U+200C) that joins nothing. Type it again."},
		{"Ana \u200dEva", "", "The name contains an invisible character (U+200D) that joins nothing. Type it again."},
		{"An\u200d\u200da", "", "The name contains an invisible character (U+200D) that joins nothing. Type it again."},
		{"Ana\u2028Eva", "", "The name contains a line break. Type it again."},
		{"Ana\u2029", "", "The name contains a line break. Type it again."},
		{"Ana\nBcc: eve@example.com", "", "The name contains a line break. Type it again."},
		{"Ana\u0085", "", "The name contains a line break. Type it again."},
		{"Ana\u0007", "", "The name contains a control character (U+0007). Type it again."},
		{"Ana\x00", "", "The name contains a control character (U+0000). Type it again."},
		{"Ana\xff", "", "The name is not valid text. Type it again."},
		{"  ", "", "Enter a name."},
		{strings.Repeat("é", 200), strings.Repeat("é", 200), ""},
		{strings.Repeat("é", 201), "", "A name has at most 200 characters."},
	}
	for _, tc := range tests {
		got, err := names.Person.Clean("name", tc.in, true)
		switch {
		case tc.msg == "" && (err != nil || got != tc.want):
			t.Errorf("Clean(%+q) = %+q, %v; want %+q", tc.in, got, err, tc.want)
		case tc.msg != "" && (err == nil || errs.MessageOf(err) != tc.msg):
			t.Errorf("Clean(%+q) = %+q, %v; want the error %q", tc.in, got, err, tc.msg)
		}
	}
}

// Each rule words its own sentences and limit; an optional name may be
// empty.
func TestCleanRules(t *testing.T) {
	tests := []struct {
		rule     names.Rule
		in       string
		required bool
		msg      string
	}{
		{names.Account, "", true, "Enter the name of your organisation."},
		{names.Account, "Acme\u2028Clinics", true, "The account name contains a line break. Type it again."},
		{names.Account, strings.Repeat("a", 201), true, "An account name has at most 200 characters."},
		{names.Space, " ", true, "Enter a name for the space."},
		{names.Space, "Room\u202e1", true, "The space name contains an invisible character that changes the order of the text around it (U+202E). Type it again."},
		{names.Space, strings.Repeat("a", 101), true, "A space name has at most 100 characters."},
		{names.Person, " ", false, ""},
		{names.Account, "", false, ""},
	}
	for _, tc := range tests {
		_, err := tc.rule.Clean("f", tc.in, tc.required)
		if got := ""; err != nil {
			got = errs.MessageOf(err)
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid || e.Field != "f" {
				t.Errorf("%s %+q: %v, want an Invalid error on the field", tc.rule.Empty, tc.in, err)
			}
			if got != tc.msg {
				t.Errorf("%s %+q: %q, want %q", tc.rule.Empty, tc.in, got, tc.msg)
			}
		} else if tc.msg != "" {
			t.Errorf("%s %+q accepted, want %q", tc.rule.Empty, tc.in, tc.msg)
		}
	}
}

// Whatever is typed as a name, Clean gives an error on the field, or a
// name of valid UTF-8 within the limit, trimmed, with single plain spaces,
// no line break, control, direction control or invisible character, a
// joiner only between two visible characters, that cleans to itself.
//
// ASVS 5.0: V2.2.1, V1.3.11
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"Ana María", "  Ana\t\u00a0 López ", "Ana\u202eeva", "An\u200ba", "\ufeffAna", "Ana\u2028Eva", "Ana\r\nBcc: x",
		"نیک\u200cنام", "ශ්\u200dරී", "👩\u200d💻", "\u200d", "a\u200d\u200cb", "Ana\xff", "\u3164", "Ana\U000e0041",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, space bool) {
		rule := names.Person
		if space {
			rule = names.Space
		}
		out, err := rule.Clean("name", in, true)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid || e.Field != "name" || e.Message == "" {
				t.Fatalf("Clean(%+q): %v; want an Invalid error on the name field", in, err)
			}
			return
		}
		runes := []rune(out)
		switch {
		case !utf8.ValidString(out) || out == "" || len(runes) > rule.Max:
			t.Fatalf("Clean(%+q) = %+q: empty, too long or not UTF-8", in, out)
		case strings.TrimSpace(out) != out || strings.Contains(out, "  "):
			t.Fatalf("Clean(%+q) = %+q: spaces not folded", in, out)
		}
		for i, c := range runes {
			joiner := c == '\u200c' || c == '\u200d'
			switch {
			case unicode.IsSpace(c) && c != ' ':
				t.Fatalf("Clean(%+q) = %+q: holds %U, a space other than the plain one", in, out, c)
			case joiner && (i == 0 || i == len(runes)-1 || !unicode.IsGraphic(runes[i-1]) || !unicode.IsGraphic(runes[i+1]) || runes[i-1] == ' ' || runes[i+1] == ' '):
				t.Fatalf("Clean(%+q) = %+q: holds %U joining nothing", in, out, c)
			case !joiner && c != ' ' && !unicode.IsGraphic(c) && !unicode.In(c, unicode.Co, unicode.Cn):
				t.Fatalf("Clean(%+q) = %+q: holds %U, which is not shown", in, out, c)
			case unicode.In(c, unicode.Other_Default_Ignorable_Code_Point, unicode.Bidi_Control):
				t.Fatalf("Clean(%+q) = %+q: holds %U, ignorable or a direction control", in, out, c)
			}
		}
		if again, err := rule.Clean("name", out, true); err != nil || again != out {
			t.Fatalf("Clean(%+q) = %+q, but Clean(%+q) = %+q, %v", in, out, out, again, err)
		}
	})
}
