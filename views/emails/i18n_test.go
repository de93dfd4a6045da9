package emails_test

import (
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/views/emails"
)

// Every email in German: its subject, both parts, the date as German
// writes it, the roles described in German, <html lang="de">, and no
// sentence of the English emails left.
func TestEveryEmailInGerman(t *testing.T) {
	t.Parallel()
	p := mail.Payload{
		AccountName: "Acme", InviterName: "Ana Silva", InviteeName: "Bea Costa", InviteeEmail: "bea@example.com",
		ExpiresAt: time.Date(2026, 12, 5, 14, 5, 0, 0, time.UTC), UsersURL: "https://usher.example/settings/users", Language: "de",
	}
	p.OfferRoles([]spaces.Grant{{SpaceName: "Sales", SpaceKind: spaces.Unit, Role: spaces.Admin}, {SpaceName: "Room 4", SpaceKind: spaces.MeetingRoom, Role: spaces.Member}})
	var english []string
	for id, texts := range i18n.Default().Locale("en").Texts() {
		if strings.HasPrefix(id, "email.") && id != "email.renewal_request.who" {
			for _, text := range texts {
				for _, frag := range strings.Split(text, "\x00") {
					if frag = strings.TrimSpace(frag); len(frag) > 8 {
						english = append(english, frag)
					}
				}
			}
		}
	}
	const date = "Samstag, 5. Dezember 2026 um 14:05 Uhr UTC"
	for kind, want := range map[mail.Kind]struct {
		subject string
		says    []string
	}{
		mail.Invitation:     {"Ana Silva hat Sie eingeladen, Acme beizutreten", []string{"Hallo Bea Costa,", "Der Link ist gültig bis " + date + "."}},
		mail.Reminder:       {"Erinnerung: Ihre Einladung zu Acme", []string{"Zur Erinnerung: Ana Silva hat Sie eingeladen", "derselbe Link"}},
		mail.NewInvitation:  {"Eine neue Einladung zu Acme", []string{"Ihre frühere Einladung zu Acme ist abgelaufen", "funktioniert nicht mehr"}},
		mail.RenewalRequest: {"Bea Costa bittet um eine neue Einladung zu Acme", []string{"Hallo Ana Silva,", "Bea Costa (bea@example.com)", "ist am " + date + " abgelaufen", "„Neue Einladung senden“"}},
	} {
		r, err := emails.Renderer{}.Render(kind, p, "https://usher.example/invite/abc")
		if err != nil {
			t.Fatal(err)
		}
		if r.Subject != want.subject {
			t.Errorf("%s: subject %q, want %q", kind, r.Subject, want.subject)
		}
		for _, s := range append(want.says, "Angebotene Rollen:", "Administrator von Sales, Mitglied von Room 4") {
			if !strings.Contains(r.Text, s) || !strings.Contains(r.HTML, s) {
				t.Errorf("%s: both parts should say %q:\n%s", kind, s, r.Text)
			}
		}
		if !strings.Contains(r.HTML, `<html lang="de">`) {
			t.Errorf("%s: the HTML part is not lang=de", kind)
		}
		for _, e := range english {
			if strings.Contains(r.Text, e) || strings.Contains(r.HTML, e) {
				t.Errorf("%s: English left: %q", kind, e)
			}
		}
	}
}

// A message queued before payloads kept the offer as data, and in no
// language, is written as before: English, with the words it was queued with.
func TestOldPayloadStillRenders(t *testing.T) {
	t.Parallel()
	p := mail.Payload{AccountName: "Acme", InviterName: "Ana", InviteeEmail: "bea@example.com", Roles: "Member of Room 4", ExpiresAt: time.Date(2026, 12, 5, 14, 5, 0, 0, time.UTC)}
	r, err := emails.Renderer{}.Render(mail.Invitation, p, "https://usher.example/invite/abc")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Roles offered: Member of Room 4", "“Member” means", "Saturday 5 December 2026 at 14:05 UTC"} {
		if !strings.Contains(r.Text, s) {
			t.Errorf("want %q:\n%s", s, r.Text)
		}
	}
	if !strings.Contains(r.HTML, `<html lang="en">`) {
		t.Error("an old message's HTML should be lang=en")
	}
}
