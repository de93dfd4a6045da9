package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/errs"
)

func TestCheckNewPassword(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		ok   bool
	}{
		{"empty", "", false},
		{"11 characters", "abcdefghijk", false},
		{"12 characters", "correcthorse", true},
		{"12 characters, some multi-byte", "żółwżółwżółw", true},
		{"11 characters, many bytes", "żółwżółwżół", false},
		{"1024 bytes", strings.Repeat("a", 1024), true},
		{"1025 bytes", strings.Repeat("a", 1025), false},
		{"common, 12 characters", "1qaz2wsx3edc", false},
		{"common, other case", "1QAZ2WSX3EDC", false},
		{"common, 12 characters", "qwerty123456", false},
		{"passphrase", "plum tractor gently sings", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckNewPassword(tc.pw)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok {
				if err == nil {
					t.Fatal("accepted")
				}
				var e *errs.Error
				if !errors.As(err, &e) || e.Code != errs.Invalid || e.Field != "password" {
					t.Errorf("err = %v, want an Invalid error on the password field", err)
				}
			}
		})
	}
}

// The shipped list must hold entries long enough to matter.
func TestCommonListLoaded(t *testing.T) {
	if n := len(common()); n < 100 {
		t.Errorf("only %d common passwords of 12 or more characters loaded", n)
	}
	for w := range common() {
		if strings.HasPrefix(w, "#") || len([]rune(w)) < MinPasswordLen {
			t.Errorf("unexpected entry %q", w)
		}
	}
}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(2)
	hash, err := h.Hash(ctx, "plum tractor gently sings")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, "plum") {
		t.Errorf("hash = %q, want a PHC argon2id string without the password", hash)
	}
	tests := []struct {
		name string
		pw   string
		hash string
		want bool
	}{
		{"right password", "plum tractor gently sings", hash, true},
		{"wrong password", "plum tractor gently sang", hash, false},
		{"empty hash", "plum tractor gently sings", "", false},
		{"too long", strings.Repeat("a", MaxPasswordLen+1), hash, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := h.Verify(ctx, tc.pw, tc.hash)
			if err != nil || ok != tc.want {
				t.Errorf("Verify = %v, %v; want %v", ok, err, tc.want)
			}
		})
	}
	if _, err := h.Verify(ctx, "x", "not a hash"); err == nil {
		t.Error("Verify against garbage: no error")
	}
}

// A cancelled context gives up waiting for a slot instead of hashing.
func TestHasherHonoursContext(t *testing.T) {
	h := NewHasher(1)
	h.slots <- struct{}{} // every slot taken
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "plum tractor gently sings"); err == nil {
		t.Error("Hash with a cancelled context and no free slot: no error")
	}
	if _, err := h.Verify(ctx, "x", "y"); err == nil {
		t.Error("Verify with a cancelled context and no free slot: no error")
	}
}

func TestLinks(t *testing.T) {
	l := NewLinks([]byte(strings.Repeat("k", 32)))
	other := NewLinks([]byte(strings.Repeat("o", 32)))
	n1, n2 := NewNonce(), NewNonce()
	if len(n1) != NonceSize || string(n1) == string(n2) {
		t.Fatalf("nonces %x and %x: want two different %d-byte values", n1, n2, NonceSize)
	}

	tok := l.Token("invite", n1)
	if tok != l.Token("invite", n1) {
		t.Error("same nonce, same purpose: different tokens")
	}
	for name, other := range map[string]string{
		"other nonce":   l.Token("invite", n2),
		"other purpose": l.Token("reset", n1),
		"other key":     other.Token("invite", n1),
	} {
		if other == tok {
			t.Errorf("%s gives the same token", name)
		}
	}
	if !WellFormed(tok) {
		t.Errorf("WellFormed(%q) = false", tok)
	}
	if h := TokenHash("invite", tok); string(h) == tok || len(h) != 32 || string(h) != string(TokenHash("invite", tok)) {
		t.Errorf("TokenHash is not a stable 32-byte digest")
	}

	bad := map[string]string{
		"empty":         "",
		"10KB":          strings.Repeat("A", 10<<10),
		"one short":     tok[:len(tok)-1],
		"one long":      tok + "A",
		"not base64url": strings.Repeat("!", len(tok)),
		"std base64":    "+" + tok[1:],
		"padding":       tok[:len(tok)-1] + "=",
		"path":          "../../../../etc/passwd" + strings.Repeat("a", len(tok)-22),
	}
	for name, s := range bad {
		if WellFormed(s) {
			t.Errorf("%s: WellFormed(%q) = true", name, s)
		}
	}
}

func TestSecret(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, err := Secret(dir, "link", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(key) < 32 {
		t.Errorf("generated key has %d bytes, want at least 32", len(key))
	}
	path := filepath.Join(dir, "link.key")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}

	again, err := Secret(dir, "link", "")
	if err != nil || string(again) != string(key) {
		t.Errorf("second start: key %x, %v; want the same key %x", again, err, key)
	}
	if other, _ := Secret(dir, "session", ""); string(other) == string(key) {
		t.Error("two names share one key")
	}

	env := strings.Repeat("e", 40)
	fromEnv, err := Secret(dir, "link", env)
	if err != nil || string(fromEnv) != env {
		t.Errorf("with the variable set: key %q, %v; want the variable", fromEnv, err)
	}
	if _, err := Secret(t.TempDir(), "fresh", env); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(filepath.Join(dir, "bad.key"), []byte("not hex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Secret(dir, "bad", ""); err == nil || !strings.Contains(err.Error(), "bad.key") {
		t.Errorf("damaged key file: err = %v, want one naming the file", err)
	}
}

// The variable wins without touching the data folder at all.
func TestSecretFromEnvWritesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Secret(dir, "link", strings.Repeat("e", 40)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "link.key")); !os.IsNotExist(err) {
		t.Errorf("link.key written although the variable was set: %v", err)
	}
}
