package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// clinic is an account shaped like a small group of clinics:
//
//	Acme Clinics (account)        Ana: Administrator
//	├── North Clinic (unit)       Una: Administrator; Mo: Member
//	│   ├── Waiting Area 1
//	│   ├── Waiting Area 2        Walt: Administrator
//	│   └── Meeting Room 1
//	└── South Clinic (unit)
//	    └── South Waiting Area
//
// Everyone but Ana joined through an invitation accepted over HTTP.
type clinic struct {
	e                                  *apptest.Env
	admin, una, walt, mo               users.User
	acct, north, south, wa1, wa2, room int64
	southWA                            int64
	names                              map[int64]string
	seq                                int
	tokens                             map[*http.Client]string // an administrator's API token, by their client
	allQuery, cellQuery                string                  // see dump
}

const (
	clinicPassword = "a long enough passphrase"
	unaEmail       = "una@example.com"
	waltEmail      = "walt@example.com"
	moEmail        = "mo@example.com"
)

func newClinic(t *testing.T) *clinic {
	t.Helper()
	return newClinicWith(t, apptest.Options{})
}

// newClinicWith is newClinic in an environment changed by o (always with
// an SMTP server).
func newClinicWith(t *testing.T, o apptest.Options) *clinic {
	t.Helper()
	ctx := context.Background()
	// The clinic's tests invite hundreds as the account administrator
	// within minutes to set the scene; the send budget has its own test.
	o.SMTP = true
	if o.Env == nil {
		o.Env = map[string]string{}
	}
	o.Env["USHER_SEND_LIMIT"] = "100000"
	e := apptest.New(t, o)
	w := &clinic{e: e, admin: e.SetupAdmin(t), names: map[int64]string{}}
	acc, err := e.App.Users.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.acct = acc.ID
	w.names[w.acct] = acc.Name
	access := w.actor(t, w.admin).Access
	add := func(kind spaces.Kind, parent int64, name string) int64 {
		t.Helper()
		sp, err := e.App.Spaces.Create(ctx, access, kind, parent, name)
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		w.names[sp.ID] = name
		return sp.ID
	}
	w.north = add(spaces.Unit, 0, "North Clinic")
	w.south = add(spaces.Unit, 0, "South Clinic")
	w.wa1 = add(spaces.WaitingArea, w.north, "Waiting Area 1")
	w.wa2 = add(spaces.WaitingArea, w.north, "Waiting Area 2")
	w.room = add(spaces.MeetingRoom, w.north, "Meeting Room 1")
	w.southWA = add(spaces.WaitingArea, w.south, "South Waiting Area")

	w.una, _ = w.join(t, w.admin, unaEmail, "Una Unit", spaces.Grant{SpaceID: w.north, Role: spaces.Admin})
	w.walt, _ = w.join(t, w.admin, waltEmail, "Walt Waiting", spaces.Grant{SpaceID: w.wa2, Role: spaces.Admin})
	w.mo, _ = w.join(t, w.admin, moEmail, "Mo Member", spaces.Grant{SpaceID: w.north, Role: spaces.Member})
	w.mails(t) // the invitations to the staff are not what tests count
	return w
}

