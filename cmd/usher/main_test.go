package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/app"
)

// openData opens dir through the composition root, as the commands do, to
// read what a command left there.
func openData(t *testing.T, dir string) *app.Data {
	t.Helper()
	data, err := app.Open(context.Background(), dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// runWith runs the program with env as its whole environment.
func runWith(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestVersion(t *testing.T) {
	out, _, err := runWith(t, nil, "", "version")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^usher \S+ \(go[^,]+, \w+/\w+\)\n$`).MatchString(out) || !strings.Contains(out, version) {
		t.Errorf("version printed %q", out)
	}
}

func TestUnknownCommand(t *testing.T) {
	_, stderr, err := runWith(t, nil, "", "frobnicate")
	if err == nil || !strings.Contains(err.Error(), `"frobnicate"`) || !strings.Contains(stderr, "usher admin create") {
		t.Errorf("err %v, stderr %q: want the command named and the usage", err, stderr)
	}
	if _, _, err := runWith(t, nil, "", "admin", "delete"); err == nil || !strings.Contains(err.Error(), "usher admin create") {
		t.Errorf("admin delete: err %v, want a pointer to admin create", err)
	}
}

// Bad settings stop serve before it touches anything, naming the setting.
func TestServeRefusesBadSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"ttl env", map[string]string{"USHER_INVITE_TTL": "soon"}, nil, "USHER_INVITE_TTL"},
		{"ttl flag", nil, []string{"--invite-ttl", "soon"}, "USHER_INVITE_TTL"},
		{"ttl negative", map[string]string{"USHER_INVITE_TTL": "-1h"}, nil, "USHER_INVITE_TTL"},
		{"addr", map[string]string{"USHER_ADDR": "nonsense"}, nil, "USHER_ADDR"},
		{"smtp", map[string]string{"USHER_SMTP_URL": "ftp://mail.example"}, nil, "USHER_SMTP_URL"},
		{"base url", map[string]string{"USHER_BASE_URL": "not a url"}, nil, "USHER_BASE_URL"},
		{"require 2fa", map[string]string{"USHER_REQUIRE_2FA": "admin"}, nil, "USHER_REQUIRE_2FA"},
		{"require 2fa flag", nil, []string{"--require-2fa", "yes"}, "USHER_REQUIRE_2FA"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			env := map[string]string{"USHER_DATA_DIR": dir, "USHER_ADDR": "127.0.0.1:0"}
			for k, v := range c.env {
				env[k] = v
			}
			_, _, err := runWith(t, env, "", append([]string{"serve"}, c.args...)...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want one naming %s", err, c.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("serve created the data folder before refusing its settings")
			}
		})
	}
	// serve is the default command.
	_, _, err := runWith(t, map[string]string{"USHER_DATA_DIR": t.TempDir(), "USHER_INVITE_TTL": "soon"}, "")
	if err == nil || !strings.Contains(err.Error(), "USHER_INVITE_TTL") {
		t.Errorf("no command: err %v, want serve's settings error", err)
	}
}

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	env := map[string]string{"USHER_DATA_DIR": t.TempDir()}
	first, _, err := runWith(t, env, "", "migrate")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^database is at version [1-9]\d*\n$`).MatchString(first) {
		t.Fatalf("migrate printed %q", first)
	}
	second, stderr, err := runWith(t, env, "", "migrate")
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Errorf("migrating again printed %q, then %q", first, second)
	}
	if strings.Contains(stderr, "migration applied") {
		t.Errorf("the second migrate applied migrations again:\n%s", stderr)
	}
	// The flag works as well as the variable.
	dir := t.TempDir()
	if out, _, err := runWith(t, nil, "", "migrate", "--data-dir", dir); err != nil || out != first {
		t.Errorf("migrate --data-dir: %q, %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(dir, db.FileName)); err != nil {
		t.Errorf("migrate --data-dir did not make the database there: %v", err)
	}
}

func TestAdminCreate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const pw = "a long enough passphrase"
	env := map[string]string{"USHER_DATA_DIR": dir, "USHER_ADMIN_PASSWORD": pw}

	for _, c := range []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
		want  string
	}{
		{"no email", env, "", []string{"--name", "Ana"}, "--email and --name are required"},
		{"no account yet", env, "", []string{"--email", "ana@example.com", "--name", "Ana"}, "There is no account yet"},
		{"short password", map[string]string{"USHER_DATA_DIR": dir, "USHER_ADMIN_PASSWORD": "short"}, "", []string{"--email", "ana@example.com", "--name", "Ana", "--account", "Acme"}, "at least 12 characters"},
		{"common password", map[string]string{"USHER_DATA_DIR": dir, "USHER_ADMIN_PASSWORD": "1qaz2wsx3edc"}, "", []string{"--email", "ana@example.com", "--name", "Ana", "--account", "Acme"}, "commonly used"},
		{"bad email", env, "", []string{"--email", "Ana <ana@example.com>", "--name", "Ana", "--account", "Acme"}, "is not an email address"},
		{"no password anywhere", map[string]string{"USHER_DATA_DIR": dir}, "", []string{"--email", "ana@example.com", "--name", "Ana", "--account", "Acme"}, "USHER_ADMIN_PASSWORD"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := runWith(t, c.env, c.stdin, append([]string{"admin", "create"}, c.args...)...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want one saying %q", err, c.want)
			}
		})
	}

	out, _, err := runWith(t, env, "", "admin", "create", "--email", "Ana@Example.com", "--name", "Ana Admin", "--account", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if out != "Created account administrator Ana Admin <ana@example.com>.\n" {
		t.Errorf("admin create printed %q", out)
	}
	// A second administrator, with the password typed on standard input.
	if _, _, err := runWith(t, map[string]string{"USHER_DATA_DIR": dir}, "another long passphrase\n", "admin", "create", "--email", "bo@example.com", "--name", "Bo"); err != nil {
		t.Fatalf("second admin from stdin: %v", err)
	}
	if _, _, err := runWith(t, env, "", "admin", "create", "--email", "ANA@example.com", "--name", "Ana Again"); err == nil || !strings.Contains(err.Error(), "already has an account") {
		t.Errorf("the same email twice: err %v", err)
	}

	data := openData(t, dir)
	defer data.Close()
	us := data.Users
	ctx := context.Background()
	for email, password := range map[string]string{"ana@example.com": pw, "bo@example.com": "another long passphrase"} {
		u, err := us.Authenticate(ctx, email, password)
		if err != nil {
			t.Fatalf("%s cannot sign in: %v", email, err)
		}
		access, err := us.Access(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if !access.AccountAdmin {
			t.Errorf("%s is not an account administrator", email)
		}
	}
	if need, err := us.NeedsSetup(ctx); err != nil || need {
		t.Errorf("after admin create, setup should be closed (needs setup %v, err %v)", need, err)
	}
	acc, err := us.Account(ctx)
	if err != nil || acc.Name != "Acme" {
		t.Errorf("account %q, err %v; want Acme", acc.Name, err)
	}
}
