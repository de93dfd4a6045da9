package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/views/pages/accept"
)

// lookupLink finds a link's invitation, counting garbage tokens against the
// client's address so that guessing is slow.
func (s *Server) lookupLink(c echo.Context) (invitations.AcceptView, error) {
	v, err := s.Invitations.Lookup(c.Request().Context(), c.Param("token"))
	return v, s.countBadToken(c, err)
}

// countBadToken counts a link that matched nothing against the client's
// address, and answers err, or the limit when it is reached.
func (s *Server) countBadToken(c echo.Context, err error) error {
	if errs.Is(err, errs.NotFound) {
		if lerr := check(s.limits.badToken, clientKey(c)); lerr != nil {
			return lerr
		}
	}
	return err
}

func (s *Server) acceptView(c echo.Context, v invitations.AcceptView) (accept.View, error) {
	// The page speaks the invitation's language, which the inviter chose
	// for the invitee, unless they chose one with the switch.
	if chosenLocale(c) == nil {
		setLocale(c, i18n.Default().Locale(v.Invitation.Language))
	}
	l := locale(c)
	titles := map[invitations.LinkState]string{
		invitations.LinkValid:    l.T("accept.join", "Account", v.AccountName),
		invitations.LinkExpired:  l.T("accept.expired.title"),
		invitations.LinkAccepted: l.T("accept.accepted.title"),
		invitations.LinkInvalid:  l.T("accept.invalid.title"),
	}
	sh, err := s.shell(c, titles[v.Link], "")
	if err != nil {
		return accept.View{}, err
	}
	token := c.Param("token")
	sh.Path = "/invite/" + token // the switch comes back to this link
	return accept.View{
		Shell:       sh,
		State:       string(v.Link),
		Action:      "/invite/" + token,
		RenewalURL:  "/invite/" + token + "/renewal",
		AccountName: v.AccountName,
		InviterName: v.Invitation.InviterName,
		Email:       v.Invitation.Email,
		Roles:       spaces.DescribeIn(l, v.Invitation.Offered),
		Name:        v.Name,
		RenewalSent: !v.Invitation.RenewalRequestedAt.IsZero(),
	}, nil
}

// acceptForm shows the page for a link. It never consumes the link: mail
// scanners open links before people do.
func (s *Server) acceptForm(c echo.Context) error {
	v, err := s.lookupLink(c)
	if err != nil {
		return err
	}
	view, err := s.acceptView(c, v)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, accept.Page(view))
}

// accept takes the form. Only name and password are read: email, roles and
// spaces come from the invitation alone, whatever else is posted.
func (s *Server) accept(c echo.Context) error {
	if err := check(s.limits.accept, clientKey(c)); err != nil {
		return err
	}
	in := invitations.AcceptInput{Name: c.FormValue("name"), Password: c.FormValue("password")}
	if l := chosenLocale(c); l != nil {
		in.Language = l.Code // else the invitation's, as the page was
	}
	j, err := s.Invitations.Accept(c.Request().Context(), c.Param("token"), in)
	if errs.Is(err, errs.NotFound) {
		return s.countBadToken(c, err)
	}
	if err != nil {
		return s.acceptRefused(c, j.Link, in, err)
	}
	// Never into someone else's session: whoever was signed in here is
	// replaced by the new user, in a fresh session.
	to, err := s.landingOf(c, j.User)
	if err != nil {
		return err
	}
	// The welcome is in the language the new user reads from now on.
	l := i18n.Default().Locale(j.User.Language)
	if j.User.Language == "" {
		l = s.unchosenLocale(c)
	}
	setLocale(c, l)
	return s.startSession(c, j.User, to, success("%s", l.T("accept.welcome", "Name", j.DisplayName())))
}

// acceptRefused shows the accept page again after err refused the form:
// with what to correct, or, when the link changed under the form, as the
// link now is.
func (s *Server) acceptRefused(c echo.Context, link invitations.AcceptView, in invitations.AcceptInput, err error) error {
	list, fields, correctable := formErrors(c.Request().Context(), err)
	if !correctable && errs.CodeOf(err) != errs.Conflict {
		return err
	}
	view, verr := s.acceptView(c, link)
	if verr != nil {
		return verr
	}
	if correctable {
		view.Errors, view.Field, view.Name = list, fields, in.Name
		return s.render(c, http.StatusUnprocessableEntity, accept.Page(view))
	}
	if view.State == string(invitations.LinkValid) {
		view.State, view.Message = string(invitations.LinkInvalid), errs.Say(c.Request().Context(), err)
	}
	return s.render(c, http.StatusConflict, accept.Page(view))
}

func (s *Server) requestRenewal(c echo.Context) error {
	if err := check(s.limits.accept, clientKey(c)); err != nil {
		return err
	}
	if err := s.Invitations.RequestRenewal(c.Request().Context(), c.Param("token")); err != nil {
		return err
	}
	s.Notify()
	return c.Redirect(http.StatusSeeOther, "/invite/"+c.Param("token"))
}
