package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/bulk"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/users"
	"github.com/usherhq/usher/views/components"
	"github.com/usherhq/usher/views/layouts"
	userviews "github.com/usherhq/usher/views/pages/users"
)

// inlineMax is the largest bulk action a request does itself before it
// answers: larger ones run in the background (the sender's loop, one
// batch per round) and the list shows their progress.
const inlineMax = 2 * bulk.DefaultBatch

// bulkButtons are the selection bar's actions, in bulk.Actions' order.
func bulkButtons() []userviews.BulkButton {
	out := make([]userviews.BulkButton, 0, len(bulk.Actions))
	for _, a := range bulk.Actions {
		out = append(out, userviews.BulkButton{Value: string(a), LabelID: "bulk.action." + string(a), Danger: a == bulk.Cancel || a == bulk.Deactivate || a == bulk.Delete})
	}
	return out
}

func (s *Server) routeBulk(g *echo.Group) {
	g.POST("/users/bulk", s.bulkConfirm)
	g.POST("/users/bulk/run", s.bulkRun)
	g.GET("/users/bulk/:job", s.bulkJob)
	g.POST("/users/bulk/:job/dismiss", s.bulkDismiss)
}

func actorOf(c echo.Context) invitations.Actor {
	cur := currentOf(c)
	return invitations.Actor{User: cur.User, Access: cur.Access}
}

// bulkForm is what the selection's form (or a cleanup's) posted: the
// action, and the rows ticked or every user of the list's view.
func bulkForm(c echo.Context) (bulk.Action, bulk.Selection, error) {
	action, ok := bulk.ParseAction(c.FormValue("action"))
	if !ok {
		return "", bulk.Selection{}, errs.T(errs.Invalid, "err.bulk.unknown_action")
	}
	form, err := c.FormParams()
	if err != nil {
		return "", bulk.Selection{}, errs.T(errs.Invalid, "err.bulk.none_selected")
	}
	if form.Get("all") == "1" {
		f := listQueryOf(form).filter()
		f.Page = 1
		return action, bulk.Selection{View: &f}, nil
	}
	var sel bulk.Selection
	for _, raw := range form["id"] {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			return "", bulk.Selection{}, errs.T(errs.Invalid, "err.bulk.none_selected")
		}
		sel.IDs = append(sel.IDs, id)
	}
	return action, sel, nil
}

// bulkConfirm asks before a bulk action: a <dialog> with htmx, a page
// without JavaScript. Nothing is changed.
func (s *Server) bulkConfirm(c echo.Context) error {
	ret := returnTo(c.FormValue("return"))
	action, sel, err := bulkForm(c)
	if err != nil {
		return s.bulkRefused(c, ret, err)
	}
	p, err := s.Bulk.Plan(c.Request().Context(), actorOf(c), action, sel)
	if err != nil {
		return s.bulkRefused(c, ret, err)
	}
	loc := locale(c)
	a := string(action)
	v := userviews.BulkConfirm{
		Heading:    loc.T("bulk.confirm.heading." + a),
		Question:   loc.N("bulk.confirm.question."+a, p.Do),
		Background: p.Do > inlineMax,
		Action:     a, ConfirmID: "bulk.confirm.go." + a, Count: p.Do,
		Danger: action == bulk.Cancel || action == bulk.Deactivate || action == bulk.Delete,
		IDs:    sel.IDs, All: sel.View != nil, Return: ret,
	}
	if sel.View != nil {
		q := listQueryOf(mustForm(c))
		v.Query, v.Status = q.Q, string(q.Status)
	}
	for _, sk := range p.Skips {
		v.Skips = append(v.Skips, loc.N("bulk.confirm.skipped", sk.N, "Reason", loc.T(string(sk.Reason))))
	}
	switch {
	case p.Do == 0:
		v.Refusal = loc.T("err.bulk.nothing_to_do")
	case p.Over():
		v.Refusal = errs.Say(c.Request().Context(), errs.T(errs.TooMany, "err.bulk.over_limit", "Count", p.Sends, "Left", p.Left, "Max", p.Max))
	}
	return s.dialogOrPage(c, http.StatusOK, userviews.BulkConfirmDialog(v), v.Heading, func(sh layouts.Shell) templ.Component {
		v.Shell = sh
		return userviews.BulkConfirmPage(v)
	})
}

func mustForm(c echo.Context) map[string][]string {
	f, _ := c.FormParams()
	return f
}

// bulkRefused answers a bulk form that cannot be asked about or run: the
// banner, inline with htmx, after a redirect back without.
func (s *Server) bulkRefused(c echo.Context, ret string, err error) error {
	if errs.CodeOf(err) == errs.Internal {
		return err
	}
	b := components.Banner{Kind: "error", Message: errs.Say(c.Request().Context(), err)}
	if isHTMX(c) {
		c.Response().Header().Set("HX-Reswap", "none")
		return s.render(c, http.StatusOK, components.BannerOOB(b))
	}
	return s.flashTo(c, ret, b)
}

// bulkRun does the bulk action the confirmation asked about, planned
// again: a small one at once, with its result in the banner; a large one
// as a job in the background, whose progress the list shows.
func (s *Server) bulkRun(c echo.Context) error {
	ret := returnTo(c.FormValue("return"))
	action, sel, err := bulkForm(c)
	if err != nil {
		return s.bulkRefused(c, ret, err)
	}
	ctx := c.Request().Context()
	actor := actorOf(c)
	j, _, err := s.Bulk.Start(ctx, actor, action, sel)
	if err != nil {
		return s.bulkRefused(c, ret, err)
	}
	return s.runJob(c, j, ret)
}

