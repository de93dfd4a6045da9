package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/views/components"
	activityviews "github.com/usherhq/usher/views/pages/activity"
)

// activityQuery is the state of Settings > Activity that lives in its
// address: the filters, and the cursor of the page (after: older than; before:
// newer than).
type activityQuery struct {
	Person, Kind, Space, From, To string
	After, Before                 string
}

func activityQueryOf(v url.Values) activityQuery {
	q := activityQuery{
		Person: strings.TrimSpace(v.Get("person")), Kind: v.Get("kind"), Space: v.Get("space"),
		From: v.Get("from"), To: v.Get("to"), After: v.Get("after"), Before: v.Get("before"),
	}
	if len(q.Person) > 200 {
		q.Person = q.Person[:200]
	}
	return q
}

// filtered reports whether a filter narrows the log.
func (q activityQuery) filtered() bool {
	return q.Person != "" || q.Kind != "" || q.Space != "" || q.From != "" || q.To != ""
}

// url is the address of path with q's filters and cursor; empty ones left
// out.
func (q activityQuery) url(path string) string {
	v := url.Values{}
	for _, p := range [][2]string{{"person", q.Person}, {"kind", q.Kind}, {"space", q.Space}, {"from", q.From}, {"to", q.To}, {"after", q.After}, {"before", q.Before}} {
		if p[1] != "" {
			v.Set(p[0], p[1])
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// filters is q without its cursor.
func (q activityQuery) filters() activityQuery {
	q.After, q.Before = "", ""
	return q
}

// dateLayout is how date inputs send a day. Days are UTC days, as every
// date Usher shows is in UTC (i18n: "Every date is written in UTC").
const dateLayout = "2006-01-02"

// validDay is s if it is a day a date input may hold, else "": a date
// input's value must be a real day.
func validDay(s string) string {
	if _, err := time.Parse(dateLayout, s); err != nil {
		return ""
	}
	return s
}

// activityFilter is the service's filter for q as the viewer may ask it,
// with the people the person filter matched. none reports a person filter
// that matched nobody: then there is nothing to list.
func (s *Server) activityFilter(c echo.Context, access *spaces.Access, q activityQuery) (f activity.Filter, people []activity.Person, none bool, err error) {
	f.Kind = activity.Kind(q.Kind)
	if f.Kind != "" && !f.Kind.Known() {
		return f, nil, false, errs.T(errs.Invalid, "err.activity.bad_kind")
	}
	if q.Space != "" {
		id, perr := strconv.ParseInt(q.Space, 10, 64)
		switch {
		case perr != nil || id <= 0:
			return f, nil, false, errs.T(errs.Invalid, "err.activity.page.bad_space")
		case !access.Administers(id) && access.AccountAdmin:
			return f, nil, false, errs.T(errs.Invalid, "err.activity.page.bad_space")
		case !access.Administers(id):
			// Whether the space exists or not: the same answer.
			return f, nil, false, errs.T(errs.Forbidden, "err.activity.page.space_forbidden")
		}
		f.SpaceID = id
	}
	day := func(s string) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation(dateLayout, s, time.UTC)
		if err != nil {
			return t, errs.T(errs.Invalid, "err.activity.page.bad_date")
		}
		return t, nil
	}
	if f.From, err = day(q.From); err != nil {
		return f, nil, false, err
	}
	if f.Until, err = day(q.To); err != nil {
		return f, nil, false, err
	}
	if !f.Until.IsZero() {
		f.Until = f.Until.AddDate(0, 0, 1) // the day is included
	}
	if !f.From.IsZero() && !f.Until.IsZero() && !f.From.Before(f.Until) {
		return f, nil, false, errs.T(errs.Invalid, "err.activity.bad_dates")
	}
	if f.After, err = activity.ParseCursor(q.After); err != nil {
		return f, nil, false, err
	}
	if f.Before, err = activity.ParseCursor(q.Before); err != nil {
		return f, nil, false, err
	}
	if !f.After.IsZero() && !f.Before.IsZero() {
		return f, nil, false, errs.T(errs.Invalid, "err.activity.bad_cursor")
	}
	if q.Person != "" {
		people, err = s.Activity.People(c.Request().Context(), access, q.Person)
		if err != nil {
			return f, nil, false, err
		}
		if len(people) == 0 {
			return f, nil, true, nil
		}
		for _, p := range people {
			f.People = append(f.People, p.ID)
		}
	}
	return f, people, false, nil
}

// activityPage is Settings > Activity: the log as the viewer may read it,
// newest first, a page at a time.
func (s *Server) activityPage(c echo.Context) error {
	cur := currentOf(c)
	loc := locale(c)
	q := activityQueryOf(c.QueryParams())
	v, err := s.activityView(c, cur.Access, q)
	status := http.StatusOK
	if err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err
		}
		// A filter that makes no sense: the form again, to correct it,
		// with the banner saying what was wrong.
		status = http.StatusUnprocessableEntity
		v.Rows, v.Newer, v.Older, v.PersonNote, v.NoOne = nil, "", "", "", ""
	}
	sh, serr := s.shell(c, loc.T("activity.title"), "activity")
	if serr != nil {
		return serr
	}
	if err != nil {
		sh.Banner = components.Banner{Kind: "error", Message: errs.Say(c.Request().Context(), err)}
	}
	v.Shell = sh
	return s.render(c, status, activityviews.ActivityPage(v))
}

