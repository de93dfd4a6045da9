package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"maps"
	"net/http"
	"time"

	gorilla "github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/sessions"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/components"
	"github.com/usherhq/usher/views/pages/done"
)

const sessionName = "usher_session"

// sessionStore keeps flash banners and the session token in a signed and
// encrypted cookie. The session itself is a row on the server
// (internal/sessions): the cookie carries its random token, the database
// only the token's hash, so ending the row ends the cookie.
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
	*gorilla.CookieStore
	memo *memo[string, map[any]any]
}

// Get is gorilla.Store's: the request's session, opened once per request.
func (d *decodedCookies) Get(r *http.Request, name string) (*gorilla.Session, error) {
	return gorilla.GetRegistry(r).Get(d, name)
}

// New opens the request's cookie, or remembers what it said.
func (d *decodedCookies) New(r *http.Request, name string) (*gorilla.Session, error) {
	c, err := r.Cookie(name)
	if err != nil {
		return d.CookieStore.New(r, name)
	}
	if values, ok := d.memo.get(0, c.Value); ok {
		sess := gorilla.NewSession(d, name)
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

func newSessionStore(secret []byte, secure bool, maxAge time.Duration, clk clock.Clock) *sessionStore {
	cs := gorilla.NewCookieStore(derive(secret, "usher session auth"), derive(secret, "usher session encryption"))
	cs.Options = &gorilla.Options{
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	cs.MaxAge(cs.Options.MaxAge)
	return &sessionStore{store: &decodedCookies{CookieStore: cs, memo: newMemo[string, map[any]any](4096)}, clock: clk}
}

// session returns the request's session; a cookie that does not decode
// (a rotated key, tampering) simply starts an empty one.
func (s *Server) session(c echo.Context) *gorilla.Session {
	sess, _ := s.sessions.store.Get(c.Request(), sessionName)
	return sess
}

func (s *Server) saveSession(c echo.Context, sess *gorilla.Session) error {
	return errs.Wrap(sess.Save(c.Request(), c.Response()), "saving session")
}

// current is what the request knows about who is asking.
type current struct {
	User    users.User
	Access  *spaces.Access
	Account spaces.Space
	Session sessions.Session // this browser's
	// TwoFactor: the person signs in with a second factor.
	TwoFactor bool
}

const currentKey = "usher.current"

func currentOf(c echo.Context) *current {
	cur, _ := c.Get(currentKey).(*current)
	return cur
}

// tokenKey holds the session's token in the cookie.
const tokenKey = "tok"

// loadSession finds the signed-in user, if any, and checks on the server
// that their session is still good: its row exists, the user is active,
// and it is within the idle and absolute timeouts. What it reads is kept
// in memory while the database stands still (whoIs, sessionOf), so a
// kept page costs no database read.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if isAPI(c) {
			// The API takes tokens only: a browser's cookie is nobody
			// there, so no other site can act with it.
			return next(c)
		}
		sess := s.session(c)
		token, _ := sess.Values[tokenKey].(string)
		if token == "" {
			return next(c)
		}
		ctx := c.Request().Context()
		now := s.Clock.Now()
		row, err := s.sessionOf(ctx, token)
		if err != nil && errs.CodeOf(err) == errs.Internal {
			return err
		}
		var who *signedIn
		if err == nil {
			who, err = s.whoIs(ctx, row.UserID)
			if err != nil && !errs.Is(err, errs.NotFound) {
				return err
			}
		}
		if err != nil || who.User.ActivatedAt.IsZero() || !who.User.DeactivatedAt.IsZero() || !s.Sessions.Live(row, now) {
			s.clearUser(sess)
			if err := s.saveSession(c, sess); err != nil {
				return err
			}
			return next(c)
		}
		cur := &current{User: who.User, Access: who.Access, Account: who.Account, Session: row, TwoFactor: who.TwoFactor}
		if row.SecondFactorPending {
			// The password alone: the code step and sign-out, nothing else.
			c.Set(pendingKey, cur)
			return s.pendingOnly(next)(c)
		}
		c.Set(currentKey, cur)
		// A signed-in page is for this person only: no shared cache keeps
		// it, and a browser asks again before showing it from its own.
		// (Handlers that show a secret say no-store instead.)
		c.Response().Header().Set("Cache-Control", "private, no-cache")
		// Written at most every sessions.TouchEvery per session. Each write
		// moves the database's generation on, which empties the kept pages
		// and what whoIs and sessionOf keep: that is why it is not written
		// on every request.
		if _, err := s.Sessions.Seen(ctx, row, now); err != nil {
			return err
		}
		if s.mustEnrol(cur) {
			return s.enrolFirst(next)(c)
		}
		return next(c)
	}
}

