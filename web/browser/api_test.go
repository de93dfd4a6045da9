package browser_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/usherhq/usher/internal/apptest"
)

// An account administrator makes an API token and a webhook endpoint by
// clicking through Settings, a program invites with the token, the
// invitee accepts in their own browser, and the endpoint receives the
// signed invitation.accepted, which its delivery log shows.
func TestAPITokenAndWebhookStory(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTP: true, Env: map[string]string{"USHER_WEBHOOK_ALLOW_PRIVATE": "on"}})
	e.SetupAdmin(t)
	var mu sync.Mutex
	var hooks []*http.Request
	var bodies []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hooks, bodies = append(hooks, r), append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()

	br := newBrowser(t, e)
	admin := br.person()
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.navigateBy("open API tokens", chromedp.Click(button("API tokens")))
	admin.waitPath("/settings/api-tokens")
	admin.do("name the token, choose invitations:write",
		chromedp.SendKeys(chromedp.CSS("#name"), "HR system"),
		chromedp.Click(chromedp.CSS("#scope-invitations\\:write")))
	admin.navigateBy("Create token", chromedp.Click(button("Create token")))
	token := eval[string](admin, `document.getElementById("token-secret").value`)
	if !strings.HasPrefix(token, "usher_") || admin.text("#new-token h2") != "Your new token “HR system”" {
		t.Fatalf("the new token is not shown: %q", token)
	}
	if got := admin.text("tbody tr"); !strings.Contains(got, "users:read") || !strings.Contains(got, "invitations:write") || !strings.Contains(got, "Not yet") {
		t.Errorf("the token's row reads %q", got)
	}

	admin.navigateBy("open Webhooks", chromedp.Click(button("Webhooks")))
	admin.do("the endpoint's URL, and invitation.accepted (already chosen)",
		chromedp.SendKeys(chromedp.CSS("#url"), recv.URL+"/usher"))
	if !eval[bool](admin, `document.getElementById("event-invitation.accepted").checked`) {
		t.Error("invitation.accepted is not offered checked")
	}
	admin.navigateBy("Add endpoint", chromedp.Click(button("Add endpoint")))
	secret := eval[string](admin, `document.getElementById("webhook-secret").value`)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("no signing secret shown: %q", secret)
	}

	// A program invites with the token.
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/v1/invitations", strings.NewReader(`{"emails":["zoe@example.com"],"roles":[{"space_id":1,"role":"member"}]}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res := apptest.Send(t, http.DefaultClient, req)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("invite: %d %s", res.StatusCode, res.Body)
	}
	e.Deliver(t)
	link := apptest.Link(e.SMTP.To("zoe@example.com")[0].Text)
	zoe := br.person()
	zoe.open(strings.TrimPrefix(link, e.URL))
	zoe.do("name and password", chromedp.SendKeys(chromedp.CSS("#name"), "Zoë Zed"), chromedp.SendKeys(chromedp.CSS("#password"), "a long enough passphrase"))
	zoe.navigateBy("accept", chromedp.Submit(chromedp.CSS("#password")))
	e.Deliver(t)

	mu.Lock()
	if len(hooks) != 1 {
		mu.Unlock()
		t.Fatalf("%d webhooks, want 1", len(hooks))
	}
	r, body := hooks[0], bodies[0]
	mu.Unlock()
	var p struct {
		Type string
		Data struct {
			User struct{ Email, Name string }
		}
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil || p.Type != "invitation.accepted" || p.Data.User.Email != "zoe@example.com" || p.Data.User.Name != "Zoë Zed" {
		t.Fatalf("%s (%v)", body, err)
	}
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "." + body))
	if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); r.Header.Get("webhook-signature") != want {
		t.Fatalf("signature %q, want %q", r.Header.Get("webhook-signature"), want)
	}

	admin.open("/settings/webhooks")
	admin.navigateBy("open the endpoint", chromedp.Click(chromedp.CSS(`tbody a`)))
	if got := admin.text("tbody tr"); !strings.Contains(got, "invitation.accepted") || !strings.Contains(got, "Delivered") || !strings.Contains(got, "204") {
		t.Errorf("the delivery log reads %q", got)
	}
	// The token's use shows, and Revoke ends it.
	admin.open("/settings/api-tokens")
	if got := admin.text("tbody tr"); strings.Contains(got, "Not yet") {
		t.Errorf("the token's last use is not shown: %q", got)
	}
	admin.navigateBy("Revoke", chromedp.Click(button("Revoke the token HR system")))
	admin.waitBanner("The token HR system is revoked: it no longer works.")
	req, _ = http.NewRequest(http.MethodGet, e.URL+"/api/v1/spaces", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if res := apptest.Send(t, http.DefaultClient, req); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a revoked token: status %d", res.StatusCode)
	}
}
