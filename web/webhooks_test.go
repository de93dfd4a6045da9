package web_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// receiver is a webhook endpoint in the test: it keeps what it gets, and
// answers as told.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []hook
	answer int // 0: 204; -1: drops the connection without an answer
}

type hook struct {
	id, ts, sig string
	body        []byte
	payload     struct {
		Type      string
		Timestamp time.Time
		Data      struct {
			EventID string `json:"event_id"`
			User    struct {
				ID    int64
				Email string
			}
			Actor *struct{ Email string }
		}
	}
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		answer := r.answer
		r.mu.Unlock()
		if answer == -1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		if answer != 0 {
			http.Error(w, "not now", answer)
			return
		}
		body, _ := io.ReadAll(req.Body)
		h := hook{id: req.Header.Get("webhook-id"), ts: req.Header.Get("webhook-timestamp"), sig: req.Header.Get("webhook-signature"), body: body}
		if err := json.Unmarshal(body, &h.payload); err != nil {
			t.Errorf("a webhook that is not JSON: %s", body)
		}
		r.mu.Lock()
		r.got = append(r.got, h)
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) set(answer int) {
	r.mu.Lock()
	r.answer = answer
	r.mu.Unlock()
}

func (r *receiver) hooks() []hook {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hook(nil), r.got...)
}

// verify checks h's signature as the README says a receiver does:
// HMAC-SHA256 with the secret's bytes over "id.timestamp.body", base64,
// after "v1,"; and a timestamp within five minutes.
func verify(t *testing.T, secret string, h hook, now time.Time) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.id + "." + h.ts + "." + string(h.body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	ok := false
	for _, s := range strings.Fields(h.sig) {
		ok = ok || hmac.Equal([]byte(s), []byte(want))
	}
	if !ok {
		t.Fatalf("signature %q does not verify (want %q)", h.sig, want)
	}
	ts, err := strconv.ParseInt(h.ts, 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		t.Fatalf("timestamp %q, now %d", h.ts, now.Unix())
	}
}

// addEndpoint adds an endpoint at u for events on the page, and gives
// its secret and page.
func (w *clinic) addEndpoint(t *testing.T, c *http.Client, u string, events ...string) (secret, page string) {
	t.Helper()
	res := w.e.Post(t, c, "/settings/webhooks", url.Values{"url": {u}, "event": events})
	m := regexp.MustCompile(`value="(whsec_[A-Za-z0-9+/=]+)"`).FindStringSubmatch(res.Body)
	if res.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("adding an endpoint: status %d\n%s", res.StatusCode, res.Body)
	}
	list := w.e.Get(t, c, "/settings/webhooks")
	p := regexp.MustCompile(`href="(/settings/webhooks/\d+)"`).FindAllStringSubmatch(list.Body, -1)
	if len(p) == 0 {
		t.Fatalf("no endpoint listed\n%s", list.Body)
	}
	return m[1], p[len(p)-1][1]
}

