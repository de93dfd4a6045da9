package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/signing"
)

// `usher keys rotate` makes a new signing key in the data folder and
// keeps the one it replaces published for verification; a set a server
// holds open signs with the new key at once.
func TestKeysRotateCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"USHER_DATA_DIR": dir}
	set, err := signing.Open(dir, signing.KeepRetired, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	before, err := set.Current()
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := runWith(t, env, "", "keys", "rotate")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^new signing key ([0-9a-f]{16})\nstill published for verification: ` + before.ID + ` \(retired [^,]+, until [^)]+\)\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output:\n%s", out)
	}
	if now, err := set.Current(); err != nil || now.ID != m[1] {
		t.Fatalf("the open set signs with %v, want %s (%v)", now, m[1], err)
	}
	if st, err := os.Stat(filepath.Join(dir, signing.FileName)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the keys' file: %v %v", err, st)
	}
	if _, _, err := runWith(t, env, "", "keys", "turn"); err == nil || !strings.Contains(err.Error(), "usher keys rotate") {
		t.Errorf("an unknown keys command: %v", err)
	}
}
