package db

import (
	"context"
	"strconv"
	"testing"

	"github.com/usherhq/usher/internal/sessions"
)

// What the sign-in's activity row costs: a full session (the row
// written) against one waiting for its code (none), on a file database.
func BenchmarkSessionCreate(b *testing.B) {
	for _, c := range []struct {
		name    string
		pending bool
	}{{"with the row", false}, {"pending, no row", true}} {
		b.Run(c.name, func(b *testing.B) {
			f := newFixture(b)
			ss := NewSessionStore(f.db)
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				in := sessions.Session{UserID: f.admin.ID, CreatedAt: t0, LastSeenAt: t0, SecondFactorPending: c.pending,
					Browser: sessions.Browser{Name: "Firefox", OS: "Linux", Device: sessions.Desktop}}
				if _, err := ss.Create(ctx, in, []byte(strconv.Itoa(i))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
