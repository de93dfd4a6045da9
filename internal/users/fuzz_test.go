package users_test

import (
	"errors"
	netmail "net/mail"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/users"
)

// Whatever is typed into an email field, what ParseEmail accepts is one
// bare address, lower-case, at most 254 bytes, with no line break, control
// or invisible character: nothing that could add a header or a second
// recipient to an email, or show one address while being another.
//
// ASVS 5.0: V2.2.1 (input validated: format and length), V1.3.11
// (no SMTP injection through an address).
func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{
		"ana@example.com", "  Ana@Example.COM ", "ana.b+tag@sub.example.co.uk",
		"Ana <ana@example.com>", "ana@example.com, bob@example.com", "ana@example.com\r\nBcc: eve@example.com",
		`"ana bob"@example.com`, "ana@example.com (Ana)", "ana\u2028@example.com", "ana\u202e@example.com",
		"zoë@example.com", strings.Repeat("\u023a", 120) + "@example.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := users.ParseEmail("email", in)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid || e.Field != "email" || e.Message == "" {
				t.Fatalf("ParseEmail(%q): %v; want an Invalid error on the email field", in, err)
			}
			return
		}
		switch {
		case !utf8.ValidString(out):
			t.Fatalf("ParseEmail(%q) = %q: not UTF-8", in, out)
		case len(out) > users.MaxEmailLen:
			t.Fatalf("ParseEmail(%q) = %q: %d bytes", in, out, len(out))
		case out != strings.ToLower(out):
			t.Fatalf("ParseEmail(%q) = %q: not lower-case", in, out)
		case strings.Count(out, "@") != 1:
			t.Fatalf("ParseEmail(%q) = %q: not one address", in, out)
		case strings.ContainsFunc(out, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.IsSpace(r) }):
			t.Fatalf("ParseEmail(%q) = %q: holds a space, line break, control or invisible character", in, out)
		case strings.ContainsAny(out, ",;<>\"()[]\\"):
			t.Fatalf("ParseEmail(%q) = %q: holds address-list syntax", in, out)
		}
		list, err := netmail.ParseAddressList(out)
		if err != nil || len(list) != 1 || list[0].Name != "" || list[0].Address != out {
			t.Fatalf("ParseEmail(%q) = %q, which net/mail reads as %v (err %v)", in, out, list, err)
		}
		if again, err := users.ParseEmail("email", out); err != nil || again != out {
			t.Fatalf("ParseEmail(%q) = %q, but ParseEmail(%q) = %q, %v", in, out, out, again, err)
		}
	})
}

// Whatever is typed into the Invite user form's addresses, ParseEmails
// gives either an error on that field or one to MaxInvitees addresses,
// each as ParseEmail gives it, none twice.
//
// ASVS 5.0: V2.2.1, V1.3.11.
func FuzzParseEmails(f *testing.F) {
	for _, s := range []string{
		"ana@example.com", "ana@example.com, Bob@example.com;ana@example.com\nzoë@example.com",
		"ana@example.com,,", " , ;", "ana@example.com\r\nBcc: eve@example.com", "ana@example.com, bob@", "ana@example.com\u2028bob@example.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := users.ParseEmails("email", in)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid || e.Field != "email" || e.Message == "" {
				t.Fatalf("ParseEmails(%q): %v; want an Invalid error on the email field", in, err)
			}
			return
		}
		if len(out) == 0 || len(out) > users.MaxInvitees {
			t.Fatalf("ParseEmails(%q) = %d addresses", in, len(out))
		}
		seen := map[string]bool{}
		for _, a := range out {
			if again, err := users.ParseEmail("email", a); err != nil || again != a {
				t.Fatalf("ParseEmails(%q) gave %q, which ParseEmail reads as %q, %v", in, a, again, err)
			}
			if seen[a] {
				t.Fatalf("ParseEmails(%q) gave %q twice", in, a)
			}
			seen[a] = true
		}
	})
}