// actor is u as the services see them now (their rights re-read).
func (w *clinic) actor(t *testing.T, u users.User) invitations.Actor {
	t.Helper()
	u, err := w.e.App.Users.Get(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	access, err := w.e.App.Users.Access(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return invitations.Actor{User: u, Access: access}
}

// email makes a fresh address for a test person.
func (w *clinic) email(prefix string) string {
	w.seq++
	return fmt.Sprintf("%s-%d@example.com", prefix, w.seq)
}

func memberOf(id int64) spaces.Grant { return spaces.Grant{SpaceID: id, Role: spaces.Member} }

// invite has by invite email through the service, offering grants, and
// returns the invited user.
func (w *clinic) invite(t *testing.T, by users.User, email string, grants ...spaces.Grant) users.User {
	t.Helper()
	inv, err := w.e.App.Invitations.Invite(context.Background(), w.actor(t, by), invitations.InviteInput{Email: email, Offered: grants})
	if err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
	u, err := w.e.App.Users.Get(context.Background(), inv.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// linkPath is the path of the user's current invitation link.
func (w *clinic) linkPath(t *testing.T, userID int64) string {
	t.Helper()
	link, _, err := w.e.App.Invitations.Link(context.Background(), w.actor(t, w.admin), userID)
	if err != nil {
		t.Fatalf("link of user %d: %v", userID, err)
	}
	return strings.TrimPrefix(link, w.e.URL)
}

// accept posts the accept form of path in a fresh browser.
func (w *clinic) accept(t *testing.T, path, name string) (apptest.Response, *http.Client) {
	t.Helper()
	c := w.e.Client(t)
	return w.e.Post(t, c, path, url.Values{"name": {name}, "password": {clinicPassword}}), c
}

// join invites email and accepts over HTTP, returning the active user
// signed in.
func (w *clinic) join(t *testing.T, by users.User, email, name string, grants ...spaces.Grant) (users.User, *http.Client) {
	t.Helper()
	u := w.invite(t, by, email, grants...)
	res, c := w.accept(t, w.linkPath(t, u.ID), name)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("%s accepting: status %d\n%s", email, res.StatusCode, res.Body)
	}
	u, err := w.e.App.Users.Get(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return u, c
}

func (w *clinic) signIn(t *testing.T, email string) *http.Client {
	t.Helper()
	if email == apptest.AdminEmail {
		return w.e.SignIn(t, email, apptest.AdminPassword)
	}
	return w.e.SignIn(t, email, clinicPassword)
}

// mails delivers the outbox and counts every email the SMTP server got.
func (w *clinic) mails(t *testing.T) int {
	t.Helper()
	w.e.Deliver(t)
	return len(w.e.SMTP.Messages())
}

// snapTable is a table a snapshot dumps and which of its rows (a WHERE
// condition).
type snapTable struct{ name, rows string }

// The tables an action can change, whole.
var allRows = []snapTable{
	{"spaces", "1"}, {"users", "1"}, {"role_grants", "1"}, {"invitations", "1"},
	{"invitation_roles", "1"}, {"invitation_events", "1"}, {"outbox", "1"},
}

// What one cell of the matrix can change: the rows of its target (?1 is
// the address, ?2 the space), the person at the address with their grants,
// invitations, offered roles, history and emails. Each is found through
// an index; a row added anywhere else shows in its table's size.
var cellRows = func() []snapTable {
	const (
		people = `SELECT id FROM users WHERE email = ?1`
		invs   = `SELECT id FROM invitations WHERE user_id IN (` + people + `)`
	)
	return []snapTable{
		{"spaces", `id = ?2`},
		{"users", `email = ?1`},
		{"role_grants", `user_id IN (` + people + `)`},
		{"invitations", `id IN (` + invs + `)`},
		{"invitation_roles", `invitation_id IN (` + invs + `)`},
		{"invitation_events", `invitation_id IN (` + invs + `)`},
		{"outbox", `invitation_id IN (` + invs + `)`},
	}
}()

// snapshot dumps the rows an action could change, one line a row.
func (w *clinic) snapshot(t *testing.T) string {
	t.Helper()
	return w.dump(t, &w.allQuery, allRows)
}

// cellSnapshot is the snapshot of what one cell can change: the matrix
// takes one or two per cell, hundreds in all, so the rest of the database
// is only counted.
func (w *clinic) cellSnapshot(t *testing.T, tg authzTarget) string {
	t.Helper()
	email := tg.email
	if email == "" {
		email = tg.user.Email
	}
	return w.dump(t, &w.cellQuery, cellRows, email, tg.space)
}

// dump runs the query that dumps tables (built once into *query): each
// table's size (its rows and highest rowid, so that a row added or removed
// anywhere shows), then the rows chosen. SQLite builds the text itself,
// from the tables' own columns, so a column added later is compared too.
// Under the services: "changed nothing" is about the rows themselves,
// columns no page shows included.
func (w *clinic) dump(t *testing.T, query *string, tables []snapTable, args ...any) string {
	t.Helper()
	if *query == "" {
		var parts []string
		for _, tb := range tables {
			rows, err := w.e.App.DB.R.Query(`SELECT name, pk FROM pragma_table_info(?) ORDER BY cid`, tb.name)
			if err != nil {
				t.Fatal(err)
			}
			var cols []string
			rowid := true
			for rows.Next() {
				var c string
				var pk int
				if err := rows.Scan(&c, &pk); err != nil {
					t.Fatal(err)
				}
				cols = append(cols, "quote("+c+")")
				rowid = rowid && pk <= 1 // a key of two columns: WITHOUT ROWID
			}
			rows.Close()
			size := `count(*)`
			if rowid {
				size += ` || ' ' || coalesce(max(rowid), '')`
			}
			parts = append(parts, `'== `+tb.name+` ' || (SELECT `+size+` FROM `+tb.name+`) || char(10) || coalesce((SELECT group_concat(r, char(10)) FROM (SELECT `+
				strings.Join(cols, ` || ' ' || `)+` AS r FROM `+tb.name+` WHERE `+tb.rows+` ORDER BY 1)), '')`)
		}
		*query = `SELECT ` + strings.Join(parts, " || char(10) || ")
	}
	var out string
	if err := w.e.App.DB.R.QueryRow(*query, args...).Scan(&out); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return out
}

// diff names the first line that differs between two snapshots.
func clinicDiff(before, after string) string {
	a, b := strings.Split(before, "\n"), strings.Split(after, "\n")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("before: %s\nafter:  %s", x, y)
		}
	}
	return ""
}

var clinicBannerRE = regexp.MustCompile(`(?s)<div class="banner banner-(\w+)"><div class="banner-body"><p>(.*?)</p>`)

// banner is the kind and text of a page's banner ("" when there is none).
func bannerOf(body string) (kind, msg string) {
	m := clinicBannerRE.FindStringSubmatch(body)
	if m == nil {
		return "", ""
	}
	return m[1], html.UnescapeString(m[2])
}

// after follows a redirect and returns the banner the next page shows.
func (w *clinic) after(t *testing.T, c *http.Client, res apptest.Response) (kind, msg string) {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("want a redirect, got %d\n%s", res.StatusCode, res.Body)
	}
	next := w.e.Get(t, c, res.Header.Get("Location"))
	return bannerOf(next.Body)
}

// mustFlash follows a redirect and fails unless the banner is a success
// saying want.
func (w *clinic) mustFlash(t *testing.T, c *http.Client, res apptest.Response, want string) {
	t.Helper()
	kind, msg := w.after(t, c, res)
	if kind != "success" || msg != want {
		t.Fatalf("banner %s %q, want success %q", kind, msg, want)
	}
}

func cid(n int64) string { return strconv.FormatInt(n, 10) }

func clinicUserPath(u users.User, suffix string) string {
	return "/settings/users/" + cid(u.ID) + suffix
}

// ---- The matrix ----

type authzActor struct {
	name     string
	email    string // "" when signed out
	admin    func(w *clinic) []int64
	relation func(w *clinic, space int64) string
}

type authzTarget struct {
	space int64
	user  users.User // the invitee whose invitation the action is on
	email string     // for the invite action: the address to invite
}

type authzAction struct {
	name string
	// target: the action works on a pending invitation; expired: one
	// that has expired (Send new invitation).
	target, expired bool
	get             bool
	// api: through /api/v1 with the actor's token (clinic.tokens), which
	// only administrators have.
	api bool
	do  func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response
	// ok checks an allowed cell; it may follow redirects.
	ok     func(w *clinic, c *http.Client, tg authzTarget, res apptest.Response, t *testing.T)
	emails int // sent by an allowed cell
}

func authzPost(path string, form url.Values) func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
	return func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
		return w.e.Post(t, c, strings.ReplaceAll(path, "{id}", cid(tg.user.ID)), form)
	}
}

