package layouts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/usherhq/usher/internal/i18n"
)

// Texts are the words that the script and the stylesheet say, in one
// language, as files of their own: static/js/app.js's sentences
// (window.usherTexts), and the small screens' cell labels that app.css
// shows before a value (CSS variables). Served at TextsPath, named by
// every page and kept by the browser like the other static files, so no
// page carries them, once per row or at all.
type Texts struct {
	Script, Style   []byte
	scriptV, styleV string // versions, as static.Path's are of their files
}

// textsOf is Texts by language. The catalogues are built into the
// binary, so each language's are made once.
var textsOf sync.Map // *i18n.Locale → *Texts

// TextsIn are l's Texts.
func TextsIn(l *i18n.Locale) *Texts {
	if t, ok := textsOf.Load(l); ok {
		return t.(*Texts)
	}
	b, _ := json.Marshal(map[string]any{
		"copyLink":     l.T("js.copy_link"),
		"linkFailed":   l.T("js.link_failed"),
		"noMatch":      l.T("js.no_match"),
		"matches":      l.PluralForms("js.matches"),
		"roleIn":       l.T("js.role_in", "Place", "{place}"),
		"roleGone":     l.T("js.role_removed", "Place", "{place}"),
		"hasRole":      l.T("js.has_role"),
		"firstShown":   l.T("js.first_shown", "Count", "{n}"),
		"bulkNone":     l.T("js.bulk.none"),
		"bulkSelected": l.PluralForms("js.bulk.selected"),
		"bulkAll":      l.PluralForms("js.bulk.all"),
	})
	t := &Texts{Script: append(append([]byte("window.usherTexts = "), b...), ";\n"...)}
	var style strings.Builder
	style.WriteString(":root {\n")
	for _, v := range []struct{ name, id string }{
		{"--label-roles", "users.list.roles_label"},
		{"--label-invited-by", "users.list.invited_by_label"},
		{"--label-last-sign-in", "users.list.last_sign_in_label"},
	} {
		fmt.Fprintf(&style, "  %s: %s;\n", v.name, cssString(l.T(v.id)))
	}
	style.WriteString("}\n")
	t.Style = []byte(style.String())
	t.scriptV, t.styleV = version(t.Script), version(t.Style)
	got, _ := textsOf.LoadOrStore(l, t)
	return got.(*Texts)
}

func version(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// cssString is s as a CSS string: quoted, with quotes, backslashes and
// anything below a space escaped, so no text can end it early.
func cssString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r < ' ' || r == 0x7f:
			fmt.Fprintf(&b, "\\%x ", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// File is the texts file named name ("de.js", "de.css"), with its type
// and version; ok is false for any other name.
func File(name string) (body []byte, contentType, version string, ok bool) {
	code, ext, _ := strings.Cut(name, ".")
	if !i18n.Default().Has(code) {
		return nil, "", "", false
	}
	t := TextsIn(i18n.Default().Locale(code))
	switch ext {
	case "js":
		return t.Script, "text/javascript; charset=utf-8", t.scriptV, true
	case "css":
		return t.Style, "text/css; charset=utf-8", t.styleV, true
	}
	return nil, "", "", false
}

// ScriptTextsPath and StyleTextsPath are the addresses of l's texts, with
// their versions, so that a browser keeps them for a year and still sees
// every change at once.
func ScriptTextsPath(l *i18n.Locale) string {
	return "/static/texts/" + l.Code + ".js?v=" + TextsIn(l).scriptV
}

func StyleTextsPath(l *i18n.Locale) string {
	return "/static/texts/" + l.Code + ".css?v=" + TextsIn(l).styleV
}
