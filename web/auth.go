package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/users"
	authviews "github.com/usherhq/usher/views/pages/auth"
)

// setupAllowed answers 404 unless setup is pending and the token is the
// one printed on the console.
func (s *Server) setupAllowed(c echo.Context) error {
	token := c.Param("token")
	if s.SetupToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.SetupToken)) != 1 {
		return errs.T(errs.NotFound, "auth.setup.bad_link")
	}
	need, err := s.Users.NeedsSetup(c.Request().Context())
	if err != nil {
		return err
	}
	if !need {
		return errs.T(errs.NotFound, "auth.setup.done")
	}
	return nil
}

func (s *Server) setupForm(c echo.Context) error {
	if err := s.setupAllowed(c); err != nil {
		return err
	}
	return s.renderSetup(c, http.StatusOK, authviews.Setup{})
}

func (s *Server) renderSetup(c echo.Context, status int, v authviews.Setup) error {
	sh, err := s.shell(c, locale(c).T("auth.setup.title"), "")
	if err != nil {
		return err
	}
	v.Shell = sh
	v.Action = "/setup/" + c.Param("token")
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return s.render(c, status, authviews.SetupPage(v))
}

func (s *Server) setup(c echo.Context) error {
	if err := s.setupAllowed(c); err != nil {
		return err
	}
	in := users.SetupInput{
		AccountName: c.FormValue("account"),
		Email:       c.FormValue("email"),
		Name:        c.FormValue("name"),
		Password:    c.FormValue("password"),
	}
	u, err := s.Users.Setup(c.Request().Context(), in)
	if err != nil {
		if list, fields, ok := formErrors(c.Request().Context(), err); ok {
			return s.renderSetup(c, http.StatusUnprocessableEntity, authviews.Setup{Account: in.AccountName, Email: in.Email, Name: in.Name, Errors: list, Field: fields})
		}
		return err
	}
	s.Log.Info("setup complete", "admin", u.Email)
	to, err := s.landingOf(c, u)
	if err != nil {
		return err
	}
	return s.startSession(c, u, to, success("%s", locale(c).T("auth.setup.welcome", "Name", u.DisplayName())))
}

func (s *Server) loginForm(c echo.Context) error {
	if currentOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return s.renderLogin(c, http.StatusOK, authviews.Login{Next: c.QueryParam("next")})
}

func (s *Server) renderLogin(c echo.Context, status int, v authviews.Login) error {
	sh, err := s.shell(c, locale(c).T("auth.login.title"), "")
	if err != nil {
		return err
	}
	v.Shell = sh
	return s.render(c, status, authviews.LoginPage(v))
}

func (s *Server) login(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	next := safeNext(c.FormValue("next"))
	v := authviews.Login{Email: email, Next: next}
	ctx := c.Request().Context()
	attempt, err := s.limits.startSignIn(clientKey(c), strings.ToLower(email))
	if err != nil {
		v.Error = errs.Say(ctx, err)
		setRetryAfter(c, err)
		return s.renderLogin(c, http.StatusTooManyRequests, v)
	}
	// The wait comes before the password is judged, and is the same for
	// any email typed as often, so it tells nothing about the answer.
	if err := s.Clock.Sleep(ctx, attempt.delay); err != nil {
		attempt.abandoned()
		return err
	}
	u, why, err := s.Users.AuthenticateWhy(ctx, email, c.FormValue("password"))
	if errs.Is(err, errs.Unauthorized) {
		s.refused(c, why.UserID, email, why.Reason)
		v.Error = errs.Say(ctx, err)
		return s.renderLogin(c, http.StatusUnauthorized, v)
	}
	if err != nil {
		attempt.abandoned()
		return err
	}
	attempt.succeeded()
	if err := s.signIn(c, u); err != nil {
		return err
	}
	if on, err := s.TwoFactor.Enabled(ctx, u.ID); err != nil {
		return err
	} else if on {
		return c.Redirect(http.StatusSeeOther, "/login/code?next="+url.QueryEscape(next))
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// refused writes a refused sign-in in the activity log: the address
// typed, whom it named (0: nobody) and why. The page says the same
// whatever the reason, and a log that cannot be written does not change
// that answer: it is only logged.
func (s *Server) refused(c echo.Context, userID int64, email, reason string) {
	if email == "" {
		// Nothing typed names nobody: there is nothing to tell.
		return
	}
	if err := s.Sessions.Refused(c.Request().Context(), userID, email, reason); err != nil {
		s.Log.Error("recording a refused sign-in", "err", err)
	}
}

// safeNext keeps the after-sign-in redirect on this site. url.Parse refuses
// control characters, which browsers strip from a Location before reading
// it, so "/\t/evil.example" cannot turn into "//evil.example".
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// logout ends this browser's session only: the person's other devices
// stay signed in (Profile > Sessions ends those).
func (s *Server) logout(c echo.Context) error {
	cur := currentOf(c)
	if cur == nil {
		cur = pendingOf(c)
	}
	if cur != nil {
		if err := s.Sessions.SignOut(c.Request().Context(), cur.User.ID, cur.Session.ID); err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
	}
	sess := s.session(c)
	s.clearUser(sess)
	sess.Options.MaxAge = -1
	if err := s.saveSession(c, sess); err != nil {
		// The session is ended on our side already: only the cookie is left.
		s.Log.Error("ending the session cookie", "err", err)
		s.dropCookie(c)
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}