func authzFlashes(format string) func(w *clinic, c *http.Client, tg authzTarget, res apptest.Response, t *testing.T) {
	return func(w *clinic, c *http.Client, tg authzTarget, res apptest.Response, t *testing.T) {
		t.Helper()
		w.mustFlash(t, c, res, fmt.Sprintf(format, tg.user.Email))
	}
}

func authzShows(want func(w *clinic, tg authzTarget) string) func(w *clinic, c *http.Client, tg authzTarget, res apptest.Response, t *testing.T) {
	return func(w *clinic, c *http.Client, tg authzTarget, res apptest.Response, t *testing.T) {
		t.Helper()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, want(w, tg)) {
			t.Fatalf("status %d, want 200 showing %q\n%s", res.StatusCode, want(w, tg), res.Body)
		}
	}
}

// listsUser reports whether a users list (or a space's page) has a row
// for email; the search box may repeat it, so only rows count.
func listsUser(body, email string) bool {
	// An address may break after its @ and dots (components.Email).
	// Without a name, the email is the link to the user's page.
	b := strings.ReplaceAll(body, "<wbr>", "")
	return strings.Contains(b, `<div class="user-email">`+html.EscapeString(email)+`</div>`) ||
		regexp.MustCompile(`<div class="user-email"><a href="/settings/users/\d+">\s*`+regexp.QuoteMeta(html.EscapeString(email))+`\s*</a></div>`).MatchString(b)
}

