package emails

import "text/template"

// textTemplates are the plain-text parts, one per mail.Kind, laid out
// from the view's sentences (already in the reader's language). Plain text
// is not HTML, so it is written with text/template rather than templ
// (which would escape it).
var textTemplates = template.Must(template.New("text").Parse(`
{{- define "roles"}}{{if .Roles}}
{{.Offered}} {{.Roles}}
{{if .Meaning}}{{.Meaning}}
{{end}}{{end}}{{end}}

{{- define "invitation" -}}
{{.Greeting}}

{{.Intro}}
{{template "roles" .}}
{{.OpenText}}

{{.Link}}

{{.Until}}

{{.Ignore}}
{{end}}

{{- define "reminder"}}{{template "invitation" .}}{{end}}
{{- define "new_invitation"}}{{template "invitation" .}}{{end}}

{{- define "password_reset" -}}
{{.Greeting}}

{{.Intro}}

{{.OpenText}}

{{.Link}}

{{.Until}}

{{.Ignore}}
{{end}}

{{- define "password_changed" -}}
{{.Greeting}}

{{.Intro}}

{{.Ignore}}{{if .UsersURL}}

{{.SendText}}

{{.UsersURL}}{{end}}
{{end}}

{{- define "two_factor_off" -}}
{{template "password_changed" .}}
{{- end}}

{{- define "renewal_request" -}}
{{.Greeting}}

{{.Intro}}
{{template "roles" .}}
{{.SendText}}{{if .UsersURL}}

{{.UsersURL}}

{{.ThenText}}{{end}}
{{end}}
`))
