package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/usherhq/usher/internal/apptest"
)

// `usher admin reset-2fa` on the data folder of a running server: the
// person's second factor and recovery codes are gone, their sessions end,
// and they sign in with the password alone.
func TestAdminReset2FAOnARunningServer(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	admin := e.SetupAdmin(t)
	ctx := context.Background()
	tf := e.App.Web.TwoFactor
	signedIn := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	if _, err := tf.Begin(ctx, admin.ID, apptest.AccountName, admin.Email); err != nil {
		t.Fatal(err)
	}
	enr, err := tf.Pending(ctx, admin.ID, apptest.AccountName, admin.Email)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCodeCustom(enr.Secret, e.Clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tf.Confirm(ctx, admin.ID, 0, code); err != nil {
		t.Fatal(err)
	}
	// Enrolled with no session kept: sign in again, password and code.
	e.Clock.Advance(30e9)
	c := e.Client(t)
	e.Post(t, c, "/login", url.Values{"email": {admin.Email}, "password": {apptest.AdminPassword}})
	code, _ = totp.GenerateCodeCustom(enr.Secret, e.Clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if r := e.Post(t, c, "/login/code", url.Values{"code": {code}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("code step: %d", r.StatusCode)
	}
	if r := e.Get(t, c, "/profile"); r.StatusCode != http.StatusOK {
		t.Fatalf("signed in: %d", r.StatusCode)
	}
	if r := e.Get(t, signedIn, "/profile"); r.StatusCode == http.StatusOK {
		t.Error("the session from before enrolment still works")
	}

	out, _, err := runWith(t, map[string]string{"USHER_DATA_DIR": e.App.Config.DataDir}, "", "admin", "reset-2fa", "--email", "ANA@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "removed for ana@example.com") {
		t.Errorf("printed %q", out)
	}
	if on, err := tf.Enabled(ctx, admin.ID); err != nil || on {
		t.Errorf("still enrolled after reset-2fa (%v)", err)
	}
	var codes, sessions int
	_ = e.App.DB.R.QueryRow(`SELECT count(*) FROM recovery_codes WHERE user_id = ?`, admin.ID).Scan(&codes)
	_ = e.App.DB.R.QueryRow(`SELECT count(*) FROM sessions WHERE user_id = ?`, admin.ID).Scan(&sessions)
	if codes != 0 || sessions != 0 {
		t.Errorf("%d recovery codes and %d sessions left, want none", codes, sessions)
	}
	// The server read the session a moment ago and may keep it a minute
	// (another process's write): past that, the session is over.
	e.Clock.Advance(61e9)
	if r := e.Get(t, c, "/profile"); r.StatusCode == http.StatusOK {
		t.Error("the session still works after reset-2fa")
	}
	c2 := e.Client(t)
	if r := e.Post(t, c2, "/login", url.Values{"email": {admin.Email}, "password": {apptest.AdminPassword}}); r.Header.Get("Location") != "/" {
		t.Errorf("sign in after reset-2fa: to %q, want no code step", r.Header.Get("Location"))
	}

	if _, _, err := runWith(t, map[string]string{"USHER_DATA_DIR": e.App.Config.DataDir}, "", "admin", "reset-2fa", "--email", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "nobody@example.com") {
		t.Errorf("unknown email: err %v", err)
	}
	if _, _, err := runWith(t, map[string]string{"USHER_DATA_DIR": e.App.Config.DataDir}, "", "admin", "reset-2fa"); err == nil || !strings.Contains(err.Error(), "--email") {
		t.Errorf("no email: err %v", err)
	}
}