// TestWebhooks: events reach a real receiver signed, in the order they
// happened; a receiver down for a while gets every one once it answers;
// one that answers 410 is paused and shown; Send again sends the same
// event again.
func TestWebhooks(t *testing.T) {
	t.Parallel()
	w := newClinicWith(t, apptest.Options{Env: map[string]string{"USHER_WEBHOOK_ALLOW_PRIVATE": "on"}})
	r := newReceiver(t)
	c := w.signIn(t, apptest.AdminEmail)
	secret, page := w.addEndpoint(t, c, r.srv.URL+"/hooks", "invitation.sent", "invitation.accepted", "user.deactivated")
	// The database keeps the secret sealed: neither it nor its bytes are
	// in the row.
	var sealed []byte
	if err := w.e.App.DB.R.QueryRow(`SELECT secret FROM webhook_endpoints`).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if len(raw) != 32 || bytes.Contains(sealed, raw) || bytes.Contains(sealed, []byte(secret)) {
		t.Fatalf("the secret is stored as it is: %x", sealed)
	}

	// Invited through the page: queued with the invitation, sent at the
	// sender's next round.
	res := w.e.Post(t, c, "/settings/users/invite", url.Values{"email": {"hook@example.com"}, "role_" + cid(w.north): {"member"}})
	w.mustFlash(t, c, res, "Invitation will be sent to hook@example.com.")
	w.mails(t)
	got := r.hooks()
	if len(got) != 1 || got[0].payload.Type != "invitation.sent" || got[0].payload.Data.User.Email != "hook@example.com" ||
		got[0].payload.Data.Actor == nil || got[0].payload.Data.Actor.Email != apptest.AdminEmail || got[0].id != got[0].payload.Data.EventID {
		t.Fatalf("%d webhooks: %+v", len(got), got)
	}
	verify(t, secret, got[0], w.e.Clock.Now())

	// Accepted: the next event.
	id := w.e.UserID(t, "hook@example.com")
	if res, _ := w.accept(t, w.linkPath(t, id), "Hook Person"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accepting: %d", res.StatusCode)
	}
	w.mails(t)
	if got = r.hooks(); len(got) != 2 || got[1].payload.Type != "invitation.accepted" || got[1].payload.Data.User.ID != id {
		t.Fatalf("%+v", got)
	}
	verify(t, secret, got[1], w.e.Clock.Now())

	// The receiver is down: the deactivation waits, and is tried again
	// with backoff until it answers.
	r.set(-1)
	admin := w.actor(t, w.admin)
	if _, err := w.e.App.Users.Deactivate(context.Background(), admin.Access, id); err != nil {
		t.Fatal(err)
	}
	w.mails(t)
	for range 3 {
		w.e.Clock.Advance(6 * time.Minute)
		w.mails(t)
	}
	if n := len(r.hooks()); n != 2 {
		t.Fatalf("%d webhooks while down", n)
	}
	log := w.e.Get(t, c, page)
	if !strings.Contains(log.Body, "Waiting") || !strings.Contains(log.Body, "4 attempts") || !strings.Contains(log.Body, "Next try") {
		t.Fatalf("the log does not show the retries:\n%s", log.Body)
	}
	r.set(503)
	w.e.Clock.Advance(31 * time.Minute)
	w.mails(t)
	if log := w.e.Get(t, c, page); !strings.Contains(log.Body, "503 Service Unavailable: not now") {
		t.Fatalf("the log does not say the answer:\n%s", log.Body)
	}
	r.set(0)
	w.e.Clock.Advance(time.Hour)
	w.mails(t)
	if got = r.hooks(); len(got) != 3 || got[2].payload.Type != "user.deactivated" {
		t.Fatalf("after the receiver came back: %+v", got)
	}
	verify(t, secret, got[2], w.e.Clock.Now())
	w.mails(t)
	if n := len(r.hooks()); n != 3 {
		t.Fatalf("delivered again: %d", n)
	}

	// Send again: the same event, the same id.
	log = w.e.Get(t, c, page)
	again := regexp.MustCompile(`action="(/settings/webhooks/\d+/deliveries/\d+/again)"`).FindStringSubmatch(log.Body)
	if again == nil {
		t.Fatalf("no Send again\n%s", log.Body)
	}
	w.mustFlash(t, c, w.e.Post(t, c, again[1], nil), "The webhook will be sent again now.")
	w.mails(t)
	if got = r.hooks(); len(got) != 4 || got[3].id != got[2].id {
		t.Fatalf("sent again: %+v", got)
	}

	// 410 Gone: paused, and said on both pages; what follows waits.
	r.set(http.StatusGone)
	w.invite(t, w.admin, "gone1@example.com", spaces.Grant{SpaceID: w.north, Role: spaces.Member})
	w.mails(t)
	w.invite(t, w.admin, "gone2@example.com", spaces.Grant{SpaceID: w.north, Role: spaces.Member})
	w.mails(t)
	list := w.e.Get(t, c, "/settings/webhooks")
	if !strings.Contains(list.Body, "Paused") || !strings.Contains(list.Body, "410 Gone") || !strings.Contains(list.Body, "1 waiting") {
		t.Fatalf("the list does not show the pause:\n%s", list.Body)
	}
	log = w.e.Get(t, c, page)
	if !strings.Contains(log.Body, "Deliveries are paused") {
		t.Fatalf("the endpoint's page does not say it is paused:\n%s", log.Body)
	}
	r.set(0)
	w.e.Clock.Advance(time.Hour)
	w.mails(t)
	if n := len(r.hooks()); n != 4 {
		t.Fatalf("a paused endpoint got %d webhooks", n-4)
	}
	resume := regexp.MustCompile(`action="(/settings/webhooks/\d+/resume)"`).FindStringSubmatch(log.Body)
	w.mustFlash(t, c, w.e.Post(t, c, resume[1], nil), "Deliveries to "+r.srv.URL+"/hooks resume now.")
	w.mails(t)
	if got = r.hooks(); len(got) != 5 || got[4].payload.Data.User.Email != "gone2@example.com" {
		t.Fatalf("after resuming: %+v", got)
	}

	// Only account administrators have the page.
	if res := w.e.Get(t, w.signIn(t, unaEmail), "/settings/webhooks"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a unit administrator: status %d", res.StatusCode)
	}
	// Deleting stops it.
	del := regexp.MustCompile(`action="(/settings/webhooks/\d+/delete)"`).FindStringSubmatch(log.Body)
	w.mustFlash(t, c, w.e.Post(t, c, del[1], nil), "The endpoint "+r.srv.URL+"/hooks is deleted.")
	w.invite(t, w.admin, "after@example.com", spaces.Grant{SpaceID: w.north, Role: spaces.Member})
	w.mails(t)
	if n := len(r.hooks()); n != 5 {
		t.Fatalf("a deleted endpoint got a webhook")
	}
}

