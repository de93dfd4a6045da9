package apitokens

import (
	"bytes"
	"context"
	"time"

	"github.com/usherhq/usher/internal/errs"
)

// A request sent with an Idempotency-Key is done once per token and key:
// a retry (after a timeout, a dropped connection) gets the first answer
// again, and nothing is sent twice.

// Answer is the first answer to a request with an Idempotency-Key.
type Answer struct {
	Status int
	Body   []byte
}

// Kept is what is kept of a key: the request's fingerprint, and its
// answer once there is one (Status 0: still running, or cut off).
type Kept struct {
	Request []byte
	Answer
}

// IdempotencyStore keeps the keys (db.APITokenStore).
type IdempotencyStore interface {
	// Claim keeps key for request unless it is kept already (claimed
	// false, with what is kept), dropping keys kept before before.
	Claim(ctx context.Context, tokenID int64, key string, request []byte, at, before time.Time) (Kept, bool, error)
	Finish(ctx context.Context, tokenID int64, key string, a Answer) error
	Forget(ctx context.Context, tokenID int64, key string) error
}

// keyKeptFor is how long a key's answer is kept.
const keyKeptFor = 24 * time.Hour

// Begin claims key for a request whose fingerprint is request: nil when
// it is the first (do it, then Finish), or the first's answer. A key
// used for another request is Invalid; one whose request is still running
// (or was cut off by a crash: whether it was done is not known) is
// Conflict.
func (s *Service) Begin(ctx context.Context, tokenID int64, key string, request []byte) (*Answer, error) {
	now := s.clock.Now()
	kept, claimed, err := s.keys.Claim(ctx, tokenID, key, request, now, now.Add(-keyKeptFor))
	switch {
	case err != nil:
		return nil, err
	case claimed:
		return nil, nil
	case !bytes.Equal(kept.Request, request):
		return nil, errs.FieldT("Idempotency-Key", "api.err.idempotency_other")
	case kept.Status == 0:
		return nil, errs.T(errs.Conflict, "api.err.idempotency_running")
	}
	return &kept.Answer, nil
}

// Finish keeps the answer to key's request.
func (s *Service) Finish(ctx context.Context, tokenID int64, key string, status int, body []byte) error {
	return s.keys.Finish(ctx, tokenID, key, Answer{Status: status, Body: body})
}

// Forget lets key be used again: its request did nothing.
func (s *Service) Forget(ctx context.Context, tokenID int64, key string) error {
	return s.keys.Forget(ctx, tokenID, key)
}
