// Package sessions keeps the sign-ins of people as rows on the server:
// each one a random token the browser's cookie carries, of which the
// database holds only a hash, ended one by one, all but one, or all of a
// user's at once, and by the idle and absolute timeouts.
//
// A session started by the password alone, of a person who signs in with
// a second factor, carries a mark that its second factor is still to come
// (StartPending); the web layer lets it reach nothing but the code step,
// which replaces it with a full session.
package sessions

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// Session is one sign-in of a person.
type Session struct {
	ID         int64
	UserID     int64
	CreatedAt  time.Time // signed in
	LastSeenAt time.Time // written at most every TouchEvery
	IP         string
	UserAgent  string // as the browser sent it, cut to MaxUserAgent bytes
	Browser    Browser
	// SecondFactorPending marks a session started by the password alone,
	// of a person who signs in with a second factor: it reaches nothing
	// but the code step and sign-out.
	SecondFactorPending bool
	// SecondFactor is the second factor that completed the sign-in
	// ("code", "recovery"; "" for none), for its activity row: the
	// session's row does not keep it.
	SecondFactor string
}

// Device is the kind of device a browser runs on, as far as its
// User-Agent says.
type Device string

const (
	Desktop Device = "desktop"
	Phone   Device = "phone"
	Tablet  Device = "tablet"
	TV      Device = "tv"
	Bot     Device = "bot"
)

// Browser is what a User-Agent says, in names that need no translation
// ("Firefox", "Windows"); how they are put into words is the page's.
type Browser struct {
	Name   string // "" when unknown
	OS     string // "" when unknown; "iPhone" and "iPad" for iOS on each
	Device Device
}

// MaxUserAgent is how much of a User-Agent is kept.
const MaxUserAgent = 512

// TouchEvery is how often a session's last-seen time is written at most:
// often enough for the idle timeout and "last seen", rarely enough that a
// busy administrator does not write on every page.
const TouchEvery = 5 * time.Minute

// Store keeps sessions. Each method is one statement or transaction.
type Store interface {
	// Create stores a new session and sets its user's last sign-in, in one
	// transaction, with its activity row (a sign-in) unless the session
	// still waits for its second factor. NotFound when the user is gone.
	Create(ctx context.Context, s Session, tokenHash []byte) (Session, error)
	// ByTokenHash is the session whose token hashes to h (NotFound).
	ByTokenHash(ctx context.Context, h []byte) (Session, error)
	// Touch sets the session's last-seen time.
	Touch(ctx context.Context, id int64, at time.Time) error
	// OfUser lists the user's sessions, the most recently seen first.
	OfUser(ctx context.Context, userID int64) ([]Session, error)
	// Delete ends the user's session id, without an activity row (signing
	// out, a session replaced); NotFound when the user has none such
	// (someone else's id included).
	Delete(ctx context.Context, userID, id int64) error
	// End is Delete with its activity row at at: someone ended it.
	End(ctx context.Context, userID, id int64, at time.Time) error
	// DeleteOthers ends the user's sessions but keep, and says how many,
	// with an activity row at at when there were any.
	DeleteOthers(ctx context.Context, userID, keep int64, at time.Time) (int, error)
	// DeleteAll ends every session of the user, and says how many, with
	// an activity row at at when there were any.
	DeleteAll(ctx context.Context, userID int64, at time.Time) (int, error)
	// Refused writes the activity row of a refused sign-in.
	Refused(ctx context.Context, r Refusal) error
	// Purge deletes the sessions last seen before idle or created before
	// created, and says how many.
	Purge(ctx context.Context, idle, created time.Time) (int, error)
}

// Refusal is a sign-in refused.
type Refusal struct {
	At     time.Time
	UserID int64  // whom the email named; 0: nobody
	Email  string // as typed
	Reason string // users.Refused…
}

// Rows finds a user as an administrator's pages may show them (the
// users service: the same rule as the row actions).
type Rows interface {
	Row(ctx context.Context, access *spaces.Access, id int64) (users.Listed, error)
}

// Service starts, checks and ends sessions.
type Service struct {
	store     Store
	rows      Rows
	clock     clock.Clock
	idle, max time.Duration
}

// NewService ends sessions idle for idle, or older than max.
func NewService(store Store, rows Rows, clk clock.Clock, idle, max time.Duration) *Service {
	return &Service{store: store, rows: rows, clock: clk, idle: idle, max: max}
}

// MaxAge is the longest a session lives: the cookie's lifetime.
func (s *Service) MaxAge() time.Duration { return s.max }

// tokenBytes is a session token's randomness: 256 bits.
const tokenBytes = 32

// hash is what the database keeps of a token.
func hash(token string) []byte {
	sum := sha256.Sum256([]byte("usher session\x00" + token))
	return sum[:]
}

// Start signs userID in: a new session from ip with the browser's
// User-Agent ua, and its token for the cookie.
func (s *Service) Start(ctx context.Context, userID int64, ip, ua string) (Session, string, error) {
	return s.start(ctx, userID, ip, ua, false, "")
}

// StartPending is Start for a person who signs in with a second factor,
// after their password: the session reaches nothing but the code step
// until it is replaced by a full one.
func (s *Service) StartPending(ctx context.Context, userID int64, ip, ua string) (Session, string, error) {
	return s.start(ctx, userID, ip, ua, true, "")
}

