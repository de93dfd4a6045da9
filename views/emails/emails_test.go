package emails_test

import (
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/views/emails"
)

func TestRender(t *testing.T) {
	const link = "https://usher.example/invite/abc"
	p := mail.Payload{
		AccountName: "Acme", InviterName: "Ana Silva", InviteeName: "Bea Costa", InviteeEmail: "bea@example.com",
		Roles: "Administrator of Sales, Member of Room 4", OffersAdmin: true, OffersMember: true, ExpiresAt: time.Date(2026, 11, 30, 14, 5, 0, 0, time.UTC),
		UsersURL: "https://usher.example/settings/users",
	}
	const expires = "Monday 30 November 2026 at 14:05 UTC"
	tests := []struct {
		kind    mail.Kind
		link    string
		subject string
		says    []string // in both parts
	}{
		{mail.Invitation, link, "Ana Silva invited you to join Acme", []string{"Hello Bea Costa,", "Ana Silva invited you to join Acme", link, expires}},
		{mail.Reminder, link, "Reminder: your invitation to join Acme", []string{"reminder", "Ana Silva", link, "same link", expires}},
		{mail.NewInvitation, link, "A new invitation to join Acme", []string{"expired", "Ana Silva sent you a new one", link, "no longer works", expires}},
		{mail.RenewalRequest, "", "Bea Costa asks for a new invitation to join Acme", []string{"Hello Ana Silva,", "Bea Costa (bea@example.com)", "expired on " + expires, p.UsersURL, "Send new invitation"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			r, err := emails.Renderer{}.Render(tt.kind, p, tt.link)
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", r.Subject, tt.subject)
			}
			for _, want := range append(tt.says, "Administrator of Sales, Member of Room 4") {
				if !strings.Contains(r.Text, want) {
					t.Errorf("text part lacks %q:\n%s", want, r.Text)
				}
				if !strings.Contains(r.HTML, want) {
					t.Errorf("HTML part lacks %q:\n%s", want, r.HTML)
				}
			}
			if !strings.Contains(r.HTML, `<html lang="en">`) || !strings.Contains(r.HTML, "<title>"+tt.subject+"</title>") {
				t.Errorf("HTML part lacks its language or title:\n%s", r.HTML)
			}
			if tt.link != "" && !strings.Contains(r.HTML, `<a href="`+tt.link+`" style="display:inline-block;background:#2f4fc7;`) {
				t.Errorf("HTML part has no real link as a button:\n%s", r.HTML)
			}
			// The product's look, inline: the system font on a card.
			for _, style := range []string{"font-family:system-ui,", "background:#ffffff;border:1px solid #d0d7de;border-radius:8px;"} {
				if !strings.Contains(r.HTML, style) {
					t.Errorf("HTML part lacks the style %q:\n%s", style, r.HTML)
				}
			}
			// What the offered roles mean, to the invitee only.
			const sentence = "“Member” means you can sign in and use the places you are a member of; “Administrator” means you can also invite people there and manage who has access."
			if tt.kind.HasLink() != strings.Contains(r.Text, sentence) || tt.kind.HasLink() != strings.Contains(r.HTML, sentence) {
				t.Errorf("the sentence about the roles should be in both parts of the invitee's emails only:\n%s\n%s", r.Text, r.HTML)
			}
		})
	}
}

func TestRenderEscapesAndGuards(t *testing.T) {
	p := mail.Payload{AccountName: "<b>Acme</b>", InviterName: "Ana\r\nBcc: evil@example.com", InviteeEmail: "bea@example.com"}
	r, err := emails.Renderer{}.Render(mail.Invitation, p, "https://usher.example/invite/abc")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<b>Acme</b>") || !strings.Contains(r.HTML, "&lt;b&gt;Acme&lt;/b&gt;") {
		t.Errorf("names are not escaped in HTML:\n%s", r.HTML)
	}
	if strings.ContainsAny(r.Subject, "\r\n") {
		t.Errorf("Subject %q spans lines", r.Subject)
	}
	if !strings.Contains(r.Text, "Hello,") {
		t.Errorf("without an invitee name the greeting should be plain:\n%s", r.Text)
	}
	if _, err := (emails.Renderer{}).Render(mail.Invitation, p, ""); err == nil {
		t.Error("an invitation without a link rendered")
	}
	if r, err := (emails.Renderer{}).Render(mail.Invitation, p, "javascript:alert(1)"); err != nil || strings.Contains(r.HTML, `href="javascript:`) {
		t.Errorf("an unsafe link became an href (%v):\n%s", err, r.HTML)
	}
	if _, err := (emails.Renderer{}).Render("nonsense", p, ""); err == nil {
		t.Error("an unknown kind rendered")
	}
}

// TestRoleMeaning: the sentence names the roles offered, one or both,
// also for messages queued before the payload said which they are.
func TestRoleMeaning(t *testing.T) {
	for _, tt := range []struct {
		p    mail.Payload
		want string
	}{
		{mail.Payload{Roles: "Member of Room 4", OffersMember: true}, "“Member” means you can sign in and use the places you are a member of."},
		{mail.Payload{Roles: "Administrator", OffersAdmin: true}, "“Administrator” means you can sign in, use those places, and invite people there and manage who has access."},
		{mail.Payload{Roles: "Member"}, "“Member” means you can sign in and use the places you are a member of."},
	} {
		tt.p.AccountName, tt.p.InviteeEmail = "Acme", "bea@example.com"
		r, err := emails.Renderer{}.Render(mail.Invitation, tt.p, "https://usher.example/invite/abc")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, tt.want) || !strings.Contains(r.HTML, tt.want) {
			t.Errorf("%+v: want %q in both parts:\n%s", tt.p, tt.want, r.Text)
		}
	}
}