// activityView is the page at q; on an Invalid error, the view still holds
// the form.
func (s *Server) activityView(c echo.Context, access *spaces.Access, q activityQuery) (activityviews.Page, error) {
	ctx := c.Request().Context()
	loc := locale(c)
	now := s.Clock.Now()
	v := activityviews.Page{
		Person: q.Person, From: validDay(q.From), To: validDay(q.To), AllSpaces: access.AccountAdmin, Now: now,
		Filtered: q.filtered(), CSV: q.filters().url("/settings/activity.csv"), Clear: "/settings/activity",
		Kinds: kindGroups(loc, activity.Kind(q.Kind)),
	}
	listed, err := s.Spaces.List(ctx, access)
	if err != nil {
		return v, err
	}
	for _, n := range listed {
		if !n.Administered {
			continue
		}
		id := strconv.FormatInt(n.ID, 10)
		v.Spaces = append(v.Spaces, activityviews.Option{Value: id, Label: strings.Repeat("\u00a0\u00a0", n.Depth) + n.Name, Selected: id == q.Space})
	}
	f, people, none, err := s.activityFilter(c, access, q)
	if err != nil {
		return v, err
	}
	if none {
		v.NoOne = loc.T("activity.person.none", "Text", q.Person)
		return v, nil
	}
	v.PersonNote = personNote(loc, q.Person, people)
	page, err := s.Activity.List(ctx, access, f)
	if err != nil {
		return v, err
	}
	for _, e := range page.Entries {
		v.Rows = append(v.Rows, activityRow(loc, access, e))
	}
	if !page.Newer.IsZero() {
		n := q
		n.After, n.Before = "", page.Newer.String()
		v.Newer = n.url("/settings/activity")
	}
	if !page.Older.IsZero() {
		o := q
		o.After, o.Before = page.Older.String(), ""
		v.Older = o.url("/settings/activity")
	}
	return v, nil
}

// personNote says whom the person filter matched.
func personNote(loc *i18n.Locale, text string, people []activity.Person) string {
	if len(people) == 0 {
		return ""
	}
	names := make([]string, len(people))
	for i, p := range people {
		names[i] = p.Email
		if p.Name != "" {
			names[i] = loc.T("activity.person.entry", "Name", p.Name, "Email", p.Email)
		}
	}
	if len(people) == 1 {
		return loc.T("activity.person.one", "Person", names[0])
	}
	return loc.N("activity.person.many", len(people), "Text", text, "People", loc.List(names))
}

// kindGroups are the kind filter's options, grouped as Kinds lists them
// (invitations, users, spaces, signing in, the account).
func kindGroups(loc *i18n.Locale, selected activity.Kind) []activityviews.Group {
	var out []activityviews.Group
	last := ""
	for _, k := range activity.Kinds {
		g, _, _ := strings.Cut(string(k), ".")
		if g != last {
			out = append(out, activityviews.Group{Label: loc.T("activity.group." + g)})
			last = g
		}
		o := &out[len(out)-1]
		o.Options = append(o.Options, activityviews.Option{Value: string(k), Label: activityKindLabel(loc, k), Selected: k == selected})
	}
	return out
}

// activityKindLabel is the name of kind k in the filter and the details.
func activityKindLabel(loc *i18n.Locale, k activity.Kind) string {
	if !k.Known() {
		return string(k)
	}
	return loc.T("activity.kind." + string(k))
}

