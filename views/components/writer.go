package components

import (
	"io"
	"time"

	"github.com/a-h/templ"

	"github.com/usherhq/usher/internal/i18n"
)

// Writer writes HTML by hand, for the components written in Go rather
// than templ where a page holds many of them: the users list's rows, fifty
// a page with some twenty values each. templ writes every {value} through
// fmt.Sprint (a pooled printer and a copy); on a deep page of the list
// that was a tenth of the server's CPU (issue 19). Markup goes out as
// given, text and attribute values escaped as templ escapes them. The
// first error is kept, and nothing more is written after it.
type Writer struct {
	w   io.Writer
	err error
}

// NewWriter writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Err is the first error writing met.
func (h *Writer) Err() error { return h.err }

// Raw writes markup as it is.
func (h *Writer) Raw(s string) {
	if h.err == nil {
		_, h.err = io.WriteString(h.w, s)
	}
}

// Text writes text, or an attribute's value, escaped.
func (h *Writer) Text(s string) { h.Raw(templ.EscapeString(s)) }

// Email writes an address that may break after its @ and its dots (see
// Email).
func (h *Writer) Email(addr string) {
	for i, part := range emailParts(addr) {
		if i > 0 {
			h.Raw("<wbr>")
		}
		h.Text(part)
	}
}

// TimeAgo writes "3 days ago" with the exact time on hover and focus (see
// TimeAgo).
func (h *Writer) TimeAgo(loc *i18n.Locale, now, t time.Time) { h.time(loc, t, loc.Ago(now, t)) }

// TimeIn writes "in 6 days" with the exact time on hover and focus (see
// TimeIn).
func (h *Writer) TimeIn(loc *i18n.Locale, now, t time.Time) { h.time(loc, t, loc.In(now, t)) }

func (h *Writer) time(loc *i18n.Locale, t time.Time, text string) {
	var iso [len(time.RFC3339) + 8]byte
	h.Raw(`<time datetime="`)
	if h.err == nil {
		_, h.err = h.w.Write(t.UTC().AppendFormat(iso[:0], time.RFC3339))
	}
	h.Raw(`" title="`)
	h.Text(loc.Exact(t))
	h.Raw(`">`)
	h.Text(text)
	h.Raw(`</time>`)
}
