package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
)

// call is one request of a storm.
type call struct {
	path   string
	form   url.Values
	header []string
}

// outcome is what one request of a storm got back.
type outcome struct {
	status int
	body   string
}

// storm sends calls[i] from clients[i], all released at the same moment,
// and returns what each got back. It never calls t.Fatal off the test's
// goroutine.
func storm(t *testing.T, e *apptest.Env, clients []*http.Client, calls []call) []outcome {
	t.Helper()
	out := make([]outcome, len(calls))
	errs := make([]error, len(calls))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range calls {
		req, err := http.NewRequest(http.MethodPost, e.URL+c.path, strings.NewReader(c.form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		for j := 0; j+1 < len(c.header); j += 2 {
			req.Header.Set(c.header[j], c.header[j+1])
		}
		wg.Go(func() {
			<-start
			res, err := clients[i].Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			out[i], errs[i] = outcome{res.StatusCode, string(b)}, err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d (%s): %v", i, calls[i].path, err)
		}
	}
	for i, o := range out {
		if o.status >= 500 {
			t.Errorf("request %d (%s): status %d\n%.500s", i, calls[i].path, o.status, text(o.body))
		}
	}
	return out
}

// tally counts the statuses of the requests whose index passes keep.
func tally(out []outcome, keep func(i int) bool) map[int]int {
	m := map[int]int{}
	for i, o := range out {
		if keep(i) {
			m[o.status]++
		}
	}
	return m
}

func all(int) bool { return true }

// dbInt runs a query that returns one integer. Under the services: a
// storm's outcome is checked in the rows themselves (one invitation, one
// email queued, one event, no lost update), which no service counts.
func dbInt(t *testing.T, e *apptest.Env, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.App.DB.R.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Fifty account administrators, each in their own session, act on the
// same rows at the same moment. Every request gets an answer below 500
// (no SQLITE_BUSY), the rows end in the state that exactly the successful
// answers describe (no lost or phantom update), and each email goes out
// once.
//
// ASVS 5.0: V2.3.3 (transactions: all or nothing), V2.3.4 (locking
// against double use), V15.4.2 (no check-then-act races), V15.4.1.
func TestFiftyAdministratorsAtOnce(t *testing.T) {
	t.Parallel()
	const n = 50
	var log syncBuffer
	e := apptest.New(t, apptest.Options{SMTP: true, InviteTTL: time.Hour, Log: &log})
	e.SetupAdmin(t)
	e.App.Web.SetRateLimit("loginIP", 10*n, time.Hour) // every test browser shares one address
	ctx := context.Background()

	// Fifty administrators, created and signed in in parallel (each costs
	// an argon2id run; the Hasher takes them a few at a time).
	emails := make([]string, n)
	emails[0] = apptest.AdminEmail
	clients := make([]*http.Client, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if i > 0 {
				emails[i] = fmt.Sprintf("admin%02d@example.com", i)
				if _, err := e.App.Users.CreateAdmin(ctx, apptest.AccountName, emails[i], fmt.Sprintf("Admin %02d", i), apptest.AdminPassword); err != nil {
					errs[i] = err
					return
				}
			}
			clients[i] = e.Client(t)
			form := url.Values{"email": {emails[i]}, "password": {apptest.AdminPassword}}
			req, _ := http.NewRequest(http.MethodPost, e.URL+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", e.URL)
			res, err := clients[i].Do(req)
			if err == nil {
				res.Body.Close()
				if res.StatusCode != http.StatusSeeOther {
					err = fmt.Errorf("sign in as %s: status %d", emails[i], res.StatusCode)
				}
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	same := func(c call) []call { return slices.Repeat([]call{c}, n) }
	queued := func(email string) int64 { return dbInt(t, e, `SELECT count(*) FROM outbox WHERE recipient = ?`, email) }

	// 1. Everyone invites the same address: one invitation, one email; the
	// others are told it is already invited.
	out := storm(t, e, clients, same(call{path: "/settings/users/invite", form: url.Values{"email": {"carol@example.com"}, "role": {"member"}}}))
	if got := tally(out, all); got[http.StatusSeeOther] != 1 || got[http.StatusConflict] != n-1 {
		t.Errorf("50 invitations of one address: statuses %v, want one 303 and 49 409", got)
	}
	carol := e.UserID(t, "carol@example.com")
	if carol == 0 || queued("carol@example.com") != 1 || dbInt(t, e, `SELECT count(*) FROM invitations WHERE email = 'carol@example.com'`) != 1 {
		t.Fatalf("after 50 invitations: user %d, %d emails queued, want one of each", carol, queued("carol@example.com"))
	}
	row := func(action string) string { return fmt.Sprintf("/settings/users/%d/%s", carol, action) }
	e.Deliver(t) // as the background sender would

	// 2. Everyone resends at once: one reminder, the rest wait for the
	// cooldown.
	e.Clock.Advance(2 * time.Minute)
	out = storm(t, e, clients, same(call{path: row("resend"), header: apptest.HTMX}))
	if got := tally(out, all); got[http.StatusOK] != 1 || got[http.StatusTooManyRequests] != n-1 {
		t.Errorf("50 resends: statuses %v, want one 200 and 49 429", got)
	}
	if q, ev := queued("carol@example.com"), dbInt(t, e, `SELECT count(*) FROM invitation_events WHERE kind = 'resent'`); q != 2 || ev != 1 {
		t.Errorf("after 50 resends: %d emails queued (want 2), %d resend events (want 1)", q, ev)
	}
	e.Deliver(t)

	// 3. Everyone renames the row at once: each save succeeds and the last
	// one written stays; the roles are untouched.
	calls := make([]call, n)
	for i := range calls {
		calls[i] = call{path: row("edit"), form: url.Values{"name": {fmt.Sprintf("Carol %02d", i)}}, header: apptest.HTMX}
	}
	out = storm(t, e, clients, calls)
	saved := map[string]bool{}
	for i, o := range out {
		if o.status == http.StatusOK {
			saved[fmt.Sprintf("Carol %02d", i)] = true
		}
	}
	name := e.User(t, carol).Name
	if len(saved) != n || !saved[name] {
		t.Errorf("50 renames: %d saved, final name %q; want all saved and the name one of theirs", len(saved), name)
	}
	if g := len(e.Grants(t, carol)); g != 0 {
		t.Errorf("renaming gave the invitee %d role grants", g)
	}

	// 4. Half deactivate, half activate, at once. Each success flips the
	// state, so the successes alternate; each deactivation ends sessions
	// once, so the session version counts exactly the successful ones.
	version := e.User(t, carol).SessionVersion
	for i := range calls {
		calls[i] = call{path: row([]string{"deactivate", "activate"}[i%2]), header: apptest.HTMX}
	}
	out = storm(t, e, clients, calls)
	deact := tally(out, func(i int) bool { return i%2 == 0 })
	act := tally(out, func(i int) bool { return i%2 == 1 })
	d, a := int64(deact[http.StatusOK]), int64(act[http.StatusOK])
	if deact[http.StatusOK]+deact[http.StatusConflict] != n/2 || act[http.StatusOK]+act[http.StatusConflict] != n/2 {
		t.Errorf("deactivate %v, activate %v: want only 200 and 409", deact, act)
	}
	now := e.User(t, carol)
	deactivated := !now.DeactivatedAt.IsZero()
	if d-a != 0 && d-a != 1 || deactivated != (d-a == 1) || now.SessionVersion != version+d {
		t.Errorf("%d deactivations and %d activations succeeded; deactivated now: %v; session version %d, want %d",
			d, a, deactivated, now.SessionVersion, version+d)
	}
	if deactivated {
		if res := e.Post(t, clients[0], row("activate"), nil, apptest.HTMX...); res.StatusCode != http.StatusOK {
			t.Fatalf("activate: status %d", res.StatusCode)
		}
	}

	// 5. The invitation expires; everyone sends a new one at once: one new
	// link, one email.
	e.Clock.Advance(2 * time.Hour)
	out = storm(t, e, clients, same(call{path: row("renew"), header: apptest.HTMX}))
	if got := tally(out, all); got[http.StatusOK] != 1 || got[http.StatusConflict] != n-1 {
		t.Errorf("50 new invitations: statuses %v, want one 200 and 49 409", got)
	}
	if q, p := queued("carol@example.com"), dbInt(t, e, `SELECT count(*) FROM invitations WHERE user_id = ? AND state = 'pending'`, carol); q != 3 || p != 1 {
		t.Errorf("after 50 renewals: %d emails queued (want 3), %d pending invitations (want 1)", q, p)
	}
	e.Deliver(t)
	if got := len(e.SMTP.To("carol@example.com")); got != 3 {
		t.Errorf("carol received %d emails, want 3: the invitation, the reminder and the new invitation", got)
	}

	// 6. A free-for-all on a new row: resend, cancel, rename, deactivate,
	// copy the link and delete, all at once. Whatever order they ran in,
	// the row ends as the successful answers say.
	if res := e.Post(t, clients[0], "/settings/users/invite", url.Values{"email": {"dave@example.com"}, "role": {"member"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("invite dave: status %d", res.StatusCode)
	}
	dave := e.UserID(t, "dave@example.com")
	e.Deliver(t)
	e.Clock.Advance(2 * time.Minute)
	actions := []string{"resend", "cancel", "edit", "deactivate", "link", "delete"}
	for i := range calls {
		act := actions[i%len(actions)]
		calls[i] = call{path: fmt.Sprintf("/settings/users/%d/%s", dave, act), header: apptest.HTMX}
		switch act {
		case "edit":
			calls[i].form = url.Values{"name": {fmt.Sprintf("Dave %02d", i)}}
		case "link":
			calls[i].header = []string{"Accept", "application/json"}
		}
	}
	out = storm(t, e, clients, calls)
	ok := map[string]int{}
	links := map[string]bool{}
	names := map[string]bool{"": true} // invited without a name
	for i, o := range out {
		act := actions[i%len(actions)]
		switch o.status {
		case http.StatusOK:
			ok[act]++
			if act == "link" {
				var got struct{ Link string }
				if err := json.Unmarshal([]byte(o.body), &got); err != nil || got.Link == "" {
					t.Errorf("copy link: %q", o.body)
				}
				links[got.Link] = true
			}
			if act == "edit" {
				names[fmt.Sprintf("Dave %02d", i)] = true
			}
		case http.StatusConflict, http.StatusNotFound, http.StatusTooManyRequests:
		default:
			t.Errorf("%s: status %d\n%.300s", act, o.status, text(o.body))
		}
	}
	gone := e.UserID(t, "dave@example.com") == 0
	switch {
	case ok["cancel"]+ok["delete"] > 1:
		t.Errorf("the row was removed %d times: %v", ok["cancel"]+ok["delete"], ok)
	case ok["resend"] > 1 || ok["deactivate"] > 1:
		t.Errorf("more than one resend or deactivation succeeded: %v", ok)
	case gone != (ok["cancel"]+ok["delete"] == 1):
		t.Errorf("row gone: %v, but successes %v", gone, ok)
	case len(links) > 1:
		t.Errorf("copies returned different links: %v", links)
	}
	if q := queued("dave@example.com"); q != int64(1+ok["resend"]) {
		t.Errorf("dave: %d emails queued, want 1 + %d resends", q, ok["resend"])
	}
	if !gone {
		u := e.User(t, dave)
		if deactivated := !u.DeactivatedAt.IsZero(); !names[u.Name] || deactivated != (ok["deactivate"] == 1) || u.SessionVersion != int64(1+ok["deactivate"]) {
			t.Errorf("dave: name %q, deactivated %v, session version %d; successes %v", u.Name, deactivated, u.SessionVersion, ok)
		}
	}
	t.Logf("free-for-all successes: %v", ok)

	// Every email is delivered at most once: the server received exactly
	// what the outbox records as sent, and nothing is left waiting. (A
	// reminder queued just before a cancel is withdrawn, not sent.)
	e.Deliver(t)
	if left := dbInt(t, e, `SELECT count(*) FROM outbox WHERE state = 'queued'`); left != 0 {
		t.Errorf("%d emails still queued", left)
	}
	for _, who := range []string{"carol@example.com", "dave@example.com"} {
		sent := dbInt(t, e, `SELECT count(*) FROM outbox WHERE recipient = ? AND state = 'sent'`, who)
		if got := int64(len(e.SMTP.To(who))); got != sent {
			t.Errorf("%s received %d emails; the outbox sent %d", who, got, sent)
		}
	}
	if got := len(e.SMTP.To("dave@example.com")); got < 1 || got > 1+ok["resend"] {
		t.Errorf("dave received %d emails, want 1 to %d", got, 1+ok["resend"])
	}
	if dbInt(t, e, `SELECT count(*) FROM (SELECT user_id FROM invitations WHERE state = 'pending' GROUP BY user_id HAVING count(*) > 1)`) != 0 {
		t.Error("a user has two pending invitations")
	}
	var check string
	// Under the services: the file itself must be sound.
	if err := e.App.DB.R.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check: %q, %v", check, err)
	}
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, "SQLITE_BUSY") || strings.Contains(line, "database is locked") {
			t.Errorf("log: %s", line)
		}
	}
}
