package components

import (
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
