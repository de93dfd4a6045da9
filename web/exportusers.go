package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// exportColumns are the users export's columns, each its heading's
// message id, in the order exportRow fills them.
var exportColumns = []string{
	"export.users.column.name",
	"export.users.column.email",
	"export.users.column.status",
	"export.users.column.roles",
	"export.users.column.offered",
	"export.users.column.invited_by",
	"export.users.column.invited_at",
	"export.users.column.expires",
	"export.users.column.joined",
	"export.users.column.last_sign_in",
	"export.users.column.delivery",
}

// exportDeadline is how long a download may take to send. The server's
// write timeout suits pages, not a file of 100,000 rows on a slow line.
const exportDeadline = 10 * time.Minute

// exportUsers is Download CSV on Settings > Users: every user the list's
// tab and search select (all pages, in its order) as the administrator
// sees them, streamed a row at a time.
func (s *Server) exportUsers(c echo.Context) error {
	cur := currentOf(c)
	q := parseListQuery(c)
	loc := locale(c)
	now := s.Clock.Now()
	tab := string(q.Status)
	if tab == "" {
		tab = "all"
	}
	filename := "usher-users-" + tab + "-" + now.UTC().Format(time.DateOnly) + ".csv"
	// A deadline of the network, so the machine's time, not the clock.
	_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(exportDeadline))

	// The file starts with the first row: an error before it (the database
	// gone, say) is still an error page, not a file with only headings.
	var x *csvExport
	start := func() (err error) {
		header := make([]string, len(exportColumns))
		for i, id := range exportColumns {
			header[i] = loc.T(id)
		}
		x, err = startCSV(c, filename, header)
		return err
	}
	row := make([]string, len(exportColumns))
	err := s.Users.Export(c.Request().Context(), cur.Access, q.filter(), func(l users.Listed) error {
		if x == nil {
			if err := start(); err != nil {
				return err
			}
		}
		exportRow(row, loc, cur.Access, l, now)
		return x.Write(row...)
	})
	if err == nil && x == nil {
		err = start()
	}
	if err == nil {
		err = x.Close()
	}
	if err != nil && x != nil {
		// Half a file was sent with a 200: cut the connection, so that the
		// browser reports the download failed instead of keeping a file
		// that looks whole (recoverPanics lets this panic through).
		s.Log.Error("users export cut short", "err", err, "ip", c.RealIP())
		panic(http.ErrAbortHandler)
	}
	return err
}

// exportRow fills row with the cells of l as the administrator with access
// sees it at now, in loc: what the list's row says, with exact times
// (RFC 3339, UTC) in place of "3 days ago". Roles in spaces outside
// theirs are counted, never named (Access.DescribeIn).
func exportRow(row []string, loc *i18n.Locale, access *spaces.Access, l users.Listed, now time.Time) {
	st := l.StatusAt(now)
	clear(row)
	row[0] = l.Name
	row[1] = l.Email
	row[2] = loc.T(st.LabelID())
	row[3] = access.DescribeIn(loc, l.Grants)
	if l.InvitedBy != "" {
		row[5] = l.InvitedBy
		row[6] = exportTime(l.InvitedAt)
	}
	row[8] = exportTime(l.ActivatedAt)
	row[9] = exportTime(l.LastSignInAt)
	// As on the list: a deactivated user's invitation says nothing more.
	if inv := l.Invite; inv != nil && st != users.Deactivated {
		row[4] = access.DescribeIn(loc, inv.Offered)
		row[7] = exportTime(inv.ExpiresAt)
		row[10] = deliveryText(loc, inv.Delivery)
	}
}

// deliveryText is what became of an invitation's newest email.
func deliveryText(loc *i18n.Locale, d users.Delivery) string {
	switch {
	case d.State == "failed":
		return loc.T("export.users.delivery.failed", "Error", d.Error)
	case d.State == "queued" && d.Error != "":
		return loc.T("export.users.delivery.retrying", "Error", d.Error)
	case d.State == "queued":
		return loc.T("export.users.delivery.waiting")
	case d.State == "sent":
		return loc.T("export.users.delivery.sent")
	case d.State == "captured":
		return loc.T("export.users.delivery.captured")
	}
	return loc.T("export.users.delivery.none")
}

// exportTime is t for a spreadsheet: RFC 3339 in UTC, which every program
// reads and sorts as it is; "" for a time that never came.
func exportTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
