package db

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

func outboxKinds(t *testing.T, d *DB, invID int64) []string {
	t.Helper()
	rows, err := d.R.Query(`SELECT kind FROM outbox WHERE invitation_id = ? ORDER BY id`, invID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

func eventKinds(t *testing.T, s *InvitationStore, invID int64) []invitations.EventKind {
	t.Helper()
	ev, err := s.Events(context.Background(), invID)
	if err != nil {
		t.Fatal(err)
	}
	var out []invitations.EventKind
	for _, e := range ev {
		out = append(out, e.Kind)
	}
	return out
}

func TestCreateInvitation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	sales := f.space(t, spaces.Unit, "Sales", 0)
	inv := f.invite(t, "ivy@example.com", spaces.Grant{SpaceID: sales, Role: spaces.Member}, spaces.Grant{SpaceID: f.account, Role: spaces.Member})

	if inv.State != invitations.Pending || inv.InvitedBy != f.admin.ID || !inv.ExpiresAt.Equal(t0.Add(ttl)) {
		t.Errorf("new invitation = %+v", inv)
	}
	if got := spaces.Describe(inv.Offered); got != "Member, Member of Sales" {
		t.Errorf("Offered = %q", got)
	}
	u, err := f.users.ByID(ctx, inv.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if u.StatusAt(t0) != users.Invited || !u.InviteExpiresAt.Equal(inv.ExpiresAt) || u.PasswordHash != "" {
		t.Errorf("invited user = %+v", u)
	}
	if got := outboxKinds(t, f.db, inv.ID); !slices.Equal(got, []string{"invitation"}) {
		t.Errorf("outbox = %q, want one invitation", got)
	}
	if got := eventKinds(t, f.invs, inv.ID); !slices.Equal(got, []invitations.EventKind{invitations.EvInvited}) {
		t.Errorf("history = %q", got)
	}

	active := f.activeUser(t, "bob@example.com", "Bob")
	gone := f.activeUser(t, "dan@example.com", "Dan")
	f.deactivate(t, gone.ID)
	tests := []struct {
		email string
		want  users.Status
		user  int64
	}{
		{"ivy@example.com", users.Invited, inv.UserID},
		{"IVY@Example.COM", users.Invited, inv.UserID},
		{"bob@example.com", users.Active, active.ID},
		{"admin@example.com", users.Active, f.admin.ID},
		{"dan@example.com", users.Deactivated, gone.ID},
	}
	for _, tc := range tests {
		t.Run(tc.email, func(t *testing.T) {
			before := count(t, f.db, `SELECT count(*) FROM outbox`)
			_, err := f.createOne(ctx, f.create(tc.email, ""), compose(mail.Invitation))
			e, ok := invitations.IsExisting(err)
			if !ok {
				t.Fatalf("err = %v, want *Existing", err)
			}
			if e.Status != tc.want || e.User.ID != tc.user {
				t.Errorf("Existing = %s user %d, want %s user %d", e.Status, e.User.ID, tc.want, tc.user)
			}
			if after := count(t, f.db, `SELECT count(*) FROM outbox`); after != before {
				t.Errorf("outbox grew from %d to %d", before, after)
			}
		})
	}
}

// A failed Create leaves nothing behind: the user row goes with the
// transaction.
func TestCreateInvitationRollsBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	c := f.create("ivy@example.com", "", spaces.Grant{SpaceID: f.account, Role: spaces.Member}, spaces.Grant{SpaceID: f.account, Role: spaces.Admin})
	if _, err := f.createOne(ctx, c, compose(mail.Invitation)); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("two roles on one space: err = %v, want Invalid", err)
	}
	if _, err := f.users.ByEmail(ctx, "ivy@example.com"); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("user left behind by a failed Create: %v", err)
	}
	if n := count(t, f.db, `SELECT count(*) FROM invitations`) + count(t, f.db, `SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("%d invitation/outbox rows left behind", n)
	}
	c = f.create("ivy@example.com", "", spaces.Grant{SpaceID: 9999, Role: spaces.Member})
	if _, err := f.createOne(ctx, c, compose(mail.Invitation)); err == nil {
		t.Error("a role on a missing space was accepted")
	}
}

func TestResendStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	inv := f.invite(t, "ivy@example.com")
	msg := func(key string) mail.Outgoing {
		return mail.Outgoing{Key: key, Kind: mail.Reminder, To: inv.Email, InvitationID: inv.ID}
	}

	// The last send (t0) is after notAfter: too soon.
	now := t0.Add(30 * time.Second)
	err := f.invs.Resend(ctx, inv.ID, f.admin, now, now.Add(-time.Minute), now.Add(ttl), f.budget(), msg("r1"))
	if errs.CodeOf(err) != errs.TooMany {
		t.Fatalf("resend 30s after sending: err = %v, want TooMany", err)
	}

	now = t0.Add(time.Minute)
	if err := f.invs.Resend(ctx, inv.ID, f.admin, now, now.Add(-time.Minute), now.Add(ttl), f.budget(), msg("r2")); err != nil {
		t.Fatalf("resend a minute after sending: %v", err)
	}
	got, _ := f.invs.ByID(ctx, inv.ID)
	if !got.SentAt.Equal(now) || !got.ExpiresAt.Equal(now.Add(ttl)) {
		t.Errorf("after resend: sent %v, expires %v; want %v, %v", got.SentAt, got.ExpiresAt, now, now.Add(ttl))
	}
	u, _ := f.users.ByID(ctx, inv.UserID)
	if !u.InviteExpiresAt.Equal(now.Add(ttl)) {
		t.Errorf("user's expiry = %v, want %v", u.InviteExpiresAt, now.Add(ttl))
	}
	if kinds := outboxKinds(t, f.db, inv.ID); !slices.Equal(kinds, []string{"invitation", "reminder"}) {
		t.Errorf("outbox = %q", kinds)
	}
	if kinds := eventKinds(t, f.invs, inv.ID); !slices.Equal(kinds, []invitations.EventKind{invitations.EvInvited, invitations.EvResent}) {
		t.Errorf("history = %q", kinds)
	}

	// Expired: Conflict, nothing queued.
	now = now.Add(ttl)
	err = f.invs.Resend(ctx, inv.ID, f.admin, now, now.Add(-time.Minute), now.Add(ttl), f.budget(), msg("r3"))
	if errs.CodeOf(err) != errs.Conflict {
		t.Fatalf("resend after expiry: err = %v, want Conflict", err)
	}
	if n := len(outboxKinds(t, f.db, inv.ID)); n != 2 {
		t.Errorf("outbox has %d rows after a refused resend, want 2", n)
	}
}

// The outbox key makes a repeated action a no-op.
func TestEnqueueIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	inv := f.invite(t, "ivy@example.com")
	for range 2 {
		err := f.db.tx(ctx, func(tx *sql.Tx) error {
			return enqueue(ctx, tx, mail.Outgoing{Key: "send:" + inv.Email, Kind: mail.Reminder, To: inv.Email, InvitationID: inv.ID}, t0)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, f.db, `SELECT count(*) FROM outbox WHERE idempotency_key = ?`, "send:"+inv.Email); n != 1 {
		t.Errorf("%d rows for one key, want 1", n)
	}
}

func TestRenewStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	old := f.invite(t, "ivy@example.com")

	c := f.create(old.Email, "", old.Offered...)
	c.Supersedes, c.Kind = old.ID, mail.NewInvitation
	if _, err := f.invs.Renew(ctx, c, f.budget(), compose(mail.NewInvitation)); errs.CodeOf(err) != errs.Conflict {
		t.Fatalf("renewing an unexpired invitation: err = %v, want Conflict", err)
	}

	f.clock.Advance(ttl + time.Second)
	c = f.create(old.Email, "", old.Offered...)
	c.Supersedes, c.Kind = old.ID, mail.NewInvitation
	renewed, err := f.invs.Renew(ctx, c, f.budget(), compose(mail.NewInvitation))
	if err != nil {
		t.Fatal(err)
	}
	if renewed.ID == old.ID || renewed.UserID != old.UserID || renewed.State != invitations.Pending || !renewed.ExpiresAt.Equal(c.ExpiresAt) {
		t.Errorf("renewed = %+v", renewed)
	}
	if was, _ := f.invs.ByID(ctx, old.ID); was.State != invitations.Superseded {
		t.Errorf("old invitation is %s, want superseded", was.State)
	}
	var by int64
	if err := f.db.R.QueryRow(`SELECT superseded_by FROM invitations WHERE id = ?`, old.ID).Scan(&by); err != nil || by != renewed.ID {
		t.Errorf("superseded_by = %d, %v; want %d", by, err, renewed.ID)
	}
	if p, err := f.invs.PendingFor(ctx, old.UserID); err != nil || p.ID != renewed.ID {
		t.Errorf("PendingFor = %d, %v; want %d", p.ID, err, renewed.ID)
	}
	if u, _ := f.users.ByID(ctx, old.UserID); u.StatusAt(f.clock.Now()) != users.Invited {
		t.Errorf("user status after renewal = %s, want invited", u.StatusAt(f.clock.Now()))
	}
	if kinds := outboxKinds(t, f.db, renewed.ID); !slices.Equal(kinds, []string{"new_invitation"}) {
		t.Errorf("outbox of the new invitation = %q", kinds)
	}

	// The same old invitation cannot be renewed twice.
	if _, err := f.invs.Renew(ctx, c, f.budget(), compose(mail.NewInvitation)); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("renewing a superseded invitation: err = %v, want Conflict", err)
	}
}

func TestCancelStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	inv := f.invite(t, "ivy@example.com")
	if err := f.invs.Cancel(ctx, inv.ID, f.admin, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.users.ByID(ctx, inv.UserID); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("never-accepted user still there after cancel: %v", err)
	}
	got, err := f.invs.ByID(ctx, inv.ID)
	if err != nil || got.State != invitations.Cancelled || got.UserID != 0 {
		t.Errorf("cancelled invitation = %+v, %v", got, err)
	}
	if err := f.invs.Cancel(ctx, inv.ID, f.admin, t0); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("second cancel: err = %v, want Conflict", err)
	}
	if kinds := eventKinds(t, f.invs, inv.ID); !slices.Equal(kinds, []invitations.EventKind{invitations.EvInvited, invitations.EvCancelled}) {
		t.Errorf("history = %q", kinds)
	}
	// The address can be invited afresh.
	f.invite(t, "ivy@example.com")
}

func TestRemoveRolesStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	sales := f.space(t, spaces.Unit, "Sales", 0)
	room := f.space(t, spaces.MeetingRoom, "Room 4", sales)
	inv := f.invite(t, "ivy@example.com", spaces.Grant{SpaceID: sales, Role: spaces.Admin}, spaces.Grant{SpaceID: room, Role: spaces.Member})

	steps := []struct {
		remove        []int64
		wantCancelled bool
		wantOffered   string
	}{
		{[]int64{9999}, false, "Member of Room 4, Administrator of Sales"},
		{[]int64{sales}, false, "Member of Room 4"},
		{[]int64{room}, true, ""},
	}
	for i, st := range steps {
		cancelled, err := f.invs.RemoveRoles(ctx, inv.ID, st.remove, f.admin, t0)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if cancelled != st.wantCancelled {
			t.Errorf("step %d: cancelled = %v, want %v", i, cancelled, st.wantCancelled)
		}
		got, _ := f.invs.ByID(ctx, inv.ID)
		if d := spaces.Describe(got.Offered); d != st.wantOffered {
			t.Errorf("step %d: offered %q, want %q", i, d, st.wantOffered)
		}
	}
	got, _ := f.invs.ByID(ctx, inv.ID)
	if got.State != invitations.Cancelled {
		t.Errorf("state = %s after removing every role, want cancelled", got.State)
	}
	if _, err := f.users.ByID(ctx, inv.UserID); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("invitee still there: %v", err)
	}
	if _, err := f.invs.RemoveRoles(ctx, inv.ID, []int64{room}, f.admin, t0); errs.CodeOf(err) != errs.Conflict {
		t.Errorf("RemoveRoles on a cancelled invitation: err = %v, want Conflict", err)
	}
}

// asOffered grants whatever the invitation offers.
func asOffered(a invitations.Accepting) ([]spaces.Grant, error) { return a.Offered, nil }

func TestAcceptStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	sales := f.space(t, spaces.Unit, "Sales", 0)
	grants := []spaces.Grant{{SpaceID: sales, Role: spaces.Admin}}

	t.Run("once", func(t *testing.T) {
		inv := f.invite(t, "ivy@example.com", grants...)
		u, err := f.invs.Accept(ctx, inv.ID, "Ivy", "ivyhash", "en", t0.Add(time.Hour), asOffered)
		if err != nil {
			t.Fatal(err)
		}
		if u.StatusAt(t0.Add(time.Hour)) != users.Active || u.Name != "Ivy" || u.PasswordHash != "ivyhash" || !u.InviteExpiresAt.IsZero() {
			t.Errorf("accepted user = %+v", u)
		}
		if g, _ := f.users.Grants(ctx, u.ID); spaces.Describe(g) != "Administrator of Sales" {
			t.Errorf("grants = %q", spaces.Describe(g))
		}
		if _, err := f.invs.Accept(ctx, inv.ID, "Ivy", "other", "en", t0.Add(time.Hour), asOffered); errs.CodeOf(err) != errs.Conflict {
			t.Errorf("second accept: err = %v, want Conflict", err)
		}
		// Once accepted, cancelling is refused and the user stays.
		if err := f.invs.Cancel(ctx, inv.ID, f.admin, t0); errs.CodeOf(err) != errs.Conflict {
			t.Errorf("cancel after accept: err = %v, want Conflict", err)
		}
	})

	t.Run("expired", func(t *testing.T) {
		inv := f.invite(t, "exp@example.com", grants...)
		if _, err := f.invs.Accept(ctx, inv.ID, "E", "h", "en", inv.ExpiresAt, asOffered); errs.CodeOf(err) != errs.Conflict {
			t.Errorf("accept at expiry: err = %v, want Conflict", err)
		}
	})

	t.Run("deactivated invitee", func(t *testing.T) {
		inv := f.invite(t, "dee@example.com", grants...)
		f.deactivate(t, inv.UserID)
		if _, err := f.invs.Accept(ctx, inv.ID, "D", "h", "en", t0, asOffered); errs.CodeOf(err) != errs.Conflict {
			t.Errorf("accept by a deactivated invitee: err = %v, want Conflict", err)
		}
		// The refused accept rolled back: the invitation is still pending.
		if got, _ := f.invs.ByID(ctx, inv.ID); got.State != invitations.Pending {
			t.Errorf("state after a refused accept = %s, want pending", got.State)
		}
	})

	t.Run("what grantable is given", func(t *testing.T) {
		inv := f.invite(t, "gil@example.com", grants...)
		var seen invitations.Accepting
		if _, err := f.invs.Accept(ctx, inv.ID, "Gil", "h", "en", t0, func(a invitations.Accepting) ([]spaces.Grant, error) {
			seen = a
			return a.Offered, nil
		}); err != nil {
			t.Fatal(err)
		}
		if seen.Inviter.ID != f.admin.ID || spaces.Describe(seen.InviterGrants) != "Administrator" || spaces.Describe(seen.Offered) != "Administrator of Sales" || len(seen.Spaces) != 2 {
			t.Errorf("grantable was given %+v", seen)
		}

		// An inviter deleted since is no one.
		other := f.activeUser(t, "otto@example.com", "Otto", spaces.Grant{SpaceID: f.account, Role: spaces.Admin})
		c := f.create("hal@example.com", "", grants...)
		c.InvitedBy = other.ID
		inv, err := f.createOne(ctx, c, compose(mail.Invitation))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.W.Exec(`DELETE FROM users WHERE id = ?`, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.invs.Accept(ctx, inv.ID, "Hal", "h", "en", t0, func(a invitations.Accepting) ([]spaces.Grant, error) {
			seen = a
			return a.Offered, nil
		}); err != nil {
			t.Fatal(err)
		}
		if seen.Inviter.ID != 0 || seen.InviterGrants != nil {
			t.Errorf("a deleted inviter was given as %+v, grants %q", seen.Inviter, spaces.Describe(seen.InviterGrants))
		}
	})

	t.Run("refused by grantable", func(t *testing.T) {
		inv := f.invite(t, "ned@example.com", grants...)
		refusal := errs.T(errs.Conflict, "err.invitations.inviter_cannot_grant")
		if _, err := f.invs.Accept(ctx, inv.ID, "Ned", "h", "en", t0, func(invitations.Accepting) ([]spaces.Grant, error) { return nil, refusal }); err != refusal {
			t.Fatalf("err = %v, want grantable's", err)
		}
		got, _ := f.invs.ByID(ctx, inv.ID)
		u, _ := f.users.ByID(ctx, inv.UserID)
		g, _ := f.users.Grants(ctx, inv.UserID)
		if got.State != invitations.Pending || !u.ActivatedAt.IsZero() || len(g) != 0 {
			t.Errorf("after a refusal: state %s, activated %v, grants %q; want nothing changed", got.State, u.ActivatedAt, spaces.Describe(g))
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		inv := f.invite(t, "race@example.com", grants...)
		const n = 20
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.invs.Accept(ctx, inv.ID, "R", "h", "en", t0, asOffered)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errs.CodeOf(err) == errs.Conflict:
					conflicts++
				default:
					t.Errorf("accept: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || conflicts != n-1 {
			t.Errorf("%d accepted, %d conflicts; want 1 and %d", wins, conflicts, n-1)
		}
		if k := eventKinds(t, f.invs, inv.ID); len(k) != 2 || k[1] != invitations.EvAccepted {
			t.Errorf("history = %q, want one acceptance", k)
		}
	})
}

func TestRequestRenewalStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	inv := f.invite(t, "ivy@example.com")
	f.clock.Advance(ttl)
	msg := mail.Outgoing{Key: "renewal:1", Kind: mail.RenewalRequest, To: f.admin.Email, InvitationID: inv.ID}
	for i, want := range []bool{true, false} {
		asked, err := f.invs.RequestRenewal(ctx, inv.ID, f.clock.Now(), msg)
		if err != nil || asked != want {
			t.Errorf("request %d: asked = %v, %v; want %v", i+1, asked, err, want)
		}
	}
	if kinds := outboxKinds(t, f.db, inv.ID); !slices.Equal(kinds, []string{"invitation", "renewal_request"}) {
		t.Errorf("outbox = %q, want one renewal request", kinds)
	}
	got, _ := f.invs.ByID(ctx, inv.ID)
	if !got.RenewalRequestedAt.Equal(f.clock.Now()) {
		t.Errorf("RenewalRequestedAt = %v", got.RenewalRequestedAt)
	}

	// The list still shows the invitation's own delivery, not the request's.
	p, err := f.users.List(ctx, users.ListFilter{Query: "ivy", Page: 1, PerPage: 10, Now: f.clock.Now()})
	if err != nil || len(p.Rows) != 1 || p.Rows[0].Invite == nil {
		t.Fatalf("List = %+v, %v", p, err)
	}
	if inv := p.Rows[0].Invite; !inv.RenewalRequested || inv.Delivery.State != "queued" {
		t.Errorf("row invitation = %+v", *inv)
	}
}
