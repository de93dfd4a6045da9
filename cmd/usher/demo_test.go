package main

import (
	"context"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"USHER_DATA_DIR": dir}

	// --activity is a million entries unless told: a few thousand here.
	out, _, err := runWith(t, env, "", "demo", "--users", "200", "--activity", "5000")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"200 users:", "admin@example.com", `"` + demoPassword + `"`, " activity log entries"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo printed %q, want it to mention %s", out, want)
		}
	}

	// A data folder with users is refused, unless --force replaces it.
	if _, _, err := runWith(t, env, "", "demo", "--users", "50"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("demo on a folder with users: err %v, want a refusal naming --force", err)
	}
	env["USHER_ADMIN_PASSWORD"] = "another demo passphrase"
	out, _, err = runWith(t, env, "", "demo", "--users", "50", "--force", "--account", "Contoso Clinics", "--activity", "0")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, env["USHER_ADMIN_PASSWORD"]) || !strings.Contains(out, "USHER_ADMIN_PASSWORD") {
		t.Errorf("demo printed %q: a password from the environment is named, not shown", out)
	}

	data := openData(t, dir)
	defer data.Close()
	var n int
	if err := data.DB.R.QueryRow(`SELECT count(*) FROM users`).Scan(&n); err != nil || n != 50 {
		t.Errorf("after --force: %d users (%v), want the 50 of the new demo", n, err)
	}
	if err := data.DB.R.QueryRow(`SELECT count(*) FROM activity WHERE kind = 'signin.succeeded'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("--activity 0: %d sign-ins (%v), want the lives alone", n, err)
	}
	us := data.Users
	admin, err := us.Authenticate(context.Background(), "admin@example.com", env["USHER_ADMIN_PASSWORD"])
	if err != nil {
		t.Fatalf("signing in as the demo administrator: %v", err)
	}
	acc, err := us.Account(context.Background())
	if err != nil || acc.Name != "Contoso Clinics" {
		t.Errorf("account %q (%v), want Contoso Clinics", acc.Name, err)
	}
	if access, err := us.Access(context.Background(), admin); err != nil || !access.AccountAdmin {
		t.Errorf("the demo administrator is not an account administrator (%v)", err)
	}
}

func TestDemoRefusesBadInput(t *testing.T) {
	t.Parallel()
	env := map[string]string{"USHER_DATA_DIR": t.TempDir()}
	if _, _, err := runWith(t, env, "", "demo", "--users", "0"); err == nil || !strings.Contains(err.Error(), "--users") {
		t.Errorf("--users 0: err %v", err)
	}
	env["USHER_ADMIN_PASSWORD"] = "short"
	if _, _, err := runWith(t, env, "", "demo", "--users", "5", "--activity", "-1"); err == nil || !strings.Contains(err.Error(), "--activity") {
		t.Errorf("demo --activity -1: err %v, want a refusal naming --activity", err)
	}
	if _, _, err := runWith(t, env, "", "demo", "--users", "5"); err == nil || !strings.Contains(err.Error(), "USHER_ADMIN_PASSWORD") {
		t.Errorf("short password: err %v", err)
	}
}
