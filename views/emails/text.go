package emails

import "text/template"

// textTemplates are the plain-text parts, one per mail.Kind. Plain text is
// not HTML, so it is written with text/template rather than templ (which
// would escape it).
var textTemplates = template.Must(template.New("text").Parse(`
{{- define "roles"}}{{if .Roles}}
Roles offered: {{.Roles}}
{{if .Meaning}}{{.Meaning}}
{{end}}{{end}}{{end}}

{{- define "invitation" -}}
{{.Greeting}}

{{.Inviter}} invited you to join {{.Account}}.
{{template "roles" .}}
To accept, open this link, then choose your name and a password:

{{.Link}}

The link works until {{.Expires}}.

If you were not expecting this invitation, you can ignore this email.
{{end}}

{{- define "reminder" -}}
{{.Greeting}}

This is a reminder: {{.Inviter}} invited you to join {{.Account}}.
{{template "roles" .}}
To accept, open this link, then choose your name and a password:

{{.Link}}

It is the same link as in the earlier email, and it now works until {{.Expires}}.

If you were not expecting this invitation, you can ignore this email.
{{end}}

{{- define "new_invitation" -}}
{{.Greeting}}

Your earlier invitation to join {{.Account}} expired, so {{.Inviter}} sent you a new one.
{{template "roles" .}}
To accept, open this link, then choose your name and a password:

{{.Link}}

The link in earlier emails no longer works. This one works until {{.Expires}}.

If you were not expecting this invitation, you can ignore this email.
{{end}}

{{- define "renewal_request" -}}
{{.Greeting}}

The invitation you sent to {{.Invitee}}{{if ne .Invitee .Email}} ({{.Email}}){{end}} to join {{.Account}} expired on {{.Expires}}. They opened the link and asked for a new invitation.
{{template "roles" .}}
To send one, open Settings > Users{{if .UsersURL}}:

{{.UsersURL}}

Then{{else}}, then{{end}} choose "Send new invitation" in the actions menu of their row.
{{end}}
`))
