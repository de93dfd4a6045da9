package components

import (
	"context"
	"strings"
	"testing"
)

func TestEmailParts(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"ana@example.com":                    "ana@|example.|com",
		"first.last@northwindhealth.example": "first.|last@|northwindhealth.|example",
		"nodots":                             "nodots",
		"a.":                                 "a.|",
	} {
		if got := strings.Join(emailParts(addr), "|"); got != want {
			t.Errorf("emailParts(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestCoded(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Columns `email` and `name`.": `Columns <code lang="en">email</code> and <code lang="en">name</code>.`,
		"No code <here> & there":      "No code &lt;here&gt; &amp; there",
		"`a<b>`":                      `<code lang="en">a&lt;b&gt;</code>`,
	} {
		var b strings.Builder
		if err := Coded(in).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("Coded(%q) = %s, want %s", in, b.String(), want)
		}
	}
}
