package web_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/errs"
)

// TestAppsPage: an account administrator registers apps on Settings >
// Apps; redirect URIs are refused unless exact and safe; a server app's
// secret is shown once, kept as a hash, rotated and revoked at once; a
// public app has none; all of it is in the activity log.
func TestAppsPage(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	c := w.signIn(t, apptest.AdminEmail)
	ctx := context.Background()
	if res := w.e.Get(t, c, "/settings/apps"); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "No apps yet.") {
		t.Fatalf("status %d\n%s", res.StatusCode, res.Body)
	}
	for _, bad := range []struct{ uris, kind, want string }{
		{"", "server", "Enter at least one redirect URI"},
		{"http://rota.example.com/cb", "server", "http://rota.example.com/cb cannot be a redirect URI"},
		{"https://rota.example.com/cb#x", "server", "https://rota.example.com/cb#x cannot be a redirect URI"},
		{"/cb", "server", "/cb cannot be a redirect URI"},
		{"com.example.rota:/cb", "server", "com.example.rota:/cb cannot be a redirect URI"},
		{strings.Repeat("https://rota.example.com/cb\n", 1) + "https://a.example/1\nhttps://a.example/2\nhttps://a.example/3\nhttps://a.example/4\nhttps://a.example/5\nhttps://a.example/6\nhttps://a.example/7\nhttps://a.example/8\nhttps://a.example/9\nhttps://a.example/10", "server", "An app can have at most 10 redirect URIs"},
	} {
		res := w.e.Post(t, c, "/settings/apps", url.Values{"name": {"Rota"}, "kind": {bad.kind}, "redirect_uris": {bad.uris}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, bad.want) {
			t.Errorf("%q: status %d, want %q", bad.uris, res.StatusCode, bad.want)
		}
	}
	if res := w.e.Post(t, c, "/settings/apps", url.Values{"name": {"Rota"}, "kind": {"server"}, "redirect_uris": {"https://rota.example.com/cb"}, "visible": {"999"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an unknown space: status %d", res.StatusCode)
	}

	res := w.e.Post(t, c, "/settings/apps", url.Values{"name": {"Rota <staff>"}, "kind": {"server"}, "redirect_uris": {"https://rota.example.com/cb\r\nhttp://localhost:3000/cb"},
		"visible": {cid(w.north), cid(w.wa1)}, "required": {cid(w.north)}})
	secret := regexp.MustCompile(`value="(usher_secret_[A-Za-z0-9_-]{43})"`).FindStringSubmatch(res.Body)
	clientID := regexp.MustCompile(`<code lang="en" id="client-id">([0-9a-f]{32})</code>`).FindStringSubmatch(res.Body)
	if res.StatusCode != http.StatusCreated || secret == nil || clientID == nil || !strings.Contains(res.Body, "Rota &lt;staff&gt;") || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, no secret or client id\n%s", res.StatusCode, res.Body)
	}
	for _, want := range []string{"https://rota.example.com/cb", "http://localhost:3000/cb", "North Clinic", "Waiting Area 1"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("the app's page lacks %q", want)
		}
	}
	var hash []byte
	if err := w.e.App.DB.R.QueryRow(`SELECT secret_hash FROM apps WHERE client_id = ?`, clientID[1]).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(secret[1])); string(hash) != string(sum[:]) {
		t.Fatalf("the database keeps %x", hash)
	}
	a, err := w.e.App.Apps.Authenticate(ctx, clientID[1], secret[1])
	if err != nil || !a.RedirectAllowed("https://rota.example.com/cb") || a.RedirectAllowed("https://rota.example.com/cb/") || a.RedirectAllowed("https://rota.example.com/CB") {
		t.Fatalf("authenticate: %v, redirects %v", err, a.RedirectURIs)
	}
	if _, err := w.e.App.Apps.Authenticate(ctx, clientID[1], secret[1]+"x"); !errs.Is(err, errs.Unauthorized) {
		t.Errorf("a wrong secret: %v", err)
	}
	page := regexp.MustCompile(`action="(/settings/apps/\d+)/secret"`).FindStringSubmatch(res.Body)
	if page == nil {
		t.Fatalf("no rotate button\n%s", res.Body)
	}
	if list := w.e.Get(t, c, "/settings/apps"); !strings.Contains(list.Body, clientID[1]) || strings.Contains(list.Body, secret[1]) {
		t.Errorf("the list does not show the client id, or shows the secret")
	}

	// Rotated: the old secret stops at once, the new one works.
	res = w.e.Post(t, c, page[1]+"/secret", nil)
	again := regexp.MustCompile(`value="(usher_secret_[A-Za-z0-9_-]{43})"`).FindStringSubmatch(res.Body)
	if res.StatusCode != http.StatusOK || again == nil || again[1] == secret[1] {
		t.Fatalf("rotate: status %d\n%s", res.StatusCode, res.Body)
	}
	if _, err := w.e.App.Apps.Authenticate(ctx, clientID[1], secret[1]); !errs.Is(err, errs.Unauthorized) {
		t.Errorf("the old secret after rotation: %v", err)
	}
	if _, err := w.e.App.Apps.Authenticate(ctx, clientID[1], again[1]); err != nil {
		t.Errorf("the new secret: %v", err)
	}
	// Revoked: none works.
	w.mustFlash(t, c, w.e.Post(t, c, page[1]+"/secret/revoke", nil), "The client secret of Rota <staff> is revoked.")
	if _, err := w.e.App.Apps.Authenticate(ctx, clientID[1], again[1]); !errs.Is(err, errs.Unauthorized) {
		t.Errorf("a revoked secret: %v", err)
	}
	if d := w.e.Get(t, c, page[1]); !strings.Contains(d.Body, "None: the app signs nobody in until it gets a new one.") {
		t.Errorf("the page does not say the secret is gone")
	}

	// A public app: no secret, a scheme of its own allowed.
	res = w.e.Post(t, c, "/settings/apps", url.Values{"name": {"Rota mobile"}, "kind": {"public"}, "redirect_uris": {"com.example.rota:/cb"}, "first_party": {"1"}})
	if res.StatusCode != http.StatusCreated || strings.Contains(res.Body, "usher_secret_") || !strings.Contains(res.Body, "proves itself with PKCE") {
		t.Fatalf("public app: status %d\n%s", res.StatusCode, res.Body)
	}

	// Only account administrators.
	if res := w.e.Get(t, w.signIn(t, unaEmail), "/settings/apps"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a unit administrator: status %d", res.StatusCode)
	}
	w.mustFlash(t, c, w.e.Post(t, c, page[1]+"/delete", nil), "The app Rota <staff> is deleted.")
	if _, err := w.e.App.Apps.Authenticate(ctx, clientID[1], again[1]); !errs.Is(err, errs.Unauthorized) {
		t.Errorf("a deleted app: %v", err)
	}
	log := w.e.Get(t, c, "/settings/activity?kind=")
	for _, want := range []string{"registered the app Rota &lt;staff&gt;", "gave the app Rota &lt;staff&gt; a new client secret",
		"revoked the client secret of the app Rota &lt;staff&gt;", "deleted the app Rota &lt;staff&gt;", "registered the app Rota mobile"} {
		if !strings.Contains(log.Body, want) {
			t.Errorf("the activity log lacks %q", want)
		}
	}
}
