package components

import (
	"context"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// Email writes an address that may break across lines after its @ and its
// dots (a <wbr> there), never inside a word: "northwindhealth.exa/mple"
// reads as nothing. Written by hand, as templ would put spaces between the
// parts.
func Email(addr string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		h := NewWriter(w)
		h.Email(addr)
		return h.Err()
	})
}

// Coded writes a sentence whose parts between backticks are words a
// program reads, the same in every language (a CSV file's column names):
// each as <code lang="en">, the rest as text. "Columns `email` and
// `name`." → Columns <code lang="en">email</code> and <code
// lang="en">name</code>.
func Coded(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for i, part := range strings.Split(s, "`") {
			out := templ.EscapeString(part)
			if i%2 == 1 {
				out = `<code lang="en">` + out + `</code>`
			}
			if _, err := io.WriteString(w, out); err != nil {
				return err
			}
		}
		return nil
	})
}
