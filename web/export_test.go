package web

import (
	"errors"
	"time"
)

// This file gives the external tests (package web_test) a handle on the
// rate limits, so that they can read the real limits and shrink or widen
// one without waiting an hour or sending hundreds of requests. It is
// compiled into tests only.

func (s *Server) limiter(name string) **window {
	switch name {
	case "loginIP":
		return &s.limits.loginIP
	case "loginIPFailed":
		return &s.limits.loginIPFailed
	case "loginPair":
		return &s.limits.loginPair
	case "loginEmail":
		return &s.limits.loginEmail
	case "accept":
		return &s.limits.accept
	case "badToken":
		return &s.limits.badToken
	}
	panic("no rate limit named " + name)
}

// RateLimit returns the limit called name: at most max hits per period.
func (s *Server) RateLimit(name string) (max int, period time.Duration) {
	w := *s.limiter(name)
	return w.max, w.period
}

// SetRateLimit replaces the limit called name with a fresh one. Call it
// before the requests it should count.
func (s *Server) SetRateLimit(name string, max int, period time.Duration) {
	*s.limiter(name) = newWindow(max, period, s.Clock)
}

// sessionCodec is what the cookie store encodes sessions with
// (securecookie.Codec).
type sessionCodec interface {
	Encode(name string, value any) (string, error)
	Decode(name, value string, dst any) error
}

// unsaved reads sessions as before and refuses to write any.
type unsaved struct{ sessionCodec }

func (unsaved) Encode(string, any) (string, error) {
	return "", errors.New("this test's cookie store saves no session")
}

// BreakSessionSaving makes every session save fail from now on, while
// cookies already given still read: a failure after an action's commit,
// whatever its cause.
func (s *Server) BreakSessionSaving() {
	codecs := s.sessions.store.Codecs
	for i, c := range codecs {
		codecs[i] = unsaved{c}
	}
}

// KeptPagesGiven is how many users pages the server has given from what
// it kept; KeptUsersGiven, how many session checks.
func (s *Server) KeptPagesGiven() uint64 { return s.pages.hitCount() }
func (s *Server) KeptUsersGiven() uint64 { return s.who.hitCount() }

// KeptPagesMade is how many users pages the server has made to keep
// (claims won, memo.claim).
func (s *Server) KeptPagesMade() uint64 { return s.pages.claimCount() }
