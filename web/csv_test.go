package web

import "testing"

// Cells a spreadsheet would run as a formula come out as text; others,
// accents and all, as they are.
func TestSafeCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`=HYPERLINK("http://x")`: `'=HYPERLINK("http://x")`,
		"+1 555":                 "'+1 555",
		"-2+3":                   "'-2+3",
		"@SUM(A1)":               "'@SUM(A1)",
		"  =1+1":                 "'  =1+1",
		"\t=1":                   "'\t=1",
		"\r=1":                   "'\r=1",
		"\tplain":                "'\tplain",
		"Zoë Ångström":           "Zoë Ångström",
		"ana@example.com":        "ana@example.com",
		"":                       "",
		"a-b":                    "a-b",
	} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
}
