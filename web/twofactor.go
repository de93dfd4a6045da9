package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/config"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/users"
	tfviews "github.com/usherhq/usher/views/pages/twofactor"
)

// pendingKey holds a session that waits for its second factor: who it
// will be once the code is given. currentOf never sees it.
const pendingKey = "usher.pending"

func pendingOf(c echo.Context) *current {
	cur, _ := c.Get(pendingKey).(*current)
	return cur
}

// pendingOnly lets a session that waits for its code reach the code step,
// sign-out and what any page needs (static files, the language switch);
// any other page sends it to the code step, and any other post is
// answered as for someone signed out.
func (s *Server) pendingOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return confine(c, next, func(p string) bool { return p == "/login/code" }, "/login/code",
			errs.T(errs.Unauthorized, "twofactor.err.code_first"))
	}
}

// mustEnrol reports whether USHER_REQUIRE_2FA names cur, who has not
// enrolled.
func (s *Server) mustEnrol(cur *current) bool {
	if cur.TwoFactor {
		return false
	}
	switch s.Config.RequireTwoFactor {
	case config.RequireAll:
		return true
	case config.RequireAdmins:
		return cur.Access.IsAdmin()
	}
	return false
}

// enrolFirst sends a person who must enrol to enrolment from every page
// but enrolment itself, sign-out and what any page needs.
func (s *Server) enrolFirst(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		return confine(c, next, func(p string) bool {
			return p == "/profile/two-factor" || strings.HasPrefix(p, "/profile/two-factor/")
		}, "/profile/two-factor", errs.T(errs.Forbidden, "twofactor.err.enrol_first"))
	}
}

// confine lets a request through to next only where allowed says, or to
// what every page needs (sign-out, the language switch, static files,
// /healthz); elsewhere a page (GET, HEAD) is sent to to, and anything
// else refused.
func confine(c echo.Context, next echo.HandlerFunc, allowed func(path string) bool, to string, refused error) error {
	p := c.Request().URL.Path
	if allowed(p) || p == "/logout" || p == "/language" || p == "/healthz" || strings.HasPrefix(p, "/static/") {
		return next(c)
	}
	if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead {
		return c.Redirect(http.StatusSeeOther, to)
	}
	return refused
}

func (s *Server) codeForm(c echo.Context) error {
	if pendingOf(c) == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return s.renderStep(c, http.StatusOK, tfviews.Step{Next: safeNext(c.QueryParam("next"))})
}

func (s *Server) renderStep(c echo.Context, status int, v tfviews.Step) error {
	sh, err := s.shell(c, locale(c).T("twofactor.step.title"), "")
	if err != nil {
		return err
	}
	v.Shell = sh
	return s.render(c, status, tfviews.StepPage(v))
}

// code is the second step of sign-in. Wrong codes count as wrong
// passwords do, in the same limits.
func (s *Server) code(c echo.Context) error {
	p := pendingOf(c)
	if p == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	ctx := c.Request().Context()
	v := tfviews.Step{Next: safeNext(c.FormValue("next"))}
	attempt, err := s.limits.startSignIn(clientKey(c), strings.ToLower(p.User.Email))
	if err != nil {
		v.Error = errs.Say(ctx, err)
		setRetryAfter(c, err)
		return s.renderStep(c, http.StatusTooManyRequests, v)
	}
	if err := s.Clock.Sleep(ctx, attempt.delay); err != nil {
		attempt.abandoned()
		return err
	}
	factor, err := s.TwoFactor.Verify(ctx, p.User.ID, c.FormValue("code"))
	if errs.Is(err, errs.Invalid) {
		s.refused(c, p.User.ID, p.User.Email, users.RefusedCode)
		v.Error = errs.Say(ctx, err)
		return s.renderStep(c, http.StatusUnauthorized, v)
	}
	if err != nil {
		attempt.abandoned()
		return err
	}
	attempt.succeeded()
	if err := s.openSession(c, p.User, false, factor); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, v.Next)
}

// twoFactorPage is Profile > Two-factor sign-in: its state, the secret
// being enrolled, or the form to turn it off.
func (s *Server) twoFactorPage(c echo.Context) error {
	return s.renderTwoFactor(c, http.StatusOK, tfviews.Settings{})
}

