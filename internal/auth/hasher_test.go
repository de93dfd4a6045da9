package auth

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// A burst of parallel hashes never runs more argon2id at once than the
// Hasher allows, so sign-ins cannot exhaust memory (19 MiB each). No
// timing: synctest.Wait returns once every goroutine is blocked, either
// inside a run (held there by the test) or waiting for a slot.
//
// ASVS 5.0: V11.4.2 (password hashing with a memory-hard KDF, parameters
// kept within what the server can afford) and V2.4.1 (anti-automation:
// bounded resource use under a burst).
func TestHasherBoundsConcurrentRuns(t *testing.T) {
	const limit, callers = 3, 12
	for name, call := range map[string]func(h *Hasher) error{
		"Hash": func(h *Hasher) error { _, err := h.Hash(context.Background(), "plum tractor gently sings"); return err },
		"Verify unknown user": func(h *Hasher) error {
			_, err := h.Verify(context.Background(), "plum tractor gently sings", "")
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := NewHasher(limit)
				var mu sync.Mutex
				running, peak, finished := 0, 0, 0
				gate := make(chan struct{})
				h.started = func() {
					mu.Lock()
					running++
					peak = max(peak, running)
					mu.Unlock()
					<-gate // held inside the run until the test lets go
					mu.Lock()
					running--
					finished++
					mu.Unlock()
				}
				var wg sync.WaitGroup
				for range callers {
					wg.Go(func() {
						if err := call(h); err != nil {
							t.Error(err)
						}
					})
				}
				for done := 0; done < callers; {
					synctest.Wait() // everyone is in a run or waiting for a slot
					mu.Lock()
					now := running
					mu.Unlock()
					want := min(limit, callers-done)
					if now != want {
						t.Fatalf("%d runs in progress at once, want %d (limit %d)", now, want, limit)
					}
					for range now {
						gate <- struct{}{}
					}
					done += now
				}
				wg.Wait()
				if peak != limit || finished != callers {
					t.Errorf("peak %d runs at once, %d finished; want peak %d and %d finished", peak, finished, limit, callers)
				}
			})
		})
	}
}

// Stored hashes are argon2id with OWASP's parameters (19 MiB, 2
// iterations, 1 lane) and a fresh 16-byte salt per password, so equal
// passwords never share a hash.
//
// ASVS 5.0: V11.4.2 (passwords stored with an approved, computationally
// intensive key derivation function with a salt).
func TestHashParameters(t *testing.T) {
	h := NewHasher(1)
	a, err := h.Hash(context.Background(), "plum tractor gently sings")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash(context.Background(), "plum tractor gently sings")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(a, "$") // "", argon2id, v=19, m=…,t=…,p=…, salt, key
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" || parts[3] != "m=19456,t=2,p=1" {
		t.Fatalf("hash %q: want $argon2id$v=19$m=19456,t=2,p=1$…", a)
	}
	if salt, err := base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(salt) != 16 {
		t.Errorf("salt %q: want 16 random bytes", parts[4])
	}
	if a == b || strings.Split(b, "$")[4] == parts[4] {
		t.Error("the same password hashed twice gave the same salt or hash")
	}
}

// The tests' hasher makes cheap hashes and still checks a production one
// at the cost written in it, so a test server reads passwords set by the
// real binary.
func TestCheapHasher(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cheap, err := NewCheapHasher(1).Hash(ctx, "plum tractor gently sings")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cheap, "$argon2id$v=19$m=8,t=1,p=1$") {
		t.Fatalf("cheap hash %q: want argon2id at 8 KiB, one pass", cheap)
	}
	real, err := NewHasher(1).Hash(ctx, "plum tractor gently sings")
	if err != nil {
		t.Fatal(err)
	}
	for _, hash := range []string{cheap, real} {
		if ok, err := NewCheapHasher(1).Verify(ctx, "plum tractor gently sings", hash); !ok || err != nil {
			t.Errorf("Verify(%.30s…) = %v, %v; want true", hash, ok, err)
		}
		if ok, err := NewHasher(1).Verify(ctx, "plum tractor gently sang", hash); ok || err != nil {
			t.Errorf("Verify of a wrong password against %.30s… = %v, %v; want false", hash, ok, err)
		}
	}
}
