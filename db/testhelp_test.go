package db

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// t0 is a whole second, so times survive the round trip through Unix seconds.
var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

const ttl = 7 * 24 * time.Hour

// newTestDB is dbtest.New for the tests inside this package, which cannot
// import dbtest: it imports db, and that would be an import cycle.
func newTestDB(t testing.TB) *DB {
	t.Helper()
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return d
}

// fixture is an account with one administrator, for store tests. Stores take
// password hashes as given, so no hashing happens here.
type fixture struct {
	db      *DB
	users   *UserStore
	invs    *InvitationStore
	clock   *clock.Fake
	admin   users.User
	account int64
	nonces  int
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	d := newTestDB(t)
	f := &fixture{db: d, users: NewUserStore(d), invs: NewInvitationStore(d), clock: clock.NewFake(t0)}
	admin, err := f.users.CreateAccountAdmin(context.Background(), "Acme", "admin@example.com", "Ada Admin", "hash", t0, true)
	if err != nil {
		t.Fatalf("CreateAccountAdmin: %v", err)
	}
	f.admin = admin
	if err := d.R.QueryRow(`SELECT id FROM spaces WHERE kind = 'account'`).Scan(&f.account); err != nil {
		t.Fatal(err)
	}
	return f
}

// space adds a space under parent (0: the account).
func (f *fixture) space(t testing.TB, kind spaces.Kind, name string, parent int64) int64 {
	t.Helper()
	if parent == 0 {
		parent = f.account
	}
	res, err := f.db.W.Exec(`INSERT INTO spaces (kind, parent_id, name, created_at) VALUES (?, ?, ?, ?)`, kind, parent, name, t0.Unix())
	if err != nil {
		t.Fatalf("adding space %s: %v", name, err)
	}
	id, _ := res.LastInsertId()
	return id
}

// create builds an invitation as the service would, with a fake token.
func (f *fixture) create(email, name string, offered ...spaces.Grant) invitations.Create {
	f.nonces++
	nonce := []byte(fmt.Sprintf("nonce-%04d------", f.nonces))
	token := fmt.Sprintf("token-%d", f.nonces)
	h := sha256.Sum256([]byte(token))
	now := f.clock.Now()
	return invitations.Create{
		Email: email, Name: name, InvitedBy: f.admin.ID, InviterName: f.admin.DisplayName(),
		Nonce: nonce, TokenHash: h[:], Offered: offered, Now: now, ExpiresAt: now.Add(ttl), Kind: mail.Invitation,
	}
}

func compose(kind mail.Kind) invitations.Compose {
	return func(inv invitations.Invitation) mail.Outgoing {
		return mail.Outgoing{Key: fmt.Sprintf("send:%d", inv.ID), Kind: kind, To: inv.Email, InvitationID: inv.ID}
	}
}

// budget is the administrator's, at the default limit.
func (f *fixture) budget() invitations.Budget {
	return invitations.Budget{Actor: f.admin.ID, Max: invitations.DefaultSendLimit, Window: invitations.SendWindow}
}

// createOne writes one invitation as Create does, an address already
// known failing with its *Existing.
func (f *fixture) createOne(ctx context.Context, c invitations.Create, msg invitations.Compose) (invitations.Invitation, error) {
	out, err := f.invs.Create(ctx, []invitations.Create{c}, f.budget(), msg)
	if err != nil {
		return invitations.Invitation{}, err
	}
	if out[0].Existing != nil {
		return invitations.Invitation{}, out[0].Existing
	}
	return out[0].Invitation, nil
}

// invite writes a new invitation and fails the test on error.
func (f *fixture) invite(t testing.TB, email string, offered ...spaces.Grant) invitations.Invitation {
	t.Helper()
	if len(offered) == 0 {
		offered = []spaces.Grant{{SpaceID: f.account, Role: spaces.Member}}
	}
	inv, err := f.createOne(context.Background(), f.create(email, "", offered...), compose(mail.Invitation))
	if err != nil {
		t.Fatalf("Create %s: %v", email, err)
	}
	return inv
}

// activeUser adds an active user holding grants.
func (f *fixture) activeUser(t testing.TB, email, name string, grants ...spaces.Grant) users.User {
	t.Helper()
	res, err := f.db.W.Exec(`INSERT INTO users (email, name, password_hash, created_at, activated_at) VALUES (?, ?, 'hash', ?, ?)`, email, name, t0.Unix(), t0.Unix())
	if err != nil {
		t.Fatalf("adding %s: %v", email, err)
	}
	id, _ := res.LastInsertId()
	for _, g := range grants {
		if _, err := f.db.W.Exec(`INSERT INTO role_grants (user_id, space_id, role, granted_at) VALUES (?, ?, ?, ?)`, id, g.SpaceID, g.Role, t0.Unix()); err != nil {
			t.Fatal(err)
		}
	}
	u, err := f.users.ByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) deactivate(t testing.TB, id int64) {
	t.Helper()
	if _, err := f.db.W.Exec(`UPDATE users SET deactivated_at = ? WHERE id = ?`, f.clock.Now().Unix(), id); err != nil {
		t.Fatal(err)
	}
}

// count runs a count(*) query on the reader pool.
func count(t *testing.T, d *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
