package db

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/resets"
	"github.com/usherhq/usher/internal/sessions"
)

// dump is the rows q selects, as text.
func dump(t *testing.T, d *DB, q string, args ...any) string {
	t.Helper()
	rows, err := d.R.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%v\n", vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Each account change and its activity row are one transaction: when the
// row cannot be written, the change is not made either.
func TestAccountChangesWithoutTheirRowAreNotMade(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ss, tf, rs := NewSessionStore(f.db), NewTwoFactorStore(f.db), NewResetStore(f.db)
	id := f.admin.ID
	sess, err := ss.Create(ctx, sessions.Session{UserID: id, CreatedAt: t0, LastSeenAt: t0}, []byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Create(ctx, sessions.Session{UserID: id, CreatedAt: t0, LastSeenAt: t0}, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if err := tf.Begin(ctx, id, []byte("sealed"), t0); err != nil {
		t.Fatal(err)
	}
	reset, err := rs.Create(ctx, resets.Create{UserID: id, Nonce: []byte("n"), TokenHash: []byte("h"), RequestedBy: id, RequestedByName: "Ada Admin", Now: t0, ExpiresAt: t0.Add(ttl)},
		func(int64) mail.Outgoing {
			return mail.Outgoing{Key: "reset", Kind: mail.PasswordReset, To: f.admin.Email}
		})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.W.Exec(`CREATE TRIGGER activity_refused BEFORE INSERT ON activity BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		return dump(t, f.db, `SELECT id, password_hash, language, last_sign_in_at, session_version FROM users ORDER BY id`) +
			dump(t, f.db, `SELECT id, user_id FROM sessions ORDER BY id`) +
			dump(t, f.db, `SELECT user_id, enabled_at FROM two_factor`) +
			dump(t, f.db, `SELECT id, ended_at FROM password_resets ORDER BY id`) +
			dump(t, f.db, `SELECT key, value FROM account_settings`) +
			dump(t, f.db, `SELECT count(*) FROM outbox`) +
			dump(t, f.db, `SELECT count(*) FROM users`)
	}
	later := t0.Add(ttl / 2)
	notice := mail.Outgoing{Key: "changed", Kind: mail.PasswordChanged, To: f.admin.Email, Payload: mail.Payload{ChangedAt: later}}
	for _, c := range []struct {
		name string
		do   func() error
	}{
		{"sign-in", func() error {
			_, err := ss.Create(ctx, sessions.Session{UserID: id, CreatedAt: later, LastSeenAt: later}, []byte("three"))
			return err
		}},
		{"refused sign-in", func() error {
			return ss.Refused(ctx, sessions.Refusal{At: later, UserID: id, Email: f.admin.Email, Reason: "password"})
		}},
		{"end a session", func() error { return ss.End(ctx, id, sess.ID, later) }},
		{"end the others", func() error { _, err := ss.DeleteOthers(ctx, id, sess.ID, later); return err }},
		{"end all", func() error { _, err := ss.DeleteAll(ctx, id, later); return err }},
		{"two-factor on", func() error { return tf.Enable(ctx, id, []byte("sealed"), 1, nil, sess.ID, later) }},
		{"password changed", func() error { return f.users.SetPassword(ctx, id, "new hash", notice) }},
		{"reset link used", func() error { return rs.Use(ctx, reset.ID, "new hash", later, notice) }},
		{"reset link sent", func() error {
			_, err := rs.Create(ctx, resets.Create{UserID: id, Nonce: []byte("m"), TokenHash: []byte("i"), RequestedBy: id, Now: later, ExpiresAt: later.Add(ttl)},
				func(int64) mail.Outgoing {
					return mail.Outgoing{Key: "reset2", Kind: mail.PasswordReset, To: f.admin.Email}
				})
			return err
		}},
		{"language", func() error { return f.users.SetLanguage(ctx, id, "de", later) }},
		{"account language", func() error { return f.users.SetAccountLanguage(ctx, "de", later) }},
		{"administrator created", func() error {
			_, err := f.users.CreateAccountAdmin(ctx, "", "bo@example.com", "Bo", "hash", later, false)
			return err
		}},
	} {
		before := state()
		if err := c.do(); err == nil || !strings.Contains(err.Error(), "activity") {
			t.Errorf("%s: err %v, want the activity row's", c.name, err)
		}
		if after := state(); after != before {
			t.Errorf("%s: changed without its row:\n%s---\n%s", c.name, before, after)
		}
	}
	if _, err := f.db.W.Exec(`DROP TRIGGER activity_refused`); err != nil {
		t.Fatal(err)
	}
	if err := tf.Enable(ctx, id, []byte("sealed"), 1, nil, sess.ID, later); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := f.db.R.QueryRow(`SELECT count(*) FROM activity WHERE kind = 'user.two_factor_on' AND subject_id = ?`, id).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("with the log writable: %d rows (%v), want 1", rows, err)
	}

	// Turned on, it is not turned off without the row either.
	if _, err := f.db.W.Exec(`CREATE TRIGGER activity_refused BEFORE INSERT ON activity BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`); err != nil {
		t.Fatal(err)
	}
	before := state()
	if err := tf.Disable(ctx, id, notice, later); err == nil {
		t.Error("two-factor off: no error")
	}
	if _, _, err := tf.ResetTwoFactor(ctx, f.admin.Email, later); err == nil {
		t.Error("reset-2fa: no error")
	}
	if after := state(); after != before {
		t.Errorf("two-factor off without its row:\n%s---\n%s", before, after)
	}
}

// A session waiting for its second factor is no sign-in yet; one for a
// deactivated user is not made, nor its row.
func TestSignInRowOnlyForAFullSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	ss := NewSessionStore(f.db)
	count := func() (n int) {
		t.Helper()
		if err := f.db.R.QueryRow(`SELECT count(*) FROM activity WHERE kind = 'signin.succeeded'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := ss.Create(ctx, sessions.Session{UserID: f.admin.ID, CreatedAt: t0, LastSeenAt: t0, SecondFactorPending: true}, []byte("p")); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Errorf("a pending session wrote %d sign-ins", n)
	}
	if _, err := ss.Create(ctx, sessions.Session{UserID: f.admin.ID, CreatedAt: t0, LastSeenAt: t0, SecondFactor: "code", Browser: sessions.Browser{Name: "Firefox", OS: "Linux"}}, []byte("f")); err != nil {
		t.Fatal(err)
	}
	var details string
	if err := f.db.R.QueryRow(`SELECT details FROM activity WHERE kind = 'signin.succeeded'`).Scan(&details); err != nil || details != `{"device":"Firefox, Linux","second_factor":"code"}` {
		t.Errorf("details %s (%v)", details, err)
	}
	if _, err := f.db.W.Exec(`UPDATE users SET deactivated_at = ? WHERE id = ?`, t0.Unix(), f.admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Create(ctx, sessions.Session{UserID: f.admin.ID, CreatedAt: t0, LastSeenAt: t0}, []byte("d")); err == nil {
		t.Error("a deactivated user got a session")
	}
	if n := count(); n != 1 {
		t.Errorf("%d sign-ins, want 1", n)
	}
}
