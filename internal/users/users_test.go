package users_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
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
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

const (
	password = "plum tractor gently sings"
	ttl      = 7 * 24 * time.Hour
)

type env struct {
	db    *db.DB
	svc   *users.Service
	clock *clock.Fake
}

func newEnv(t *testing.T) env {
	d := dbtest.New(t)
	clk := clock.NewFake(t0)
	return env{db: d, svc: users.NewService(db.NewUserStore(d), auth.NewCheapHasher(2), clk), clock: clk}
}

// setup runs first-run setup and returns the first administrator.
func (e env) setup(t *testing.T) users.User {
	t.Helper()
	u, err := e.svc.Setup(context.Background(), users.SetupInput{AccountName: "Acme", Email: "Ada@Example.com", Name: "Ada", Password: password})
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return u
}

func TestSetup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	if need, err := e.svc.NeedsSetup(ctx); err != nil || !need {
		t.Fatalf("NeedsSetup on an empty database = %v, %v", need, err)
	}
	if _, err := e.svc.Account(ctx); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("Account before setup: err = %v, want NotFound", err)
	}

	// Refused before any hashing, each on its own field.
	bad := []struct {
		in    users.SetupInput
		field string
	}{
		{users.SetupInput{AccountName: " ", Email: "a@example.com", Name: "A", Password: password}, "account"},
		{users.SetupInput{AccountName: "Acme", Email: "Ada <a@example.com>", Name: "A", Password: password}, "email"},
		{users.SetupInput{AccountName: "Acme", Email: "a@example.com", Name: "", Password: password}, "name"},
		{users.SetupInput{AccountName: "Acme", Email: "a@example.com", Name: "A", Password: "short"}, "password"},
		{users.SetupInput{AccountName: "Acme", Email: "a@example.com", Name: "A", Password: "1qaz2wsx3edc"}, "password"},
	}
	for _, tc := range bad {
		_, err := e.svc.Setup(ctx, tc.in)
		var fe *errs.Error
		if !errors.As(err, &fe) || fe.Code != errs.Invalid || fe.Field != tc.field {
			t.Errorf("Setup(%+v): err = %v, want Invalid on %s", tc.in, err, tc.field)
		}
	}

	u := e.setup(t)
	if u.Email != "ada@example.com" || u.Name != "Ada" || u.StatusAt(t0) != users.Active {
		t.Errorf("first admin = %+v", u)
	}
	if need, _ := e.svc.NeedsSetup(ctx); need {
		t.Error("NeedsSetup after setup")
	}
	if acc, err := e.svc.Account(ctx); err != nil || acc.Name != "Acme" || acc.Kind != spaces.Account {
		t.Errorf("Account = %+v, %v", acc, err)
	}
	a, err := e.svc.Access(ctx, u)
	if err != nil || !a.AccountAdmin {
		t.Errorf("first admin's access = %+v, %v; want account admin", a, err)
	}

	_, err = e.svc.Setup(ctx, users.SetupInput{AccountName: "Evil", Email: "eve@example.com", Name: "Eve", Password: password})
	if errs.CodeOf(err) != errs.Conflict {
		t.Fatalf("second Setup: err = %v, want Conflict", err)
	}
	if acc, _ := e.svc.Account(ctx); acc.Name != "Acme" {
		t.Errorf("second Setup renamed the account to %q", acc.Name)
	}
	if _, err := e.svc.Authenticate(ctx, "eve@example.com", password); err == nil {
		t.Error("second Setup left a user who can sign in")
	}
}

