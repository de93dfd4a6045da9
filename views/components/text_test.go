package components

import (
	"fmt"
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	many := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprint(i+1))
		}
		return out
	}
	tests := map[int]string{
		0:  "",
		1:  "1",
		2:  "1 and 2",
		3:  "1, 2 and 3",
		4:  "1, 2, 3 and 4",
		5:  "1, 2, 3 and 2 others",
		50: "1, 2, 3 and 47 others",
	}
	for n, want := range tests {
		if got := List(many(n)); got != want {
			t.Errorf("List of %d = %q, want %q", n, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 20000: "20,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

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
