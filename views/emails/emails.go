// Package emails writes the bodies of Usher's emails: a plain-text and an
// HTML part for each kind of message, from the same view.
package emails

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/usherhq/usher/internal/mail"
)

// Renderer implements mail.Renderer.
type Renderer struct{}

var _ mail.Renderer = Renderer{}

// view is what every message says, ready to print.
type view struct {
	Subject  string
	Greeting string
	Account  string
	Inviter  string
	Invitee  string // the invitee as the inviter knows them: a name, or the address
	Email    string // the invitee's address
	Roles    string
	Link     string
	Expires  string
	UsersURL string
	Meaning  string // what the offered roles let the invitee do, in a sentence
}

// meaning says in one sentence what the roles offered mean. Messages
// queued before the payload said which roles it offers are read from
// their words.
func meaning(p mail.Payload) string {
	admin, member := p.OffersAdmin, p.OffersMember
	if !admin && !member {
		admin, member = strings.Contains(p.Roles, "Administrator"), strings.Contains(p.Roles, "Member")
	}
	const (
		m = "“Member” means you can sign in and use the places you are a member of"
		a = "“Administrator” means you can also invite people there and manage who has access"
	)
	switch {
	case admin && member:
		return m + "; " + a + "."
	case admin:
		return "“Administrator” means you can sign in, use those places, and invite people there and manage who has access."
	case member:
		return m + "."
	}
	return ""
}

// ExpiryFormat writes an expiry like "Monday 30 November 2026 at 14:05 UTC".
const ExpiryFormat = "Monday 2 January 2006 at 15:04 MST"

// FormatExpiry writes t in UTC with ExpiryFormat.
func FormatExpiry(t time.Time) string { return t.UTC().Format(ExpiryFormat) }

// Render writes the subject and both bodies of a message.
func (Renderer) Render(kind mail.Kind, p mail.Payload, link string) (mail.Rendered, error) {
	v := view{
		Account:  p.AccountName,
		Inviter:  p.InviterName,
		Invitee:  p.InviteeEmail,
		Email:    p.InviteeEmail,
		Roles:    p.Roles,
		Link:     link,
		Expires:  FormatExpiry(p.ExpiresAt),
		UsersURL: p.UsersURL,
		Greeting: "Hello,",
	}
	if kind.HasLink() {
		v.Meaning = meaning(p)
	}
	if v.Inviter == "" {
		v.Inviter = "An administrator"
	}
	if p.InviteeName != "" {
		v.Invitee = p.InviteeName
	}
	if kind.HasLink() {
		if link == "" {
			return mail.Rendered{}, fmt.Errorf("emails: a %s needs a link", kind)
		}
		if p.InviteeName != "" {
			v.Greeting = "Hello " + p.InviteeName + ","
		}
	} else if p.InviterName != "" {
		v.Greeting = "Hello " + p.InviterName + ","
	}
	if v.Subject = mail.Subject(kind, p); v.Subject == "" {
		return mail.Rendered{}, fmt.Errorf("emails: no message of kind %q", kind)
	}
	html := htmlBodies[kind](v)

	var text, body bytes.Buffer
	if err := textTemplates.ExecuteTemplate(&text, string(kind), v); err != nil {
		return mail.Rendered{}, fmt.Errorf("emails: writing the text of a %s: %w", kind, err)
	}
	if err := html.Render(context.Background(), &body); err != nil {
		return mail.Rendered{}, fmt.Errorf("emails: writing the HTML of a %s: %w", kind, err)
	}
	return mail.Rendered{Subject: v.Subject, Text: text.String(), HTML: body.String()}, nil
}

var htmlBodies = map[mail.Kind]func(view) templ.Component{
	mail.Invitation:     invitationHTML,
	mail.Reminder:       reminderHTML,
	mail.NewInvitation:  newInvitationHTML,
	mail.RenewalRequest: renewalRequestHTML,
}