// runJob goes on from a bulk job just started (or found started, by the
// second click of a double click): a small one is done at once and its
// result is the banner at ret; a large one is left to the sender's rounds
// in the background, and the list at ret shows its progress.
func (s *Server) runJob(c echo.Context, j bulk.Job, ret string) error {
	s.Notify()
	if j.Total-j.Processed > inlineMax {
		return c.Redirect(http.StatusSeeOther, ret)
	}
	if _, err := s.Bulk.Run(c.Request().Context(), j.ID); err != nil {
		// What was done is done, and the rest is done in the background:
		// the list shows its progress.
		s.logError(c, "running a bulk action", "job", j.ID, "action", j.Action, "err", err)
		return c.Redirect(http.StatusSeeOther, ret)
	}
	return s.flashJob(c, j.ID, ret)
}

// bulkResult says what a finished job did and skipped, per reason:
// "298 sent. 14 skipped: sent less than a minute ago."
func bulkResult(loc *i18n.Locale, r bulk.Report) string {
	parts := []string{loc.N("bulk.done."+string(r.Action), r.Done)}
	for _, sk := range r.Skips {
		parts = append(parts, loc.N("bulk.skipped", sk.N, "Reason", loc.T(string(sk.Reason))))
	}
	return strings.Join(parts, " ")
}

// jobView is job r as the list shows it.
func jobView(loc *i18n.Locale, r bulk.Report, ret string) userviews.Job {
	j := userviews.Job{ID: r.ID, Running: !r.Finished(), Done: r.Processed, Total: r.Total, Return: ret,
		Poll: "/settings/users/bulk/" + strconv.FormatInt(r.ID, 10) + "?return=" + url.QueryEscape(ret)}
	if j.Running {
		j.Text = loc.T("bulk.job.running", "Action", loc.T("bulk.action."+string(r.Action)), "Done", loc.Number(r.Processed), "Total", loc.Number(r.Total))
	} else {
		j.Text = bulkResult(loc, r)
	}
	return j
}

// jobsView are the administrator's bulk actions running or not dismissed,
// for the list at ret.
func (s *Server) jobsView(c echo.Context, ret string) []userviews.Job {
	rs, err := s.Bulk.Reports(c.Request().Context(), actorOf(c))
	if err != nil {
		// The list still shows; the jobs show at the next request.
		s.logError(c, "reading bulk actions", "err", err)
		return nil
	}
	out := make([]userviews.Job, 0, len(rs))
	for _, r := range rs {
		out = append(out, jobView(locale(c), r, ret))
	}
	return out
}

func jobID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("job"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.T(errs.NotFound, "err.bulk.no_such")
	}
	return id, nil
}

// bulkJob is a job's banner as it stands, which a running job's banner
// asks for every two seconds; without htmx, the list.
func (s *Server) bulkJob(c echo.Context) error {
	id, err := jobID(c)
	if err != nil {
		return err
	}
	r, err := s.Bulk.Report(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, returnTo(c.QueryParam("return")))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	ret := returnTo(c.QueryParam("return"))
	j := jobView(locale(c), r, ret)
	q, onList := listQueryFrom(ret)
	if j.Running || !onList {
		return s.render(c, http.StatusOK, userviews.JobBanner(j))
	}
	// Done: the list under the banner is brought up to date with it.
	access := currentOf(c).Access
	res, err := s.Users.List(c.Request().Context(), access, q.filter())
	if err != nil {
		return s.render(c, http.StatusOK, userviews.JobBanner(j))
	}
	v := s.listView(locale(c), access, q, res, s.Clock.Now())
	v.OOB = true
	return s.render(c, http.StatusOK, userviews.JobFinished(j, &v))
}

// bulkDismiss hides a finished job's result.
func (s *Server) bulkDismiss(c echo.Context) error {
	id, err := jobID(c)
	if err != nil {
		return err
	}
	if err := s.Bulk.Dismiss(c.Request().Context(), actorOf(c), id); err != nil && !errs.Is(err, errs.NotFound) {
		return err
	}
	return c.Redirect(http.StatusSeeOther, returnTo(c.FormValue("return")))
}

// bulkBar is the selection bar of the list at q, whose view res is.
func bulkBar(q listQuery, res users.ListPage) userviews.BulkBar {
	return userviews.BulkBar{Return: q.url(), Query: q.Q, Status: string(q.Status), Total: res.Total, All: res.Total > len(res.Rows), Actions: bulkButtons()}
}

// cleanup is the quick cleanups of the list at q: on Invitation expired,
// Send new invitations to all and Cancel all.
func cleanup(q listQuery, res users.ListPage) *userviews.Cleanup {
	if q.Status != users.Expired || res.Total == 0 {
		return nil
	}
	return &userviews.Cleanup{Status: string(q.Status), Return: q.url(), Buttons: []userviews.BulkButton{
		{Value: string(bulk.Renew), LabelID: "bulk.cleanup.renew_all"},
		{Value: string(bulk.Cancel), LabelID: "bulk.cleanup.cancel_all", Danger: true},
	}}
}
