// Package signing holds the keys Usher signs its ID tokens with (Sign in
// with Usher, issue 21): generated into the data folder on first use,
// rotated by `usher keys rotate`, a retired key kept for verification (in
// the JWKS) until the tokens it signed have expired. The file is read
// again when it changes, so a server sees a rotation made by the command
// at its next signature.
package signing

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// FileName is the keys' file in the data folder.
const FileName = "signing-keys.json"

// KeepRetired is how long a retired key stays published: longer than any
// token it signed lives.
const KeepRetired = 24 * time.Hour

// Alg is the signature algorithm: RS256, which every OpenID Connect
// library verifies (the specification's mandatory one).
const Alg = jose.RS256

// Key is one signing key.
type Key struct {
	ID      string    `json:"kid"`
	Created time.Time `json:"created"`
	// Retired is when a newer key took over (zero: the current one).
	Retired time.Time `json:"retired,omitzero"`
	PEM     string    `json:"pem"` // PKCS #8
	private *rsa.PrivateKey
}

// Private is the key itself.
func (k *Key) Private() *rsa.PrivateKey { return k.private }

type file struct {
	Keys []*Key `json:"keys"`
}

// Set is the keys of a data folder, kept in memory while the file stands
// still.
type Set struct {
	path string
	// Keep is how long a retired key stays published: the longest life of
	// a token it signed.
	Keep time.Duration

	mu   sync.Mutex
	keys []*Key      // newest first
	info fs.FileInfo // of the file they were read from
}

// Open is the keys of dataDir, made (one key) if there are none yet.
func Open(dataDir string, keep time.Duration, now time.Time) (*Set, error) {
	s := &Set{path: filepath.Join(dataDir, FileName), Keep: keep}
	if _, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) {
		k, err := newKey(now)
		if err != nil {
			return nil, err
		}
		if err := write(s.path, []*Key{k}); err != nil {
			return nil, err
		}
	}
	if err := s.reload(); err != nil {
		return nil, err
	}
	return s, nil
}

func newKey(now time.Time) (*Key, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("making a signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("making a signing key: %w", err)
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	return &Key{ID: hex.EncodeToString(id), Created: now.UTC().Truncate(time.Second),
		PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), private: priv}, nil
}

// write replaces the file at path with keys, readable by its owner only,
// through a temporary file and a rename, so that a reader never sees half
// of it.
func write(path string, keys []*Key) error {
	b, err := json.MarshalIndent(file{Keys: keys}, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("writing the signing keys: %w", err)
	}
	return os.Rename(tmp, path)
}

func read(path string) ([]*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the signing keys: %w", err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("reading the signing keys (%s): %w", path, err)
	}
	for _, k := range f.Keys {
		block, _ := pem.Decode([]byte(k.PEM))
		if block == nil {
			return nil, fmt.Errorf("reading the signing keys: key %s is not PEM", k.ID)
		}
		p, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		rk, ok := p.(*rsa.PrivateKey)
		if err != nil || !ok {
			return nil, fmt.Errorf("reading the signing keys: key %s is not an RSA key", k.ID)
		}
		k.private = rk
	}
	if len(f.Keys) == 0 || !f.Keys[0].Retired.IsZero() {
		return nil, fmt.Errorf("reading the signing keys: %s has no current key", path)
	}
	return f.Keys, nil
}

// reload reads the file again if it changed since it was last read.
func (s *Set) reload() error {
	st, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("reading the signing keys: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Rotate renames a new file into place: another file, whatever its
	// time and size.
	if s.keys != nil && os.SameFile(s.info, st) && st.ModTime().Equal(s.info.ModTime()) && st.Size() == s.info.Size() {
		return nil
	}
	keys, err := read(s.path)
	if err != nil {
		return err
	}
	s.keys, s.info = keys, st
	return nil
}

// Current is the key to sign with now.
func (s *Set) Current() (*Key, error) {
	if err := s.reload(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[0], nil
}

// Public is the published keys (the JWKS): the current one and those
// retired less than Keep before now.
func (s *Set) Public(now time.Time) (jose.JSONWebKeySet, error) {
	if err := s.reload(); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var set jose.JSONWebKeySet
	for _, k := range s.keys {
		if !k.Retired.IsZero() && !now.Before(k.Retired.Add(s.Keep)) {
			continue
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.private.PublicKey, KeyID: k.ID, Algorithm: string(Alg), Use: "sig"})
	}
	return set, nil
}

// Rotate makes a new current key in dataDir's file, retiring the current
// one at now, and drops the keys retired more than keep before now. It
// gives the new key and those still published beside it. Safe while a
// server runs: it sees the new file at its next signature.
func Rotate(dataDir string, keep time.Duration, now time.Time) (*Key, []*Key, error) {
	path := filepath.Join(dataDir, FileName)
	keys, err := read(path)
	if errors.Is(err, fs.ErrNotExist) {
		keys, err = nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	k, err := newKey(now)
	if err != nil {
		return nil, nil, err
	}
	out := []*Key{k}
	for i, old := range keys {
		if i == 0 {
			old.Retired = now.UTC().Truncate(time.Second)
		}
		if now.Before(old.Retired.Add(keep)) {
			out = append(out, old)
		}
	}
	if err := write(path, out); err != nil {
		return nil, nil, err
	}
	return k, out[1:], nil
}
