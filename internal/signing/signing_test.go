package signing_test

import (
	"crypto/rsa"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/usherhq/usher/internal/signing"
)

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// Keys are made on first use, owner-only; a rotation (by the command,
// while a server has the set open) makes a new current key at once, keeps
// the old one published for as long as its tokens live, and then drops
// it; a token signed by either verifies against the published set.
func TestKeysRotate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	const keep = 24 * time.Hour
	set, err := signing.Open(dir, keep, t0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, signing.FileName))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("the keys' file: %v, mode %v", err, st.Mode())
	}
	first, err := set.Current()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := signing.Open(dir, keep, t0); func() string { k, _ := again.Current(); return k.ID }() != first.ID {
		t.Fatal("opening again made another key")
	}
	sign := func(k *signing.Key) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: signing.Alg, Key: jose.JSONWebKey{Key: k.Private(), KeyID: k.ID}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		jws, err := s.Sign([]byte(`{"sub":"1"}`))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := jws.CompactSerialize()
		return out
	}
	verifies := func(token string, pub jose.JSONWebKeySet) bool {
		jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{signing.Alg})
		if err != nil {
			t.Fatal(err)
		}
		keys := pub.Key(jws.Signatures[0].Header.KeyID)
		if len(keys) != 1 {
			return false
		}
		_, err = jws.Verify(keys[0].Key.(*rsa.PublicKey))
		return err == nil
	}
	old := sign(first)

	// The command rotates while the server's set is open.
	next, kept, err := signing.Rotate(dir, keep, t0.Add(time.Hour))
	if err != nil || len(kept) != 1 || kept[0].ID != first.ID {
		t.Fatalf("rotate: %v, kept %v", err, kept)
	}
	cur, err := set.Current()
	if err != nil || cur.ID != next.ID {
		t.Fatalf("the open set signs with %s, want the new %s (%v)", cur.ID, next.ID, err)
	}
	pub, err := set.Public(t0.Add(2 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := kids(pub); len(got) != 2 || got[0] != next.ID || got[1] != first.ID {
		t.Fatalf("published %v", got)
	}
	if !verifies(old, pub) || !verifies(sign(cur), pub) {
		t.Fatal("a token of the old or the new key does not verify against the published set")
	}
	for _, k := range pub.Keys {
		if !k.IsPublic() || k.Algorithm != "RS256" || k.Use != "sig" {
			t.Fatalf("a published key: public %v, alg %s, use %s", k.IsPublic(), k.Algorithm, k.Use)
		}
	}
	// Once its tokens have expired, the old key is not published, and the
	// next rotation drops it from the file.
	if pub, _ := set.Public(t0.Add(time.Hour + keep)); len(pub.Keys) != 1 || verifies(old, pub) {
		t.Fatalf("after keep: published %v", kids(pub))
	}
	_, kept, err = signing.Rotate(dir, keep, t0.Add(2*time.Hour+keep))
	if err != nil || len(kept) != 1 || kept[0].ID != next.ID {
		t.Fatalf("second rotate kept %v (%v)", kept, err)
	}
}
