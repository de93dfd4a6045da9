package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// doorStore is the invitations store with a hook at the door of Accept,
// where the service has checked the link and the form and hashed the
// password, and the store's transaction has not begun: the moment an
// account administrator's change could slip in.
type doorStore struct {
	invitations.Store
	mu        sync.Mutex
	meanwhile func() error // run once, by the next Accept
	ran       bool
	err       error
}

func (s *doorStore) Accept(ctx context.Context, id int64, name, hash, language string, now time.Time, grantable invitations.Grantable) (users.User, error) {
	s.mu.Lock()
	if f := s.meanwhile; f != nil {
		s.meanwhile, s.ran, s.err = nil, true, f()
	}
	s.mu.Unlock()
	return s.Store.Accept(ctx, id, name, hash, language, now, grantable)
}

// acceptWhile accepts the invitation at path in a fresh browser, with
// meanwhile done at the door of the store's Accept.
func (w *clinic) acceptWhile(t *testing.T, door *doorStore, path, name string, meanwhile func() error) apptest.Response {
	t.Helper()
	door.mu.Lock()
	door.meanwhile, door.ran, door.err = meanwhile, false, nil
	door.mu.Unlock()
	res, _ := w.accept(t, path, name)
	door.mu.Lock()
	defer door.mu.Unlock()
	if !door.ran || door.err != nil {
		t.Fatalf("at the door of Accept: ran %v, err %v", door.ran, door.err)
	}
	return res
}

// An inviter demoted or deactivated while their invitee's accept is under
// way, after its checks and before its commit, passes on only what they
// can grant when it commits: what the accepting transaction reads itself.
//
// ASVS 5.0: V15.4.2 (the check and the grant it allows are one atomic
// operation), V8.2.1, V8.3.1.
func TestRoleCeilingAtCommit(t *testing.T) {
	t.Parallel()
	door := &doorStore{}
	w := newClinicWith(t, apptest.Options{WrapInvitations: func(s invitations.Store) invitations.Store {
		door.Store = s
		return door
	}})
	ctx := context.Background()
	ana := w.signIn(t, apptest.AdminEmail)
	anaAccess := w.actor(t, w.admin).Access
	all := []int64{w.acct, w.north, w.south, w.wa1, w.wa2, w.room, w.southWA}
	res := w.e.Post(t, ana, clinicUserPath(w.una, "/edit"), rolesForm("Una Unit", all, map[int64]spaces.Role{w.north: spaces.Admin, w.southWA: spaces.Admin}))
	w.mustFlash(t, ana, res, "Changes to "+unaEmail+" saved.")

	una := w.signIn(t, unaEmail)
	res = w.e.Post(t, una, "/settings/users/invite", url.Values{"email": {"xena@example.com"}, "role_" + cid(w.room): {"admin"}, "role_" + cid(w.southWA): {"member"}})
	w.mustFlash(t, una, res, "Invitation will be sent to xena@example.com.")
	res = w.e.Post(t, una, "/settings/users/invite", url.Values{"email": {"yuri@example.com"}, "role_" + cid(w.southWA): {"admin"}})
	w.mustFlash(t, una, res, "Invitation will be sent to yuri@example.com.")
	w.e.Deliver(t)
	xenaLink := strings.TrimPrefix(apptest.Link(w.e.SMTP.To("xena@example.com")[0].Text), w.e.URL)
	yuriLink := strings.TrimPrefix(apptest.Link(w.e.SMTP.To("yuri@example.com")[0].Text), w.e.URL)
	roles := func(email string) []string {
		t.Helper()
		u, err := w.e.App.Users.Get(ctx, w.userID(t, email))
		if err != nil {
			t.Fatal(err)
		}
		return w.roles(t, u)
	}

	// Ana takes North Clinic, and with it Meeting Room 1, from Una while
	// Xena's accept is at the door.
	res = w.acceptWhile(t, door, xenaLink, "Xena", func() error {
		_, err := w.e.App.Users.Edit(ctx, anaAccess, w.una.ID, users.EditInput{
			Name: "Una Unit", ChangeRole: true,
			Roles: map[int64]spaces.Role{w.acct: "", w.north: "", w.south: "", w.wa1: "", w.wa2: "", w.room: "", w.southWA: spaces.Admin},
		})
		return err
	})
	mustStatusCode(t, "Xena accepting", res, http.StatusSeeOther)
	if got := roles("xena@example.com"); !slices.Equal(got, []string{"Member of South Waiting Area"}) {
		t.Errorf("Xena holds %q; when she joined, Una could grant Member of South Waiting Area only", got)
	}

	// Una still administers South Waiting Area, but Ana deactivates her
	// while Yuri's accept is at the door: nothing is granted, the refusal
	// says why, and the invitation is still there.
	res = w.acceptWhile(t, door, yuriLink, "Yuri", func() error {
		_, err := w.e.App.Users.Deactivate(ctx, anaAccess, w.una.ID)
		return err
	})
	mustStatusCode(t, "Yuri accepting", res, http.StatusConflict)
	if !strings.Contains(res.Body, "The person who invited you can no longer grant these roles. Ask an administrator for a new invitation.") {
		t.Errorf("the refusal should say why and what to do:\n%s", res.Body)
	}
	yuri, err := w.e.App.Users.Get(ctx, w.userID(t, "yuri@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if !yuri.ActivatedAt.IsZero() || len(w.roles(t, yuri)) != 0 {
		t.Errorf("Yuri joined anyway: activated %v, roles %q", yuri.ActivatedAt, w.roles(t, yuri))
	}
	if _, inv, _, err := w.e.App.Invitations.Details(ctx, w.actor(t, w.admin), yuri.ID); err != nil || inv.State != invitations.Pending {
		t.Errorf("Yuri's invitation after the refusal: %+v, %v; want it still pending", inv, err)
	}
}
