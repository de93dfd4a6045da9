package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	liberrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/usherhq/usher/internal/apitokens"
	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// ---- A client of the API, checking every answer against the document ----

// openAPI is the server's document, read once per test binary, and a
// validator of requests and answers against it.
var openAPIValidator struct {
	once sync.Once
	doc  []byte
	v    validator.Validator
	mu   sync.Mutex // the validator is not safe for concurrent use
}

func apiValidator(t *testing.T, e *apptest.Env) validator.Validator {
	t.Helper()
	o := &openAPIValidator
	o.once.Do(func() {
		res := e.Get(t, http.DefaultClient, "/api/v1/openapi.json")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("openapi.json: status %d", res.StatusCode)
		}
		o.doc = []byte(res.Body)
		doc, err := libopenapi.NewDocument(o.doc)
		if err != nil {
			t.Fatal(err)
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		o.v = v
	})
	if o.v == nil {
		t.Fatal("no validator (an earlier test failed to make it)")
	}
	return o.v
}

type apiRes struct {
	status int
	header http.Header
	body   string
}

// problem is the answer's problem+json, checked to be one.
func (r apiRes) problem(t *testing.T) map[string]any {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; status %d\n%s", ct, r.status, r.body)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatal(err, r.body)
	}
	if int(p["status"].(float64)) != r.status || p["title"] != http.StatusText(r.status) || p["detail"] == "" ||
		!strings.HasPrefix(p["type"].(string), "/api/v1/docs#problem-") {
		t.Fatalf("not a problem of status %d: %s", r.status, r.body)
	}
	return p
}

// wantProblem checks r is a problem of status whose detail says detail.
func (r apiRes) wantProblem(t *testing.T, status int, detail string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	if p := r.problem(t); p["detail"] != detail {
		t.Fatalf("detail %q, want %q", p["detail"], detail)
	}
}

func (r apiRes) decode(t *testing.T, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatal(err, r.body)
	}
}

// api sends method path with the token and JSON body (nil: none), checks
// the request and the answer against the OpenAPI document, and reads it.
func api(t *testing.T, e *apptest.Env, token, method, path string, body any, header ...string) apiRes {
	t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	newReq := func() *http.Request {
		req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		return req
	}
	res, err := http.DefaultClient.Do(newReq())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := apiRes{status: res.StatusCode, header: res.Header, body: string(got)}
	// Every answer of a documented operation is as the document says.
	if res.StatusCode != http.StatusNotFound || !strings.Contains(out.body, "nothing at this address") {
		v := apiValidator(t, e)
		res.Body = io.NopCloser(bytes.NewReader(got))
		openAPIValidator.mu.Lock()
		var ok bool
		var errs []*liberrors.ValidationError
		if res.StatusCode < 400 {
			ok, errs = v.ValidateHttpRequestResponse(newReq(), res)
		} else {
			// A request the test sends wrong on purpose: the answer is
			// still as documented.
			ok, errs = v.ValidateHttpResponse(newReq(), res)
		}
		openAPIValidator.mu.Unlock()
		if !ok {
			for _, e := range errs {
				t.Errorf("%s %s: not as documented: %s (%s)", method, path, e.Message, e.Reason)
				for _, se := range e.SchemaValidationErrors {
					t.Errorf("  %s at %s", se.Reason, se.KeywordLocation+" "+se.FieldPath)
				}
			}
			t.Fatalf("answer %d: %s", res.StatusCode, got)
		}
	}
	return out
}

