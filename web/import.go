package web

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/usherhq/usher/internal/bulk"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/views/components"
	userviews "github.com/usherhq/usher/views/pages/users"
)

// importPath is the import's pages; their bodies are larger than the
// 64 KB every other form gets (importBodyLimit).
const importPath = "/settings/users/import"

// importBodyLimit takes a file of invitations.MaxImportBytes, and its
// confirmation (the file again, base64, with a tick per line).
const importBodyLimit = "4M"

func (s *Server) routeImport(g *echo.Group) {
	limit := s.importLimit(middleware.BodyLimit(importBodyLimit))
	g.GET("/users/import", s.importForm)
	g.GET("/users/import/example.csv", s.importExample)
	g.POST("/users/import", s.importPreview, limit)
	g.POST("/users/import/confirm", s.importConfirm, limit)
}

// importLimit is the route's body limit, whose refusal of a body too
// large (by its Content-Length, before the handler runs) is said on the
// upload form, as a file too large, instead of on an error page.
func (s *Server) importLimit(limit echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		h := limit(next)
		return func(c echo.Context) error {
			err := h(c)
			var he *echo.HTTPError
			if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge && !c.Response().Committed {
				return s.importRefused(c, err)
			}
			return err
		}
	}
}

func (s *Server) importForm(c echo.Context) error {
	return s.renderImportForm(c, http.StatusOK, "")
}

func (s *Server) renderImportForm(c echo.Context, status int, msg string) error {
	sh, err := s.shell(c, locale(c).T("import.title"), "users")
	if err != nil {
		return err
	}
	return s.render(c, status, userviews.ImportUploadPage(userviews.ImportUpload{Shell: sh, Error: msg}))
}

// importExample is a file of the long shape, with the spaces the
// administrator may invite to.
func (s *Server) importExample(c echo.Context) error {
	all, err := s.Users.Spaces(c.Request().Context())
	if err != nil {
		return err
	}
	opts := spaces.NewTree(all).Options(currentOf(c).Access)
	space := "Space"
	if len(opts) > 0 {
		space = opts[len(opts)-1].Name
	}
	w, err := startCSV(c, "users-import-example.csv", []string{"email", "name", "role", "space", "language"})
	if err != nil {
		return err
	}
	for _, row := range [][]string{
		{"ada@example.com", "Ada Lovelace", "member", space, "en"},
		{"grace@example.com", "Grace Hopper", "admin", space, "de"},
	} {
		if err := w.Write(row...); err != nil {
			return err
		}
	}
	return w.Close()
}

// importFile is the uploaded file's bytes.
func importFile(c echo.Context) ([]byte, error) {
	fh, err := c.FormFile("file")
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
		// A body without a length, cut at the limit while it was read.
		return nil, errs.FieldT("file", "err.import.too_big", "Max", invitations.MaxImportBytes>>20)
	}
	if err != nil {
		return nil, errs.FieldT("file", "err.import.no_file")
	}
	if fh.Size > invitations.MaxImportBytes {
		return nil, errs.FieldT("file", "err.import.too_big", "Max", invitations.MaxImportBytes>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, errs.Wrap(err, "opening the uploaded file")
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, invitations.MaxImportBytes+1))
}

// importPreview shows what the uploaded file would do. Nothing is sent.
func (s *Server) importPreview(c echo.Context) error {
	data, err := importFile(c)
	if err != nil {
		return s.importRefused(c, err)
	}
	return s.showImport(c, data, nil, "")
}

func (s *Server) importRefused(c echo.Context, err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
		err = errs.FieldT("file", "err.import.too_big", "Max", invitations.MaxImportBytes>>20)
	}
	if errs.CodeOf(err) != errs.Invalid {
		return err
	}
	return s.renderImportForm(c, http.StatusUnprocessableEntity, errs.Say(c.Request().Context(), err))
}

