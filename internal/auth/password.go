// Package auth holds the rules for secrets: password hashing and checking,
// invitation link tokens, and the keys behind them.
package auth

import (
	"bufio"
	"context"
	_ "embed"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	"github.com/usherhq/usher/internal/errs"
)

const (
	MinPasswordLen = 12   // characters
	MaxPasswordLen = 1024 // bytes accepted before hashing
)

// OWASP's argon2id parameters: 19 MiB, 2 iterations, 1 lane.
var params = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// cheapParams are argon2id's lowest costs (8 KiB, one pass), for tests:
// hundreds of sign-ins at OWASP's cost are most of the test suite's time.
var cheapParams = &argon2id.Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

//go:embed common-passwords.txt
var commonList string

var common = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 512)
	sc := bufio.NewScanner(strings.NewReader(commonList))
	for sc.Scan() {
		// Shorter entries are refused by length already; keep only the rest.
		if w := strings.TrimSpace(sc.Text()); utf8.RuneCountInString(w) >= MinPasswordLen && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = struct{}{}
		}
	}
	return m
})

// CheckNewPassword says what is wrong with a password someone wants to set:
// too short, too long or too common. No composition rules (NIST 800-63B).
func CheckNewPassword(pw string) error {
	switch {
	case len(pw) > MaxPasswordLen:
		return errs.FieldT("password", "err.auth.password_too_long", "Max", strconv.Itoa(MaxPasswordLen)) // "1024", not "1,024": a limit in bytes
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return errs.FieldT("password", "err.auth.password_too_short", "Min", MinPasswordLen)
	}
	if _, ok := common()[strings.ToLower(pw)]; ok {
		return errs.FieldT("password", "err.auth.password_common")
	}
	return nil
}

// Hasher hashes and verifies passwords, allowing only a few argon2id runs at
// once so a burst of sign-ins cannot exhaust memory (19 MiB each).
type Hasher struct {
	slots  chan struct{}
	params *argon2id.Params
	// dummy is verified against when there is no user, so that sign-in
	// takes the same time whether or not the email exists.
	dummy func() string
	// started, when set, is called as each argon2id run begins, with its
	// slot held: tests count the runs in progress with it.
	started func()
}

// NewHasher allows n concurrent hashes.
func NewHasher(n int) *Hasher { return newHasher(n, params) }

// NewCheapHasher is NewHasher at argon2id's lowest cost, so that tests
// sign in by the hundred without spending their time hashing. Passwords
// hashed with it are as good as unhashed: never use it for real ones. It
// verifies hashes of any cost, each at the cost it was made with.
func NewCheapHasher(n int) *Hasher { return newHasher(n, cheapParams) }

func newHasher(n int, p *argon2id.Params) *Hasher {
	if n < 1 {
		n = 1
	}
	return &Hasher{
		slots:  make(chan struct{}, n),
		params: p,
		dummy: sync.OnceValue(func() string {
			s, _ := argon2id.CreateHash("usher-dummy-password", p)
			return s
		}),
	}
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errs.Wrap(ctx.Err(), "waiting to hash a password")
	}
}

func (h *Hasher) start() {
	if h.started != nil {
		h.started()
	}
}

// Hash returns the PHC-encoded argon2id hash of pw.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer func() { <-h.slots }()
	h.start()
	s, err := argon2id.CreateHash(pw, h.params)
	return s, errs.Wrap(err, "hashing password")
}

// Verify reports whether pw matches hash. An empty hash (no such user, or
// no password yet) still costs one argon2id run and returns false.
func (h *Hasher) Verify(ctx context.Context, pw, hash string) (bool, error) {
	if len(pw) > MaxPasswordLen {
		return false, nil
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer func() { <-h.slots }()
	h.start()
	if hash == "" {
		_, _ = argon2id.ComparePasswordAndHash(pw, h.dummy())
		return false, nil
	}
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	if err != nil {
		return false, errs.Wrap(err, "verifying password")
	}
	return ok, nil
}