func (s *Server) renderTwoFactor(c echo.Context, status int, v tfviews.Settings) error {
	cur := currentOf(c)
	ctx := c.Request().Context()
	sh, err := s.shell(c, locale(c).T("twofactor.title"), "profile")
	if err != nil {
		return err
	}
	v.Shell = sh
	// A secret is on the page: no cache keeps it.
	c.Response().Header().Set("Cache-Control", "no-store")
	if v.Enabled, err = s.TwoFactor.Enabled(ctx, cur.User.ID); err != nil {
		return err
	}
	v.Required = s.mustEnrol(&current{User: cur.User, Access: cur.Access, TwoFactor: v.Enabled})
	if v.Enabled {
		if v.Remaining, err = s.TwoFactor.Remaining(ctx, cur.User.ID); err != nil {
			return err
		}
	} else {
		e, err := s.TwoFactor.Pending(ctx, cur.User.ID, cur.Account.Name, cur.User.Email)
		switch {
		case err == nil:
			v.Enrolling, v.QR, v.Secret = true, e.QR, e.Grouped
		case !errs.Is(err, errs.NotFound):
			return err
		}
	}
	return s.render(c, status, tfviews.SettingsPage(v))
}

// twoFactorStart makes a new secret to enrol, replacing one not yet
// confirmed.
func (s *Server) twoFactorStart(c echo.Context) error {
	cur := currentOf(c)
	if _, err := s.TwoFactor.Begin(c.Request().Context(), cur.User.ID, cur.Account.Name, cur.User.Email); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/profile/two-factor")
}

// recoveryKey holds the recovery codes in the (encrypted) cookie from
// enrolment until they are downloaded once.
const recoveryKey = "rc"

// twoFactorConfirm turns two-factor sign-in on with a first code, ends
// every other session and shows the recovery codes, this once.
func (s *Server) twoFactorConfirm(c echo.Context) error {
	cur := currentOf(c)
	sess := s.session(c)
	codes, err := s.TwoFactor.Confirm(c.Request().Context(), cur.User.ID, cur.Session.ID, c.FormValue("code"))
	if list, fields, ok := formErrors(c.Request().Context(), err); ok {
		return s.renderTwoFactor(c, http.StatusUnprocessableEntity, tfviews.Settings{Errors: list, Field: fields})
	}
	if kept, _ := sess.Values[recoveryKey].(string); errs.Is(err, errs.Conflict) && kept != "" {
		// A second click on the same form: the first one turned it on, and
		// its codes, not yet downloaded, are shown again to this browser,
		// which would otherwise show only this answer.
		codes, err = strings.Fields(kept), nil
	}
	if err != nil {
		return err
	}
	sess.Values[recoveryKey] = strings.Join(codes, " ")
	if err := s.saveSession(c, sess); err != nil {
		return err
	}
	sh, err := s.shell(c, locale(c).T("twofactor.codes.title"), "profile")
	if err != nil {
		return err
	}
	sh.Banner = successT(c, "twofactor.enabled")
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, tfviews.CodesPage(tfviews.Codes{Shell: sh, Codes: codes}))
}

// twoFactorCodesFile serves the recovery codes just made as a text file,
// once: they leave the cookie as they are served.
func (s *Server) twoFactorCodesFile(c echo.Context) error {
	sess := s.session(c)
	codes, _ := sess.Values[recoveryKey].(string)
	if codes == "" {
		return errs.T(errs.NotFound, "twofactor.err.codes_gone")
	}
	delete(sess.Values, recoveryKey)
	if err := s.saveSession(c, sess); err != nil {
		return err
	}
	l := locale(c)
	cur := currentOf(c)
	body := l.T("twofactor.codes.file_heading", "Account", cur.Account.Name, "Email", cur.User.Email) + "\n\n" + strings.ReplaceAll(codes, " ", "\n") + "\n"
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `attachment; filename="usher-recovery-codes.txt"; filename*=UTF-8''`+url.PathEscape("usher-recovery-codes.txt"))
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(body))
}

// twoFactorOff turns two-factor sign-in off with the password and a
// code, and tells the person by email.
func (s *Server) twoFactorOff(c echo.Context) error {
	cur := currentOf(c)
	ctx := c.Request().Context()
	if err := s.limits.checkPasswordChange(clientKey(c), cur.User.Email); err != nil {
		return err
	}
	err := s.Users.CheckPassword(ctx, cur.User, c.FormValue("password"))
	if err == nil {
		notice, nerr := s.Users.TwoFactorOffNotice(ctx, cur.User, deviceOf(c), s.Clock.Now())
		if nerr != nil {
			return nerr
		}
		err = s.TwoFactor.Disable(ctx, cur.User.ID, c.FormValue("code"), notice)
	}
	if list, fields, ok := formErrors(ctx, err); ok {
		return s.renderTwoFactor(c, http.StatusUnprocessableEntity, tfviews.Settings{Errors: list, Field: fields})
	}
	if err != nil {
		return err
	}
	s.Notify()
	return s.flashTo(c, "/profile/two-factor", successT(c, "twofactor.disabled"))
}
