package users

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/i18n"
)

// The row is written by hand (row.go), not by templ: every value a person
// or a mail server chose must come out escaped, in text and in attributes.
func TestUserRowEscapes(t *testing.T) {
	t.Parallel()
	const evil = `<script>alert("x")</script>&'`
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	r := Row{ID: 42, Name: evil, HasName: true, Email: `a"b<c>@example.com`, Status: "invited", StatusID: "users.status.invited",
		Roles: evil, Offered: evil, InvitedBy: evil, JoinedAt: now.Add(-time.Hour), LastSignIn: now.Add(-time.Minute),
		Invite: &InviteLine{CreatedAt: now.Add(-48 * time.Hour), Reminded: true, SentAt: now.Add(-24 * time.Hour), ExpiresAt: now.Add(72 * time.Hour),
			DeliveryFailed: true, DeliveryError: evil, RenewalRequested: true},
		Actions: []Action{{Path: "edit", Group: 0}, {Path: "delete", Group: 1}}, Now: now}
	for _, code := range []string{"en", "de"} {
		var b strings.Builder
		ctx := i18n.With(context.Background(), i18n.Default().Locale(code))
		if err := UserRow(r).Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		if strings.Contains(html, "<script") || strings.Contains(html, `a"b`) || strings.Contains(html, "<c>") {
			t.Fatalf("%s: a value is not escaped:\n%s", code, html)
		}
		escaped := `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&#39;`
		// Name, roles, offered roles, inviter and the server's reply.
		if n := strings.Count(html, escaped); n != 5 {
			t.Errorf("%s: the value escaped %d times, want 5:\n%s", code, n, html)
		}
		for _, want := range []string{
			`<tr id="user-42">`, `value="42"`, `href="/settings/users/42"`, `a&#34;b&lt;c&gt;@<wbr>example.<wbr>com`,
			`aria-label="` + i18n.Default().Locale(code).T("bulk.row.select", "Email", `a&#34;b&lt;c&gt;@example.com`) + `"`,
			`data-actions="edit | delete"`, `href="/settings/users/42/actions"`, `datetime="2026-12-02T12:00:00Z"`,
			`<span class="badge badge-invited">`, `<div class="delivery delivery-failed">`, `id="user-42-delivery"`,
		} {
			if !strings.Contains(html, want) {
				t.Errorf("%s: no %s in\n%s", code, want, html)
			}
		}
	}
}
