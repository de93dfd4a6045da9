package invitations_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/dbtest"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

const (
	ttl      = 7 * 24 * time.Hour
	baseURL  = "https://usher.example.com"
	password = "plum tractor gently sings"
)

// env is a set-up account: Acme, with the unit Sales and its meeting room
// Room 4, and Ada, the account administrator.
type env struct {
	db          *db.DB
	dir         string
	clock       *clock.Fake
	users       *users.Service
	svc         *invitations.Service
	admin       users.User
	account     int64
	sales, room int64
	support     int64
	linkKey     []byte
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	d := dbtest.Open(t, dir)
	e := &env{db: d, dir: dir, clock: clock.NewFake(t0), linkKey: bytes.Repeat([]byte{7}, 32)}
	hasher := auth.NewCheapHasher(2)
	e.users = users.NewService(db.NewUserStore(d), hasher, e.clock)
	e.svc = invitations.NewService(db.NewInvitationStore(d), e.users, auth.NewLinks(e.linkKey), hasher, e.clock, ttl, baseURL, invitations.DefaultSendLimit)
	admin, err := e.users.Setup(ctx, users.SetupInput{AccountName: "Acme", Email: "ada@example.com", Name: "Ada", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	e.admin = admin
	acc, err := e.users.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.account = acc.ID
	e.sales = e.space(t, spaces.Unit, "Sales", acc.ID)
	e.support = e.space(t, spaces.Unit, "Support", acc.ID)
	e.room = e.space(t, spaces.MeetingRoom, "Room 4", e.sales)
	return e
}

func (e *env) space(t *testing.T, kind spaces.Kind, name string, parent int64) int64 {
	t.Helper()
	res, err := e.db.W.Exec(`INSERT INTO spaces (kind, parent_id, name, created_at) VALUES (?, ?, ?, ?)`, kind, parent, name, t0.Unix())
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

// actor is u signed in, with what u may administer now.
func (e *env) actor(t *testing.T, u users.User) invitations.Actor {
	t.Helper()
	a, err := e.users.Access(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return invitations.Actor{User: u, Access: a}
}

// user adds an active user holding grants, without hashing a password.
func (e *env) user(t *testing.T, email string, grants ...spaces.Grant) users.User {
	t.Helper()
	res, err := e.db.W.Exec(`INSERT INTO users (email, name, password_hash, created_at, activated_at) VALUES (?, ?, 'x', 0, 0)`, email, strings.Split(email, "@")[0])
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	for _, g := range grants {
		if _, err := e.db.W.Exec(`INSERT INTO role_grants (user_id, space_id, role, granted_at) VALUES (?, ?, ?, 0)`, id, g.SpaceID, g.Role); err != nil {
			t.Fatal(err)
		}
	}
	u, err := e.users.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) setDeactivated(t *testing.T, id int64) {
	t.Helper()
	if _, err := e.db.W.Exec(`UPDATE users SET deactivated_at = ? WHERE id = ?`, e.clock.Now().Unix(), id); err != nil {
		t.Fatal(err)
	}
}

func (e *env) invite(t *testing.T, email string, offered ...spaces.Grant) invitations.Invitation {
	t.Helper()
	if len(offered) == 0 {
		offered = []spaces.Grant{{SpaceID: e.sales, Role: spaces.Member}}
	}
	inv, err := e.svc.Invite(context.Background(), e.actor(t, e.admin), invitations.InviteInput{Email: email, Offered: offered})
	if err != nil {
		t.Fatalf("Invite %s: %v", email, err)
	}
	return inv
}

// token is the token part of the user's current link.
func (e *env) token(t *testing.T, userID int64) string {
	t.Helper()
	link, _, err := e.svc.Link(context.Background(), e.actor(t, e.admin), userID)
	if err != nil {
		t.Fatalf("Link: %v", err)
	}
	tok, ok := strings.CutPrefix(link, baseURL+"/invite/")
	if !ok || !auth.WellFormed(tok) {
		t.Fatalf("link %q is not %s/invite/<token>", link, baseURL)
	}
	return tok
}

func (e *env) lookup(t *testing.T, token string) invitations.LinkState {
	t.Helper()
	v, err := e.svc.Lookup(context.Background(), token)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	return v.Link
}

type outboxRow struct {
	Kind, Recipient, Payload string
}

func (e *env) outbox(t *testing.T) []outboxRow {
	t.Helper()
	rows, err := e.db.R.Query(`SELECT kind, recipient, payload FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.Kind, &r.Recipient, &r.Payload); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func kinds(rows []outboxRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Kind)
	}
	return out
}

func (e *env) listed(t *testing.T) map[string]users.Status {
	t.Helper()
	p, err := e.users.List(context.Background(), e.actor(t, e.admin).Access, users.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]users.Status{}
	for _, r := range p.Rows {
		out[r.Email] = r.StatusAt(e.clock.Now())
	}
	return out
}

func wantCode(t *testing.T, what string, err error, code errs.Code, says string) {
	t.Helper()
	if errs.CodeOf(err) != code {
		t.Errorf("%s: err = %v, want %s", what, err, code)
		return
	}
	if says != "" && !strings.Contains(errs.MessageOf(err), says) {
		t.Errorf("%s: message %q does not say %q", what, errs.MessageOf(err), says)
	}
}

func TestInvite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	inv := e.invite(t, "Ivy@Example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Admin}, spaces.Grant{SpaceID: e.room, Role: spaces.Member})

	if inv.Email != "ivy@example.com" || inv.State != invitations.Pending || inv.InvitedBy != e.admin.ID || inv.InviterName != "Ada" || !inv.ExpiresAt.Equal(t0.Add(ttl)) {
		t.Errorf("invitation = %+v", inv)
	}
	if got := e.listed(t)["ivy@example.com"]; got != users.Invited {
		t.Errorf("ivy is %q in the list, want invited", got)
	}
	ob := e.outbox(t)
	if len(ob) != 1 || ob[0].Kind != "invitation" || ob[0].Recipient != "ivy@example.com" {
		t.Fatalf("outbox = %+v, want one invitation to ivy", ob)
	}
	for _, want := range []string{`"account_name":"Acme"`, `"inviter_name":"Ada"`, `Member of Room 4, Administrator of Sales`} {
		if !strings.Contains(ob[0].Payload, want) {
			t.Errorf("payload %s lacks %s", ob[0].Payload, want)
		}
	}

	bob := e.user(t, "bob@example.com")
	dee := e.user(t, "dee@example.com")
	e.setDeactivated(t, dee.ID)
	known := []struct {
		email string
		want  users.Status
		id    int64
	}{
		{"ivy@example.com", users.Invited, inv.UserID},
		{"IVY@EXAMPLE.COM", users.Invited, inv.UserID},
		{" ivy@example.com ", users.Invited, inv.UserID},
		{"bob@example.com", users.Active, bob.ID},
		{"Ada@example.com", users.Active, e.admin.ID},
		{"dee@example.com", users.Deactivated, dee.ID},
	}
	for _, tc := range known {
		_, err := e.svc.Invite(ctx, e.actor(t, e.admin), invitations.InviteInput{Email: tc.email, Offered: []spaces.Grant{{SpaceID: e.sales, Role: spaces.Member}}})
		ex, ok := invitations.IsExisting(err)
		if !ok || ex.Status != tc.want || ex.User.ID != tc.id {
			t.Errorf("Invite %q: err = %v (%+v), want *Existing %s for user %d", tc.email, err, ex, tc.want, tc.id)
		}
	}
	if n := len(e.outbox(t)); n != 1 {
		t.Errorf("outbox has %d messages after inviting known addresses, want still 1", n)
	}

	bad := []struct {
		name string
		in   invitations.InviteInput
		code errs.Code
	}{
		{"no roles", invitations.InviteInput{Email: "new@example.com"}, errs.Invalid},
		{"display name", invitations.InviteInput{Email: "New <new@example.com>", Offered: []spaces.Grant{{SpaceID: e.sales, Role: spaces.Member}}}, errs.Invalid},
		{"two addresses", invitations.InviteInput{Email: "a@example.com, b@example.com", Offered: []spaces.Grant{{SpaceID: e.sales, Role: spaces.Member}}}, errs.Invalid},
		{"missing space", invitations.InviteInput{Email: "new@example.com", Offered: []spaces.Grant{{SpaceID: 9999, Role: spaces.Member}}}, errs.Forbidden},
		{"unknown role", invitations.InviteInput{Email: "new@example.com", Offered: []spaces.Grant{{SpaceID: e.sales, Role: "owner"}}}, errs.Invalid},
		{"no role", invitations.InviteInput{Email: "new@example.com", Offered: []spaces.Grant{{SpaceID: e.sales}}}, errs.Invalid},
	}
	for _, tc := range bad {
		_, err := e.svc.Invite(ctx, e.actor(t, e.admin), tc.in)
		wantCode(t, tc.name, err, tc.code, "")
	}
	if n := len(e.outbox(t)); n != 1 {
		t.Errorf("outbox has %d messages after refused invitations, want 1", n)
	}
}

// Space administrators invite to their spaces only; people who administer
// nothing invite nobody.
func TestInvitePermissions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	sam := e.user(t, "sam@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Admin})
	mo := e.user(t, "mo@example.com", spaces.Grant{SpaceID: e.account, Role: spaces.Member}, spaces.Grant{SpaceID: e.sales, Role: spaces.Member})

	tests := []struct {
		name    string
		actor   users.User
		offered []spaces.Grant
		ok      bool
	}{
		{"unit admin, own unit and room", sam, []spaces.Grant{{SpaceID: e.sales, Role: spaces.Admin}, {SpaceID: e.room, Role: spaces.Member}}, true},
		{"unit admin, other unit", sam, []spaces.Grant{{SpaceID: e.support, Role: spaces.Member}}, false},
		{"unit admin, the account", sam, []spaces.Grant{{SpaceID: e.account, Role: spaces.Member}}, false},
		{"member", mo, []spaces.Grant{{SpaceID: e.sales, Role: spaces.Member}}, false},
	}
	for i, tc := range tests {
		_, err := e.svc.Invite(ctx, e.actor(t, tc.actor), invitations.InviteInput{Email: "p" + string(rune('a'+i)) + "@example.com", Offered: tc.offered})
		if tc.ok && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.ok {
			wantCode(t, tc.name, err, errs.Forbidden, "")
		}
	}

	// A member acts on nothing: every invitation action is refused, and
	// nothing changes.
	inv := e.invite(t, "ivy@example.com")
	member := e.actor(t, mo)
	before := len(e.outbox(t))
	e.clock.Advance(2 * time.Minute)
	_, _, err := e.svc.Link(ctx, member, inv.UserID)
	wantCode(t, "Link", err, errs.NotFound, "")
	_, err = e.svc.Resend(ctx, member, inv.UserID)
	wantCode(t, "Resend", err, errs.NotFound, "")
	_, err = e.svc.Cancel(ctx, member, inv.UserID)
	wantCode(t, "Cancel", err, errs.NotFound, "")
	_, _, err = e.svc.RemoveRoles(ctx, member, inv.UserID, []int64{e.sales})
	wantCode(t, "RemoveRoles", err, errs.NotFound, "")
	_, _, _, err = e.svc.Details(ctx, member, inv.UserID)
	wantCode(t, "Details", err, errs.NotFound, "")
	e.clock.Advance(ttl)
	_, err = e.svc.Renew(ctx, member, inv.UserID)
	wantCode(t, "Renew", err, errs.NotFound, "")
	if got := len(e.outbox(t)); got != before {
		t.Errorf("outbox grew from %d to %d", before, got)
	}
	if _, got, _, _ := e.svc.Details(ctx, e.actor(t, e.admin), inv.UserID); got.State != invitations.Pending {
		t.Errorf("invitation is %s after refused actions, want pending", got.State)
	}
	// The Sales administrator may act on it (it offers Member of Sales).
	if _, err := e.svc.Renew(ctx, e.actor(t, sam), inv.UserID); err != nil {
		t.Errorf("Renew by the Sales administrator: %v", err)
	}
}

func TestResend(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	inv := e.invite(t, "ivy@example.com")
	admin := e.actor(t, e.admin)
	link := e.token(t, inv.UserID)

	e.clock.Advance(30 * time.Second)
	_, err := e.svc.Resend(ctx, admin, inv.UserID)
	wantCode(t, "resend after 30s", err, errs.TooMany, "30 seconds")

	e.clock.Advance(31 * time.Second)
	u, err := e.svc.Resend(ctx, admin, inv.UserID)
	if err != nil {
		t.Fatalf("resend after 61s: %v", err)
	}
	if u.Email != "ivy@example.com" {
		t.Errorf("Resend returned %+v", u)
	}
	if again := e.token(t, inv.UserID); again != link {
		t.Errorf("link changed on resend: %s, then %s", link, again)
	}
	wantExpiry := t0.Add(61*time.Second + ttl)
	got, err := e.users.Get(ctx, inv.UserID)
	if err != nil || !got.InviteExpiresAt.Equal(wantExpiry) {
		t.Errorf("user's expiry = %v, %v; want %v", got.InviteExpiresAt, err, wantExpiry)
	}
	v, _ := e.svc.Lookup(ctx, link)
	if !v.Invitation.ExpiresAt.Equal(wantExpiry) || !v.Invitation.SentAt.Equal(t0.Add(61*time.Second)) || v.Link != invitations.LinkValid {
		t.Errorf("after resend: %+v", v)
	}
	ob := e.outbox(t)
	if !slices.Equal(kinds(ob), []string{"invitation", "reminder"}) || ob[1].Recipient != "ivy@example.com" {
		t.Errorf("outbox = %+v, want the invitation then a reminder to ivy", ob)
	}
	if !strings.Contains(ob[1].Payload, wantExpiry.Format(time.RFC3339)) {
		t.Errorf("reminder payload %s does not carry the new expiry %s", ob[1].Payload, wantExpiry.Format(time.RFC3339))
	}

	// The cooldown restarts from the resend.
	e.clock.Advance(59 * time.Second)
	_, err = e.svc.Resend(ctx, admin, inv.UserID)
	wantCode(t, "second resend after 59s", err, errs.TooMany, "1 second.")

	// The original expiry would have passed by now; the restarted one has not.
	e.clock.Set(t0.Add(ttl + time.Second))
	if st := e.lookup(t, link); st != invitations.LinkValid {
		t.Errorf("link is %s after the first expiry, want valid (resend restarted it)", st)
	}

	e.clock.Set(wantExpiry)
	_, err = e.svc.Resend(ctx, admin, inv.UserID)
	wantCode(t, "resend after expiry", err, errs.Conflict, "Send a new invitation")
	if _, _, err := e.svc.Link(ctx, admin, inv.UserID); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("Link after expiry: err = %v, want Conflict", err)
	}
	if n := len(e.outbox(t)); n != 2 {
		t.Errorf("outbox has %d messages, want 2", n)
	}
}

func TestRenew(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	inv := e.invite(t, "ivy@example.com", spaces.Grant{SpaceID: e.room, Role: spaces.Member})
	admin := e.actor(t, e.admin)
	old := e.token(t, inv.UserID)

	_, err := e.svc.Renew(ctx, admin, inv.UserID)
	wantCode(t, "renew before expiry", err, errs.Conflict, "Resend it instead")

	e.clock.Advance(ttl)
	if st := e.lookup(t, old); st != invitations.LinkExpired {
		t.Errorf("old link at expiry is %s, want expired", st)
	}
	if got := e.listed(t)["ivy@example.com"]; got != users.Expired {
		t.Errorf("ivy is %q in the list, want expired", got)
	}
	if _, err := e.svc.Renew(ctx, admin, inv.UserID); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	if st := e.lookup(t, old); st != invitations.LinkInvalid {
		t.Errorf("old link after renewal is %s, want invalid", st)
	}
	fresh := e.token(t, inv.UserID)
	if fresh == old {
		t.Fatal("renewal kept the old link")
	}
	v, err := e.svc.Lookup(ctx, fresh)
	if err != nil || v.Link != invitations.LinkValid || !v.Invitation.ExpiresAt.Equal(t0.Add(2*ttl)) || spaces.Describe(v.Invitation.Offered) != "Member of Room 4" {
		t.Errorf("new link: %+v, %v", v, err)
	}
	if got := e.listed(t)["ivy@example.com"]; got != users.Invited {
		t.Errorf("ivy is %q in the list after renewal, want invited", got)
	}
	if got := kinds(e.outbox(t)); !slices.Equal(got, []string{"invitation", "new_invitation"}) {
		t.Errorf("outbox = %q", got)
	}
	_, err = e.svc.Renew(ctx, admin, inv.UserID)
	wantCode(t, "renew again", err, errs.Conflict, "")
	if _, err := e.svc.Accept(ctx, old, invitations.AcceptInput{Name: "Ivy", Password: password}); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("accepting with the old link: err = %v, want Conflict", err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	inv := e.invite(t, "ivy@example.com")
	admin := e.actor(t, e.admin)
	tok := e.token(t, inv.UserID)

	if _, err := e.svc.Cancel(ctx, admin, inv.UserID); err != nil {
		t.Fatal(err)
	}
	if st, ok := e.listed(t)["ivy@example.com"]; ok {
		t.Errorf("ivy still in the list (%s) after cancel", st)
	}
	if st := e.lookup(t, tok); st != invitations.LinkInvalid {
		t.Errorf("link after cancel is %s, want invalid", st)
	}
	_, err := e.svc.Accept(ctx, tok, invitations.AcceptInput{Name: "Ivy", Password: password})
	wantCode(t, "accept after cancel", err, errs.Conflict, "no longer valid")
	_, err = e.svc.Cancel(ctx, admin, inv.UserID)
	wantCode(t, "cancel again", err, errs.NotFound, "")

	// The address can be invited again, with a new link.
	again := e.invite(t, "ivy@example.com")
	if fresh := e.token(t, again.UserID); fresh == tok {
		t.Error("a new invitation reused the cancelled link")
	}
}

func TestRemoveRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	inv := e.invite(t, "ivy@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Admin}, spaces.Grant{SpaceID: e.room, Role: spaces.Member})
	admin := e.actor(t, e.admin)
	tok := e.token(t, inv.UserID)

	_, _, err := e.svc.RemoveRoles(ctx, admin, inv.UserID, nil)
	wantCode(t, "remove nothing", err, errs.Invalid, "")

	_, cancelled, err := e.svc.RemoveRoles(ctx, admin, inv.UserID, []int64{e.sales})
	if err != nil || cancelled {
		t.Fatalf("removing one of two roles: cancelled = %v, %v", cancelled, err)
	}
	v, _ := e.svc.Lookup(ctx, tok)
	if v.Link != invitations.LinkValid || spaces.Describe(v.Invitation.Offered) != "Member of Room 4" {
		t.Errorf("after removing Sales: %s, offers %q", v.Link, spaces.Describe(v.Invitation.Offered))
	}

	_, cancelled, err = e.svc.RemoveRoles(ctx, admin, inv.UserID, []int64{e.room})
	if err != nil || !cancelled {
		t.Fatalf("removing the last role: cancelled = %v, %v; want cancelled", cancelled, err)
	}
	if st := e.lookup(t, tok); st != invitations.LinkInvalid {
		t.Errorf("link after the last role went is %s, want invalid", st)
	}
	if _, ok := e.listed(t)["ivy@example.com"]; ok {
		t.Error("ivy still in the list")
	}
	// Its invitee never joined and is gone, so no page shows this history
	// any more: the store still has it.
	hist, err := db.NewInvitationStore(e.db).Events(ctx, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range hist {
		got = append(got, string(ev.Kind)+":"+ev.Detail+spaces.Describe(ev.Grants))
	}
	want := []string{"invited:", "role_removed:Administrator of Sales", "role_removed:Member of Room 4", "cancelled:no roles left"}
	if !slices.Equal(got, want) {
		t.Errorf("history = %q, want %q", got, want)
	}

	// With no roles left it belongs to no space: nobody else reaches it.
	for name, u := range map[string]users.User{
		"member":        e.user(t, "mo@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Member}),
		"Support admin": e.user(t, "sue@example.com", spaces.Grant{SpaceID: e.support, Role: spaces.Admin}),
	} {
		_, _, _, err := e.svc.Details(ctx, e.actor(t, u), inv.UserID)
		wantCode(t, name+" reading the history", err, errs.NotFound, "")
	}
}

func TestAccept(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	offered := []spaces.Grant{{SpaceID: e.sales, Role: spaces.Admin}, {SpaceID: e.room, Role: spaces.Member}}
	inv := e.invite(t, "ivy@example.com", offered...)
	tok := e.token(t, inv.UserID)
	e.clock.Advance(time.Hour)

	v, err := e.svc.Lookup(ctx, tok)
	if err != nil || v.Link != invitations.LinkValid || v.AccountName != "Acme" || v.Invitation.InviterName != "Ada" {
		t.Fatalf("Lookup = %+v, %v", v, err)
	}
	// Opening the page consumes nothing.
	if st := e.lookup(t, tok); st != invitations.LinkValid {
		t.Fatalf("second Lookup = %s", st)
	}

	// Form mistakes are refused before anything changes.
	for _, in := range []invitations.AcceptInput{{Name: "", Password: password}, {Name: "Ivy", Password: "short"}, {Name: "Ivy", Password: "1qaz2wsx3edc"}} {
		_, err := e.svc.Accept(ctx, tok, in)
		wantCode(t, "accept with "+in.Password, err, errs.Invalid, "")
	}
	if st := e.lookup(t, tok); st != invitations.LinkValid {
		t.Fatalf("link after refused forms is %s", st)
	}

	u, err := e.svc.Accept(ctx, tok, invitations.AcceptInput{Name: "  Ivy  Green ", Password: password})
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	if u.ID != inv.UserID || u.Name != "Ivy Green" || u.StatusAt(e.clock.Now()) != users.Active {
		t.Errorf("accepted user = %+v", u)
	}
	grants, err := e.users.Grants(ctx, u.User)
	if err != nil {
		t.Fatal(err)
	}
	if got := spaces.Describe(grants); got != "Member of Room 4, Administrator of Sales" {
		t.Errorf("grants = %q, want exactly the offered ones", got)
	}
	if got := e.listed(t)["ivy@example.com"]; got != users.Active {
		t.Errorf("ivy is %q in the list, want active", got)
	}
	if _, err := e.users.Authenticate(ctx, "ivy@example.com", password); err != nil {
		t.Errorf("signing in with the chosen password: %v", err)
	}

	_, err = e.svc.Accept(ctx, tok, invitations.AcceptInput{Name: "Eve", Password: "another long password"})
	wantCode(t, "second accept", err, errs.Conflict, "already been accepted")
	if st := e.lookup(t, tok); st != invitations.LinkAccepted {
		t.Errorf("link after accept is %s, want accepted", st)
	}
	_, _, err = e.svc.Link(ctx, e.actor(t, e.admin), inv.UserID)
	wantCode(t, "Link after accept", err, errs.Conflict, "")
	if n := len(e.outbox(t)); n != 1 {
		t.Errorf("outbox has %d messages, want 1", n)
	}
}

func TestAcceptRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	form := invitations.AcceptInput{Name: "Ivy", Password: password}

	t.Run("garbage links", func(t *testing.T) {
		e := newEnv(t)
		for _, tok := range []string{"", "abc", strings.Repeat("A", 10<<10), strings.Repeat("A", 43)} {
			if _, err := e.svc.Lookup(ctx, tok); err != invitations.ErrNoSuchLink {
				t.Errorf("Lookup(%.10q…) = %v, want ErrNoSuchLink", tok, err)
			}
			if _, err := e.svc.Accept(ctx, tok, form); errs.CodeOf(err) != errs.NotFound {
				t.Errorf("Accept(%.10q…) = %v, want NotFound", tok, err)
			}
		}
		// A link made with another key matches nothing.
		inv := e.invite(t, "ivy@example.com")
		_, v, _, _ := e.svc.Details(ctx, e.actor(t, e.admin), inv.UserID)
		forged := auth.NewLinks(bytes.Repeat([]byte{8}, 32)).Token(invitations.LinkPurpose, v.Nonce)
		if _, err := e.svc.Lookup(ctx, forged); err != invitations.ErrNoSuchLink {
			t.Errorf("link from another key: %v", err)
		}
	})

	t.Run("expired", func(t *testing.T) {
		e := newEnv(t)
		inv := e.invite(t, "ivy@example.com")
		tok := e.token(t, inv.UserID)
		e.clock.Advance(ttl)
		_, err := e.svc.Accept(ctx, tok, form)
		wantCode(t, "accept at expiry", err, errs.Conflict, "expired")
		if got := e.listed(t)["ivy@example.com"]; got != users.Expired {
			t.Errorf("ivy is %q, want expired", got)
		}
	})

	t.Run("inviter deactivated", func(t *testing.T) {
		e := newEnv(t)
		sam := e.user(t, "sam@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Admin})
		inv, err := e.svc.Invite(ctx, e.actor(t, sam), invitations.InviteInput{Email: "ivy@example.com", Offered: []spaces.Grant{{SpaceID: e.sales, Role: spaces.Member}}})
		if err != nil {
			t.Fatal(err)
		}
		tok := e.token(t, inv.UserID)
		e.setDeactivated(t, sam.ID)
		_, err = e.svc.Accept(ctx, tok, form)
		wantCode(t, "accept after the inviter was deactivated", err, errs.Conflict, "can no longer grant")
		if st := e.lookup(t, tok); st != invitations.LinkValid {
			t.Errorf("link is %s after a refused accept, want still valid", st)
		}
	})

	t.Run("inviter lost some rights", func(t *testing.T) {
		e := newEnv(t)
		sam := e.user(t, "sam@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Admin})
		inv, err := e.svc.Invite(ctx, e.actor(t, sam), invitations.InviteInput{Email: "ivy@example.com", Offered: []spaces.Grant{{SpaceID: e.sales, Role: spaces.Member}, {SpaceID: e.room, Role: spaces.Admin}}})
		if err != nil {
			t.Fatal(err)
		}
		tok := e.token(t, inv.UserID)
		// Sam now administers only the room.
		if _, err := e.db.W.Exec(`UPDATE role_grants SET space_id = ? WHERE user_id = ?`, e.room, sam.ID); err != nil {
			t.Fatal(err)
		}
		u, err := e.svc.Accept(ctx, tok, form)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := e.users.Grants(ctx, u.User)
		if got := spaces.Describe(g); got != "Administrator of Room 4" {
			t.Errorf("grants = %q, want only what the inviter can still grant", got)
		}
	})

	t.Run("invitee deleted", func(t *testing.T) {
		e := newEnv(t)
		inv := e.invite(t, "ivy@example.com")
		tok := e.token(t, inv.UserID)
		if _, err := e.db.W.Exec(`DELETE FROM users WHERE id = ?`, inv.UserID); err != nil {
			t.Fatal(err)
		}
		if st := e.lookup(t, tok); st != invitations.LinkInvalid {
			t.Errorf("link of a deleted invitee is %s, want invalid", st)
		}
		_, err := e.svc.Accept(ctx, tok, form)
		wantCode(t, "accept by a deleted invitee", err, errs.Conflict, "no longer valid")
	})

	t.Run("invitee deactivated", func(t *testing.T) {
		e := newEnv(t)
		inv := e.invite(t, "ivy@example.com")
		tok := e.token(t, inv.UserID)
		e.setDeactivated(t, inv.UserID)
		if st := e.lookup(t, tok); st != invitations.LinkInvalid {
			t.Errorf("link of a deactivated invitee is %s, want invalid", st)
		}
		_, err := e.svc.Accept(ctx, tok, form)
		wantCode(t, "accept by a deactivated invitee", err, errs.Conflict, "")
		e.clock.Advance(2 * time.Minute)
		_, err = e.svc.Resend(ctx, e.actor(t, e.admin), inv.UserID)
		wantCode(t, "resend to a deactivated invitee", err, errs.Conflict, "Activate the user")
	})
}

// Twenty posts of the accept form at once: exactly one wins.
func TestAcceptConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	inv := e.invite(t, "ivy@example.com")
	tok := e.token(t, inv.UserID)

	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.svc.Accept(ctx, tok, invitations.AcceptInput{Name: "Ivy", Password: password})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errs.CodeOf(err) != errs.Conflict || !strings.Contains(errs.MessageOf(err), "already been accepted"):
				t.Errorf("losing accept: %v, want Conflict saying already accepted", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d accepts succeeded, want exactly 1", wins)
	}
	// Accepted, it is no longer on Manage invitation: the store has its
	// history.
	hist, err := db.NewInvitationStore(e.db).Events(ctx, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	accepted := 0
	for _, ev := range hist {
		if ev.Kind == invitations.EvAccepted {
			accepted++
		}
	}
	if accepted != 1 {
		t.Errorf("history records %d acceptances, want 1", accepted)
	}
}

// A copy of the database alone does not yield a working link: neither the
// token nor the HMAC bytes behind it are stored.
func TestDatabaseHoldsNoLink(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	admin := e.actor(t, e.admin)
	var tokens []string

	accepted := e.invite(t, "acc@example.com")
	tokens = append(tokens, e.token(t, accepted.UserID))
	if _, err := e.svc.Accept(ctx, tokens[0], invitations.AcceptInput{Name: "Acc", Password: password}); err != nil {
		t.Fatal(err)
	}
	resent := e.invite(t, "res@example.com")
	tokens = append(tokens, e.token(t, resent.UserID))
	e.clock.Advance(2 * time.Minute)
	if _, err := e.svc.Resend(ctx, admin, resent.UserID); err != nil {
		t.Fatal(err)
	}
	renewed := e.invite(t, "ren@example.com")
	tokens = append(tokens, e.token(t, renewed.UserID))
	e.clock.Advance(ttl)
	if _, err := e.svc.Renew(ctx, admin, renewed.UserID); err != nil {
		t.Fatal(err)
	}
	tokens = append(tokens, e.token(t, renewed.UserID))

	var needles [][]byte
	for _, tok := range tokens {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			t.Fatal(err)
		}
		needles = append(needles, []byte(tok), raw)
	}
	needles = append(needles, e.linkKey)

	check := func(when string) {
		t.Helper()
		for _, suffix := range []string{"", "-wal", "-journal"} {
			path := filepath.Join(e.dir, db.FileName+suffix)
			b, err := os.ReadFile(path)
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, n := range needles {
				if bytes.Contains(b, n) {
					t.Errorf("%s: %s contains secret %d", when, filepath.Base(path), i)
				}
			}
		}
	}
	check("before checkpoint")
	if _, err := e.db.W.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	check("after checkpoint")
}

func TestRequestRenewal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	inv := e.invite(t, "ivy@example.com")
	tok := e.token(t, inv.UserID)

	wantCode(t, "ask while valid", e.svc.RequestRenewal(ctx, tok), errs.Conflict, "")
	if err := e.svc.RequestRenewal(ctx, "garbage"); err != invitations.ErrNoSuchLink {
		t.Errorf("ask with a garbage link: %v", err)
	}

	e.clock.Advance(ttl)
	for i := range 3 { // the inviter is told once, however often the button is pressed
		if err := e.svc.RequestRenewal(ctx, tok); err != nil {
			t.Fatalf("ask %d: %v", i+1, err)
		}
	}
	ob := e.outbox(t)
	if !slices.Equal(kinds(ob), []string{"invitation", "renewal_request"}) || ob[1].Recipient != "ada@example.com" {
		t.Fatalf("outbox = %+v, want one renewal request to the inviter", ob)
	}
	if !strings.Contains(ob[1].Payload, baseURL+"/settings/users") || !strings.Contains(ob[1].Payload, `"invitee_email":"ivy@example.com"`) {
		t.Errorf("renewal request payload = %s", ob[1].Payload)
	}
	v, _ := e.svc.Lookup(ctx, tok)
	if !v.Invitation.RenewalRequestedAt.Equal(e.clock.Now()) || v.Link != invitations.LinkExpired {
		t.Errorf("after asking: %s, requested at %v", v.Link, v.Invitation.RenewalRequestedAt)
	}

	// With the inviter deactivated, the request is recorded but mails nobody.
	other := e.invite(t, "jay@example.com")
	otherTok := e.token(t, other.UserID)
	e.clock.Advance(ttl)
	e.setDeactivated(t, e.admin.ID)
	if err := e.svc.RequestRenewal(ctx, otherTok); err != nil {
		t.Fatal(err)
	}
	if n := len(e.outbox(t)); n != 3 {
		t.Errorf("outbox has %d messages, want 3 (no request to a deactivated inviter)", n)
	}
	if v, _ := e.svc.Lookup(ctx, otherTok); v.Invitation.RenewalRequestedAt.IsZero() {
		t.Error("request not recorded")
	}
}

// Many administrators clicking the same button at once: one action, one
// email, the others told why.
func TestConcurrentClicks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	admin := e.actor(t, e.admin)
	const n = 10

	// losers lists the answers a click that lost may get; "existing" is
	// *Existing.
	race := func(name string, fn func() error, wantOK int, losers ...errs.Code) {
		t.Helper()
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := fn()
				code := errs.CodeOf(err)
				if _, existing := invitations.IsExisting(err); existing {
					code = "existing"
				}
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case !slices.Contains(losers, code):
					t.Errorf("%s: %v", name, err)
				}
			}()
		}
		wg.Wait()
		if ok != wantOK {
			t.Errorf("%s: %d succeeded, want %d", name, ok, wantOK)
		}
	}

	race("invite", func() error {
		_, err := e.svc.Invite(ctx, admin, invitations.InviteInput{Email: "ivy@example.com", Offered: []spaces.Grant{{SpaceID: e.sales, Role: spaces.Member}}})
		return err
	}, 1, "existing")
	ivy, err := db.NewUserStore(e.db).ByEmail(ctx, "ivy@example.com")
	if err != nil {
		t.Fatal(err)
	}

	e.clock.Advance(2 * time.Minute)
	race("resend", func() error { _, err := e.svc.Resend(ctx, admin, ivy.ID); return err }, 1, errs.TooMany)

	e.clock.Advance(ttl + time.Minute)
	race("renew", func() error { _, err := e.svc.Renew(ctx, admin, ivy.ID); return err }, 1, errs.Conflict)
	if _, err := e.svc.Lookup(ctx, e.token(t, ivy.ID)); err != nil {
		t.Errorf("the renewed link: %v", err)
	}

	// A late click finds the invitation ended, or the invitee already gone.
	race("cancel", func() error { _, err := e.svc.Cancel(ctx, admin, ivy.ID); return err }, 1, errs.Conflict, errs.NotFound)

	if got := kinds(e.outbox(t)); !slices.Equal(got, []string{"invitation", "reminder", "new_invitation"}) {
		t.Errorf("outbox = %q, want one message per action", got)
	}
}