func authzTargetEmail(_ *clinic, tg authzTarget) string { return tg.user.Email }

var authzActions = []authzAction{
	{
		name: "list", target: true, get: true,
		do: func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
			return w.e.Get(t, c, "/settings/users?q="+url.QueryEscape(tg.user.Email))
		},
		ok: func(w *clinic, c *http.Client, tg authzTarget, res apptest.Response, t *testing.T) {
			t.Helper()
			if res.StatusCode != http.StatusOK || !listsUser(res.Body, tg.user.Email) {
				t.Fatalf("status %d, want 200 with the row of %s\n%s", res.StatusCode, tg.user.Email, res.Body)
			}
		},
	},
	{
		// Download CSV (issue 17): the file of a search for the target.
		name: "export", target: true, get: true,
		do: func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
			return w.e.Get(t, c, "/settings/users.csv?q="+url.QueryEscape(tg.user.Email))
		},
		ok: func(w *clinic, c *http.Client, tg authzTarget, res apptest.Response, t *testing.T) {
			t.Helper()
			if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "\r\n,"+tg.user.Email+",Invited,") {
				t.Fatalf("status %d, want 200 with the row of %s\n%s", res.StatusCode, tg.user.Email, res.Body)
			}
		},
	},
	{
		name: "copy link", target: true, do: authzPost("/settings/users/{id}/link", nil),
		ok: authzShows(func(w *clinic, _ authzTarget) string { return w.e.URL + "/invite/" }),
	},
	{name: "resend", target: true, do: authzPost("/settings/users/{id}/resend", nil), ok: authzFlashes("Invitation link will be resent to %s."), emails: 1},
	{name: "send new invitation", target: true, expired: true, do: authzPost("/settings/users/{id}/renew", nil), ok: authzFlashes("A new invitation will be sent to %s."), emails: 1},
	{name: "cancel", target: true, do: authzPost("/settings/users/{id}/cancel", nil), ok: authzFlashes("Invitation for %s cancelled.")},
	{
		name: "manage invitation", target: true, get: true,
		do: func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
			return w.e.Get(t, c, clinicUserPath(tg.user, "/invitation"))
		},
		ok: authzShows(authzTargetEmail),
	},
	{
		name: "remove roles", target: true,
		do: func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
			return w.e.Post(t, c, clinicUserPath(tg.user, "/invitation/remove"), url.Values{"space": {cid(tg.space)}, "confirm": {"yes"}})
		},
		// The only role offered: removing it cancels the invitation.
		ok: authzFlashes("Invitation for %s cancelled."),
	},
	{
		name: "remove from space", target: true,
		do: func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
			return w.e.Post(t, c, "/settings/spaces/"+cid(tg.space)+"/people/"+cid(tg.user.ID)+"/remove", url.Values{})
		},
		// The only role offered: removing it cancels the invitation.
		ok: authzFlashes("Invitation for %s cancelled: it offered nothing else."),
	},
	{name: "edit", target: true, do: authzPost("/settings/users/{id}/edit", url.Values{"name": {"Renamed Person"}}), ok: authzFlashes("Changes to %s saved.")},
	{name: "deactivate", target: true, do: authzPost("/settings/users/{id}/deactivate", nil), ok: authzFlashes("%s was deactivated and signed out everywhere.")},
	{name: "delete", target: true, do: authzPost("/settings/users/{id}/delete", nil), ok: authzFlashes("%s was deleted.")},
	{
		name: "invite",
		do: func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
			return w.e.Post(t, c, "/settings/users/invite", url.Values{"email": {tg.email}, "role_" + cid(tg.space): {"member"}})
		},
		ok: func(w *clinic, c *http.Client, tg authzTarget, res apptest.Response, t *testing.T) {
			t.Helper()
			w.mustFlash(t, c, res, "Invitation will be sent to "+tg.email+".")
		},
		emails: 1,
	},
	{
		// The log of the target's space, filtered to them: their
		// invitation's row.
		name: "activity", target: true, get: true,
		do: func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
			return w.e.Get(t, c, "/settings/activity?space="+cid(tg.space)+"&person="+url.QueryEscape(tg.user.Email))
		},
		ok: authzShows(func(_ *clinic, tg authzTarget) string { return "invited " + tg.user.Email + " as Member" }),
	},
	{
		name: "activity csv", target: true, get: true,
		do: func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
			return w.e.Get(t, c, "/settings/activity.csv?space="+cid(tg.space)+"&person="+url.QueryEscape(tg.user.Email))
		},
		ok: authzShows(func(_ *clinic, tg authzTarget) string { return ",invitation.sent,Ana Admin," }),
	},
	{
		name: "space page", get: true,
		do: func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
			return w.e.Get(t, c, "/settings/spaces/"+cid(tg.space))
		},
		ok: authzShows(func(w *clinic, tg authzTarget) string { return w.names[tg.space] }),
	},
}

