package users

import (
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/names"
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
		return "", errs.FieldT(field, "err.users.email_empty")
	case len(s) > MaxEmailLen:
		return "", errs.FieldT(field, "err.users.email_too_long", "Max", MaxEmailLen)
	case !utf8.ValidString(s) || strings.ContainsFunc(s, invisible):
		return "", errs.FieldT(field, "err.users.email_invisible")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(a.Address, "@") || strings.ContainsAny(a.Address, " ,;<>\"") {
		return "", errs.FieldT(field, "err.users.email_invalid", "Email", s)
	}
	addr := strings.ToLower(a.Address)
	if len(addr) > MaxEmailLen { // some letters take more bytes in lower case
		return "", errs.FieldT(field, "err.users.email_too_long", "Max", MaxEmailLen)
	}
	return addr, nil
}

// MaxInvitees is how many addresses one Invite user form may hold.
const MaxInvitees = 50

// ParseEmails reads the one or several addresses of the Invite user form,
// separated by commas, semicolons, spaces or line breaks, as ParseEmail
// does each; an address given twice counts once. All must be addresses,
// or none is taken.
func ParseEmails(field, s string) ([]string, error) {
	parts := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	return ParseEmailList(field, parts)
}

// ParseEmailList reads addresses given one by one (the API's list), as
// ParseEmails reads those of the form.
func ParseEmailList(field string, parts []string) ([]string, error) {
	if len(parts) <= 1 {
		addr, err := ParseEmail(field, strings.Join(parts, ""))
		if err != nil {
			return nil, err
		}
		return []string{addr}, nil
	}
	var out, wrong []string
	for _, p := range parts {
		addr, err := ParseEmail(field, p)
		switch {
		case err != nil:
			wrong = append(wrong, p)
		case !slices.Contains(out, addr):
			out = append(out, addr)
		}
	}
	switch {
	case len(wrong) == 1:
		return nil, errs.FieldT(field, "err.users.emails_one_wrong", "Email", wrong[0])
	case len(wrong) > 1:
		return nil, errs.FieldT(field, "err.users.emails_wrong", "Addresses", quoted(wrong))
	case len(out) > MaxInvitees:
		return nil, errs.FieldT(field, "err.users.too_many_invitees", "Max", MaxInvitees, "Count", len(out))
	}
	return out, nil
}

// invisible reports what has no place in an address and may not show:
// controls, line and paragraph separators, spaces other than the plain one
// (refused below, as a visible mistake), and format characters such as
// bidirectional overrides, which would show one address while being another.
func invisible(r rune) bool {
	return r != ' ' && (!unicode.IsGraphic(r) || unicode.IsSpace(r))
}

// CleanName is a person's name as names.Person cleans it: spaces folded,
// and refused when empty (if required), too long, or holding a line break,
// a control or an invisible format character.
func CleanName(field, s string, required bool) (string, error) {
	return names.Person.Clean(field, s, required)
}

// quoted is addresses, each in double quotes as Go writes a string, joined
// by ", ": one placeholder of a sentence in any language.
//
// The list is joined here, in the same way for every language, because a
// domain error has no reader's language at hand.
func quoted(addrs []string) string {
	q := make([]string, len(addrs))
	for i, a := range addrs {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, ", ")
}