// showImport is the preview of data; ticked, when not nil, are the lines
// the administrator left ticked (shown again after a refused confirm).
func (s *Server) showImport(c echo.Context, data []byte, ticked map[int]bool, refusal string) error {
	ctx := c.Request().Context()
	actor := actorOf(c)
	p, err := s.Invitations.PreviewImport(ctx, actor, data)
	if err != nil {
		return s.importRefused(c, err)
	}
	loc := locale(c)
	v := userviews.ImportPreview{Data: base64.StdEncoding.EncodeToString(data), Error: refusal}
	v.Counts = loc.T("import.preview.counts", "New", loc.Number(p.Counts[invitations.ImportNew]),
		"Pending", loc.Number(p.Counts[invitations.ImportPending]+p.Counts[invitations.ImportExpired]),
		"Known", loc.Number(p.Counts[invitations.ImportKnown]), "Invalid", loc.Number(p.Counts[invitations.ImportInvalid]))
	plan, err := s.Bulk.PlanItems(ctx, actor, bulk.Import, nil)
	if err != nil {
		return err
	}
	v.Budget = loc.T("import.budget", "Left", loc.Number(plan.Left), "Max", loc.Number(plan.Max))
	// Mistakes first, then the file's order.
	for _, invalid := range []bool{true, false} {
		for _, r := range p.Rows {
			if (r.Outcome == invitations.ImportInvalid) != invalid {
				continue
			}
			row := userviews.ImportRow{Line: r.Line, Email: r.Email, Name: r.Name, Roles: actor.Access.DescribeIn(loc, r.Offered),
				Invalid: invalid, Actionable: r.Actionable(), Ticked: r.Ticked()}
			if ticked != nil {
				row.Ticked = ticked[r.Line]
			}
			if invalid {
				row.Outcome = errs.Say(ctx, r.Error)
			} else {
				row.Outcome = loc.T("import.outcome." + string(r.Outcome))
			}
			v.Any = v.Any || row.Actionable
			v.Rows = append(v.Rows, row)
		}
	}
	if v.Shell, err = s.shell(c, loc.T("import.preview.title"), "users"); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, userviews.ImportPreviewPage(v))
}

// importConfirm does what the preview showed, for the lines left ticked:
// the file is read and checked again, and each person goes through the
// services as a job (at once when small, in the background when large).
func (s *Server) importConfirm(c echo.Context) error {
	data, err := base64.StdEncoding.DecodeString(c.FormValue("data"))
	if err != nil || len(data) == 0 {
		return s.importRefused(c, errs.FieldT("file", "err.import.no_file"))
	}
	form, err := c.FormParams()
	if err != nil {
		return s.importRefused(c, errs.FieldT("file", "err.import.no_file"))
	}
	ticked := map[int]bool{}
	for _, raw := range form["line"] {
		if n, err := strconv.Atoi(raw); err == nil {
			ticked[n] = true
		}
	}
	ctx := c.Request().Context()
	actor := actorOf(c)
	p, err := s.Invitations.PreviewImport(ctx, actor, data)
	if err != nil {
		return s.importRefused(c, err)
	}
	j, _, err := s.Bulk.StartImport(ctx, actor, data, p, ticked)
	if err != nil {
		if errs.CodeOf(err) == errs.Internal {
			return err
		}
		return s.showImport(c, data, ticked, errs.Say(ctx, err))
	}
	return s.runJob(c, j, "/settings/users")
}

// flashJob ends a bulk action done at once: its result as the next page's
// banner, not kept above the list.
func (s *Server) flashJob(c echo.Context, id int64, ret string) error {
	ctx := c.Request().Context()
	actor := actorOf(c)
	r, err := s.Bulk.Report(ctx, actor, id)
	if err != nil {
		return err
	}
	if err := s.Bulk.Dismiss(ctx, actor, id); err != nil && !errs.Is(err, errs.NotFound) {
		// (NotFound: dismissed already, by the first click of a double
		// click.)
		s.Log.Error("dismissing a bulk action shown at once", "job", id, "err", err)
	}
	return s.flashTo(c, ret, components.Banner{Kind: "success", Message: bulkResult(locale(c), r)})
}
