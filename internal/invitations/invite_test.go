package invitations_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// inviteMany sends the Invite user form as actor, failing the test on a
// refusal.
func (e *env) inviteMany(t *testing.T, actor invitations.Actor, emails []string, offered ...spaces.Grant) invitations.Result {
	t.Helper()
	res, err := e.svc.InviteMany(context.Background(), actor, emails, "", offered, "")
	if err != nil {
		t.Fatalf("InviteMany %q: %v", emails, err)
	}
	return res
}

func sentTo(r invitations.Result) []string {
	var out []string
	for _, inv := range r.Sent {
		out = append(out, inv.Email)
	}
	return out
}

func knownAs(r invitations.Result) []string {
	var out []string
	for _, ex := range r.Known {
		out = append(out, ex.User.Email+":"+string(ex.Status))
	}
	return out
}

// A second identical form from the same administrator within seconds is
// the same click: it answers as the first did and sends nothing more.
// Anything else about an address already invited is said, not sent.
func TestInviteManyDoubleClick(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	admin := e.actor(t, e.admin)
	sam := e.actor(t, e.user(t, "sam@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Admin}))
	member := spaces.Grant{SpaceID: e.sales, Role: spaces.Member}
	room := spaces.Grant{SpaceID: e.room, Role: spaces.Member}

	first := e.inviteMany(t, admin, []string{"ivy@example.com"}, member, room)
	if len(first.Sent) != 1 {
		t.Fatalf("first click: %+v", first)
	}
	e.clock.Advance(invitations.DoubleSubmitWindow - time.Second)

	// The same roles in another order are the same offer.
	again := e.inviteMany(t, admin, []string{"IVY@example.com"}, room, member)
	if len(again.Sent) != 1 || again.Sent[0].ID != first.Sent[0].ID || len(again.Known) != 0 || len(again.Hidden) != 0 {
		t.Errorf("second click: %+v, want the first click's invitation as sent", again)
	}

	for _, tc := range []struct {
		name    string
		actor   invitations.Actor
		offered []spaces.Grant
	}{
		{"other roles", admin, []spaces.Grant{member}},
		{"another administrator", sam, []spaces.Grant{member, room}},
	} {
		r := e.inviteMany(t, tc.actor, []string{"ivy@example.com"}, tc.offered...)
		if got := knownAs(r); len(r.Sent) != 0 || !slices.Equal(got, []string{"ivy@example.com:invited"}) {
			t.Errorf("%s within the window: sent %q, known %q; want ivy known as invited", tc.name, sentTo(r), got)
		}
	}

	e.clock.Advance(time.Second)
	late := e.inviteMany(t, admin, []string{"ivy@example.com"}, member, room)
	if len(late.Sent) != 0 || len(late.Known) != 1 || !late.Known[0].SentAt.Equal(first.Sent[0].SentAt) {
		t.Errorf("the same form once the window passed: %+v, want ivy known, sent at %s", late, first.Sent[0].SentAt)
	}
	if n := len(e.outbox(t)); n != 1 {
		t.Errorf("outbox has %d messages, want the first click's only", n)
	}
	if _, err := e.svc.Invite(ctx, admin, invitations.InviteInput{Email: "ivy@example.com", Offered: []spaces.Grant{member, room}}); err == nil {
		t.Error("Invite, one address as a program sends it, took a known address")
	}
}

// The form sends to the new addresses and says who the others already
// are, in the order given; nothing is sent to them.
func TestInviteManyAlreadyKnown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.actor(t, e.admin)
	expired := e.invite(t, "old@example.com")
	e.clock.Advance(ttl + time.Hour)
	pending := e.invite(t, "ivy@example.com")
	e.user(t, "bob@example.com")
	dee := e.user(t, "dee@example.com")
	e.setDeactivated(t, dee.ID)
	e.clock.Advance(time.Hour)
	before := len(e.outbox(t))

	r := e.inviteMany(t, admin, []string{"new@example.com", "bob@example.com", "ivy@example.com", "dee@example.com", "old@example.com", "ada@example.com"},
		spaces.Grant{SpaceID: e.sales, Role: spaces.Member})
	if got := sentTo(r); !slices.Equal(got, []string{"new@example.com"}) {
		t.Errorf("sent to %q, want the new address only", got)
	}
	want := []string{"bob@example.com:active", "ivy@example.com:invited", "dee@example.com:deactivated", "old@example.com:expired", "ada@example.com:active"}
	if got := knownAs(r); !slices.Equal(got, want) {
		t.Errorf("known %q, want %q", got, want)
	}
	for _, ex := range r.Known {
		switch ex.User.Email {
		case "ivy@example.com":
			if !ex.SentAt.Equal(pending.SentAt) || ex.User.ID != pending.UserID {
				t.Errorf("ivy: user %d sent at %s, want user %d sent at %s", ex.User.ID, ex.SentAt, pending.UserID, pending.SentAt)
			}
		case "old@example.com":
			if ex.User.ID != expired.UserID {
				t.Errorf("old: user %d, want %d", ex.User.ID, expired.UserID)
			}
		}
	}
	if got := len(e.outbox(t)) - before; got != 1 {
		t.Errorf("%d messages enqueued, want 1", got)
	}
}

// A space administrator inviting someone outside their spaces learns
// nothing about them: the address is only said to be out of reach.
func TestInviteManyNotVisible(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	sam := e.actor(t, e.user(t, "sam@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Admin}))
	e.user(t, "sue@example.com", spaces.Grant{SpaceID: e.support, Role: spaces.Member})
	e.invite(t, "pat@example.com", spaces.Grant{SpaceID: e.support, Role: spaces.Member})
	e.user(t, "mo@example.com", spaces.Grant{SpaceID: e.room, Role: spaces.Member})
	before := len(e.outbox(t))

	r := e.inviteMany(t, sam, []string{"sue@example.com", "mo@example.com", "pat@example.com", "new@example.com"},
		spaces.Grant{SpaceID: e.sales, Role: spaces.Member})
	if !slices.Equal(r.Hidden, []string{"sue@example.com", "pat@example.com"}) {
		t.Errorf("hidden %q, want sue and pat", r.Hidden)
	}
	if got := knownAs(r); !slices.Equal(got, []string{"mo@example.com:active"}) {
		t.Errorf("known %q, want mo, in Room 4", got)
	}
	if got := sentTo(r); !slices.Equal(got, []string{"new@example.com"}) {
		t.Errorf("sent to %q", got)
	}
	if got := len(e.outbox(t)) - before; got != 1 {
		t.Errorf("%d messages enqueued, want 1", got)
	}

	_, err := e.svc.Invite(ctx, sam, invitations.InviteInput{Email: "sue@example.com", Offered: []spaces.Grant{{SpaceID: e.sales, Role: spaces.Member}}})
	if _, known := invitations.IsExisting(err); known || errs.CodeOf(err) != errs.NotFound || strings.Contains(errs.MessageOf(err), "sue") {
		t.Errorf("Invite of someone outside: %v, want NotFound saying nothing about them", err)
	}
}

// Every invitation action checks the actor's access before anything else:
// someone outside a space administrator's spaces is not found, whatever
// their state, and their address is never said.
func TestInvitationActionsOnSomeoneOutside(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	sam := e.actor(t, e.user(t, "sam@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Admin}))
	sue := e.user(t, "sue@example.com", spaces.Grant{SpaceID: e.support, Role: spaces.Member})
	pat := e.invite(t, "pat@example.com", spaces.Grant{SpaceID: e.support, Role: spaces.Member})
	dee := e.user(t, "dee@example.com", spaces.Grant{SpaceID: e.support, Role: spaces.Member})
	e.setDeactivated(t, dee.ID)
	e.clock.Advance(2 * time.Minute)
	before := len(e.outbox(t))

	for _, id := range []int64{sue.ID, pat.UserID, dee.ID} {
		actions := map[string]func() error{
			"Link":    func() error { _, _, err := e.svc.Link(ctx, sam, id); return err },
			"Resend":  func() error { _, err := e.svc.Resend(ctx, sam, id); return err },
			"Renew":   func() error { _, err := e.svc.Renew(ctx, sam, id); return err },
			"Cancel":  func() error { _, err := e.svc.Cancel(ctx, sam, id); return err },
			"Details": func() error { _, _, _, err := e.svc.Details(ctx, sam, id); return err },
			"RemoveRoles": func() error {
				_, _, err := e.svc.RemoveRoles(ctx, sam, id, []int64{e.support})
				return err
			},
		}
		for name, act := range actions {
			err := act()
			if errs.CodeOf(err) != errs.NotFound || strings.Contains(errs.MessageOf(err), "@") {
				t.Errorf("%s on user %d outside Sales: %v, want NotFound naming nobody", name, id, err)
			}
		}
	}
	if got := len(e.outbox(t)); got != before {
		t.Errorf("outbox grew from %d to %d", before, got)
	}
}

// An action answers with the row as the actor's list shows it afterwards,
// or none once the user left the list; a refusal, with the row as it was.
func TestRowAfterAction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	admin := e.actor(t, e.admin)
	ivy := e.invite(t, "ivy@example.com")
	e.clock.Advance(2 * time.Minute)

	ch, err := e.svc.Resend(ctx, admin, ivy.UserID)
	if err != nil || ch.Email != "ivy@example.com" || ch.Row == nil || ch.Row.Invite == nil || !ch.Row.Invite.SentAt.Equal(e.clock.Now()) {
		t.Fatalf("Resend: %+v, %v; want ivy's row sent now", ch, err)
	}
	ch, err = e.svc.Resend(ctx, admin, ivy.UserID)
	if errs.CodeOf(err) != errs.TooMany || ch.Row == nil || ch.Row.ID != ivy.UserID {
		t.Errorf("a refused resend: %+v, %v; want TooMany with the row as it is", ch, err)
	}

	dch, err := e.users.Deactivate(ctx, admin.Access, ivy.UserID)
	if err != nil || dch.Row == nil || dch.Row.StatusAt(e.clock.Now()) != users.Deactivated {
		t.Errorf("Deactivate: %+v, %v; want the row deactivated", dch, err)
	}
	if _, err := e.users.Activate(ctx, admin.Access, ivy.UserID); err != nil {
		t.Fatal(err)
	}

	ch, err = e.svc.Cancel(ctx, admin, ivy.UserID)
	if err != nil || ch.Email != "ivy@example.com" || ch.Row != nil {
		t.Errorf("Cancel of someone who never joined: %+v, %v; want ivy named and no row left", ch, err)
	}
	bob := e.user(t, "bob@example.com")
	ch, err = e.users.Delete(ctx, admin.Access, e.admin, bob.ID)
	if err != nil || ch.Email != "bob@example.com" || ch.Row != nil {
		t.Errorf("Delete: %+v, %v; want bob named and no row left", ch, err)
	}
}