// token makes an API token for u with scopes, as the page does.
func (w *clinic) token(t *testing.T, u users.User, scopes ...apitokens.Scope) string {
	t.Helper()
	if len(scopes) == 0 {
		scopes = apitokens.Scopes
	}
	a := w.actor(t, u)
	_, secret, err := w.e.App.APITokens.Create(context.Background(), a.User, a.Access, apitokens.CreateInput{Name: "test " + u.Email, Days: 30, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// ---- Tests ----

// TestAPITokensPage: an administrator makes a token on Settings > API
// tokens, sees it once, uses it, and revokes it; the log says both.
func TestAPITokensPage(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	c := w.signIn(t, apptest.AdminEmail)
	res := w.e.Get(t, c, "/settings/api-tokens")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "No tokens yet.") {
		t.Fatalf("status %d\n%s", res.StatusCode, res.Body)
	}
	// A name and a scope are needed; nothing is made without them.
	res = w.e.Post(t, c, "/settings/api-tokens", url.Values{"name": {"  "}, "days": {"30"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Enter a name for the token") ||
		!strings.Contains(res.Body, "Choose at least one scope") && !strings.Contains(res.Body, "Enter a name") {
		t.Fatalf("status %d\n%s", res.StatusCode, res.Body)
	}
	res = w.e.Post(t, c, "/settings/api-tokens", url.Values{"name": {"HR system"}, "days": {"30"}, "scope": {"users:write", "nonsense"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Choose at least one scope") {
		t.Fatalf("an unknown scope: status %d\n%s", res.StatusCode, res.Body)
	}
	res = w.e.Post(t, c, "/settings/api-tokens", url.Values{"name": {"HR <system>"}, "days": {"30"}, "scope": {"users:read", "invitations:write"}})
	secret := regexp.MustCompile(`value="(usher_[A-Za-z0-9_-]{43})"`).FindStringSubmatch(res.Body)
	if res.StatusCode != http.StatusCreated || secret == nil || !strings.Contains(res.Body, "HR &lt;system&gt;") {
		t.Fatalf("status %d, no secret shown\n%s", res.StatusCode, res.Body)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the page with the secret: Cache-Control %q, want no-store", cc)
	}
	// The database keeps its SHA-256 only: a copy of it holds no token.
	var stored []byte
	var n int
	if err := w.e.App.DB.R.QueryRow(`SELECT hash, (SELECT count(*) FROM api_tokens WHERE instr(CAST(hash AS TEXT), ?) > 0 OR instr(name, ?) > 0 OR instr(prefix, ?) > 0) FROM api_tokens`,
		secret[1], secret[1], secret[1]).Scan(&stored, &n); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(secret[1])); n != 0 || !bytes.Equal(stored, sum[:]) {
		t.Fatalf("the database keeps %x for the token (and it shows in %d rows)", stored, n)
	}
	res = w.e.Get(t, c, "/settings/api-tokens")
	if strings.Contains(res.Body, secret[1]) || !strings.Contains(res.Body, secret[1][:12]+"…") || !strings.Contains(res.Body, "Not yet") {
		t.Fatalf("the list shows the secret, or not its start:\n%s", res.Body)
	}
	// It works, and its use is noted.
	if r := api(t, w.e, secret[1], http.MethodGet, "/api/v1/spaces", nil); r.status != http.StatusOK {
		t.Fatalf("status %d\n%s", r.status, r.body)
	}
	res = w.e.Get(t, c, "/settings/api-tokens")
	if strings.Contains(res.Body, "Not yet") {
		t.Error("the token's last use is not shown")
	}
	// Revoked: refused at the next request.
	id := regexp.MustCompile(`action="/settings/api-tokens/(\d+)/revoke"`).FindStringSubmatch(res.Body)
	if id == nil {
		t.Fatalf("no Revoke button\n%s", res.Body)
	}
	res = w.e.Post(t, c, "/settings/api-tokens/"+id[1]+"/revoke", nil)
	w.mustFlash(t, c, res, "The token HR <system> is revoked: it no longer works.")
	api(t, w.e, secret[1], http.MethodGet, "/api/v1/spaces", nil).wantProblem(t, http.StatusUnauthorized, "This API token is not valid: it is unknown, expired or revoked.")
	// Revoking again (a second tab) says so.
	res = w.e.Post(t, c, "/settings/api-tokens/"+id[1]+"/revoke", nil)
	if kind, msg := w.after(t, c, res); kind != "error" || msg != "The token HR <system> is revoked already" {
		t.Errorf("revoked twice: %s %q", kind, msg)
	}
	// Another administrator neither sees nor revokes it.
	una := w.signIn(t, unaEmail)
	if res := w.e.Get(t, una, "/settings/api-tokens"); strings.Contains(res.Body, "HR &lt;system&gt;") {
		t.Error("a unit administrator sees the account administrator's token")
	}
	if res := w.e.Post(t, una, "/settings/api-tokens/"+id[1]+"/revoke", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a unit administrator revoking another's token: status %d", res.StatusCode)
	}
	// A member has no tokens page.
	if res := w.e.Get(t, w.signIn(t, moEmail), "/settings/api-tokens"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a member: status %d", res.StatusCode)
	}
	log := w.e.Get(t, c, "/settings/activity")
	for _, want := range []string{"Ana Admin created the API token “HR &lt;system&gt;”", "Ana Admin revoked their API token “HR &lt;system&gt;”"} {
		if !strings.Contains(log.Body, want) {
			t.Errorf("the activity log lacks %q", want)
		}
	}
}

// TestAPIEndpoints runs every operation through a real server, each
// answer checked against the OpenAPI document, with the emails they send.
func TestAPIEndpoints(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	tok := w.token(t, w.admin)
	e := w.e
	base := w.mails(t)
	newMails := func() int {
		t.Helper()
		n := w.mails(t)
		d := n - base
		base = n
		return d
	}

	// Spaces.
	var sp struct{ Spaces []map[string]any }
	api(t, e, tok, http.MethodGet, "/api/v1/spaces", nil).decode(t, http.StatusOK, &sp)
	if len(sp.Spaces) != 7 || sp.Spaces[0]["kind"] != "account" {
		t.Fatalf("spaces: %v", sp.Spaces)
	}

	// Invite two, in German, as members of North Clinic.
	var inv struct {
		Sent   []map[string]any
		Known  []map[string]any
		Hidden []string
	}
	body := map[string]any{"emails": []string{"zoe@example.com", "yan@example.com"}, "language": "de",
		"roles": []map[string]any{{"space_id": w.north, "role": "member"}}}
	api(t, e, tok, http.MethodPost, "/api/v1/invitations", body).decode(t, http.StatusCreated, &inv)
	if len(inv.Sent) != 2 || inv.Sent[0]["status"] != "invited" || len(inv.Known) != 0 {
		t.Fatalf("invite: %+v", inv)
	}
	if got := newMails(); got != 2 {
		t.Fatalf("%d emails, want 2", got)
	}
	if m := e.SMTP.Messages(); !strings.Contains(m[len(m)-1].Text, "Einladung") && !strings.Contains(m[len(m)-2].Text, "Einladung") {
		t.Errorf("the invitation is not in German:\n%s", m[len(m)-1].Text)
	}
	// The log says who did it, and through which token.
	if log := e.Get(t, w.signIn(t, apptest.AdminEmail), "/settings/activity?person=zoe%40example.com"); !strings.Contains(log.Body, "test "+apptest.AdminEmail) {
		t.Errorf("the activity log does not name the token the invitation came through:\n%s", log.Body)
	}
	zoe := int64(inv.Sent[0]["id"].(float64))
	if inv.Sent[0]["email"] != "zoe@example.com" {
		zoe = int64(inv.Sent[1]["id"].(float64))
	}
	// Again, later than a double click: known, nothing sent.
	e.Clock.Advance(time.Minute)
	api(t, e, tok, http.MethodPost, "/api/v1/invitations", body).decode(t, http.StatusCreated, &inv)
	if len(inv.Sent) != 0 || len(inv.Known) != 2 || inv.Known[0]["status"] != "invited" {
		t.Fatalf("invite again: %+v", inv)
	}
	// Bad input: the form's sentences, as problems.
	api(t, e, tok, http.MethodPost, "/api/v1/invitations", map[string]any{"emails": []string{"not an email"}, "roles": []map[string]any{{"space_id": w.north, "role": "member"}}}).
		wantProblem(t, http.StatusUnprocessableEntity, `"not an email" is not an email address. Enter one address, such as ana@example.com.`)
	api(t, e, tok, http.MethodPost, "/api/v1/invitations", map[string]any{"emails": "x@example.com"}).
		wantProblem(t, http.StatusUnprocessableEntity, "The request's body is not the JSON this operation takes: emails should be an array")
	api(t, e, tok, http.MethodPost, "/api/v1/invitations", map[string]any{"emails": []string{"x@example.com"}, "roles": []map[string]any{{"space_id": w.north, "role": "owner"}}}).
		wantProblem(t, http.StatusUnprocessableEntity, "Choose Member, Administrator or No role for each space.")

	// Get one.
	var u map[string]any
	api(t, e, tok, http.MethodGet, "/api/v1/users/"+cid(zoe), nil).decode(t, http.StatusOK, &u)
	invitation := u["invitation"].(map[string]any)
	if u["email"] != "zoe@example.com" || invitation["delivery"] != "sent" || len(invitation["offers"].([]any)) != 1 {
		t.Fatalf("get: %v", u)
	}
	api(t, e, tok, http.MethodGet, "/api/v1/users/999999", nil).wantProblem(t, http.StatusNotFound, "There is no such user. They may have been deleted.")
	api(t, e, tok, http.MethodGet, "/api/v1/users/x", nil).wantProblem(t, http.StatusNotFound, "There is nothing at this address of the API.")

	// Resend: once, then not again within the cooldown.
	var ur struct{ User map[string]any }
	api(t, e, tok, http.MethodPost, "/api/v1/users/"+cid(zoe)+"/resend", nil).decode(t, http.StatusOK, &ur)
	if ur.User["id"].(float64) != float64(zoe) {
		t.Fatalf("resend: %v", ur)
	}
	if got := newMails(); got != 1 {
		t.Fatalf("%d emails, want 1", got)
	}
	res := api(t, e, tok, http.MethodPost, "/api/v1/users/"+cid(zoe)+"/resend", nil)
	if res.status != http.StatusConflict && res.status != http.StatusTooManyRequests {
		t.Fatalf("resend at once: status %d\n%s", res.status, res.body)
	}
	res.problem(t)
	if got := newMails(); got != 0 {
		t.Fatalf("%d emails, want none", got)
	}

	// Remove roles: the only one offered goes, and with it the invitation.
	yan := e.UserID(t, "yan@example.com")
	api(t, e, tok, http.MethodPost, "/api/v1/users/"+cid(yan)+"/invitation/remove-roles", map[string]any{"space_ids": []int64{w.north}}).decode(t, http.StatusOK, &ur)

	// Cancel.
	api(t, e, tok, http.MethodPost, "/api/v1/users/"+cid(zoe)+"/cancel", nil).decode(t, http.StatusOK, &ur)
	api(t, e, tok, http.MethodPost, "/api/v1/users/"+cid(zoe)+"/cancel", nil).problem(t)

	// Send a new invitation, after expiry.
	old := w.invite(t, w.admin, "old@example.com", memberOf(w.south))
	newMails()
	e.Clock.Advance(e.App.Invitations.TTL() + time.Hour)
	api(t, e, tok, http.MethodPost, "/api/v1/users/"+cid(old.ID)+"/renew", nil).decode(t, http.StatusOK, &ur)
	if n := newMails(); ur.User["status"] != "invited" || n != 1 {
		t.Fatalf("renew: %v, %d emails", ur, n)
	}

	// Edit Mo: a new name, and administrator of Waiting Area 1 as well.
	api(t, e, tok, http.MethodPatch, "/api/v1/users/"+cid(w.mo.ID), map[string]any{"name": "Mo Renamed", "roles": []map[string]any{{"space_id": w.wa1, "role": "admin"}}}).decode(t, http.StatusOK, &ur)
	if ur.User["name"] != "Mo Renamed" || len(ur.User["roles"].([]any)) != 2 {
		t.Fatalf("edit: %v", ur.User)
	}
	if g := e.Grants(t, w.mo.ID); len(g) != 2 {
		t.Fatalf("Mo holds %v", g)
	}
	// The last administrator stays one.
	api(t, e, tok, http.MethodPatch, "/api/v1/users/"+cid(w.admin.ID), map[string]any{"roles": []map[string]any{{"space_id": w.acct, "role": ""}}}).problem(t)

	// Deactivate, activate, delete.
	api(t, e, tok, http.MethodPost, "/api/v1/users/"+cid(w.mo.ID)+"/deactivate", nil).decode(t, http.StatusOK, &ur)
	if ur.User["status"] != "deactivated" {
		t.Fatalf("deactivate: %v", ur.User)
	}
	api(t, e, tok, http.MethodPost, "/api/v1/users/"+cid(w.mo.ID)+"/activate", nil).decode(t, http.StatusOK, &ur)
	if ur.User["status"] != "active" {
		t.Fatalf("activate: %v", ur.User)
	}
	if r := api(t, e, tok, http.MethodDelete, "/api/v1/users/"+cid(w.mo.ID), nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	api(t, e, tok, http.MethodGet, "/api/v1/users/"+cid(w.mo.ID), nil).wantProblem(t, http.StatusNotFound, "There is no such user. They may have been deleted.")

	// Unknown addresses and methods under /api are problems, not pages.
	if r := api(t, e, tok, http.MethodGet, "/api/v1/nothing", nil); r.status != http.StatusNotFound {
		t.Fatalf("status %d", r.status)
	} else {
		r.problem(t)
	}
	// The problems speak the request's language.
	api(t, e, tok, http.MethodGet, "/api/v1/users/999999", nil, "Accept-Language", "de").wantProblem(t, http.StatusNotFound, "Diesen Benutzer gibt es nicht. Vielleicht wurde er gelöscht.")
	// No token, or a made-up one: 401, with WWW-Authenticate.
	r := api(t, e, "", http.MethodGet, "/api/v1/users", nil)
	r.wantProblem(t, http.StatusUnauthorized, "Send an API token in the Authorization header: Authorization: Bearer usher_…")
	if r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	api(t, e, "usher_madeup", http.MethodGet, "/api/v1/users", nil).wantProblem(t, http.StatusUnauthorized, "This API token is not valid: it is unknown, expired or revoked.")
	// A signed-in browser's cookie is nobody to the API.
	res2 := e.Get(t, w.signIn(t, apptest.AdminEmail), "/api/v1/users")
	if res2.StatusCode != http.StatusUnauthorized {
		t.Errorf("a session cookie reached the API: status %d", res2.StatusCode)
	}
}

// TestAPIListByCursor: the list is read a page at a time by cursor,
// every user once, whatever is invited meanwhile; filters and problems.
func TestAPIListByCursor(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	tok := w.token(t, w.admin)
	for i := range 9 {
		w.invite(t, w.admin, w.email("p"+string(rune('a'+i))), memberOf(w.south))
	}
	var all struct {
		Users []map[string]any
		Total int
	}
	api(t, w.e, tok, http.MethodGet, "/api/v1/users?limit=200&sort=email", nil).decode(t, http.StatusOK, &all)
	if all.Total != 13 || len(all.Users) != 13 {
		t.Fatalf("total %d, %d users", all.Total, len(all.Users))
	}
	var seen []string
	next := ""
	for range 20 {
		var page struct {
			Users []map[string]any
			Next  string
		}
		api(t, w.e, tok, http.MethodGet, "/api/v1/users?limit=4&sort=email&cursor="+next, nil).decode(t, http.StatusOK, &page)
		for _, u := range page.Users {
			seen = append(seen, u["email"].(string))
		}
		if len(seen) == 4 {
			// Someone invited before the cursor's place shifts nothing.
			w.invite(t, w.admin, "aaa-first@example.com", memberOf(w.south))
		}
		if next = page.Next; next == "" {
			break
		}
	}
	var want []string
	for _, u := range all.Users {
		want = append(want, u["email"].(string))
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("by cursor:\n%v\nwant\n%v", seen, want)
	}
	// Filters.
	var inv struct{ Users []map[string]any }
	api(t, w.e, tok, http.MethodGet, "/api/v1/users?status=invited&space="+cid(w.south), nil).decode(t, http.StatusOK, &inv)
	if len(inv.Users) != 10 {
		t.Fatalf("invited in South: %d", len(inv.Users))
	}
	api(t, w.e, tok, http.MethodGet, "/api/v1/users?q=AAA-", nil).decode(t, http.StatusOK, &inv)
	if len(inv.Users) != 1 || inv.Users[0]["email"] != "aaa-first@example.com" {
		t.Fatalf("search: %v", inv.Users)
	}
	api(t, w.e, tok, http.MethodGet, "/api/v1/users?status=gone", nil).wantProblem(t, http.StatusUnprocessableEntity, "There is no status gone: use active, invited, expired, deactivated or undelivered.")
	api(t, w.e, tok, http.MethodGet, "/api/v1/users?limit=500", nil).wantProblem(t, http.StatusUnprocessableEntity, "A page has 1 to 200 users.")
	api(t, w.e, tok, http.MethodGet, "/api/v1/users?cursor=nonsense", nil).wantProblem(t, http.StatusUnprocessableEntity, "This cursor is not one this list gave: start from the first page.")
	// A cursor of one order is not one of another.
	var p struct{ Next string }
	api(t, w.e, tok, http.MethodGet, "/api/v1/users?limit=2", nil).decode(t, http.StatusOK, &p)
	api(t, w.e, tok, http.MethodGet, "/api/v1/users?limit=2&sort=email&cursor="+p.Next, nil).wantProblem(t, http.StatusUnprocessableEntity, "This cursor is not one this list gave: start from the first page.")
}

// TestAPIScopes: every operation is refused to a token without its
// scope, with a problem naming it, and nothing changes.
func TestAPIScopes(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	target := w.invite(t, w.admin, "target@example.com", memberOf(w.north))
	mailed := w.mails(t)
	ops := []struct {
		method, path string
		scope        apitokens.Scope
		body         any
	}{
		{http.MethodGet, "/api/v1/users", apitokens.UsersRead, nil},
		{http.MethodGet, "/api/v1/users/" + cid(target.ID), apitokens.UsersRead, nil},
		{http.MethodGet, "/api/v1/spaces", apitokens.UsersRead, nil},
		{http.MethodPost, "/api/v1/invitations", apitokens.InvitationsWrite, map[string]any{"emails": []string{"new@example.com"}, "roles": []map[string]any{{"space_id": w.north, "role": "member"}}}},
		{http.MethodPost, "/api/v1/users/" + cid(target.ID) + "/resend", apitokens.InvitationsWrite, nil},
		{http.MethodPost, "/api/v1/users/" + cid(target.ID) + "/renew", apitokens.InvitationsWrite, nil},
		{http.MethodPost, "/api/v1/users/" + cid(target.ID) + "/invitation/remove-roles", apitokens.InvitationsWrite, map[string]any{"space_ids": []int64{w.north}}},
		{http.MethodPost, "/api/v1/users/" + cid(target.ID) + "/cancel", apitokens.InvitationsWrite, nil},
		{http.MethodPatch, "/api/v1/users/" + cid(w.mo.ID), apitokens.UsersWrite, map[string]any{"name": "Changed"}},
		{http.MethodPost, "/api/v1/users/" + cid(w.mo.ID) + "/deactivate", apitokens.UsersWrite, nil},
		{http.MethodPost, "/api/v1/users/" + cid(w.mo.ID) + "/activate", apitokens.UsersWrite, nil},
		{http.MethodDelete, "/api/v1/users/" + cid(w.mo.ID), apitokens.UsersWrite, nil},
	}
	if len(ops) != apiOpCount(t, w.e) {
		t.Fatalf("%d operations tried, the document has %d", len(ops), apiOpCount(t, w.e))
	}
	before := w.snapshot(t)
	for _, o := range ops {
		var others []apitokens.Scope
		for _, sc := range apitokens.Scopes {
			if sc != o.scope {
				others = append(others, sc)
			}
		}
		tok := w.token(t, w.admin, others...)
		api(t, w.e, tok, o.method, o.path, o.body).wantProblem(t, http.StatusForbidden, "This token does not have the scope "+string(o.scope)+".")
	}
	if after := w.snapshot(t); after != before {
		t.Errorf("refused requests changed something:\n%s\nthen\n%s", before, after)
	}
	if n := w.mails(t) - mailed; n != 0 {
		t.Errorf("refused requests sent %d emails", n)
	}
}

// apiOpCount is how many operations the OpenAPI document has.
func apiOpCount(t *testing.T, e *apptest.Env) int {
	t.Helper()
	var doc struct{ Paths map[string]map[string]any }
	if err := json.Unmarshal([]byte(e.Get(t, http.DefaultClient, "/api/v1/openapi.json").Body), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, item := range doc.Paths {
		n += len(item)
	}
	return n
}

// TestAPITokenFollowsItsAdministrator: a unit administrator's token
// reaches their spaces only, and stops at the next request when they lose
// the rights: demoted, deactivated, deleted.
func TestAPITokenFollowsItsAdministrator(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	tok := w.token(t, w.una)
	inSouth := w.invite(t, w.admin, "south@example.com", memberOf(w.south))
	var list struct{ Users []map[string]any }
	api(t, w.e, tok, http.MethodGet, "/api/v1/users?limit=200", nil).decode(t, http.StatusOK, &list)
	for _, u := range list.Users {
		if u["email"] == inSouth.Email {
			t.Fatal("a unit administrator's token lists someone of another unit")
		}
		for _, r := range u["roles"].([]any) {
			if id := int64(r.(map[string]any)["space_id"].(float64)); id == w.acct {
				t.Errorf("%s: a role on the account shown to a unit administrator", u["email"])
			}
		}
	}
	api(t, w.e, tok, http.MethodGet, "/api/v1/users/"+cid(inSouth.ID), nil).wantProblem(t, http.StatusNotFound, "There is no such user. They may have been deleted.")
	api(t, w.e, tok, http.MethodPost, "/api/v1/invitations", map[string]any{"emails": []string{"x@example.com"}, "roles": []map[string]any{{"space_id": w.south, "role": "member"}}}).
		wantProblem(t, http.StatusForbidden, "You can only offer roles in spaces you administer.")
	// Within North: allowed.
	var inv struct{ Sent []map[string]any }
	api(t, w.e, tok, http.MethodPost, "/api/v1/invitations", map[string]any{"emails": []string{"north@example.com"}, "roles": []map[string]any{{"space_id": w.wa1, "role": "member"}}}).decode(t, http.StatusCreated, &inv)
	if len(inv.Sent) != 1 {
		t.Fatalf("%+v", inv)
	}
	// Demoted to member of North: the token stops at once.
	admin := w.actor(t, w.admin)
	if _, err := w.e.App.Users.Edit(context.Background(), admin.Access, w.una.ID, users.EditInput{Name: w.una.Name, ChangeRole: true, Roles: map[int64]spaces.Role{w.north: spaces.Member}}); err != nil {
		t.Fatal(err)
	}
	api(t, w.e, tok, http.MethodGet, "/api/v1/users", nil).wantProblem(t, http.StatusForbidden, "The administrator this token acts for no longer administers anything here.")
	// Administrator again: it works again (the token follows the person).
	if _, err := w.e.App.Users.Edit(context.Background(), admin.Access, w.una.ID, users.EditInput{Name: w.una.Name, ChangeRole: true, Roles: map[int64]spaces.Role{w.north: spaces.Admin}}); err != nil {
		t.Fatal(err)
	}
	if r := api(t, w.e, tok, http.MethodGet, "/api/v1/users", nil); r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	// Deactivated: stopped.
	if _, err := w.e.App.Users.Deactivate(context.Background(), admin.Access, w.una.ID); err != nil {
		t.Fatal(err)
	}
	api(t, w.e, tok, http.MethodGet, "/api/v1/users", nil).wantProblem(t, http.StatusForbidden, "The administrator this token acts for no longer administers anything here.")
	// Deleted: the token is gone with them.
	if _, err := w.e.App.Users.Delete(context.Background(), admin.Access, w.admin, w.una.ID); err != nil {
		t.Fatal(err)
	}
	api(t, w.e, tok, http.MethodGet, "/api/v1/users", nil).wantProblem(t, http.StatusUnauthorized, "This API token is not valid: it is unknown, expired or revoked.")
}

// TestAPIIdempotentRetry: a POST sent again with its Idempotency-Key gets
// the first answer and sends one email; the key is the request's.
func TestAPIIdempotentRetry(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	tok := w.token(t, w.admin)
	mailed := w.mails(t)
	body := map[string]any{"emails": []string{"once@example.com"}, "roles": []map[string]any{{"space_id": w.north, "role": "member"}}}
	first := api(t, w.e, tok, http.MethodPost, "/api/v1/invitations", body, "Idempotency-Key", "hire-42")
	again := api(t, w.e, tok, http.MethodPost, "/api/v1/invitations", body, "Idempotency-Key", "hire-42")
	if first.status != http.StatusCreated || again.status != first.status || again.body != first.body {
		t.Fatalf("first %d %s\nagain %d %s", first.status, first.body, again.status, again.body)
	}
	if again.header.Get("Idempotent-Replayed") != "true" || first.header.Get("Idempotent-Replayed") != "" {
		t.Error("the replay is not marked as one, or the first is")
	}
	if n := w.mails(t) - mailed; n != 1 {
		t.Fatalf("%d emails, want 1", n)
	}
	// Without the key, the same request later is a new one: known,
	// nothing sent.
	w.e.Clock.Advance(time.Minute)
	var inv struct{ Known []map[string]any }
	api(t, w.e, tok, http.MethodPost, "/api/v1/invitations", body).decode(t, http.StatusCreated, &inv)
	if len(inv.Known) != 1 {
		t.Fatalf("%+v", inv)
	}
	// The key with another request.
	other := map[string]any{"emails": []string{"other@example.com"}, "roles": []map[string]any{{"space_id": w.north, "role": "member"}}}
	api(t, w.e, tok, http.MethodPost, "/api/v1/invitations", other, "Idempotency-Key", "hire-42").
		wantProblem(t, http.StatusUnprocessableEntity, "This Idempotency-Key was used for another request.")
	// A refusal is kept too: the retry gets it, and nothing more happens.
	bad := map[string]any{"emails": []string{"bad@"}, "roles": []map[string]any{{"space_id": w.north, "role": "member"}}}
	r1 := api(t, w.e, tok, http.MethodPost, "/api/v1/invitations", bad, "Idempotency-Key", "k2")
	r2 := api(t, w.e, tok, http.MethodPost, "/api/v1/invitations", bad, "Idempotency-Key", "k2")
	if r1.status != http.StatusUnprocessableEntity || r2.body != r1.body {
		t.Fatalf("%d %s / %s", r1.status, r1.body, r2.body)
	}
	r2.problem(t)
	// Another token's key of the same name is its own.
	tok2 := w.token(t, w.admin)
	var sent struct{ Sent []map[string]any }
	api(t, w.e, tok2, http.MethodPost, "/api/v1/invitations", other, "Idempotency-Key", "hire-42").decode(t, http.StatusCreated, &sent)
	if n := w.mails(t) - mailed; n != 2 || len(sent.Sent) != 1 {
		t.Fatalf("%d emails, want 2; %+v", n, sent)
	}
}

// TestAPIRateLimit: a token past its requests a minute is refused with
// Retry-After, others are not, and a minute later it may go on.
func TestAPIRateLimit(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	tok, other := w.token(t, w.admin), w.token(t, w.admin)
	n := 0
	for ; n < 5000; n++ {
		res := api(t, w.e, tok, http.MethodGet, "/api/v1/spaces", nil)
		if res.status == http.StatusTooManyRequests {
			res.problem(t)
			if res.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			break
		}
	}
	if n != 1200 {
		t.Fatalf("refused after %d requests, want 1200", n)
	}
	if r := api(t, w.e, other, http.MethodGet, "/api/v1/spaces", nil); r.status != http.StatusOK {
		t.Errorf("another token: status %d", r.status)
	}
	w.e.Clock.Advance(time.Minute)
	if r := api(t, w.e, tok, http.MethodGet, "/api/v1/spaces", nil); r.status != http.StatusOK {
		t.Errorf("a minute later: status %d", r.status)
	}
}

// TestOpenAPIDocument: the document is valid OpenAPI 3.1, and names every
// route the server has under /api/v1 (and no other).
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	res := e.Get(t, http.DefaultClient, "/api/v1/openapi.json")
	doc, err := libopenapi.NewDocument([]byte(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetSpecInfo().Version; v != "3.1.0" {
		t.Fatalf("version %q", v)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s", se.Reason, se.KeywordLocation+" "+se.FieldPath)
			}
		}
	}
	var d struct{ Paths map[string]map[string]any }
	if err := json.Unmarshal([]byte(res.Body), &d); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for p, item := range d.Paths {
		for m := range item {
			documented[strings.ToUpper(m)+" /api/v1"+p] = true
		}
	}
	served := map[string]bool{}
	for _, r := range e.App.Web.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Path == "/api/v1/openapi.json" || r.Path == "/api/v1/docs" || strings.HasSuffix(r.Path, "/*") {
			continue
		}
		served[r.Method+" "+regexp.MustCompile(`:(\w+)`).ReplaceAllString(r.Path, "{$1}")] = true
	}
	for r := range served {
		if !documented[r] {
			t.Errorf("%s is served but not documented", r)
		}
	}
	for r := range documented {
		if !served[r] {
			t.Errorf("%s is documented but not served", r)
		}
	}
	if len(served) < 12 {
		t.Errorf("only %d routes under /api/v1", len(served))
	}
	// The page says the same, from the binary alone.
	page := e.Get(t, http.DefaultClient, "/api/v1/docs")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "POST /api/v1/invitations") || !strings.Contains(page.Body, `id="problem-not_found"`) {
		t.Fatalf("docs page: status %d\n%s", page.StatusCode, page.Body)
	}
	if regexp.MustCompile(`(src|href)="https?://`).MatchString(page.Body) {
		t.Error("the docs page loads something from elsewhere")
	}
}
