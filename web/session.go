package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/components"
)

const sessionName = "usher_session"

// sessionStore keeps the signed-in user and flash banners in a signed and
// encrypted cookie. Cookies cannot be revoked by themselves, so each one
// carries the user's session version: bumping it ends every session.
type sessionStore struct {
	store *sessions.CookieStore
	clock clock.Clock
}

func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

func newSessionStore(secret []byte, secure bool, clk clock.Clock) *sessionStore {
	cs := sessions.NewCookieStore(derive(secret, "usher session auth"), derive(secret, "usher session encryption"))
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(absoluteTimeout / time.Second),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	cs.MaxAge(cs.Options.MaxAge)
	return &sessionStore{store: cs, clock: clk}
}

// session returns the request's session; a cookie that does not decode
// (a rotated key, tampering) simply starts an empty one.
func (s *Server) session(c echo.Context) *sessions.Session {
	sess, _ := s.sessions.store.Get(c.Request(), sessionName)
	return sess
}

func (s *Server) saveSession(c echo.Context, sess *sessions.Session) error {
	return errs.Wrap(sess.Save(c.Request(), c.Response()), "saving session")
}

// current is what the request knows about who is asking.
type current struct {
	User    users.User
	Access  *spaces.Access
	Account spaces.Space
}

const currentKey = "usher.current"

func currentOf(c echo.Context) *current {
	cur, _ := c.Get(currentKey).(*current)
	return cur
}

// loadSession finds the signed-in user, if any, and checks that their
// session is still good: same session version, not deactivated, within the
// idle and absolute timeouts.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := s.session(c)
		uid, _ := sess.Values["uid"].(int64)
		if uid == 0 {
			return next(c)
		}
		ctx := c.Request().Context()
		now := s.Clock.Now()
		ver, _ := sess.Values["ver"].(int64)
		iat, _ := sess.Values["iat"].(int64)
		seen, _ := sess.Values["seen"].(int64)
		cred, _ := sess.Values["cred"].(string)
		u, err := s.Users.Get(ctx, uid)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err != nil || u.SessionVersion != ver || cred != credential(u) || !u.DeactivatedAt.IsZero() ||
			now.Sub(time.Unix(iat, 0)) > absoluteTimeout || now.Sub(time.Unix(seen, 0)) > idleTimeout {
			s.clearUser(sess)
			if err := s.saveSession(c, sess); err != nil {
				return err
			}
			return next(c)
		}
		access, account, err := s.Users.AccessAndAccount(ctx, u)
		if err != nil {
			return err
		}
		c.Set(currentKey, &current{User: u, Access: access, Account: account})
		if now.Sub(time.Unix(seen, 0)) > time.Minute {
			sess.Values["seen"] = now.Unix()
			if err := s.saveSession(c, sess); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// signIn starts a new session for u: a fresh cookie, so nothing from before
// sign-in carries over.
func (s *Server) signIn(c echo.Context, u users.User) error {
	sess := s.session(c)
	for k := range sess.Values {
		delete(sess.Values, k)
	}
	now := s.Clock.Now().Unix()
	sess.Values["uid"] = u.ID
	sess.Values["ver"] = u.SessionVersion
	sess.Values["cred"] = credential(u)
	sess.Values["iat"] = now
	sess.Values["seen"] = now
	return s.saveSession(c, sess)
}

// credential identifies the password a session was started with. SQLite
// gives a new row the highest id again once the row that had it is deleted,
// and a new user's session version starts where the deleted one's may have
// been: without this, a deleted user's cookie would sign in as the next
// user created. A new user always has a new salted hash.
func credential(u users.User) string {
	sum := sha256.Sum256([]byte(u.PasswordHash))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func (s *Server) clearUser(sess *sessions.Session) {
	for _, k := range []string{"uid", "ver", "cred", "iat", "seen"} {
		delete(sess.Values, k)
	}
}

// flash stores a banner for the page after a redirect.
func (s *Server) flash(c echo.Context, b components.Banner) error {
	sess := s.session(c)
	sess.AddFlash(b.Kind + "\x00" + b.Message)
	return s.saveSession(c, sess)
}

// takeFlash returns and clears the stored banner, if any.
func (s *Server) takeFlash(c echo.Context) (components.Banner, error) {
	sess := s.session(c)
	flashes := sess.Flashes()
	if len(flashes) == 0 {
		return components.Banner{}, nil
	}
	var b components.Banner
	if v, ok := flashes[len(flashes)-1].(string); ok {
		b.Kind, b.Message, _ = strings.Cut(v, "\x00")
	}
	return b, s.saveSession(c, sess)
}
