package users

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/usherhq/usher/internal/errs"
)

// MaxEmailLen is the longest address SMTP can carry (RFC 5321 path limit).
const MaxEmailLen = 254

// ParseEmail accepts one bare address and returns it lower-cased. It refuses
// display names, several addresses and control characters, so an address
// can never smuggle a header or a second recipient into an email.
func ParseEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", errs.FieldError(field, "Enter an email address, such as ana@example.com.")
	case len(s) > MaxEmailLen:
		return "", errs.FieldError(field, "An email address has at most %d characters.", MaxEmailLen)
	case !utf8.ValidString(s) || strings.ContainsFunc(s, invisible):
		return "", errs.FieldError(field, "The email address contains a line break or another invisible character. Type it again.")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(a.Address, "@") || strings.ContainsAny(a.Address, " ,;<>\"") {
		return "", errs.FieldError(field, "%q is not an email address. Enter one address, such as ana@example.com.", s)
	}
	addr := strings.ToLower(a.Address)
	if len(addr) > MaxEmailLen { // some letters take more bytes in lower case
		return "", errs.FieldError(field, "An email address has at most %d characters.", MaxEmailLen)
	}
	return addr, nil
}

// invisible reports what has no place in an address and may not show:
// controls, line and paragraph separators, spaces other than the plain one
// (refused below, as a visible mistake), and format characters such as
// bidirectional overrides, which would show one address while being another.
func invisible(r rune) bool {
	return r != ' ' && (!unicode.IsGraphic(r) || unicode.IsSpace(r))
}

// CleanName trims a display name and refuses control characters and
// overlong names.
func CleanName(field, s string, required bool) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	switch {
	case s == "" && required:
		return "", errs.FieldError(field, "Enter a name.")
	case len([]rune(s)) > 200:
		return "", errs.FieldError(field, "A name has at most 200 characters.")
	case strings.ContainsFunc(s, unicode.IsControl):
		return "", errs.FieldError(field, "The name contains an invisible character. Type it again.")
	}
	return s, nil
}
