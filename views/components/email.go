package components

import (
	"context"
	"io"

	"github.com/a-h/templ"
)

// Email writes an address that may break across lines after its @ and its
// dots (a <wbr> there), never inside a word: "northwindhealth.exa/mple"
// reads as nothing. Written by hand, as templ would put spaces between the
// parts.
func Email(addr string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for i, part := range emailParts(addr) {
			if i > 0 {
				if _, err := io.WriteString(w, "<wbr>"); err != nil {
					return err
				}
			}
			if _, err := io.WriteString(w, templ.EscapeString(part)); err != nil {
				return err
			}
		}
		return nil
	})
}