// activityRow is entry e as the viewer with access reads it in loc.
func activityRow(loc *i18n.Locale, access *spaces.Access, e activity.Entry) activityviews.Row {
	r := activityviews.Row{At: e.At, Sentence: activity.Sentence(loc, e, access), IP: e.IP}
	add := func(id, value string) {
		if value != "" {
			r.Facts = append(r.Facts, activityviews.Fact{Label: loc.T(id), Value: value})
		}
	}
	person := func(name, email string) string {
		if name != "" && email != "" {
			return loc.T("activity.person.entry", "Name", name, "Email", email)
		}
		return name + email
	}
	add("activity.details.kind", activityKindLabel(loc, e.Kind))
	if e.System() {
		add("activity.details.actor", loc.T("activity.system"))
	} else {
		add("activity.details.actor", person(e.ActorName, e.ActorEmail))
	}
	if e.SubjectID != 0 || e.SubjectEmail != "" {
		add("activity.details.subject", person(e.SubjectName, e.SubjectEmail))
	}
	d := activity.Visible(e.Details, access)
	roles := func(list []activity.Role) string {
		if len(list) == 0 {
			return ""
		}
		return access.DescribeIn(loc, activity.Grants(list))
	}
	// Roles outside the viewer's spaces are counted from the entry's own
	// (Visible dropped them).
	add("activity.details.roles", roles(e.Details.Roles))
	add("activity.details.granted", roles(e.Details.Granted))
	add("activity.details.revoked", roles(e.Details.Revoked))
	if d.Space != nil {
		add("activity.details.space", d.Space.Name+" ("+d.Space.Kind.LabelIn(loc)+")")
	}
	var changes []string
	for _, ch := range d.Changes {
		changes = append(changes, ch.Field+": "+ch.From+" → "+ch.To)
	}
	add("activity.details.changes", strings.Join(changes, "; "))
	add("activity.details.email", d.Email)
	if d.Reason != "" {
		// A reason Usher words itself, in loc; else a mail server's reply
		// (or the mail package's), which is English.
		if _, ok := cancelReasons[d.Reason]; ok {
			add("activity.details.reason", cancelReason(loc, d.Reason))
		} else if id := "activity.reason." + d.Reason; loc.T(id) != id {
			add("activity.details.reason", loc.T(id))
		} else {
			r.Facts = append(r.Facts, activityviews.Fact{Label: loc.T("activity.details.reason"), Value: d.Reason, Lang: "en"})
		}
	}
	if d.Count != 0 {
		add("activity.details.count", loc.Number(d.Count))
	}
	add("activity.details.device", d.Device)
	add("activity.details.second_factor", d.SecondFactor)
	add("activity.details.via", d.Via)
	add("activity.details.app", d.App)
	if d.ClientID != "" {
		r.Facts = append(r.Facts, activityviews.Fact{Label: loc.T("activity.details.client_id"), Value: d.ClientID, Lang: "en"})
	}
	add("activity.details.token", d.Token)
	if len(d.Scopes) > 0 {
		// Names in the API, the same in every language.
		r.Facts = append(r.Facts, activityviews.Fact{Label: loc.T("activity.details.scopes"), Value: strings.Join(d.Scopes, ", "), Lang: "en"})
	}
	if d.Expires != nil {
		add("activity.details.expires", loc.Exact(*d.Expires))
	}
	return r
}

// activityCSV is the export of the log as Settings > Activity filters it,
// streamed row by row. Its details are the entry's own fields as JSON,
// with the roles and spaces outside a space administrator's left out
// (activity.Visible).
func (s *Server) activityCSV(c echo.Context) error {
	cur := currentOf(c)
	loc := locale(c)
	access := cur.Access
	q := activityQueryOf(c.QueryParams()).filters()
	f, _, none, err := s.activityFilter(c, access, q)
	if err != nil {
		return err
	}
	var x *csvExport
	// The file starts with its first row, once the service has agreed to
	// the filter: a refusal is still an error page, not a file.
	start := func() error {
		if x != nil {
			return nil
		}
		cols := []string{"time", "kind", "actor_name", "actor_email", "subject_name", "subject_email", "spaces", "ip", "sentence", "details"}
		for i, col := range cols {
			cols[i] = loc.T("activity.csv." + col)
		}
		var err error
		x, err = startCSV(c, "usher-activity-"+s.Clock.Now().UTC().Format(dateLayout)+".csv", cols)
		return err
	}
	if !none {
		err = s.Activity.Each(c.Request().Context(), access, f, func(e activity.Entry) error {
			if err := start(); err != nil {
				return err
			}
			details, err := json.Marshal(activity.Visible(e.Details, access))
			if err != nil {
				return errs.Wrap(err, "writing activity")
			}
			actor := e.ActorName
			if e.System() {
				actor = loc.T("activity.system")
			}
			return x.Write(e.At.UTC().Format(time.RFC3339), string(e.Kind), actor, e.ActorEmail, e.SubjectName, e.SubjectEmail,
				strings.Join(activity.SpaceNames(e, access), "; "), e.IP, activity.Sentence(loc, e, access), string(details))
		})
	}
	if err != nil && x == nil {
		return err
	}
	if err != nil {
		// Half a file has gone out: all that is left is to say so in the log.
		s.Log.Error("activity export failed", "err", err)
		return x.Close()
	}
	if err := start(); err != nil {
		return err
	}
	return x.Close()
}
