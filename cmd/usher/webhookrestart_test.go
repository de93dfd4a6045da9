package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// An invitation made through the API while the receiver is down, the
// server killed (SIGKILL) before it could deliver the webhook, and started
// again: the webhook (queued in the invitation's own transaction) reaches
// the receiver once it listens, once, signed.
func TestWebhookSurvivesKill(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("server processes; run without -short")
	}
	dir := t.TempDir()
	const pass = "ana's long passphrase"
	env := map[string]string{"USHER_DATA_DIR": dir, "USHER_ADMIN_PASSWORD": pass}
	if _, _, err := runWith(t, env, "", "admin", "create", "--email", "ana@example.com", "--name", "Ana Admin", "--account", "Acme"); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	serve := map[string]string{"USHER_DATA_DIR": dir, "USHER_ADDR": addr, "USHER_BASE_URL": "http://" + addr, "USHER_WEBHOOK_ALLOW_PRIVATE": "on"}
	a := startServer(t, serve)
	ana := signInAs(t, a.url, "ana@example.com", pass)

	// The receiver's address, where nothing listens yet.
	hookAddr := freeAddr(t)
	page := post(t, ana, a.url, "/settings/webhooks", url.Values{"url": {"http://" + hookAddr + "/usher"}, "event": {"invitation.sent", "invitation.accepted"}})
	secret := regexp.MustCompile(`value="(whsec_[A-Za-z0-9+/=]+)"`).FindStringSubmatch(page)
	page = post(t, ana, a.url, "/settings/api-tokens", url.Values{"name": {"HR"}, "days": {"30"}, "scope": {"invitations:write"}})
	token := regexp.MustCompile(`value="(usher_[A-Za-z0-9_-]+)"`).FindStringSubmatch(page)
	if secret == nil || token == nil {
		t.Fatalf("no secret or token shown")
	}

	req, err := http.NewRequest(http.MethodPost, a.url+"/api/v1/invitations", strings.NewReader(`{"emails":["zoe@example.com"],"roles":[{"space_id":1,"role":"member"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token[1])
	req.Header.Set("Content-Type", "application/json")
	if res, body := roundTrip(t, http.DefaultClient, req); res.StatusCode != http.StatusCreated {
		t.Fatalf("invite: %d %s", res.StatusCode, body)
	}
	a.kill(t)

	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	l, err := net.Listen("tcp", hookAddr)
	if err != nil {
		t.Fatal(err)
	}
	hooks := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = hooks.Serve(l) }()
	t.Cleanup(func() { hooks.Close() })

	b := startServer(t, serve)
	defer b.kill(t)
	// The first attempt failed (nothing listened) or was cut off: the
	// retry comes within its backoff, or the claim's lease of 20 s.
	deadline := time.Now().Add(90 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no webhook after the restart\n%s", b.output())
		}
		time.Sleep(100 * time.Millisecond) // waiting for the delivery, not timing it
	}
	mu.Lock()
	r, body := got[0], bodies[0]
	mu.Unlock()
	var p struct {
		Type string
		Data struct{ User struct{ Email string } }
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Type != "invitation.sent" || p.Data.User.Email != "zoe@example.com" {
		t.Fatalf("%s (%v)", body, err)
	}
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret[1], "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "." + string(body)))
	if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); r.Header.Get("webhook-signature") != want {
		t.Fatalf("signature %q, want %q", r.Header.Get("webhook-signature"), want)
	}
	// Accepting sends no email, yet its webhook goes at once: the change
	// wakes the sender (its idle poll is a minute).
	link := regexp.MustCompile(`http://[^\s"]+/invite/[A-Za-z0-9_-]+`).FindString(a.output() + b.output())
	if link == "" {
		t.Fatalf("no invitation link in the logs")
	}
	accept := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if body := post(t, accept, b.url, strings.TrimPrefix(link, b.url), url.Values{"name": {"Zoë Zed"}, "password": {"a long enough passphrase"}}); strings.Contains(body, "error") {
		t.Fatalf("accepting: %s", body)
	}
	deadline = time.Now().Add(45 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no invitation.accepted webhook after accepting\n%s", b.output())
		}
		time.Sleep(100 * time.Millisecond) // waiting for the delivery, not timing it
	}
	mu.Lock()
	if !strings.Contains(string(bodies[1]), `"type":"invitation.accepted"`) {
		t.Errorf("the second webhook: %s", bodies[1])
	}
	mu.Unlock()

	// Once each: recorded as delivered, and not sent again.
	code, log := fetch(t, signInAs(t, b.url, "ana@example.com", pass), b.url, "/settings/webhooks")
	if code != http.StatusOK || strings.Contains(log, "waiting") {
		t.Errorf("the endpoint still has webhooks waiting:\n%s", log)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Errorf("%d webhooks, want 2", len(got))
	}
}
