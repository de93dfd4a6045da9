package db

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/names"
	"github.com/usherhq/usher/internal/users"
)

// The domain's and the stores' refusals are read in the reader's language:
// errs.Say in German gives the German sentence, its placeholders filled
// and its numbers written as German writes them.
func TestDomainErrorsSpeakGerman(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newTestDB(t)
	de := i18n.With(ctx, i18n.Default().Locale("de"))

	_, byEmail := NewUserStore(d).ByEmail(ctx, "nobody@example.com")
	_, badEmail := users.ParseEmail("email", "ana@")
	_, badEmails := users.ParseEmails("email", "ana@example.com, bo@, cy")
	_, badName := names.Space.Clean("name", "Room\u202e1", true)
	spent := invitations.Budget{Max: 2000}.Refuse(2000, 5, 90*time.Second)
	short := invitations.Budget{Max: 200}.Refuse(190, 20, 30*time.Second)

	tests := []struct {
		name string
		err  error
		want string
	}{
		{"a store's NotFound", byEmail, "Es gibt keinen Benutzer mit dieser E-Mail-Adresse."},
		{"an address", badEmail, "„ana@“ ist keine E-Mail-Adresse. Geben Sie eine einzelne Adresse ein, zum Beispiel ana@example.com."},
		{"addresses", badEmails, `Dies sind keine E-Mail-Adressen: "bo@", "cy". Es wurde nichts gesendet: Korrigieren oder entfernen Sie diese Adressen.`},
		{"a space's name", badName, "Der Bereichsname enthält ein unsichtbares Zeichen, das die Reihenfolge des umgebenden Textes ändert (U+202E). Bitte geben Sie ihn erneut ein."},
		{"a short password", auth.CheckNewPassword("short"), "Verwenden Sie mindestens 12 Zeichen. Ein paar Wörter, die nichts miteinander zu tun haben, ergeben ein starkes Passwort, das man sich leicht merken kann."},
		{"the budget spent", spent, "Sie haben in der letzten Stunde 2.000 Einladungs-E-Mails gesendet, so viele, wie ein Administrator höchstens senden kann. Warten Sie 2 Minuten und versuchen Sie es dann erneut."},
		{"the budget short", short, "Sie haben in der letzten Stunde 190 Einladungs-E-Mails gesendet; 20 weitere würden die Grenze von 200 überschreiten, die für einen Administrator gilt. Warten Sie 1 Minute und versuchen Sie es dann erneut, oder laden Sie weniger Personen auf einmal ein."},
	}
	for _, tc := range tests {
		if got := errs.Say(de, tc.err); got != tc.want {
			t.Errorf("%s: in German %q,\nwant %q", tc.name, got, tc.want)
		}
		if en, de := errs.MessageOf(tc.err), errs.Say(de, tc.err); en == de {
			t.Errorf("%s: German says the English %q", tc.name, en)
		}
	}
	if got, want := errs.MessageOf(spent), "You have sent 2,000 invitation emails in the last hour, the most one administrator can. Wait 2 minutes, then try again."; got != want {
		t.Errorf("in English %q, want %q", got, want)
	}
	if got := errs.RetryAfterOf(short); got != 30*time.Second {
		t.Errorf("RetryAfter = %v, want 30s", got)
	}
}

// idLiteral is what a domain error's message id looks like.
var idLiteral = regexp.MustCompile(`^err\.[a-z0-9_]+(\.[a-z0-9_]+)+$`)

// Every message a domain error says exists in the source catalogue and has
// a German text of its own, which is not the English one: each id given
// to errs.T, errs.FieldT or errs.WaitT, and every "err.…" string (ids kept
// in variables, such as a names.Rule's or notFound's), in the non-test Go
// files of internal/ and db/. And none of those files builds an error
// with an English sentence (errs.E, errs.FieldError, errs.Wait).
func TestDomainErrorIDsAreInTheCatalogue(t *testing.T) {
	t.Parallel()
	cat := i18n.Default()
	known := map[string]bool{}
	for _, id := range cat.IDs() {
		known[id] = true
	}
	de := cat.Locale("de")
	missing := map[string]bool{}
	for _, id := range de.Missing(cat) {
		missing[id] = true
	}
	en, deTexts := cat.Locale(i18n.Source).Texts(), de.Texts()

	used := map[string][]string{} // id → where
	fset := token.NewFileSet()
	for _, root := range []string{"../internal", "."} {
		err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				if rel, _ := filepath.Rel("..", path); rel == filepath.Join("internal", "errs") || rel == filepath.Join("internal", "i18n") || (root == "." && path != ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					sel, ok := n.Fun.(*ast.SelectorExpr)
					if !ok {
						return true
					}
					if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "errs" {
						return true
					}
					switch sel.Sel.Name {
					case "E", "FieldError", "Wait":
						t.Errorf("%s: errs.%s builds an error from an English sentence; give a message id (errs.T, FieldT, WaitT)", fset.Position(n.Pos()), sel.Sel.Name)
					case "T", "FieldT", "WaitT":
						if len(n.Args) < 2 {
							return true
						}
						if lit, ok := n.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							id, _ := strconv.Unquote(lit.Value)
							used[id] = append(used[id], fset.Position(lit.Pos()).String())
						}
					}
				case *ast.BasicLit:
					if n.Kind != token.STRING {
						return true
					}
					if id, _ := strconv.Unquote(n.Value); idLiteral.MatchString(id) {
						used[id] = append(used[id], fset.Position(n.Pos()).String())
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(used) < 50 {
		t.Fatalf("found %d message ids in the domain's code; the scan is broken", len(used))
	}
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range used {
			if !yield(id) {
				return
			}
		}
	}) {
		where := used[id][0]
		switch {
		case !known[id]:
			t.Errorf("%s: %q is not in en.toml", where, id)
		case missing[id]:
			t.Errorf("%s: %q has no German text in de.toml", where, id)
		case slices.Equal(slices.Sorted(slices.Values(en[id])), slices.Sorted(slices.Values(deTexts[id]))):
			t.Errorf("%s: %q is in German what it is in English, %q", where, id, en[id])
		}
	}
}
