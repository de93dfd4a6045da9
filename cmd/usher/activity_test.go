package main

import (
	"context"
	"slices"
	"testing"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/apptest"
)

// entries reads the whole log, oldest first.
func entries(t *testing.T, d *db.DB) []activity.Entry {
	t.Helper()
	p, err := db.NewActivityStore(d).List(context.Background(), activity.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(p.Entries)
	return p.Entries
}

// `usher admin create` writes the account and the administrator it
// creates, and `usher admin reset-2fa` the second factor turned off, each
// as the command line's, from no address; a reset of someone who had none
// writes nothing.
func TestAdminCommandsInTheActivityLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"USHER_DATA_DIR": dir, "USHER_ADMIN_PASSWORD": "correct horse battery staple"}
	if _, _, err := runWith(t, env, "", "admin", "create", "--email", "ana@example.com", "--name", "Ana Admin", "--account", "Acme"); err != nil {
		t.Fatal(err)
	}
	data := openData(t, dir)
	got := entries(t, data.DB)
	data.Close()
	var kinds []activity.Kind
	for _, e := range got {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Equal(kinds, []activity.Kind{activity.AccountCreated, activity.UserCreated}) {
		t.Fatalf("admin create wrote %v, want the account and the user created", kinds)
	}
	for _, e := range got {
		if e.ActorID != 0 || e.ActorName != "command line" || e.IP != "" {
			t.Errorf("%s: actor %d %q from %q, want the command line", e.Kind, e.ActorID, e.ActorName, e.IP)
		}
	}
	if got[1].SubjectName != "Ana Admin" || got[1].SubjectEmail != "ana@example.com" || got[1].SubjectID == 0 {
		t.Errorf("user created: subject %d %q %q", got[1].SubjectID, got[1].SubjectName, got[1].SubjectEmail)
	}

	e := apptest.New(t, apptest.Options{})
	admin := e.SetupAdmin(t)
	ctx := context.Background()
	tf := e.App.Web.TwoFactor
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
	before := len(entries(t, e.App.DB))
	for range 2 { // the second finds none to remove
		if _, _, err := runWith(t, map[string]string{"USHER_DATA_DIR": e.App.Config.DataDir}, "", "admin", "reset-2fa", "--email", admin.Email); err != nil {
			t.Fatal(err)
		}
	}
	got = entries(t, e.App.DB)[before:]
	if len(got) != 1 || got[0].Kind != activity.UserTwoFactorOff {
		t.Fatalf("reset-2fa twice wrote %d entries, want one two_factor_off", len(got))
	}
	if x := got[0]; x.ActorName != "command line" || x.ActorID != 0 || x.SubjectID != admin.ID || x.SubjectEmail != admin.Email || x.SubjectName != admin.Name {
		t.Errorf("reset-2fa: %+v", x)
	}
}
