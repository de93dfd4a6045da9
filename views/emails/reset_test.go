package emails_test

import (
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/views/emails"
)

// The reset link and "password changed" emails, in German for a German
// reader: subject and both parts, with no English sentence left.
func TestResetEmailsInGerman(t *testing.T) {
	t.Parallel()
	var english []string
	for id, texts := range i18n.Default().Locale("en").Texts() {
		if strings.HasPrefix(id, "reset.email.") || strings.HasPrefix(id, "email.") {
			for _, text := range texts {
				for _, frag := range strings.Split(text, "\x00") {
					if frag = strings.TrimSpace(frag); len(frag) > 8 {
						english = append(english, frag)
					}
				}
			}
		}
	}
	at := time.Date(2026, 12, 5, 14, 5, 0, 0, time.UTC)
	base := mail.Payload{AccountName: "Acme", InviteeName: "Bea Costa", InviteeEmail: "bea@example.com", Language: "de"}
	self, admin, changed := base, base, base
	self.ExpiresAt, self.ResetTTL = at, time.Hour
	admin.ExpiresAt, admin.ResetTTL, admin.RequestedBy = at, time.Hour, "Ana Silva"
	changed.ChangedAt, changed.Browser, changed.System, changed.ForgotURL = at, "Firefox", "Linux", "https://usher.example/forgot"
	const date = "Samstag, 5. Dezember 2026 um 14:05 Uhr UTC"
	for _, c := range []struct {
		name    string
		kind    mail.Kind
		p       mail.Payload
		subject string
		says    []string
	}{
		{"asked", mail.PasswordReset, self, "Neues Passwort für Acme wählen", []string{"Hallo Bea Costa,", "Sie haben angefordert", "1 Stunde lang (bis " + date + ")", "https://usher.example/reset/abc"}},
		{"sent by an administrator", mail.PasswordReset, admin, "Neues Passwort für Acme wählen", []string{"Ana Silva, Administrator von Acme", "1 Stunde lang"}},
		{"changed", mail.PasswordChanged, changed, "Ihr Passwort für Acme wurde geändert", []string{"am " + date + " geändert, mit Firefox unter Linux", "Falls Sie das waren"}},
	} {
		link := ""
		if c.kind.HasLink() {
			link = "https://usher.example/reset/abc"
		}
		r, err := emails.Renderer{}.Render(c.kind, c.p, link)
		if err != nil {
			t.Fatal(err)
		}
		if r.Subject != c.subject {
			t.Errorf("%s: subject %q, want %q", c.name, r.Subject, c.subject)
		}
		for _, s := range c.says {
			if !strings.Contains(r.Text, s) || !strings.Contains(r.HTML, s) {
				t.Errorf("%s: both parts should say %q:\n%s", c.name, s, r.Text)
			}
		}
		if !strings.Contains(r.HTML, `<html lang="de">`) {
			t.Errorf("%s: the HTML part is not lang=de", c.name)
		}
		for _, e := range english {
			if strings.Contains(r.Text, e) || strings.Contains(r.HTML, e) {
				t.Errorf("%s: English left: %q", c.name, e)
			}
		}
	}
}
