package layouts

import "testing"

// A label with a quote, a backslash or a line break stays one CSS string.
func TestCSSString(t *testing.T) {
	for in, want := range map[string]string{
		"Rollen: ":        `"Rollen: "`,
		`say "hi"`:        `"say \22 hi\22 "`,
		`a\b`:             `"a\5c b"`,
		"two\nlines":      `"two\a lines"`,
		"Eingeladen von ": `"Eingeladen von "`,
	} {
		if got := cssString(in); got != want {
			t.Errorf("cssString(%q) = %s, want %s", in, got, want)
		}
	}
}