// Two people opening the one-time setup link at once: one account, one
// administrator.
func TestSetupConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	const n = 4
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.svc.Setup(ctx, users.SetupInput{AccountName: "Acme", Email: fmt.Sprintf("a%d@example.com", i), Name: "A", Password: password})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errs.CodeOf(err) != errs.Conflict:
				t.Errorf("losing setup: %v", err)
			}
		}()
	}
	wg.Wait()
	var accounts, admins int
	e.db.R.QueryRow(`SELECT count(*) FROM spaces`).Scan(&accounts)
	e.db.R.QueryRow(`SELECT count(*) FROM role_grants`).Scan(&admins)
	if wins != 1 || accounts != 1 || admins != 1 {
		t.Errorf("%d setups won, %d spaces, %d grants; want 1 of each", wins, accounts, admins)
	}
}

func TestCreateAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	// On a fresh database the command names the account.
	u, err := e.svc.CreateAdmin(ctx, "Acme", "ops@example.com", "Ops", password)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := e.svc.Access(ctx, u); !a.AccountAdmin {
		t.Error("created admin is not an account administrator")
	}
	if need, _ := e.svc.NeedsSetup(ctx); need {
		t.Error("NeedsSetup after admin create")
	}
	// Unlike Setup, it works again; the email must be free.
	if _, err := e.svc.CreateAdmin(ctx, "", "OPS@example.com", "Ops again", "another long password"); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("CreateAdmin with a taken email: err = %v, want Invalid", err)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	admin := e.setup(t)
	invite(t, e, "ivy@example.com", spaces.Grant{SpaceID: accountID(t, e), Role: spaces.Member})

	u, err := e.svc.Authenticate(ctx, "  ADA@example.com ", password)
	if err != nil || u.ID != admin.ID {
		t.Fatalf("right password: %v, %v", u.ID, err)
	}

	refused := []struct{ name, email, password string }{
		{"wrong password", "ada@example.com", password + "!"},
		{"unknown email", "nobody@example.com", password},
		{"not an email", "ada", password},
		{"invited, no password yet", "ivy@example.com", ""},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.Authenticate(ctx, tc.email, tc.password)
			if errs.CodeOf(err) != errs.CodeOf(users.ErrBadCredentials) || errs.MessageOf(err) != errs.MessageOf(users.ErrBadCredentials) {
				t.Errorf("err = %v, want exactly %v", err, users.ErrBadCredentials)
			}
		})
	}

	if _, err := e.db.W.Exec(`UPDATE users SET deactivated_at = ? WHERE id = ?`, t0.Unix(), admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(ctx, "ada@example.com", password); err != users.ErrBadCredentials {
		t.Errorf("deactivated user: err = %v, want ErrBadCredentials", err)
	}
}

func accountID(t *testing.T, e env) int64 {
	acc, err := e.svc.Account(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return acc.ID
}

// invite writes an invitation through the store, with a made-up token: the
// users list only needs the rows.
func invite(t *testing.T, e env, email string, offered ...spaces.Grant) invitations.Invitation {
	t.Helper()
	admin, err := db.NewUserStore(e.db).ByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(email))
	now := e.clock.Now()
	out, err := db.NewInvitationStore(e.db).Create(context.Background(), []invitations.Create{{
		Email: email, InvitedBy: admin.ID, InviterName: admin.Name, Nonce: h[:16], TokenHash: h[:],
		Offered: offered, Now: now, ExpiresAt: now.Add(ttl), Kind: mail.Invitation,
	}}, invitations.Budget{Actor: admin.ID, Max: invitations.DefaultSendLimit, Window: invitations.SendWindow}, func(inv invitations.Invitation) mail.Outgoing {
		return mail.Outgoing{Key: "send:" + email, Kind: mail.Invitation, To: email, InvitationID: inv.ID}
	})
	if err != nil || out[0].Existing != nil {
		t.Fatal(err)
	}
	return out[0].Invitation
}

