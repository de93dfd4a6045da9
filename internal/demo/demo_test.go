package demo_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/dbtest"
	"github.com/usherhq/usher/internal/demo"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/users"
)

var now = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

var links = auth.NewLinks(bytes.Repeat([]byte{7}, 32))

// newSeeder seeds a migrated database in a temporary folder.
func newSeeder(t *testing.T, ttl time.Duration) (*db.DB, *demo.Seeder) {
	t.Helper()
	d := dbtest.New(t)
	return d, demo.NewSeeder(db.NewDemoStore(d), links, auth.NewHasher(1), ttl)
}

func seeded(t *testing.T, n int) (*db.DB, demo.Summary) {
	t.Helper()
	d, s := newSeeder(t, 7*24*time.Hour)
	sum, err := s.Seed(context.Background(), demo.Options{Users: n, Password: "a demo password", Now: now, Seed: 42})
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	return d, sum
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// The users list, read the way the app reads it, agrees with what the
// seeder says it made, and the statuses come in realistic proportions.
func TestSeedMakesARealisticAccount(t *testing.T) {
	t.Parallel()
	const n = 3000
	d, sum := seeded(t, n)
	if sum.Users != n {
		t.Fatalf("Users = %d, want %d", sum.Users, n)
	}
	p, err := db.NewUserStore(d).List(context.Background(), users.ListFilter{Page: 1, PerPage: 50, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for st, c := range p.Counts {
		if c != sum.ByStatus[st] {
			t.Errorf("list counts %d %s, seeder says %d", c, st, sum.ByStatus[st])
		}
	}
	for st, pct := range map[users.Status]float64{users.Active: 80, users.Invited: 12, users.Expired: 5, users.Deactivated: 3} {
		got := 100 * float64(p.Counts[st]) / n
		if got < pct*0.7 || got > pct*1.3 {
			t.Errorf("%s: %.1f%% of users, want about %.0f%%", st, got, pct)
		}
	}
	if p.All != n {
		t.Errorf("All = %d, want %d", p.All, n)
	}

	// Spaces of every kind, and nothing dangling.
	for _, kind := range []string{"account", "unit", "waiting_area", "meeting_room"} {
		if count(t, d, `SELECT count(*) FROM spaces WHERE kind = ?`, kind) == 0 {
			t.Errorf("no %s", kind)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM pragma_foreign_key_check`); n != 0 {
		t.Errorf("%d foreign key violations", n)
	}
	if n := count(t, d, `SELECT count(*) FROM users WHERE email NOT LIKE '%_@_%.%'`); n != 0 {
		t.Errorf("%d malformed emails", n)
	}
	if n := count(t, d, `SELECT count(*) FROM users WHERE activated_at IS NOT NULL AND name = ''`); n != 0 {
		t.Errorf("%d active users without a name (accepting asks for one)", n)
	}
	if n := count(t, d, `SELECT count(*) FROM users WHERE activated_at IS NOT NULL AND password_hash IS NULL`); n != 0 {
		t.Errorf("%d active users without a password", n)
	}
}

// Every pending user has exactly one pending invitation, whose expiry the
// user row mirrors, with a history and at least one email; some emails
// failed, with the server's reply.
func TestSeedWritesInvitationHistories(t *testing.T) {
	t.Parallel()
	d, _ := seeded(t, 3000)
	if n := count(t, d, `SELECT count(*) FROM users u WHERE u.activated_at IS NULL
		AND (SELECT count(*) FROM invitations i WHERE i.user_id = u.id AND i.state = 'pending') != 1`); n != 0 {
		t.Errorf("%d pending users without exactly one pending invitation", n)
	}
	if n := count(t, d, `SELECT count(*) FROM users u JOIN invitations i ON i.user_id = u.id AND i.state = 'pending'
		WHERE u.invite_expires_at IS NOT i.expires_at`); n != 0 {
		t.Errorf("%d users whose expiry differs from their invitation's", n)
	}
	if n := count(t, d, `SELECT count(*) FROM invitations i WHERE NOT EXISTS (SELECT 1 FROM invitation_events e WHERE e.invitation_id = i.id)
		OR NOT EXISTS (SELECT 1 FROM outbox o WHERE o.invitation_id = i.id)
		OR NOT EXISTS (SELECT 1 FROM invitation_roles r WHERE r.invitation_id = i.id)`); n != 0 {
		t.Errorf("%d invitations without history, email or roles", n)
	}
	for _, kind := range []invitations.EventKind{invitations.EvInvited, invitations.EvResent, invitations.EvDelivered, invitations.EvDeliveryFailed, invitations.EvAccepted, invitations.EvRenewed, invitations.EvRenewalRequested} {
		if count(t, d, `SELECT count(*) FROM invitation_events WHERE kind = ?`, kind) == 0 {
			t.Errorf("no %q event", kind)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM invitation_events WHERE kind = 'accepted' AND (detail != '' OR json_array_length(grants) = 0)`); n != 0 {
		t.Errorf("%d acceptances without their roles kept as roles, as the services keep them", n)
	}
	if count(t, d, `SELECT count(*) FROM outbox WHERE state = 'failed' AND last_error LIKE '5__ %'`) == 0 {
		t.Error("no failed email with the server's reply")
	}
	if n := count(t, d, `SELECT count(*) FROM outbox WHERE state = 'queued'`); n != 0 {
		t.Errorf("%d emails still queued: starting the app would send them", n)
	}
	if count(t, d, `SELECT count(*) FROM invitations WHERE state = 'superseded' AND superseded_by IS NOT NULL`) == 0 {
		t.Error("no invitation replaced by a new one")
	}
}

// The links of demo invitations are derived like real ones, so they work.
func TestSeedLinksWork(t *testing.T) {
	t.Parallel()
	d, _ := seeded(t, 500)
	rows, err := d.R.Query(`SELECT token_nonce, token_hash FROM invitations WHERE state = 'pending'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var nonce, hash []byte
		if err := rows.Scan(&nonce, &hash); err != nil {
			t.Fatal(err)
		}
		token := links.Token(invitations.LinkPurpose, nonce)
		if !bytes.Equal(auth.TokenHash(invitations.LinkPurpose, token), hash) {
			t.Fatalf("the link of a demo invitation does not match its hash")
		}
		n++
	}
	if n == 0 {
		t.Fatal("no pending invitation")
	}
}

// The names given go through the rule the services apply: a direction
// override in the account's name is refused, and nothing is written.
func TestSeedRefusesInvisibleCharactersInNames(t *testing.T) {
	t.Parallel()
	_, s := newSeeder(t, time.Hour)
	for _, o := range []demo.Options{{AccountName: "Acme\u202e"}, {AdminName: "Alex\u200b"}} {
		o.Users, o.Password, o.Now = 10, "x", now
		if _, err := s.Seed(context.Background(), o); err == nil || !strings.Contains(err.Error(), "invisible character") {
			t.Errorf("Seed with %+q, %+q: err %v, want a refusal", o.AccountName, o.AdminName, err)
		}
	}
	if empty, err := s.Empty(context.Background()); err != nil || !empty {
		t.Errorf("after the refusals the database is empty: %v, %v", empty, err)
	}
}

func TestSeedRefusesADatabaseWithUsers(t *testing.T) {
	t.Parallel()
	d, _ := seeded(t, 10)
	s := demo.NewSeeder(db.NewDemoStore(d), links, auth.NewHasher(1), time.Hour)
	_, err := s.Seed(context.Background(), demo.Options{Users: 10, Password: "x", Now: now})
	if !errors.Is(err, demo.ErrNotEmpty) {
		t.Errorf("second Seed: err = %v, want ErrNotEmpty", err)
	}
}

// The same seed gives the same people.
func TestSeedIsRepeatable(t *testing.T) {
	t.Parallel()
	a, _ := seeded(t, 300)
	b, _ := seeded(t, 300)
	q := `SELECT group_concat(email || name || coalesce(activated_at, '') || coalesce(deactivated_at, ''), ',') FROM (SELECT * FROM users ORDER BY id)`
	var x, y string
	if err := a.R.QueryRow(q).Scan(&x); err != nil {
		t.Fatal(err)
	}
	if err := b.R.QueryRow(q).Scan(&y); err != nil {
		t.Fatal(err)
	}
	if x != y {
		t.Error("two seeds with the same options made different people")
	}
}

func TestSeedOneUser(t *testing.T) {
	t.Parallel()
	d, sum := seeded(t, 1)
	if sum.Users != 1 || count(t, d, `SELECT count(*) FROM role_grants g JOIN spaces s ON s.id = g.space_id WHERE s.kind = 'account' AND g.role = 'admin'`) != 1 {
		t.Errorf("one user: %+v, want just the account administrator", sum)
	}
}

// The demo's activity log: about as many entries as asked, in time order
// over the past year, every kind the demo's lives hold, and agreeing with
// the rows of the other tables.
func TestSeedWritesAnActivityLog(t *testing.T) {
	t.Parallel()
	d, s := newSeeder(t, 7*24*time.Hour)
	const want = 40_000
	sum, err := s.Seed(context.Background(), demo.Options{Users: 2000, Password: "a demo password", Now: now, Seed: 42, Activity: want})
	if err != nil {
		t.Fatal(err)
	}
	n := count(t, d, `SELECT count(*) FROM activity`)
	if n != sum.Activity || n < want*95/100 || n > want*105/100 {
		t.Errorf("%d entries (summary %d), want about %d", n, sum.Activity, want)
	}
	for _, kind := range []string{"invitation.sent", "invitation.resent", "invitation.renewed", "invitation.undelivered", "invitation.expired",
		"invitation.accepted", "invitation.cancelled", "invitation.renewal_requested", "user.roles_changed", "user.deactivated",
		"space.created", "space.renamed", "signin.succeeded", "signin.failed"} {
		if count(t, d, `SELECT count(*) FROM activity WHERE kind = ?`, kind) == 0 {
			t.Errorf("no %s entry", kind)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM activity a JOIN activity b ON b.id = a.id + 1 WHERE b.at < a.at`); n != 0 {
		t.Errorf("%d entries older than the one before", n)
	}
	if n := count(t, d, `SELECT count(*) FROM activity WHERE at < ? OR at > ?`, now.AddDate(-1, 0, -1).Unix(), now.Unix()); n != 0 {
		t.Errorf("%d entries outside the past year", n)
	}
	// Most of the log is sign-ins, from several addresses and devices.
	if n := count(t, d, `SELECT count(*) FROM activity WHERE kind = 'signin.succeeded'`); n < want/2 {
		t.Errorf("%d sign-ins of %d entries", n, want)
	}
	if n := count(t, d, `SELECT count(DISTINCT ip) FROM activity WHERE kind = 'signin.succeeded'`); n < 50 {
		t.Errorf("sign-ins from %d addresses", n)
	}
	if n := count(t, d, `SELECT count(*) FROM activity WHERE kind = 'signin.succeeded' AND (json_extract(details, '$.device') IS NULL OR actor_id IS NOT subject_id)`); n != 0 {
		t.Errorf("%d sign-ins without a device, or not by the person", n)
	}
	// And it agrees with the other tables.
	for what, q := range map[string]string{
		"accepted by someone not active": `SELECT count(*) FROM activity a WHERE a.kind = 'invitation.accepted' AND NOT EXISTS (SELECT 1 FROM users u JOIN invitations i ON i.user_id = u.id
			WHERE u.id = a.subject_id AND a.actor_id = u.id AND u.activated_at = a.at AND i.id = json_extract(a.details, '$.invitation_id') AND i.state = 'accepted')`,
		"cancelled and still a user": `SELECT count(*) FROM activity a WHERE a.kind = 'invitation.cancelled' AND (EXISTS (SELECT 1 FROM users u WHERE u.id = a.subject_id)
			OR NOT EXISTS (SELECT 1 FROM invitations i WHERE i.id = json_extract(a.details, '$.invitation_id') AND i.state = 'cancelled' AND i.user_id IS NULL AND i.ended_at = a.at))`,
		"deactivated but not": `SELECT count(*) FROM activity a WHERE a.kind = 'user.deactivated' AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.subject_id AND u.deactivated_at = a.at)`,
		"a role granted but not held": `SELECT count(*) FROM activity a WHERE a.kind = 'user.roles_changed' AND NOT EXISTS (SELECT 1 FROM role_grants g
			WHERE g.user_id = a.subject_id AND g.space_id = json_extract(a.details, '$.granted[0].space_id') AND g.granted_at = a.at)`,
		"a sign-in before joining or after leaving": `SELECT count(*) FROM activity a JOIN users u ON u.id = a.actor_id WHERE a.kind = 'signin.succeeded'
			AND (a.at < u.activated_at OR a.at > coalesce(u.deactivated_at, a.at))`,
		"a sent invitation that is not": `SELECT count(*) FROM activity a WHERE a.kind = 'invitation.sent' AND NOT EXISTS (SELECT 1 FROM invitation_events e
			WHERE e.invitation_id = json_extract(a.details, '$.invitation_id') AND e.kind = 'invited' AND e.at = a.at AND e.actor_id = a.actor_id)`,
		"a new space created at another time": `SELECT count(*) FROM activity a WHERE a.kind = 'space.created' AND NOT EXISTS (SELECT 1 FROM spaces s
			WHERE s.id = json_extract(a.details, '$.space.id') AND s.created_at = a.at)`,
		"an entry about a space that is not":      `SELECT count(*) FROM activity_spaces x WHERE NOT EXISTS (SELECT 1 FROM spaces s WHERE s.id = x.space_id)`,
		"an invitation's entry without its roles": `SELECT count(*) FROM activity a WHERE a.kind LIKE 'invitation.%' AND NOT EXISTS (SELECT 1 FROM activity_spaces x WHERE x.activity_id = a.id)`,
	} {
		if n := count(t, d, q); n != 0 {
			t.Errorf("%d entries: %s", n, what)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM pragma_foreign_key_check`); n != 0 {
		t.Errorf("%d foreign key violations", n)
	}
}

// Without sign-ins asked for, the log holds the lives alone.
func TestSeedLogsLivesAlone(t *testing.T) {
	t.Parallel()
	d, sum := seeded(t, 500)
	if sum.Activity == 0 || sum.Activity > 500*5 {
		t.Errorf("%d entries for 500 lives", sum.Activity)
	}
	if n := count(t, d, `SELECT count(*) FROM activity WHERE kind = 'signin.succeeded'`); n != 0 {
		t.Errorf("%d sign-ins, none asked for", n)
	}
}
