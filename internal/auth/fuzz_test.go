package auth

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// Token parsing never panics, and whatever passes WellFormed is exactly
// one 32-byte HMAC in URL-safe base64: nothing that could carry a path,
// a query or padding into a URL or a database lookup.
//
// ASVS 5.0: V2.2.1 (input validated before use), V6.4.1 (activation
// codes).
func FuzzWellFormed(f *testing.F) {
	links := NewLinks(bytes.Repeat([]byte{7}, 32))
	f.Add(links.Token("usher invitation link v1", bytes.Repeat([]byte{1}, NonceSize)))
	f.Add("")
	f.Add(strings.Repeat("A", tokenLen))
	f.Add(strings.Repeat("A", tokenLen-1) + "=")
	f.Add("../../../../etc/passwd" + strings.Repeat("a", tokenLen-22))
	f.Fuzz(func(t *testing.T, token string) {
		if !WellFormed(token) {
			return
		}
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) != 32 || len(token) != tokenLen {
			t.Fatalf("WellFormed(%q) = true, but it decodes to %d bytes (err %v)", token, len(raw), err)
		}
		if strings.ContainsAny(token, "/?#%.+=&\\ \r\n\x00") {
			t.Fatalf("WellFormed(%q) = true for a token with URL or path syntax", token)
		}
		h1, h2 := TokenHash("invite", token), TokenHash("invite", token)
		if len(h1) != 32 || !bytes.Equal(h1, h2) || bytes.Equal(h1, TokenHash("reset", token)) {
			t.Fatalf("TokenHash(%q): not a stable, purpose-bound 32-byte digest", token)
		}
	})
}

// Any key, purpose and nonce give a well-formed token that is stable and
// bound to its purpose: the same nonce under another purpose gives
// another token, and the stored hashes of the two differ too.
//
// ASVS 5.0: V6.4.1, V9.2.3 by analogy (a token is accepted only for the
// purpose it was issued for).
func FuzzLinkRoundTrip(f *testing.F) {
	f.Add(bytes.Repeat([]byte{7}, 32), "usher invitation link v1", bytes.Repeat([]byte{1}, NonceSize))
	f.Add([]byte{}, "", []byte{})
	f.Add(bytes.Repeat([]byte{0}, 64), "usher password reset link v1", []byte("\x00"))
	f.Fuzz(func(t *testing.T, key []byte, purpose string, nonce []byte) {
		l := NewLinks(key)
		tok := l.Token(purpose, nonce)
		if !WellFormed(tok) {
			t.Fatalf("Token(%q, %x) = %q is not WellFormed", purpose, nonce, tok)
		}
		if tok != l.Token(purpose, nonce) {
			t.Fatal("the same key, purpose and nonce gave two tokens")
		}
		other := purpose + " other"
		if tok == l.Token(other, nonce) {
			t.Fatalf("purposes %q and %q give the same token", purpose, other)
		}
		if bytes.Equal(TokenHash(purpose, tok), TokenHash(other, tok)) {
			t.Fatalf("purposes %q and %q store the same hash", purpose, other)
		}
	})
}
