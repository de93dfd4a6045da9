package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/spaces"
)

// logged is an activity row as a test reads it back, with the spaces it
// is filed under.
type logged struct {
	activity.Entry
	spaces []int64
}

// activitySince reads the activity rows after id, oldest first.
func activitySince(t *testing.T, e *apptest.Env, after int64) []logged {
	t.Helper()
	ctx := context.Background()
	rows, err := e.App.DB.R.QueryContext(ctx, `SELECT id, at, kind, coalesce(actor_id, 0), actor_name, actor_email, coalesce(subject_id, 0), subject_name, subject_email, ip, details
		FROM activity WHERE id > ? ORDER BY id`, after)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []logged
	for rows.Next() {
		var l logged
		var at int64
		var details string
		if err := rows.Scan(&l.ID, &at, &l.Kind, &l.ActorID, &l.ActorName, &l.ActorEmail, &l.SubjectID, &l.SubjectName, &l.SubjectEmail, &l.IP, &details); err != nil {
			t.Fatal(err)
		}
		l.At = time.Unix(at, 0).UTC()
		if err := json.Unmarshal([]byte(details), &l.Details); err != nil {
			t.Fatalf("row %d's details %q: %v", l.ID, details, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for i := range out {
		srows, err := e.App.DB.R.QueryContext(ctx, `SELECT space_id FROM activity_spaces WHERE activity_id = ? ORDER BY space_id`, out[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		for srows.Next() {
			var id int64
			if err := srows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out[i].spaces = append(out[i].spaces, id)
		}
		srows.Close()
	}
	return out
}

// lastActivity is the newest activity row's id (0: none).
func lastActivity(t *testing.T, e *apptest.Env) int64 {
	t.Helper()
	var id int64
	if err := e.App.DB.R.QueryRow(`SELECT coalesce(max(id), 0) FROM activity`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// want is what one activity row must say.
type want struct {
	kind    activity.Kind
	actor   int64  // 0: the system, or nobody signed in
	subject string // the subject's email ("" for none)
	spaces  []int64
	ip      bool // the row names the client's address
	check   func(t *testing.T, l logged)
}

// logbook walks actions and checks the rows each one wrote.
type logbook struct {
	w    *clinic
	last int64
}

// expect checks that the action since the previous step wrote exactly
// the rows in wants, in order.
func (b *logbook) expect(t *testing.T, step string, wants ...want) []logged {
	t.Helper()
	got := activitySince(t, b.w.e, b.last)
	if len(got) > 0 {
		b.last = got[len(got)-1].ID
	}
	var kinds []activity.Kind
	for _, g := range got {
		kinds = append(kinds, g.Kind)
	}
	if len(got) != len(wants) {
		t.Fatalf("%s: wrote %d activity rows %v, want %d", step, len(got), kinds, len(wants))
	}
	for i, w := range wants {
		g := got[i]
		if g.Kind != w.kind {
			t.Errorf("%s: row %d is %s, want %s", step, i, g.Kind, w.kind)
			continue
		}
		if g.ActorID != w.actor {
			t.Errorf("%s (%s): actor %d %q, want %d", step, g.Kind, g.ActorID, g.ActorName, w.actor)
		}
		if w.actor == b.w.admin.ID && (g.ActorName != apptest.AdminName || g.ActorEmail != apptest.AdminEmail) {
			t.Errorf("%s (%s): actor named %q <%s>, want %s <%s>", step, g.Kind, g.ActorName, g.ActorEmail, apptest.AdminName, apptest.AdminEmail)
		}
		if g.SubjectEmail != w.subject {
			t.Errorf("%s (%s): subject %q, want %q", step, g.Kind, g.SubjectEmail, w.subject)
		}
		if w.subject != "" && g.SubjectID == 0 {
			t.Errorf("%s (%s): the subject %s has no id", step, g.Kind, w.subject)
		}
		ws := slices.Clone(w.spaces)
		slices.Sort(ws)
		if !slices.Equal(g.spaces, ws) {
			t.Errorf("%s (%s): filed under spaces %v, want %v", step, g.Kind, g.spaces, ws)
		}
		if w.ip && g.IP != "127.0.0.1" {
			t.Errorf("%s (%s): IP %q, want the client's 127.0.0.1", step, g.Kind, g.IP)
		}
		if !w.ip && g.IP != "" {
			t.Errorf("%s (%s): IP %q, want none (the system did it)", step, g.Kind, g.IP)
		}
		if !g.At.Equal(b.w.e.Clock.Now().Truncate(time.Second)) && g.Kind != activity.InvitationExpired {
			t.Errorf("%s (%s): at %s, want the clock's %s", step, g.Kind, g.At, b.w.e.Clock.Now())
		}
		if w.check != nil {
			w.check(t, g)
		}
	}
	return got
}

func roleIs(t *testing.T, what string, roles []activity.Role, want ...spaces.Grant) {
	t.Helper()
	var got, exp []string
	for _, r := range roles {
		if r.SpaceName == "" {
			t.Errorf("%s: role on space %d without the space's name", what, r.SpaceID)
		}
		got = append(got, fmt.Sprintf("%d:%s", r.SpaceID, r.Role))
	}
	for _, g := range want {
		exp = append(exp, fmt.Sprintf("%d:%s", g.SpaceID, g.Role))
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Errorf("%s: roles %v, want %v", what, got, exp)
	}
}

// Every action of SPEC's row-action table, the spaces screens and
// accepting, done over HTTP as an administrator does them, writes one
// activity row each with its actor, subject, spaces, address and details;
// what changes nothing (copying a link, a refused action) writes none.
func TestActivityWalk(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	e := w.e
	ana := w.signIn(t, apptest.AdminEmail)
	b := &logbook{w: w, last: lastActivity(t, e)}
	admin := w.admin.ID
	post := func(t *testing.T, c *http.Client, path string, form url.Values, status int) apptest.Response {
		t.Helper()
		res := e.Post(t, c, path, form)
		if res.StatusCode != status {
			t.Fatalf("POST %s: status %d, want %d\n%s", path, res.StatusCode, status, res.Body)
		}
		return res
	}
	userPath := func(id int64, action string) string { return fmt.Sprintf("/settings/users/%d/%s", id, action) }

	// Invite, offering two roles.
	wes := "wes@example.com"
	post(t, ana, "/settings/users/invite", url.Values{"email": {wes}, "role_" + cid(w.room): {"member"}, "role_" + cid(w.wa1): {"member"}}, http.StatusSeeOther)
	b.expect(t, "invite", want{kind: activity.InvitationSent, actor: admin, subject: wes, spaces: []int64{w.room, w.wa1}, ip: true, check: func(t *testing.T, l logged) {
		roleIs(t, "sent", l.Details.Roles, memberOf(w.room), memberOf(w.wa1))
		if l.Details.InvitationID == 0 || l.Details.Expires == nil || !l.Details.Expires.After(l.At) {
			t.Errorf("sent: details %+v should name the invitation and its expiry", l.Details)
		}
	}})
	wesID := w.userID(t, wes)
	w.mails(t)
	b.expect(t, "delivering the invitation (no row: it was delivered)")

	post(t, ana, userPath(wesID, "link"), nil, http.StatusOK)
	b.expect(t, "copy the link (no row: nothing changed)")

	e.Clock.Advance(2 * time.Minute)
	post(t, ana, userPath(wesID, "resend"), nil, http.StatusSeeOther)
	b.expect(t, "resend", want{kind: activity.InvitationResent, actor: admin, subject: wes, spaces: []int64{w.room, w.wa1}, ip: true})
	w.mails(t)

	post(t, ana, userPath(wesID, "invitation/remove"), url.Values{"space": {cid(w.room)}, "confirm": {"yes"}}, http.StatusSeeOther)
	b.expect(t, "remove a role", want{kind: activity.InvitationRolesRemoved, actor: admin, subject: wes, spaces: []int64{w.room}, ip: true, check: func(t *testing.T, l logged) {
		roleIs(t, "removed", l.Details.Roles, memberOf(w.room))
	}})

	// The link expires: the system says so, once, at the moment it did.
	old := w.linkPath(t, wesID)
	inv := e.App.DB.R.QueryRow(`SELECT expires_at FROM invitations WHERE user_id = ? AND state = 'pending'`, wesID)
	var expires int64
	if err := inv.Scan(&expires); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(8 * 24 * time.Hour)
	w.mails(t)
	w.mails(t)
	b.expect(t, "expiry", want{kind: activity.InvitationExpired, subject: wes, spaces: []int64{w.wa1}, check: func(t *testing.T, l logged) {
		if l.At.Unix() != expires {
			t.Errorf("expired at %s, want the invitation's expiry %s", l.At, time.Unix(expires, 0).UTC())
		}
	}})

	// The invitee asks for a new one; nobody is signed in.
	post(t, e.Client(t), old+"/renewal", nil, http.StatusSeeOther)
	b.expect(t, "ask for a new invitation", want{kind: activity.InvitationRenewalRequested, subject: wes, spaces: []int64{w.wa1}, ip: true})
	w.mails(t)

	ana = w.signIn(t, apptest.AdminEmail) // the week passed the session's idle timeout
	b.expect(t, "sign in (recorded by the sign-in's own test)", signIns(admin, apptest.AdminEmail)...)
	post(t, ana, userPath(wesID, "renew"), nil, http.StatusSeeOther)
	b.expect(t, "send new invitation", want{kind: activity.InvitationRenewed, actor: admin, subject: wes, spaces: []int64{w.wa1}, ip: true})

	w.accept(t, w.linkPath(t, wesID), "Wes Walker")
	b.expect(t, "accept", append([]want{{kind: activity.InvitationAccepted, actor: wesID, subject: wes, spaces: []int64{w.wa1}, ip: true, check: func(t *testing.T, l logged) {
		roleIs(t, "accepted", l.Details.Roles, memberOf(w.wa1))
		if l.ActorEmail != wes || l.ActorName != "Wes Walker" {
			t.Errorf("accepted by %q <%s>, want Wes Walker <%s>", l.ActorName, l.ActorEmail, wes)
		}
	}}}, signIns(wesID, wes)...)...)

	// Edit: a new name and roles (Member of Waiting Area 1 becomes
	// Administrator of it; Member of Meeting Room 1 is added).
	post(t, ana, userPath(wesID, "edit"), url.Values{"name": {"Wes Walker-Ray"}, "roles_shown": {"1"},
		"role_" + cid(w.wa1): {"admin"}, "role_" + cid(w.room): {"member"}}, http.StatusSeeOther)
	b.expect(t, "edit",
		want{kind: activity.UserRolesChanged, actor: admin, subject: wes, spaces: []int64{w.wa1, w.room}, ip: true, check: func(t *testing.T, l logged) {
			roleIs(t, "granted", l.Details.Granted, spaces.Grant{SpaceID: w.wa1, Role: spaces.Admin}, memberOf(w.room))
			roleIs(t, "revoked", l.Details.Revoked, memberOf(w.wa1))
		}},
		want{kind: activity.UserEdited, actor: admin, subject: wes, spaces: []int64{w.wa1, w.room}, ip: true, check: func(t *testing.T, l logged) {
			if len(l.Details.Changes) != 1 || l.Details.Changes[0] != (activity.Change{Field: "name", From: "Wes Walker", To: "Wes Walker-Ray"}) {
				t.Errorf("edited: changes %+v", l.Details.Changes)
			}
		}})
	post(t, ana, userPath(wesID, "edit"), url.Values{"name": {"Wes Walker-Ray"}, "roles_shown": {"1"},
		"role_" + cid(w.wa1): {"admin"}, "role_" + cid(w.room): {"member"}}, http.StatusSeeOther)
	b.expect(t, "saving the same again (nothing changed)")

	post(t, ana, userPath(wesID, "deactivate"), nil, http.StatusSeeOther)
	b.expect(t, "deactivate", want{kind: activity.UserDeactivated, actor: admin, subject: wes, spaces: []int64{w.wa1, w.room}, ip: true, check: func(t *testing.T, l logged) {
		roleIs(t, "held", l.Details.Roles, spaces.Grant{SpaceID: w.wa1, Role: spaces.Admin}, memberOf(w.room))
	}})
	post(t, ana, userPath(wesID, "activate"), nil, http.StatusSeeOther)
	b.expect(t, "activate", want{kind: activity.UserActivated, actor: admin, subject: wes, spaces: []int64{w.wa1, w.room}, ip: true})

	// Cancel a pending invitation; then delete a user with one pending.
	xo := "xo@example.com"
	post(t, ana, "/settings/users/invite", url.Values{"email": {xo}, "role_" + cid(w.southWA): {"member"}}, http.StatusSeeOther)
	b.expect(t, "invite xo", want{kind: activity.InvitationSent, actor: admin, subject: xo, spaces: []int64{w.southWA}, ip: true})
	xoID := w.userID(t, xo)
	post(t, ana, userPath(xoID, "cancel"), nil, http.StatusSeeOther)
	b.expect(t, "cancel", want{kind: activity.InvitationCancelled, actor: admin, subject: xo, spaces: []int64{w.southWA}, ip: true})

	yu := "yu@example.com"
	post(t, ana, "/settings/users/invite", url.Values{"email": {yu}, "role_" + cid(w.southWA): {"member"}}, http.StatusSeeOther)
	b.expect(t, "invite yu", want{kind: activity.InvitationSent, actor: admin, subject: yu, spaces: []int64{w.southWA}, ip: true})
	post(t, ana, userPath(w.userID(t, yu), "delete"), nil, http.StatusSeeOther)
	b.expect(t, "delete a pending invitee",
		want{kind: activity.UserDeleted, actor: admin, subject: yu, spaces: []int64{w.southWA}, ip: true},
		want{kind: activity.InvitationCancelled, actor: admin, subject: yu, spaces: []int64{w.southWA}, ip: true})
	post(t, ana, userPath(wesID, "delete"), nil, http.StatusSeeOther)
	b.expect(t, "delete wes", want{kind: activity.UserDeleted, actor: admin, subject: wes, spaces: []int64{w.wa1, w.room}, ip: true, check: func(t *testing.T, l logged) {
		if l.SubjectID != wesID || l.SubjectName != "Wes Walker-Ray" {
			t.Errorf("deleted: subject %d %q, want the user as they were", l.SubjectID, l.SubjectName)
		}
	}})

	// The spaces screens.
	post(t, ana, "/settings/spaces", url.Values{"kind": {"meeting_room"}, "parent": {cid(w.south)}, "name": {"Room 7"}}, http.StatusSeeOther)
	room7 := w.spaceID(t, "Room 7")
	b.expect(t, "add a space", want{kind: activity.SpaceCreated, actor: admin, spaces: []int64{room7, w.south}, ip: true, check: func(t *testing.T, l logged) {
		if sp := l.Details.Space; sp == nil || sp.ID != room7 || sp.Name != "Room 7" || sp.Kind != spaces.MeetingRoom || sp.ParentID != w.south {
			t.Errorf("created: space %+v", l.Details.Space)
		}
	}})
	post(t, ana, "/settings/spaces/"+cid(room7)+"/rename", url.Values{"name": {"Room Seven"}}, http.StatusSeeOther)
	b.expect(t, "rename", want{kind: activity.SpaceRenamed, actor: admin, spaces: []int64{room7, w.south}, ip: true, check: func(t *testing.T, l logged) {
		if len(l.Details.Changes) != 1 || l.Details.Changes[0] != (activity.Change{Field: "name", From: "Room 7", To: "Room Seven"}) {
			t.Errorf("renamed: changes %+v", l.Details.Changes)
		}
	}})
	post(t, ana, "/settings/spaces/"+cid(w.north)+"/people/"+cid(w.mo.ID)+"/remove", nil, http.StatusSeeOther)
	b.expect(t, "remove from a space", want{kind: activity.UserRolesChanged, actor: admin, subject: moEmail, spaces: []int64{w.north}, ip: true, check: func(t *testing.T, l logged) {
		roleIs(t, "revoked", l.Details.Revoked, memberOf(w.north))
		roleIs(t, "granted", l.Details.Granted)
	}})
	zed := "zed@example.com"
	post(t, ana, "/settings/users/invite", url.Values{"email": {zed}, "role_" + cid(room7): {"member"}}, http.StatusSeeOther)
	b.expect(t, "invite zed", want{kind: activity.InvitationSent, actor: admin, subject: zed, spaces: []int64{room7}, ip: true})
	post(t, ana, "/settings/spaces/"+cid(room7)+"/delete", url.Values{"confirm": {"yes"}}, http.StatusSeeOther)
	b.expect(t, "delete a space",
		want{kind: activity.SpaceDeleted, actor: admin, spaces: []int64{room7, w.south}, ip: true},
		want{kind: activity.InvitationCancelled, actor: admin, subject: zed, spaces: []int64{room7}, ip: true, check: func(t *testing.T, l logged) {
			if l.Details.Reason != "its space was deleted" {
				t.Errorf("cancelled with the space: reason %q", l.Details.Reason)
			}
		}})

	// Refused actions write nothing.
	e.Post(t, ana, userPath(w.admin.ID, "deactivate"), nil)
	e.Post(t, ana, "/settings/spaces/"+cid(w.wa2)+"/rename", url.Values{"name": {""}})
	e.Post(t, ana, "/settings/users/invite", url.Values{"email": {"not an address"}, "role": {"member"}})
	e.Post(t, w.signIn(t, moEmail), userPath(w.una.ID, "deactivate"), nil)
	b.expect(t, "refused actions", signIns(w.mo.ID, moEmail)...)
	if u := e.User(t, w.una.ID); !u.DeactivatedAt.IsZero() {
		t.Fatal("a member deactivated an administrator")
	}
}

// signIns is what signing in writes, which the accounts' tests check in
// detail (TestActivitySignIn).
func signIns(id int64, email string) []want {
	return []want{{kind: activity.SignIn, actor: id, subject: email, ip: true}}
}

// A change and its activity row commit together: when the row cannot be
// written the change does not happen, and when the change fails after
// its row was written the row goes too.
func TestActivityRowsShareTheTransaction(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	e := w.e
	ana := w.signIn(t, apptest.AdminEmail)
	exec := func(q string) {
		t.Helper()
		if _, err := e.App.DB.W.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	last := lastActivity(t, e)

	// The log refuses: the deactivation does not happen.
	exec(`CREATE TRIGGER refuse_activity BEFORE INSERT ON activity BEGIN SELECT RAISE(ABORT, 'no room in the log'); END`)
	res := e.Post(t, ana, fmt.Sprintf("/settings/users/%d/deactivate", w.mo.ID), nil)
	if res.StatusCode < 500 {
		t.Errorf("deactivating while the log refuses: status %d, want a server error", res.StatusCode)
	}
	if u := e.User(t, w.mo.ID); !u.DeactivatedAt.IsZero() {
		t.Error("Mo was deactivated although the activity row could not be written")
	}
	exec(`DROP TRIGGER refuse_activity`)

	// The change fails after its row: no row.
	exec(`CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox full'); END`)
	res = e.Post(t, ana, "/settings/users/invite", url.Values{"email": {"quinn@example.com"}, "role_" + cid(w.wa1): {"member"}})
	if res.StatusCode < 500 {
		t.Errorf("inviting while the outbox refuses: status %d, want a server error", res.StatusCode)
	}
	exec(`DROP TRIGGER refuse_outbox`)
	if got := activitySince(t, e, last); len(got) != 0 {
		t.Errorf("failed actions left %d activity rows: %+v", len(got), got)
	}
	var n int
	e.App.DB.R.QueryRow(`SELECT count(*) FROM users WHERE email = 'quinn@example.com'`).Scan(&n)
	if n != 0 {
		t.Error("the invitation was kept although its email could not be queued")
	}

	// And once it works again, both happen.
	e.Post(t, ana, fmt.Sprintf("/settings/users/%d/deactivate", w.mo.ID), nil)
	if got := activitySince(t, e, last); len(got) != 1 || got[0].Kind != activity.UserDeactivated || got[0].SubjectID != w.mo.ID {
		t.Errorf("after the log works again: %+v", got)
	}
}

// The log is append-only: plain SQL cannot change or delete a row the
// retention has not reached.
func TestActivityIsAppendOnly(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	if lastActivity(t, w.e) == 0 {
		t.Fatal("setting up the clinic wrote no activity")
	}
	for _, q := range []string{`UPDATE activity SET actor_name = 'someone else'`, `DELETE FROM activity`} {
		if _, err := w.e.App.DB.W.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", q, err)
		}
	}
}

// An invitation whose email cannot be delivered is in the log once per
// run of retries, as the system, with the mail server's reason.
func TestActivityUndelivered(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTPDown: true})
	last := lastActivity(t, f.Env)
	f.invite(t, "una@example.com", "member")
	f.Deliver(t)
	f.Clock.Advance(10 * time.Minute)
	f.Deliver(t) // a retry of the same run: no second row
	got := activitySince(t, f.Env, last)
	var kinds []activity.Kind
	for _, g := range got {
		kinds = append(kinds, g.Kind)
	}
	if len(got) != 2 || got[0].Kind != activity.InvitationSent || got[1].Kind != activity.InvitationUndelivered {
		t.Fatalf("rows %v, want invitation.sent then one invitation.undelivered", kinds)
	}
	u := got[1]
	if !u.System() || u.IP != "" || u.SubjectEmail != "una@example.com" || !strings.Contains(u.Details.Reason, "will retry") {
		t.Errorf("undelivered row: %+v", u)
	}
}
