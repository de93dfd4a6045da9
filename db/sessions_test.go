package db

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/sessions"
)

// The database holds only a hash of each session token: nothing in it,
// used as a cookie's token, finds a session.
func TestSessionTokenStoredHashed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	admin, err := f.users.ByEmail(ctx, "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	svc := sessions.NewService(NewSessionStore(f.db), nil, f.clock, 168*time.Hour, 720*time.Hour)
	sess, token, err := svc.Start(ctx, admin.ID, "192.0.2.1", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(token) < 22 { // 128 bits in base64url
		t.Fatalf("token %q is too short", token)
	}
	if got, err := svc.Lookup(ctx, token); err != nil || got.ID != sess.ID {
		t.Fatalf("Lookup: %+v, %v", got, err)
	}
	var stored []byte
	var row string
	if err := f.db.R.QueryRow(`SELECT token_hash, ip || user_agent || browser || os || device FROM sessions`).Scan(&stored, &row); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte(token)) || bytes.Contains([]byte(row), []byte(token)) {
		t.Error("the token is in the database")
	}
	for _, guess := range []string{string(stored), base64.RawURLEncoding.EncodeToString(stored)} {
		if _, err := svc.Lookup(ctx, guess); !errs.Is(err, errs.Unauthorized) {
			t.Errorf("the stored hash used as a token: %v, want the session refused", err)
		}
	}
	u, _ := f.users.ByID(ctx, admin.ID)
	if !u.LastSignInAt.Equal(t0) {
		t.Errorf("last sign-in %s, want %s (set with the session)", u.LastSignInAt, t0)
	}
	// A new session version (deactivation, a password change) ends them.
	if err := f.users.BumpSessionVersion(ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Lookup(ctx, token); !errs.Is(err, errs.Unauthorized) {
		t.Errorf("after a new session version: %v, want the session ended", err)
	}
}
