package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// NonceSize is the random part of an invitation link: 128 bits.
const NonceSize = 16

// tokenLen is the length of an encoded link token (32 bytes, base64url).
const tokenLen = 43

// Links turns stored nonces into link tokens with a key that lives outside
// the database, so a copy of the database alone yields no working link, yet
// the link that was emailed can be shown again (Copy invitation link).
type Links struct{ key []byte }

// NewLinks uses key (at least 32 bytes).
func NewLinks(key []byte) *Links { return &Links{key: key} }

// NewNonce returns fresh randomness for a new link.
func NewNonce() []byte {
	b := make([]byte, NonceSize)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	return b
}

// Token returns the link token for nonce. The purpose string keeps
// invitation links apart from any other kind of link.
func (l *Links) Token(purpose string, nonce []byte) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(nonce)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// TokenHash is what the database stores to find a link's row.
func TokenHash(purpose, token string) []byte {
	h := sha256.New()
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(token))
	return h.Sum(nil)
}

// WellFormed reports whether s could be a link token at all, so garbage is
// refused before it touches the database.
func WellFormed(token string) bool {
	if len(token) != tokenLen {
		return false
	}
	// The decoder skips CR and LF, so only the decoded length shows that
	// every character was part of the token.
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	return err == nil && len(b) == sha256.Size
}

// NewSecret is a credential another program keeps (an API token, an app's
// client secret): prefix and 256 random bits, base64url, with the hash the
// database keeps instead of it (SecretHash).
func NewSecret(prefix string) (secret string, hash []byte) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(raw)
	return secret, SecretHash(secret)
}

// SecretHash is what the database keeps of a NewSecret. Its 256 random
// bits make a plain SHA-256 safe: unlike a password, it cannot be guessed.
func SecretHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}
