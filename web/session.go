package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"maps"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/components"
	"github.com/usherhq/usher/views/pages/done"
)

const sessionName = "usher_session"

// sessionStore keeps the signed-in user and flash banners in a signed and
// encrypted cookie. Cookies cannot be revoked by themselves, so each one
// carries the user's session version: bumping it ends every session.
type sessionStore struct {
	store *decodedCookies
	clock clock.Clock
}

// decodedCookies is the cookie store, remembering what the cookies it
// has read said. Opening a cookie (check its MAC, decrypt, decode) costs
// more than the rest of a kept page, and a browser sends the same cookie
// with every request. The memory is keyed by the whole cookie, which only
// the server can make; its values are only as good as the session check
// that follows in loadSession, which judges the timeouts itself.
type decodedCookies struct {
	*sessions.CookieStore
	memo *memo[string, map[any]any]
}

// Get is sessions.Store's: the request's session, opened once per request.
func (d *decodedCookies) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(d, name)
}

// New opens the request's cookie, or remembers what it said.
func (d *decodedCookies) New(r *http.Request, name string) (*sessions.Session, error) {
	c, err := r.Cookie(name)
	if err != nil {
		return d.CookieStore.New(r, name)
	}
	if values, ok := d.memo.get(0, c.Value); ok {
		sess := sessions.NewSession(d, name)
		opts := *d.Options
		sess.Options = &opts
		sess.Values = maps.Clone(values)
		return sess, nil
	}
	sess, err := d.CookieStore.New(r, name)
	// Not one with a banner: it is read once, then replaced.
	if _, flash := sess.Values[flashKey]; err == nil && !sess.IsNew && !flash {
		d.memo.put(0, c.Value, maps.Clone(sess.Values))
	}
	return sess, err
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
	return &sessionStore{store: &decodedCookies{CookieStore: cs, memo: newMemo[string, map[any]any](4096)}, clock: clk}
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
		who, err := s.whoIs(ctx, uid)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err != nil || who.User.SessionVersion != ver || cred != who.cred || !who.User.DeactivatedAt.IsZero() ||
			now.Sub(time.Unix(iat, 0)) > absoluteTimeout || now.Sub(time.Unix(seen, 0)) > idleTimeout {
			s.clearUser(sess)
			if err := s.saveSession(c, sess); err != nil {
				return err
			}
			return next(c)
		}
		c.Set(currentKey, &current{User: who.User, Access: who.Access, Account: who.Account})
		// A signed-in page is for this person only: no shared cache keeps
		// it, and a browser asks again before showing it from its own.
		// (Handlers that show a secret say no-store instead.)
		c.Response().Header().Set("Cache-Control", "private, no-cache")
		if now.Sub(time.Unix(seen, 0)) > time.Minute {
			sess.Values["seen"] = now.Unix()
			if err := s.saveSession(c, sess); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// signedIn is what the session check reads about a user: kept in memory
// while the database does not change, since every request needs it.
// Like a kept page, it is read again at the next minute: so a change
// made by another process (say, an operator's own SQL) is seen soon.
type signedIn struct {
	current
	cred  string    // credential(User)
	until time.Time // read again from then
}

// whoIs reads user id's record, their access and the account.
func (s *Server) whoIs(ctx context.Context, id int64) (*signedIn, error) {
	gen := s.Changes()
	now := s.Clock.Now()
	if who, ok := s.who.get(gen, id); ok && now.Before(who.until) {
		return who, nil
	}
	u, access, account, err := s.Users.SignedIn(ctx, id)
	if err != nil {
		return nil, err
	}
	who := &signedIn{current: current{User: u, Access: access, Account: account}, cred: credential(u), until: keptUntil(now, time.Time{})}
	s.who.put(gen, id, who)
	return who, nil
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

// startSession ends an action that signs u in afresh (accepting, setting
// up, changing a password): banner b on the page at next. The action is
// done even when the new session cannot be saved: then the browser's old
// cookie is dropped, so that nobody stays signed in as someone else, and
// this response shows b with a link to sign in.
func (s *Server) startSession(c echo.Context, u users.User, next string, b components.Banner) error {
	if err := s.signIn(c, u); err != nil {
		s.Log.Error("starting a session", "path", c.Path(), "err", err)
		s.dropCookie(c)
		c.Set(currentKey, (*current)(nil)) // the page is for someone signed out now
		b.Message += " " + locale(c).T("session.sign_in_to_continue")
		return s.donePage(c, "/login", b)
	}
	return s.flashTo(c, next, b)
}

// dropCookie tells the browser to forget its session cookie. It needs no
// encoding, so it works when saving a session does not.
func (s *Server) dropCookie(c echo.Context) {
	http.SetCookie(c.Response(), &http.Cookie{Name: sessionName, Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Config.Secure(), SameSite: http.SameSiteLaxMode})
}

// donePage shows banner b on a page of its own, with a link on to next.
func (s *Server) donePage(c echo.Context, next string, b components.Banner) error {
	sh := s.bareShell(c, locale(c).T("done.heading"), "")
	sh.Banner = b
	return s.render(c, http.StatusOK, done.Page(done.View{Shell: sh, Next: next}))
}
