package mail_test

import (
	netmail "net/mail"
	"net/url"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/mail"
)

func TestNewSMTP(t *testing.T) {
	from := &netmail.Address{Name: "Usher", Address: "no-reply@example.com"}
	tests := []struct {
		url     string
		wantErr string
		want    string // String(), with the password hidden
	}{
		{"smtp://user:pass@mail.example.com:587", "", "smtp://user:xxxxx@mail.example.com:587"},
		{"smtp://mail.example.com", "", "smtp://mail.example.com"},
		{"smtps://user:pass@mail.example.com", "", "smtps://user:xxxxx@mail.example.com"},
		{"smtp://mail.example.com:25?tls=required", "", "smtp://mail.example.com:25?tls=required"},
		{"smtp://mail.example.com:25?tls=opportunistic", "", "smtp://mail.example.com:25?tls=opportunistic"},
		{"http://user:pass@mail.example.com", "scheme", ""},
		{"smtp://user:pass@:587", "no host", ""},
		{"smtp://mail.example.com?tls=maybe", "tls=", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := mail.NewSMTP(u, from)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewSMTP = %v, want an error about %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pass") {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tr.String() != tt.want {
				t.Errorf("String() = %q, want %q", tr.String(), tt.want)
			}
		})
	}
}

func TestHeaderSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ana Silva", "Ana Silva"},
		{"Ana\r\nBcc: evil@example.com", "Ana  Bcc: evil@example.com"},
		{"Ana\nBcc: x", "Ana Bcc: x"},
		{"A\x00B\u2028C\u2029D", "A B C D"},
		{"Zoë Ünal", "Zoë Ünal"},
	}
	for _, tt := range tests {
		if got := mail.HeaderSafe(tt.in); got != tt.want {
			t.Errorf("HeaderSafe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
