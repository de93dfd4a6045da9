package apptest

import (
	"context"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// The helpers here read and change what Usher holds through its services,
// as the account administrator, so that tests set a scene and check an
// outcome the way the app itself would, without SQL.

// AdminAccess is what the account administrator may do. The
// administrator is SetupAdmin's or, when the account was set up otherwise
// (through the setup page), whoever signs in as AdminEmail.
func (e *Env) AdminAccess(t testing.TB) *spaces.Access {
	t.Helper()
	ctx := context.Background()
	admin := e.admin
	if admin.ID == 0 {
		u, err := e.App.Users.Authenticate(ctx, AdminEmail, AdminPassword)
		if err != nil {
			t.Fatalf("no account administrator %s (call SetupAdmin first): %v", AdminEmail, err)
		}
		admin = u
	}
	a, err := e.App.Users.Access(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// User is the user with id, which must exist.
func (e *Env) User(t testing.TB, id int64) users.User {
	t.Helper()
	u, err := e.App.Users.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("user %d: %v", id, err)
	}
	return u
}

// UserID is the id of the user with email, or 0 when there is none.
func (e *Env) UserID(t testing.TB, email string) int64 {
	t.Helper()
	page, err := e.App.Users.List(context.Background(), e.AdminAccess(t), users.ListFilter{Query: email, PerPage: 1000})
	if err != nil {
		t.Fatalf("search for %s: %v", email, err)
	}
	for _, l := range page.Rows {
		if strings.EqualFold(l.Email, email) {
			return l.ID
		}
	}
	return 0
}

// UserCount is how many users the account has, in every status.
func (e *Env) UserCount(t testing.TB) int {
	t.Helper()
	page, err := e.App.Users.List(context.Background(), e.AdminAccess(t), users.ListFilter{PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	return page.All
}

// Grants are the roles the user with id holds.
func (e *Env) Grants(t testing.TB, id int64) []spaces.Grant {
	t.Helper()
	g, err := e.App.Users.Grants(context.Background(), e.User(t, id))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Deactivate deactivates the user with id, as the administrator's
// Deactivate action does.
func (e *Env) Deactivate(t testing.TB, id int64) {
	t.Helper()
	if _, err := e.App.Users.Deactivate(context.Background(), e.AdminAccess(t), id); err != nil {
		t.Fatalf("deactivate user %d: %v", id, err)
	}
}
