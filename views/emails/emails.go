// Package emails writes the bodies of Usher's emails: a plain-text and an
// HTML part for each kind of message, from the same view.
package emails

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/a-h/templ"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/mail"
)

// Renderer implements mail.Renderer.
type Renderer struct{}

var _ mail.Renderer = Renderer{}

// view is what every message says, ready to print: each sentence already
// in the reader's language (Payload.Language).
type view struct {
	Lang     string // the HTML part's lang
	Subject  string
	Greeting string
	Account  string
	Intro    string // what happened: the first paragraph
	Email    string // the invitee's address
	Roles    string
	Offered  string // "Roles offered:"
	Meaning  string // what the offered roles let the invitee do, in a sentence
	Link     string
	OpenText string // how to accept, before the link in the text part
	OpenHTML string // the same, before the button
	Button   string
	Copy     string // for mail clients that do not open the button
	Until    string // how long the link works
	Ignore   string
	Footer   string
	// A renewal request says how to send a new invitation instead.
	UsersURL  string
	SendText  string // with UsersURL: what comes before it; else all of it
	ThenText  string // with UsersURL: what comes after it
	SendHTML  [2]string
	UsersLink string // "Settings > Users"
}

// meaning says in one sentence what the roles offered mean. Messages
// queued before the payload said which roles it offers are read from
// their words (which were English).
func meaning(l *i18n.Locale, p mail.Payload) string {
	admin, member := p.OffersAdmin, p.OffersMember
	if !admin && !member {
		admin, member = strings.Contains(p.Roles, "Administrator"), strings.Contains(p.Roles, "Member")
	}
	switch {
	case admin && member:
		return l.T("email.meaning.both")
	case admin:
		return l.T("email.meaning.admin")
	case member:
		return l.T("email.meaning.member")
	}
	return ""
}

// Render writes the subject and both bodies of a message, in the language
// of its payload.
func (Renderer) Render(kind mail.Kind, p mail.Payload, link string) (mail.Rendered, error) {
	l := p.Locale()
	if v := (view{Subject: mail.Subject(kind, p)}); v.Subject == "" {
		return mail.Rendered{}, fmt.Errorf("emails: no message of kind %q", kind)
	}
	if kind.HasLink() && link == "" {
		return mail.Rendered{}, fmt.Errorf("emails: a %s needs a link", kind)
	}
	expires := l.Full(p.ExpiresAt)
	kv := []any{"Inviter", p.Inviter(), "Account", p.AccountName, "Expires", expires}
	v := view{
		Lang:     l.Tag(),
		Subject:  mail.Subject(kind, p),
		Greeting: l.T("email.hello"),
		Account:  p.AccountName,
		Email:    p.InviteeEmail,
		Roles:    p.DescribeRoles(),
		Offered:  l.T("email.roles_offered"),
		Link:     link,
		Footer:   l.T("email.footer", "Account", p.AccountName),
		UsersURL: p.UsersURL,
	}
	if kind.IsReset() {
		resetView(&v, kind, p, link)
	} else if kind.HasLink() {
		if p.InviteeName != "" {
			v.Greeting = l.T("email.hello_name", "Name", p.InviteeName)
		}
		v.Meaning = meaning(l, p)
		v.Intro = l.T("email."+string(kind)+".intro", kv...)
		v.Until = l.T("email."+string(kind)+".until", kv...)
		v.OpenText, v.OpenHTML = l.T("email.open_text"), l.T("email.open_html")
		v.Button = l.T("email.button", "Account", p.AccountName)
		v.Copy = l.T("email.copy")
		v.Ignore = l.T("email.ignore")
	} else {
		if p.InviterName != "" {
			v.Greeting = l.T("email.hello_name", "Name", p.InviterName)
		}
		who := p.Invitee()
		if who != p.InviteeEmail {
			who = l.T("email.renewal_request.who", "Name", who, "Email", p.InviteeEmail)
		}
		v.Intro = l.T("email.renewal_request.intro", append(kv, "Invitee", who)...)
		v.UsersLink = l.T("email.renewal_request.users")
		if p.UsersURL != "" {
			v.SendText, v.ThenText = l.T("email.renewal_request.send_url"), l.T("email.renewal_request.then")
		} else {
			v.SendText = l.T("email.renewal_request.send")
		}
		v.SendHTML = i18n.Around(i18n.With(context.Background(), l), "email.renewal_request.send_html", "Link")
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
	mail.Invitation:      invitationHTML,
	mail.Reminder:        invitationHTML,
	mail.NewInvitation:   invitationHTML,
	mail.RenewalRequest:  renewalRequestHTML,
	mail.PasswordReset:   passwordResetHTML,
	mail.PasswordChanged: passwordChangedHTML,
	mail.TwoFactorOff:    passwordChangedHTML, // the same shape: what changed, when, from where
}

// resetView fills in the sentences of the emails about a password.
func resetView(v *view, kind mail.Kind, p mail.Payload, link string) {
	l := p.Locale()
	if p.InviteeName != "" {
		v.Greeting = l.T("email.hello_name", "Name", p.InviteeName)
	}
	v.Email, v.Roles, v.UsersURL = "", "", ""
	switch kind {
	case mail.PasswordReset:
		if p.RequestedBy == "" {
			v.Intro = l.T("reset.email.intro_you", "Email", p.InviteeEmail, "Account", p.AccountName)
		} else {
			v.Intro = l.T("reset.email.intro_admin", "Admin", p.RequestedBy, "Email", p.InviteeEmail, "Account", p.AccountName)
		}
		v.OpenText, v.OpenHTML = l.T("reset.email.open_text"), l.T("reset.email.open_html")
		v.Button = l.T("reset.email.button")
		v.Copy = l.T("email.copy")
		v.Until = l.T("reset.email.until", "TTL", l.Span(p.ResetTTL), "Expires", l.Full(p.ExpiresAt))
		v.Ignore = l.T("reset.email.ignore")
	case mail.PasswordChanged, mail.TwoFactorOff:
		browser := l.T("reset.email.browser_unknown")
		switch {
		case p.Browser != "" && p.System != "":
			browser = l.T("reset.email.browser_on", "Browser", p.Browser, "System", p.System)
		case p.Browser != "":
			browser = p.Browser
		}
		intro := "reset.email.changed_intro"
		if kind == mail.TwoFactorOff {
			intro = "twofactor.email.intro"
		}
		v.Intro = l.T(intro, "Email", p.InviteeEmail, "Account", p.AccountName, "When", l.Full(p.ChangedAt), "Browser", browser)
		v.Ignore = l.T("reset.email.changed_you")
		if p.ForgotURL != "" {
			v.UsersURL = p.ForgotURL
			v.UsersLink = l.T("reset.email.changed_link")
			v.SendText = l.T("reset.email.changed_not_you")
			v.SendHTML = i18n.Around(i18n.With(context.Background(), l), "reset.email.changed_not_you_html", "Link")
		}
	}
	v.Link = link
}