// TestWebhookPrivateAddressRefused: without USHER_WEBHOOK_ALLOW_PRIVATE,
// an endpoint at a loopback address is refused when added, and one that
// reaches a private address anyway (a name that resolves there; here put
// in by hand) is refused when connecting: nothing reaches it.
func TestWebhookPrivateAddressRefused(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	r := newReceiver(t)
	c := w.signIn(t, apptest.AdminEmail)
	for _, u := range []string{r.srv.URL, "http://localhost:9/x", "http://[::1]/x", "http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data"} {
		res := w.e.Post(t, c, "/settings/webhooks", url.Values{"url": {u}, "event": {"invitation.sent"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "is on this machine or a private network") {
			t.Errorf("%s: status %d\n%s", u, res.StatusCode, res.Body)
		}
	}
	res := w.e.Post(t, c, "/settings/webhooks", url.Values{"url": {"ftp://example.com/"}, "event": {"invitation.sent"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Enter the endpoint") {
		t.Errorf("ftp: status %d", res.StatusCode)
	}
	// In by hand, as if a public name had resolved to the loopback.
	w.e.App.Webhooks.AllowPrivate = true
	_, page := w.addEndpoint(t, c, r.srv.URL, "invitation.sent")
	w.e.App.Webhooks.AllowPrivate = false
	w.invite(t, w.admin, "ssrf@example.com", spaces.Grant{SpaceID: w.north, Role: spaces.Member})
	w.mails(t)
	if n := len(r.hooks()); n != 0 {
		t.Fatalf("a private address got %d webhooks", n)
	}
	if log := w.e.Get(t, c, page); !strings.Contains(log.Body, "is a private, loopback or link-local address: refused unless USHER_WEBHOOK_ALLOW_PRIVATE is on") {
		t.Fatalf("the log does not say why:\n%s", log.Body)
	}
}

// TestWebhookEvents: each event an endpoint picks arrives when it
// happens, and only those: a resend, a change of roles, a cancellation,
// an expiry (Usher's own doing: no actor), a deletion.
func TestWebhookEvents(t *testing.T) {
	t.Parallel()
	w := newClinicWith(t, apptest.Options{Env: map[string]string{"USHER_WEBHOOK_ALLOW_PRIVATE": "on"}})
	r := newReceiver(t)
	c := w.signIn(t, apptest.AdminEmail)
	w.addEndpoint(t, c, r.srv.URL, "invitation.resent", "invitation.cancelled", "invitation.expired", "user.updated", "user.deleted")
	ctx := context.Background()
	admin := w.actor(t, w.admin)
	north := spaces.Grant{SpaceID: w.north, Role: spaces.Member}

	resent := w.invite(t, w.admin, "resent@example.com", north)
	cancelled := w.invite(t, w.admin, "cancelled@example.com", north)
	w.e.Clock.Advance(2 * time.Minute)
	if _, err := w.e.App.Invitations.Resend(ctx, admin, resent.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.e.App.Invitations.Cancel(ctx, admin, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.e.App.Users.Edit(ctx, admin.Access, w.mo.ID, users.EditInput{Name: "Mo Moved", ChangeRole: true, Roles: map[int64]spaces.Role{w.north: spaces.Member, w.wa1: spaces.Member}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.e.App.Users.Delete(ctx, admin.Access, w.admin, w.walt.ID); err != nil {
		t.Fatal(err)
	}
	w.e.Clock.Advance(w.e.App.Invitations.TTL() + time.Hour) // the resent invitation expires
	w.mails(t)
	w.mails(t) // the expiry is written at the sender's round, and sent at the next

	var got []string
	var expiredActor bool
	for _, h := range r.hooks() {
		got = append(got, h.payload.Type+" "+h.payload.Data.User.Email)
		if h.payload.Type == "invitation.expired" {
			expiredActor = h.payload.Data.Actor != nil
		}
	}
	want := []string{"invitation.resent resent@example.com", "invitation.cancelled cancelled@example.com",
		"user.updated " + moEmail, "user.deleted " + waltEmail, "invitation.expired resent@example.com"}
	for _, x := range want {
		if !slices.Contains(got, x) {
			t.Errorf("no %q among %q", x, got)
		}
	}
	if len(got) != len(want)+countOf(got, "user.updated "+moEmail)-1 {
		t.Errorf("webhooks %q, want only %q (user.updated once per change)", got, want)
	}
	if expiredActor {
		t.Error("an expiry names an actor; Usher itself did it")
	}
}

func countOf(list []string, x string) int {
	n := 0
	for _, y := range list {
		if y == x {
			n++
		}
	}
	return n
}
