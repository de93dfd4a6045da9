package main

import (
	"strings"
	"testing"
)

// `usher admin create` cleans the account name as the setup page does, and
// the administrator's name as every form does: a line separator in
// --account or a right-to-left override in --name is refused with a
// sentence saying so, and nothing is stored. `usher demo --account` is
// refused the same way before it touches the data folder, so --force
// replaces nothing.
//
// ASVS 5.0: V2.2.1, V1.3.11
func TestAdminCreateRefusesInvisibleCharacters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"USHER_DATA_DIR": dir, "USHER_ADMIN_PASSWORD": "a long enough passphrase"}
	const (
		lineSep  = "The account name contains a line break. Type it again."
		override = "The name contains an invisible character that changes the order of the text around it (U+202E). Type it again."
	)
	for _, c := range []struct {
		name, account, person, want string
	}{
		{"line separator in --account", "Acme\u2028Clinics", "Ana Admin", lineSep},
		{"override in --name", "Acme Clinics", "Ana\u202enimdA", override},
		{"both", "Acme\u2028Clinics", "Ana\u202enimdA", lineSep},
	} {
		_, _, err := runWith(t, env, "", "admin", "create", "--email", "ana@example.com", "--name", c.person, "--account", c.account)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
	stored := func(when string, want int) {
		t.Helper()
		data := openData(t, dir)
		defer data.Close()
		var n int
		if err := data.DB.R.QueryRow(`SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM spaces)`).Scan(&n); err != nil || n != want {
			t.Errorf("%s: %d users and spaces (%v), want %d", when, n, err, want)
		}
	}
	stored("after the refusals", 0)

	if _, _, err := runWith(t, env, "", "admin", "create", "--email", "ana@example.com", "--name", "Ana Admin", "--account", "Acme Clinics"); err != nil {
		t.Fatal(err)
	}
	_, _, err := runWith(t, env, "", "demo", "--users", "10", "--force", "--activity", "0", "--account", "Contoso\u202e")
	if want := "--account: The account name contains an invisible character that changes the order of the text around it (U+202E). Type it again."; err == nil || err.Error() != want {
		t.Errorf("demo --account with an override: err %v, want %q", err, want)
	}
	stored("after the refused demo", 2) // Ana and her account, not replaced
	if _, _, err := runWith(t, env, "", "demo", "--users", "10", "--force", "--activity", "0", "--account", "Contoso\u2028"); err == nil || !strings.Contains(err.Error(), "line break") {
		t.Errorf("demo --account with a line separator: err %v, want a refusal", err)
	}
}
