package web_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apitokens"
	"github.com/usherhq/usher/internal/apptest"
)

// BenchmarkAPIUsers asks GET /api/v1/users with a token, in the process
// (middleware to last byte, no network), at 100,000 demo users:
//
//	go test ./web -run '^$' -bench APIUsers -benchtime 2000x
//
// "first page" is the first 50 by name; "next page" follows the cursor
// the page before gave, through the whole list; "cursor anywhere" starts
// at a random user's place each time (every request a new address);
// "search typed" is a search as one types it, a new query each time.
// -short skips it (the seed takes some 15 s).
func BenchmarkAPIUsers(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 100,000 users; not with -short")
	}
	e := seededEnv(b, 100_000)
	admin, err := e.App.Users.GetByEmail(b.Context(), apptest.AdminEmail)
	if err != nil {
		b.Fatal(err)
	}
	access, err := e.App.Users.Access(b.Context(), admin)
	if err != nil {
		b.Fatal(err)
	}
	_, token, err := e.App.APITokens.Create(b.Context(), admin, access, apitokens.CreateInput{Name: "bench", Days: 30, Scopes: []apitokens.Scope{apitokens.UsersRead}})
	if err != nil {
		b.Fatal(err)
	}
	handler := e.Server.Config.Handler
	n := 0
	get := func(b *testing.B, path string) []byte {
		if n++; n%1000 == 0 {
			e.Clock.Advance(time.Minute) // the token's limit is per minute
		}
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: status %d\n%s", path, rec.Code, rec.Body)
		}
		body, _ := io.ReadAll(rec.Body)
		return body
	}
	// Cursors at random users' places, made as the API makes them.
	var ids []struct {
		ID          int64
		Name, Email string
	}
	rows, err := e.App.DB.R.Query(`SELECT id, name, email FROM users`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var r struct {
			ID          int64
			Name, Email string
		}
		if err := rows.Scan(&r.ID, &r.Name, &r.Email); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, r)
	}
	rows.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	cursorAt := func() string {
		r := ids[rng.IntN(len(ids))]
		key := r.Name
		if key == "" {
			key = r.Email
		}
		raw, _ := json.Marshal(map[string]any{"s": "name", "i": r.ID, "k": key})
		return base64.RawURLEncoding.EncodeToString(raw)
	}
	searches := []string{"j", "jo", "joh", "john", "m", "ma", "mar", "mart", "s", "so", "son", "a", "an", "ann", "anna"}

	b.Run("first page", func(b *testing.B) {
		for b.Loop() {
			get(b, "/api/v1/users?limit=50")
		}
	})
	b.Run("next page", func(b *testing.B) {
		next := ""
		for b.Loop() {
			var p struct{ Next string }
			if err := json.Unmarshal(get(b, "/api/v1/users?limit=50&cursor="+next), &p); err != nil {
				b.Fatal(err)
			}
			next = p.Next // "" at the end: the first page again
		}
	})
	b.Run("cursor anywhere", func(b *testing.B) {
		for b.Loop() {
			get(b, "/api/v1/users?limit=50&cursor="+cursorAt())
		}
	})
	b.Run("search typed", func(b *testing.B) {
		i := 0
		for b.Loop() {
			get(b, fmt.Sprintf("/api/v1/users?limit=50&q=%s&status=active", searches[i%len(searches)]))
			i++
		}
	})
}