// authzAPI calls the API as the actor of c, with its token (none for
// those who have none), at path ({id}: the target's id) with body.
func authzAPI(method, path string, body func(w *clinic, tg authzTarget) any) func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
	return func(w *clinic, c *http.Client, tg authzTarget, t *testing.T) apptest.Response {
		t.Helper()
		var b any
		if body != nil {
			b = body(w, tg)
		}
		path := strings.NewReplacer("{id}", cid(tg.user.ID), "{email}", url.QueryEscape(tg.user.Email)).Replace(path)
		r := api(t, w.e, w.tokens[c], method, path, b)
		return apptest.Response{Response: &http.Response{StatusCode: r.status, Header: r.header}, Body: r.body}
	}
}

// authzAPIAnswers checks an allowed API cell: status, and the target's
// email in the answer (unless none is given back).
func authzAPIAnswers(status int, showsTarget bool) func(w *clinic, c *http.Client, tg authzTarget, res apptest.Response, t *testing.T) {
	return func(w *clinic, c *http.Client, tg authzTarget, res apptest.Response, t *testing.T) {
		t.Helper()
		email := tg.user.Email
		if email == "" {
			email = tg.email
		}
		if res.StatusCode != status || showsTarget && !strings.Contains(res.Body, `"`+email+`"`) {
			t.Fatalf("status %d, want %d with %s\n%s", res.StatusCode, status, email, res.Body)
		}
	}
}

// authzAPIActions are the API's operations in the matrix: the same
// cells as the pages', with tokens.
var authzAPIActions = []authzAction{
	{name: "api list", target: true, get: true, api: true,
		do: authzAPI(http.MethodGet, "/api/v1/users?q={email}", nil), ok: authzAPIAnswers(http.StatusOK, true)},
	{name: "api get", target: true, get: true, api: true, do: authzAPI(http.MethodGet, "/api/v1/users/{id}", nil), ok: authzAPIAnswers(http.StatusOK, true)},
	{name: "api resend", target: true, api: true, do: authzAPI(http.MethodPost, "/api/v1/users/{id}/resend", nil), ok: authzAPIAnswers(http.StatusOK, true), emails: 1},
	{name: "api renew", target: true, expired: true, api: true, do: authzAPI(http.MethodPost, "/api/v1/users/{id}/renew", nil), ok: authzAPIAnswers(http.StatusOK, true), emails: 1},
	{name: "api cancel", target: true, api: true, do: authzAPI(http.MethodPost, "/api/v1/users/{id}/cancel", nil), ok: authzAPIAnswers(http.StatusOK, false)},
	{name: "api remove roles", target: true, api: true,
		do: authzAPI(http.MethodPost, "/api/v1/users/{id}/invitation/remove-roles", func(_ *clinic, tg authzTarget) any {
			return map[string]any{"space_ids": []int64{tg.space}}
		}), ok: authzAPIAnswers(http.StatusOK, false)},
	{name: "api edit", target: true, api: true,
		do: authzAPI(http.MethodPatch, "/api/v1/users/{id}", func(*clinic, authzTarget) any { return map[string]any{"name": "Renamed Person"} }),
		ok: authzAPIAnswers(http.StatusOK, true)},
	{name: "api deactivate", target: true, api: true, do: authzAPI(http.MethodPost, "/api/v1/users/{id}/deactivate", nil), ok: authzAPIAnswers(http.StatusOK, true)},
	{name: "api delete", target: true, api: true, do: authzAPI(http.MethodDelete, "/api/v1/users/{id}", nil), ok: authzAPIAnswers(http.StatusNoContent, false)},
	{name: "api invite", api: true,
		do: authzAPI(http.MethodPost, "/api/v1/invitations", func(_ *clinic, tg authzTarget) any {
			return map[string]any{"emails": []string{tg.email}, "roles": []map[string]any{{"space_id": tg.space, "role": "member"}}}
		}), ok: authzAPIAnswers(http.StatusCreated, true), emails: 1},
}