// Complete is Start after the second factor (pending's code step), which
// was factor ("code", "recovery").
func (s *Service) Complete(ctx context.Context, userID int64, ip, ua, factor string) (Session, string, error) {
	return s.start(ctx, userID, ip, ua, false, factor)
}

func (s *Service) start(ctx context.Context, userID int64, ip, ua string, pending bool, factor string) (Session, string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return Session{}, "", errs.Wrap(err, "making a session token")
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	ua = cut(ua, MaxUserAgent)
	now := s.clock.Now()
	sess, err := s.store.Create(ctx, Session{UserID: userID, CreatedAt: now, LastSeenAt: now, IP: cut(ip, 64), UserAgent: ua, Browser: ParseBrowser(ua), SecondFactorPending: pending, SecondFactor: factor}, hash(token))
	return sess, token, err
}

// cut shortens s to at most n bytes, on a character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// ErrEnded is the answer for a token whose session is over or never was.
var ErrEnded = errs.T(errs.Unauthorized, "sessions.err.ended")

// Lookup is the session token names, whatever its age (Live judges that).
func (s *Service) Lookup(ctx context.Context, token string) (Session, error) {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return Session{}, ErrEnded
	}
	sess, err := s.store.ByTokenHash(ctx, hash(token))
	if errs.Is(err, errs.NotFound) {
		return Session{}, ErrEnded
	}
	return sess, err
}

// Live reports whether sess may still be used at now: seen within the idle
// timeout, started within the absolute one.
func (s *Service) Live(sess Session, now time.Time) bool {
	return now.Sub(sess.LastSeenAt) <= s.idle && now.Sub(sess.CreatedAt) <= s.max
}

// Seen notes that sess was used at now, writing it when the last write is
// TouchEvery old or more; it reports whether it wrote.
func (s *Service) Seen(ctx context.Context, sess Session, now time.Time) (bool, error) {
	if now.Sub(sess.LastSeenAt) < TouchEvery {
		return false, nil
	}
	return true, s.store.Touch(ctx, sess.ID, now)
}

// Mine lists the sessions of userID, the most recently seen first.
func (s *Service) Mine(ctx context.Context, userID int64) ([]Session, error) {
	return s.live(s.store.OfUser(ctx, userID))
}

// live drops the sessions that have timed out but are not purged yet.
func (s *Service) live(all []Session, err error) ([]Session, error) {
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := all[:0]
	for _, x := range all {
		if s.Live(x, now) {
			out = append(out, x)
		}
	}
	return out, nil
}

// End ends userID's own session id (404 for anyone else's), as the
// person does on their profile: the activity log says so.
func (s *Service) End(ctx context.Context, userID, id int64) error {
	err := s.store.End(ctx, userID, id, s.clock.Now())
	if errs.Is(err, errs.NotFound) {
		return errs.T(errs.NotFound, "sessions.err.no_such")
	}
	return err
}

// SignOut ends userID's own session id, as signing out or a new sign-in
// on the same browser does: nothing for the activity log (404 for anyone
// else's).
func (s *Service) SignOut(ctx context.Context, userID, id int64) error {
	err := s.store.Delete(ctx, userID, id)
	if errs.Is(err, errs.NotFound) {
		return errs.T(errs.NotFound, "sessions.err.no_such")
	}
	return err
}

// EndOthers ends every session of userID but keep, and says how many.
func (s *Service) EndOthers(ctx context.Context, userID, keep int64) (int, error) {
	return s.store.DeleteOthers(ctx, userID, keep, s.clock.Now())
}

// Refused notes a refused sign-in in the activity log: the email typed,
// whom it named (0: nobody) and why (users.Refused…).
func (s *Service) Refused(ctx context.Context, userID int64, email, reason string) error {
	return s.store.Refused(ctx, Refusal{At: s.clock.Now(), UserID: userID, Email: cut(email, MaxRefusedEmail), Reason: reason})
}

// MaxRefusedEmail is how much of the address a refused sign-in typed the
// log keeps: what is typed is anything, and no address is longer.
const MaxRefusedEmail = 254

// Of lists user id's sessions for an administrator with access, who must
// be able to see them on the users list (404 otherwise).
func (s *Service) Of(ctx context.Context, access *spaces.Access, id int64) (users.Listed, []Session, error) {
	l, err := s.rows.Row(ctx, access, id)
	if err != nil {
		return l, nil, err
	}
	list, err := s.live(s.store.OfUser(ctx, id))
	return l, list, err
}

// EndAllOf ends every session of user id for an administrator with access
// (the same visibility as Of), and says how many.
func (s *Service) EndAllOf(ctx context.Context, access *spaces.Access, id int64) (users.Listed, int, error) {
	l, err := s.rows.Row(ctx, access, id)
	if err != nil {
		return l, 0, err
	}
	n, err := s.store.DeleteAll(ctx, id, s.clock.Now())
	return l, n, err
}

// PurgeEvery is how often ended sessions are deleted.
const PurgeEvery = time.Hour

// Produce deletes the sessions that have timed out, and says when to
// look again. The email sender's loop runs it (a mail.Producer), as it
// runs the reminders.
func (s *Service) Produce(ctx context.Context) (time.Time, error) {
	now := s.clock.Now()
	if _, err := s.store.Purge(ctx, now.Add(-s.idle), now.Add(-s.max)); err != nil {
		return time.Time{}, err
	}
	return now.Add(PurgeEvery), nil
}
