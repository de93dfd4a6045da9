package invitations_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/dbtest"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// Whatever token a visitor sends, Lookup and Accept refuse it with the one
// "not valid" answer (never a panic, never an internal error, never
// another invitation), except the invitation's own link.
//
// ASVS 5.0: V2.2.1, V6.4.1, V16.5.3 (fails securely on any input).
func FuzzLookup(f *testing.F) {
	ctx := context.Background()
	d := dbtest.New(f)
	clk := clock.NewFake(t0)
	hasher := auth.NewCheapHasher(2)
	us := users.NewService(db.NewUserStore(d), hasher, clk)
	svc := invitations.NewService(db.NewInvitationStore(d), us, auth.NewLinks(bytes.Repeat([]byte{7}, 32)), hasher, clk, ttl, baseURL, invitations.DefaultSendLimit)
	admin, err := us.Setup(ctx, users.SetupInput{AccountName: "Acme", Email: "ada@example.com", Name: "Ada", Password: password})
	if err != nil {
		f.Fatal(err)
	}
	access, err := us.Access(ctx, admin)
	if err != nil {
		f.Fatal(err)
	}
	account, err := us.Account(ctx)
	if err != nil {
		f.Fatal(err)
	}
	inv, err := svc.Invite(ctx, invitations.Actor{User: admin, Access: access}, invitations.InviteInput{Email: "bo@example.com", Offered: []spaces.Grant{{SpaceID: account.ID, Role: spaces.Member}}})
	if err != nil {
		f.Fatal(err)
	}
	link := svc.LinkFor(inv.Nonce)
	valid := link[strings.LastIndex(link, "/")+1:]
	f.Add(valid)
	f.Add(valid[:len(valid)-1] + "A")
	f.Add(strings.ToUpper(valid))

	f.Fuzz(func(t *testing.T, token string) {
		v, err := svc.Lookup(ctx, token)
		if token == valid {
			if err != nil || v.Invitation.ID != inv.ID {
				t.Fatalf("the real link: %v", err)
			}
			return
		}
		if err != invitations.ErrNoSuchLink {
			t.Fatalf("Lookup(%q) = invitation %d, %v; want ErrNoSuchLink", token, v.Invitation.ID, err)
		}
		// Short password: even a wrong refusal order could not hash here.
		if _, err := svc.Accept(ctx, token, invitations.AcceptInput{Name: "Eve", Password: "x"}); errs.CodeOf(err) != errs.NotFound {
			t.Fatalf("Accept(%q) = %v; want NotFound", token, err)
		}
	})
}