func init() { authzActions = append(authzActions, authzAPIActions...) }

func authzRelations(m func(w *clinic) map[int64]string) func(w *clinic, space int64) string {
	return func(w *clinic, space int64) string { return m(w)[space] }
}

var authzActors = []authzActor{
	{
		name: "account admin", email: apptest.AdminEmail,
		admin: func(w *clinic) []int64 { return []int64{w.acct, w.north, w.south, w.wa1, w.wa2, w.room} },
		relation: authzRelations(func(w *clinic) map[int64]string {
			return map[int64]string{w.acct: "own", w.north: "child", w.south: "child", w.wa1: "child", w.wa2: "child", w.room: "child"}
		}),
	},
	{
		name: "unit admin", email: unaEmail,
		admin: func(w *clinic) []int64 { return []int64{w.north, w.wa1, w.wa2, w.room} },
		relation: authzRelations(func(w *clinic) map[int64]string {
			return map[int64]string{w.acct: "account", w.north: "own", w.south: "sibling", w.wa1: "child", w.wa2: "child", w.room: "child"}
		}),
	},
	{
		name: "waiting-area admin", email: waltEmail,
		admin: func(w *clinic) []int64 { return []int64{w.wa2} },
		relation: authzRelations(func(w *clinic) map[int64]string {
			return map[int64]string{w.acct: "account", w.north: "parent", w.south: "outside", w.wa1: "sibling", w.wa2: "own", w.room: "sibling"}
		}),
	},
	{
		name: "member", email: moEmail,
		admin: func(*clinic) []int64 { return nil },
		relation: authzRelations(func(w *clinic) map[int64]string {
			return map[int64]string{w.acct: "account", w.north: "own", w.south: "sibling", w.wa1: "child", w.wa2: "child", w.room: "child"}
		}),
	},
	{
		name: "signed out", admin: func(*clinic) []int64 { return nil },
		relation: func(*clinic, int64) string { return "" },
	},
}