func TestList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	admin := e.setup(t)
	acc := accountID(t, e)
	res, err := e.db.W.Exec(`INSERT INTO spaces (kind, parent_id, name, created_at) VALUES ('unit', ?, 'Sales', 0)`, acc)
	if err != nil {
		t.Fatal(err)
	}
	sales, _ := res.LastInsertId()
	invite(t, e, "ivy@example.com", spaces.Grant{SpaceID: sales, Role: spaces.Member})
	e.clock.Advance(time.Hour)
	invite(t, e, "jay@example.com", spaces.Grant{SpaceID: acc, Role: spaces.Member})
	if _, err := e.db.W.Exec(`INSERT INTO users (email, name, password_hash, created_at, activated_at) VALUES ('sam@example.com', 'Sam', 'x', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.W.Exec(`INSERT INTO role_grants (user_id, space_id, role, granted_at) SELECT id, ?, 'admin', 0 FROM users WHERE email = 'sam@example.com'`, sales); err != nil {
		t.Fatal(err)
	}
	sam, err := db.NewUserStore(e.db).ByEmail(ctx, "sam@example.com")
	if err != nil {
		t.Fatal(err)
	}
	member, _ := e.svc.CreateAdmin(ctx, "", "mo@example.com", "Mo", password)
	if _, err := e.db.W.Exec(`UPDATE role_grants SET role = 'member' WHERE user_id = ?`, member.ID); err != nil {
		t.Fatal(err)
	}

	access := func(u users.User) *spaces.Access {
		a, err := e.svc.Access(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	t.Run("not an administrator", func(t *testing.T) {
		if _, err := e.svc.List(ctx, access(member), users.ListFilter{}); errs.CodeOf(err) != errs.Forbidden {
			t.Errorf("err = %v, want Forbidden", err)
		}
	})

	t.Run("status tabs follow the clock", func(t *testing.T) {
		e.clock.Set(t0.Add(2 * time.Hour))
		p, err := e.svc.List(ctx, access(admin), users.ListFilter{Status: users.Expired})
		if err != nil {
			t.Fatal(err)
		}
		if p.Counts[users.Invited] != 2 || p.Counts[users.Expired] != 0 || p.Counts[users.Active] != 3 || len(p.Rows) != 0 {
			t.Fatalf("before expiry: counts %v, %d expired rows", p.Counts, len(p.Rows))
		}
		e.clock.Set(t0.Add(ttl + time.Minute)) // past ivy's expiry, not jay's; nothing written
		p, err = e.svc.List(ctx, access(admin), users.ListFilter{Status: users.Expired})
		if err != nil {
			t.Fatal(err)
		}
		if p.Counts[users.Invited] != 1 || p.Counts[users.Expired] != 1 || len(p.Rows) != 1 || p.Rows[0].Email != "ivy@example.com" {
			t.Errorf("after ivy's expiry: counts %v, rows %+v", p.Counts, p.Rows)
		}
		if p.Rows[0].StatusAt(e.clock.Now()) != users.Expired {
			t.Errorf("ivy's status = %s", p.Rows[0].StatusAt(e.clock.Now()))
		}
	})

	t.Run("a space administrator sees their spaces only", func(t *testing.T) {
		e.clock.Set(t0)
		p, err := e.svc.List(ctx, access(sam), users.ListFilter{SpaceIDs: nil, Sort: users.ByEmail})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range p.Rows {
			got = append(got, r.Email)
		}
		if strings.Join(got, " ") != "ivy@example.com sam@example.com" || p.All != 2 {
			t.Errorf("Sales admin sees %q (All %d), want ivy and sam", got, p.All)
		}
	})

	t.Run("a space administrator cannot widen a space filter", func(t *testing.T) {
		e.clock.Set(t0)
		for _, tc := range []struct {
			ids  []int64
			want int
		}{
			{[]int64{sales}, 2},
			{[]int64{acc}, 0},
			{[]int64{acc, sales}, 2},
		} {
			p, err := e.svc.List(ctx, access(sam), users.ListFilter{SpaceIDs: tc.ids})
			if err != nil {
				t.Fatal(err)
			}
			if p.All != tc.want {
				t.Errorf("Sales admin filtering on %v sees %d users, want %d", tc.ids, p.All, tc.want)
			}
		}
		p, err := e.svc.List(ctx, access(admin), users.ListFilter{SpaceIDs: []int64{sales}})
		if err != nil || p.All != 2 {
			t.Errorf("account admin filtering on Sales sees %d users, %v; want 2", p.All, err)
		}
	})

	t.Run("unknown status tab", func(t *testing.T) {
		p, err := e.svc.List(ctx, access(admin), users.ListFilter{Status: "bogus"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != len(p.Rows) || p.Total != p.All {
			t.Errorf("status bogus: Total %d, %d rows, All %d; want all of them, consistently", p.Total, len(p.Rows), p.All)
		}
	})

	t.Run("one row, if visible", func(t *testing.T) {
		ivy, _ := db.NewUserStore(e.db).ByEmail(ctx, "ivy@example.com")
		jay, _ := db.NewUserStore(e.db).ByEmail(ctx, "jay@example.com")
		tests := []struct {
			name   string
			viewer users.User
			row    users.User
			ok     bool
		}{
			{"account admin, anyone", admin, jay, true},
			{"Sales admin, invited to Sales", sam, ivy, true},
			{"Sales admin, themselves", sam, sam, true},
			{"Sales admin, invited to the account", sam, jay, false},
			{"Sales admin, the account admin", sam, admin, false},
		}
		for _, tc := range tests {
			l, err := e.svc.Row(ctx, access(tc.viewer), tc.row.ID)
			if tc.ok && (err != nil || l.ID != tc.row.ID) {
				t.Errorf("%s: Row = %d, %v", tc.name, l.ID, err)
			}
			if !tc.ok && errs.CodeOf(err) != errs.NotFound {
				t.Errorf("%s: err = %v, want NotFound", tc.name, err)
			}
		}
		if l, err := e.svc.Row(ctx, access(admin), ivy.ID); err != nil || l.Invite == nil || spaces.Describe(l.Invite.Offered) != "Member of Sales" {
			t.Errorf("ivy's row = %+v, %v; want her pending invitation", l, err)
		}
		if _, err := e.svc.Row(ctx, access(admin), 9999); errs.CodeOf(err) != errs.NotFound {
			t.Errorf("Row of a missing user: err = %v, want NotFound", err)
		}
	})

	t.Run("defaults", func(t *testing.T) {
		p, err := e.svc.List(ctx, access(admin), users.ListFilter{Page: -3})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Rows) != 5 || p.Total != 5 {
			t.Errorf("page -3 with no page size: %d rows, total %d; want the first page of 5", len(p.Rows), p.Total)
		}
	})
}

func TestParseEmail(t *testing.T) {
	tests := []struct {
		in, want string // want "" means refused
	}{
		{"ana@example.com", "ana@example.com"},
		{"  Ana@Example.COM ", "ana@example.com"},
		{"ana.b+tag@sub.example.co.uk", "ana.b+tag@sub.example.co.uk"},
		{"", ""},
		{"   ", ""},
		{"ana", ""},
		{"ana@", ""},
		{"@example.com", ""},
		{"Ana <ana@example.com>", ""},
		{"<ana@example.com>", ""},
		{`"Ana" <ana@example.com>`, ""},
		{"ana@example.com (Ana)", ""},
		{"ana@example.com, bob@example.com", ""},
		{"ana@example.com;bob@example.com", ""},
		{"ana@example.com bob@example.com", ""},
		{"ana@example.com\r\nBcc: eve@example.com", ""},
		{"ana@exa\nmple.com", ""},
		{"ana\x00@example.com", ""},
		{`"ana bob"@example.com`, ""},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com"}, // 254
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", ""},                                                                // 255
	}
	for _, tc := range tests {
		got, err := users.ParseEmail("email", tc.in)
		if tc.want == "" {
			var fe *errs.Error
			if err == nil || !errors.As(err, &fe) || fe.Code != errs.Invalid || fe.Field != "email" {
				t.Errorf("ParseEmail(%q) = %q, %v; want refused on the email field", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCleanName(t *testing.T) {
	tests := []struct {
		in       string
		required bool
		want     string
		ok       bool
	}{
		{"  Ana   María  López ", true, "Ana María López", true},
		{"", false, "", true},
		{"  ", true, "", false},
		{"Ana\u0007", true, "", false},
		{"Ana\nBcc", true, "", false}, // a name is one line
		{"Ana\u202eBcc", true, "", false},
		{strings.Repeat("é", 200), true, strings.Repeat("é", 200), true},
		{strings.Repeat("é", 201), true, "", false},
	}
	for _, tc := range tests {
		got, err := users.CleanName("name", tc.in, tc.required)
		if (err == nil) != tc.ok || tc.ok && got != tc.want {
			t.Errorf("CleanName(%q, %v) = %q, %v; want %q, ok %v", tc.in, tc.required, got, err, tc.want, tc.ok)
		}
	}
}

func TestStatusAt(t *testing.T) {
	exp := t0.Add(ttl)
	tests := []struct {
		name string
		u    users.User
		now  time.Time
		want users.Status
	}{
		{"invited", users.User{InviteExpiresAt: exp}, exp.Add(-time.Second), users.Invited},
		{"expired at the second", users.User{InviteExpiresAt: exp}, exp, users.Expired},
		{"expired", users.User{InviteExpiresAt: exp}, exp.Add(time.Hour), users.Expired},
		{"active", users.User{ActivatedAt: t0}, exp.Add(time.Hour), users.Active},
		{"deactivated", users.User{ActivatedAt: t0, DeactivatedAt: t0}, t0, users.Deactivated},
		{"deactivated while invited", users.User{InviteExpiresAt: exp, DeactivatedAt: t0}, t0, users.Deactivated},
	}
	for _, tc := range tests {
		if got := tc.u.StatusAt(tc.now); got != tc.want {
			t.Errorf("%s: StatusAt = %s, want %s", tc.name, got, tc.want)
		}
	}
	// Activating only clears the flag: the status it restores is computed.
	u := users.User{InviteExpiresAt: exp, DeactivatedAt: t0}
	u.DeactivatedAt = time.Time{}
	if got := u.StatusAt(t0); got != users.Invited {
		t.Errorf("after activation StatusAt = %s, want invited", got)
	}
	if users.Expired.Label() != "Invitation expired" || users.Active.Label() != "Active" {
		t.Error("status labels")
	}
	if (users.User{Email: "a@b.c"}).DisplayName() != "a@b.c" || (users.User{Email: "a@b.c", Name: "A"}).DisplayName() != "A" {
		t.Error("DisplayName")
	}
}

// A person changes their own name, cleaned as every name is, and nobody
// else's: the method checks the id is the actor's.
func TestChangeOwnName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	ada := e.setup(t)
	bo, err := e.svc.CreateAdmin(ctx, "", "bo@example.com", "Bo", password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ChangeOwnName(ctx, ada, bo.ID, "Mallory"); errs.CodeOf(err) != errs.Forbidden {
		t.Errorf("Ada renaming Bo: %v, want Forbidden", err)
	}
	if got, _ := e.svc.Get(ctx, bo.ID); got.Name != "Bo" {
		t.Errorf("Bo is named %q after the refusal", got.Name)
	}
	if _, err := e.svc.ChangeOwnName(ctx, ada, ada.ID, "  \u202e "); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("a name of a direction override: %v, want Invalid", err)
	}
	u, err := e.svc.ChangeOwnName(ctx, ada, ada.ID, "  Ada   Lovelace ")
	if err != nil || u.Name != "Ada Lovelace" {
		t.Errorf("ChangeOwnName = %q, %v; want Ada Lovelace", u.Name, err)
	}
}