// signedIn is what the session check reads about a user: kept in memory
// while the database does not change, since every request needs it.
// Like a kept page, it is read again after any commit to the database,
// by this process or another (say, an operator's own SQL), and at the
// next minute.
type signedIn struct {
	current
	until time.Time // read again from then
}

// whoIs reads user id's record, their access and the account.
func (s *Server) whoIs(ctx context.Context, id int64) (*signedIn, error) {
	gen := s.changes(ctx)
	now := s.Clock.Now()
	if who, ok := s.who.get(gen, id); ok && now.Before(who.until) {
		return who, nil
	}
	u, access, account, err := s.Users.SignedIn(ctx, id)
	if err != nil {
		return nil, err
	}
	tf, err := s.TwoFactor.Enabled(ctx, id)
	if err != nil {
		return nil, err
	}
	who := &signedIn{current: current{User: u, Access: access, Account: account, TwoFactor: tf}, until: keptUntil(now, time.Time{})}
	s.who.put(gen, id, who)
	return who, nil
}

// keptSession is a session row as sessionOf keeps it.
type keptSession struct {
	row   sessions.Session
	until time.Time
}

// sessionOf is the session row of token, kept like whoIs's user: while
// the database stands still, a minute at most. Ending a session is a
// commit, by this process or another, so it is seen at the next request.
func (s *Server) sessionOf(ctx context.Context, token string) (sessions.Session, error) {
	gen := s.changes(ctx)
	now := s.Clock.Now()
	if k, ok := s.rows.get(gen, token); ok && now.Before(k.until) {
		return k.row, nil
	}
	row, err := s.Sessions.Lookup(ctx, token)
	if err != nil {
		return row, err
	}
	s.rows.put(gen, token, keptSession{row: row, until: keptUntil(now, time.Time{})})
	return row, nil
}

// signIn starts a new session for u: a new row and a fresh cookie, so
// nothing from before sign-in carries over. A session this browser had
// (someone else's, say) ends.
//
// A person who signs in with a second factor gets a session that waits for
// its code, unless this browser is theirs already with a full session (a
// password change signs them in again).
func (s *Server) signIn(c echo.Context, u users.User) error {
	ctx := c.Request().Context()
	cur := currentOf(c)
	pending := false
	if cur == nil || cur.User.ID != u.ID {
		on, err := s.TwoFactor.Enabled(ctx, u.ID)
		if err != nil {
			return err
		}
		pending = on
	}
	return s.openSession(c, u, pending, "")
}

// openSession is signIn's work: a new row, full or waiting for a code;
// factor is the second factor given at the code step ("" elsewhere).
func (s *Server) openSession(c echo.Context, u users.User, pending bool, factor string) error {
	ctx := c.Request().Context()
	for _, cur := range []*current{currentOf(c), pendingOf(c)} {
		if cur != nil && cur.Session.ID != 0 {
			if err := s.Sessions.SignOut(ctx, cur.User.ID, cur.Session.ID); err != nil && !errs.Is(err, errs.NotFound) {
				return err
			}
		}
	}
	var token string
	var err error
	switch {
	case pending:
		_, token, err = s.Sessions.StartPending(ctx, u.ID, c.RealIP(), c.Request().UserAgent())
	case factor != "":
		_, token, err = s.Sessions.Complete(ctx, u.ID, c.RealIP(), c.Request().UserAgent(), factor)
	default:
		_, token, err = s.Sessions.Start(ctx, u.ID, c.RealIP(), c.Request().UserAgent())
	}
	if err != nil {
		return err
	}
	sess := s.session(c)
	for k := range sess.Values {
		delete(sess.Values, k)
	}
	sess.Values[tokenKey] = token
	return s.saveSession(c, sess)
}

func (s *Server) clearUser(sess *gorilla.Session) {
	delete(sess.Values, tokenKey)
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