// TestAuthorizationMatrix runs every admin action on invitations as each
// kind of person, on invitations in each space. Allowed cells succeed;
// refused ones answer 404 for what lies outside the actor's spaces (so
// nothing is revealed), 403 for non-administrators, a sign-in redirect or
// 401 when signed out, and change nothing: no email, no row.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	targetSpaces := []int64{w.acct, w.north, w.south, w.wa2, w.wa1, w.room}

	// Each cell gets an invitation of its own. Those that must have
	// expired are made first, then the clock moves past their expiry, then
	// come the fresh ones, and a couple of minutes pass for the resend
	// cooldown. Nothing moves the clock after that, so no session times
	// out midway.
	type key struct{ actor, action, space int }
	targets := map[key]authzTarget{}
	for _, expired := range []bool{true, false} {
		for i := range authzActors {
			for j, act := range authzActions {
				if act.expired != expired {
					continue
				}
				for k, sp := range targetSpaces {
					tg := authzTarget{space: sp}
					if act.target {
						tg.user = w.invite(t, w.admin, w.email("target"), memberOf(sp))
					} else {
						tg.email = w.email("new")
					}
					targets[key{i, j, k}] = tg
				}
			}
		}
		if expired {
			w.e.Clock.Advance(w.e.App.Invitations.TTL() + time.Hour)
		}
	}
	w.e.Clock.Advance(2 * time.Minute)
	w.mails(t)

	clients := map[string]*http.Client{}
	w.tokens = map[*http.Client]string{}
	people := map[string]users.User{apptest.AdminEmail: w.admin, unaEmail: w.una, waltEmail: w.walt}
	for _, ac := range authzActors {
		if ac.email == "" {
			clients[ac.name] = w.e.Client(t)
		} else {
			clients[ac.name] = w.signIn(t, ac.email)
		}
		if u, ok := people[ac.email]; ok {
			w.tokens[clients[ac.name]] = w.token(t, u)
		}
	}

	for i, ac := range authzActors {
		for j, act := range authzActions {
			for k, sp := range targetSpaces {
				tg := targets[key{i, j, k}]
				name := ac.name + "/" + act.name + "/" + w.names[sp]
				if rel := ac.relation(w, sp); rel != "" {
					name += " (" + rel + ")"
				}
				t.Run(name, func(t *testing.T) {
					checkAuthzCell(t, w, clients[ac.name], ac, act, tg, w.mails(t), w.cellSnapshot(t, tg))
				})
			}
		}
	}
}

// checkAuthzCell runs one action as one actor and checks the outcome.
func checkAuthzCell(t *testing.T, w *clinic, c *http.Client, ac authzActor, act authzAction, tg authzTarget, mailsBefore int, before string) {
	t.Helper()
	allowed := false
	for _, s := range ac.admin(w) {
		allowed = allowed || s == tg.space
	}
	res := act.do(w, c, tg, t)
	if allowed {
		act.ok(w, c, tg, res, t)
		if got := w.mails(t) - mailsBefore; got != act.emails {
			t.Errorf("sent %d emails, want %d", got, act.emails)
		}
		return
	}

	var want int
	switch {
	case act.api && len(ac.admin(w)) == 0:
		want = http.StatusUnauthorized // no token: only administrators make them
	case act.api && act.name == "api list":
		want = http.StatusOK // the list itself, without the row
	case act.api && act.name == "api invite":
		want = http.StatusForbidden // as the page: a space not theirs
	case act.api:
		want = http.StatusNotFound
	case ac.email == "" && act.get:
		want = http.StatusSeeOther
	case ac.email == "":
		want = http.StatusUnauthorized
	case len(ac.admin(w)) == 0:
		want = http.StatusForbidden
	case act.name == "list" || act.name == "export":
		want = http.StatusOK // the list (or its file) itself, without the row
	case act.name == "activity" || act.name == "activity csv":
		// The log's space filter offers only the viewer's spaces, and
		// refuses any other, existing or not, with the same answer.
		want = http.StatusForbidden
	case act.name == "invite":
		// The role picker refuses any space the inviter does not
		// administer, existing or not, with the same answer.
		want = http.StatusForbidden
	default:
		want = http.StatusNotFound
	}
	if res.StatusCode != want {
		t.Errorf("status %d, want %d\n%s", res.StatusCode, want, res.Body)
	}
	if want == http.StatusSeeOther {
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/login") {
			t.Errorf("redirect to %q, want the sign-in page", loc)
		}
	}
	if act.name == "list" && listsUser(res.Body, tg.user.Email) {
		t.Errorf("the list shows %s, invited outside the actor's spaces", tg.user.Email)
	}
	if act.name != "list" && tg.user.Email != "" && strings.Contains(res.Body, tg.user.Email) {
		t.Errorf("the refusal shows %s:\n%s", tg.user.Email, res.Body)
	}
	if (want == http.StatusNotFound || act.name == "export") && tg.space != w.acct && strings.Contains(res.Body, w.names[tg.space]) {
		t.Errorf("the refusal names the space %q:\n%s", w.names[tg.space], res.Body)
	}
	if got := w.mails(t) - mailsBefore; got != 0 {
		t.Errorf("a refused %s sent %d emails", act.name, got)
	}
	if d := clinicDiff(before, w.cellSnapshot(t, tg)); d != "" {
		t.Errorf("a refused %s changed the database:\n%s", act.name, d)
	}
}
