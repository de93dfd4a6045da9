package invitations

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// MaxImportRows is how many people one CSV file may invite.
const MaxImportRows = 5000

// MaxImportBytes is the largest CSV file an import takes.
const MaxImportBytes = 2 << 20

// ImportOutcome is what confirming an import would do with one person.
type ImportOutcome string

const (
	ImportNew     ImportOutcome = "new"     // will be invited
	ImportPending ImportOutcome = "pending" // already invited: a resend is offered
	ImportExpired ImportOutcome = "expired" // their invitation expired: a new one is offered
	ImportKnown   ImportOutcome = "known"   // already a user (or someone outside the importer's spaces)
	ImportInvalid ImportOutcome = "invalid" // a mistake on the line, said in Error
)

// ImportRow is one person of a CSV file: the line they start on, what
// the file says about them, and what confirming would do.
type ImportRow struct {
	Line     int
	Email    string
	Name     string
	Language string
	Offered  []spaces.Grant
	Outcome  ImportOutcome
	// Error is the mistake on the line, a catalogue message (Outcome
	// ImportInvalid).
	Error *errs.Error
	// UserID is the person already known (ImportPending, ImportExpired).
	UserID int64
}

// Ticked reports whether the preview ticks the row at first: new people
// are invited, those already invited are asked about.
func (r ImportRow) Ticked() bool { return r.Outcome == ImportNew }

// Actionable reports whether confirming can do something with the row.
func (r ImportRow) Actionable() bool {
	return r.Outcome == ImportNew || r.Outcome == ImportPending || r.Outcome == ImportExpired
}

// ImportPreview is a CSV file read and checked: its rows in file order,
// and the counts of each outcome.
type ImportPreview struct {
	Rows   []ImportRow
	Counts map[ImportOutcome]int
}

func lineErr(id string, kv ...any) *errs.Error { return errs.T(errs.Invalid, id, kv...) }

// fileErr is a mistake that spoils the whole file.
func fileErr(id string, kv ...any) error { return errs.FieldT("file", id, kv...) }

// roleNames are the words a file may give a role in: its code and its
// name in each language.
func roleNames() map[string]spaces.Role {
	out := map[string]spaces.Role{}
	for _, r := range []spaces.Role{spaces.Member, spaces.Admin} {
		out[string(r)] = r
		for _, l := range i18n.Default().Locales() {
			out[strings.ToLower(r.LabelIn(l))] = r
		}
	}
	return out
}

// spaceNames finds the spaces access may invite to by what a file calls
// them: the name, or the path from the unit ("North Clinic / Waiting
// Area 1"), ignoring case. Spaces outside access are unknown.
type spaceNames map[string][]spaces.Space

func newSpaceNames(all []spaces.Space, access *spaces.Access) spaceNames {
	t := spaces.NewTree(all)
	out := spaceNames{}
	for _, n := range t.Offerable(access) {
		key := strings.ToLower(n.Name)
		out[key] = append(out[key], n.Space)
		if p, ok := t.Get(n.ParentID); ok && n.ParentID != 0 && p.ID != t.Root().ID {
			path := strings.ToLower(p.Name + " / " + n.Name)
			out[path] = append(out[path], n.Space)
		}
	}
	return out
}

func (sn spaceNames) find(name string) (spaces.Space, *errs.Error) {
	found := sn[strings.ToLower(strings.Join(strings.Fields(name), " "))]
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return spaces.Space{}, lineErr("err.import.unknown_space", "Space", name)
	}
	return spaces.Space{}, lineErr("err.import.ambiguous_space", "Space", name)
}

// ParseImport reads a CSV file of people to invite as actor may invite
// them. The header row says its shape: `email`, `name` (optional),
// `language` (optional), and either `role` with `space` (a line per role;
// lines of the same address merge into one offer; without a `space`
// column every role is in the account itself), or one column per space
// named by the space, each cell a role or empty. Comma or semicolon
// separated, UTF-8 with or without a byte order mark. A mistake on a line
// is that row's Error; a mistake that spoils the whole file is the error.
func ParseImport(data []byte, all []spaces.Space, access *spaces.Access) ([]ImportRow, error) {
	if len(data) > MaxImportBytes {
		return nil, fileErr("err.import.too_big", "Max", MaxImportBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalid(data)], []byte("\n"))
		return nil, fileErr("err.import.not_utf8", "Line", line)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fileErr("err.import.empty")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = sniffComma(data)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fileErr("err.import.unreadable", "Line", 1)
	}
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := cols["email"]; !ok {
		return nil, fileErr("err.import.no_email_column")
	}
	names := newSpaceNames(all, access)
	roles := roleNames()
	_, long := cols["role"]
	spaceCols := map[int]spaces.Space{}
	// A file of roles with no space column gives them in the account: the
	// whole organisation, which only an account administrator offers.
	var whole *spaces.Space
	if _, placed := cols["space"]; long && !placed {
		if root := spaces.NewTree(all).Root(); access.Administers(root.ID) {
			whole = &root
		}
	}
	if !long {
		for i, h := range header {
			switch strings.ToLower(strings.TrimSpace(h)) {
			case "email", "name", "language", "":
				continue
			}
			sp, e := names.find(h)
			if e != nil {
				return nil, fileErr("err.import.unknown_space_column", "Space", strings.TrimSpace(h))
			}
			spaceCols[i] = sp
		}
		if len(spaceCols) == 0 {
			return nil, fileErr("err.import.no_role_columns")
		}
	}
	cell := func(rec []string, col string) string {
		if i, ok := cols[col]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var rows []ImportRow
	byEmail := map[string]int{} // address: index in rows
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line := 0
		if err == nil {
			line, _ = r.FieldPos(0)
		} else {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			if line == 0 {
				// Unreadable past this point: say so once.
				return nil, fileErr("err.import.unreadable", "Line", len(rows)+2)
			}
			rows = append(rows, ImportRow{Line: line, Outcome: ImportInvalid, Error: lineErr("err.import.bad_line")})
			continue
		}
		if blank(rec) {
			continue
		}
		row := ImportRow{Line: line, Email: cell(rec, "email"), Name: cell(rec, "name"), Language: strings.ToLower(cell(rec, "language"))}
		row.Error = row.check(rec, long, whole, spaceCols, names, roles, access, cell)
		if row.Error == nil {
			if i, seen := byEmail[row.Email]; seen {
				prev := &rows[i]
				switch {
				case !long:
					row.Error = lineErr("err.import.duplicate", "Line", prev.Line)
				case prev.Outcome == ImportInvalid:
					row.Error = lineErr("err.import.duplicate", "Line", prev.Line)
				case offersIn(prev.Offered, row.Offered[0].SpaceID):
					row.Error = lineErr("err.import.duplicate_space", "Line", prev.Line)
				default:
					// Another role of the same person: one offer.
					prev.Offered = append(prev.Offered, row.Offered[0])
					continue
				}
			}
		}
		if row.Error != nil {
			row.Outcome = ImportInvalid
		} else {
			byEmail[row.Email] = len(rows)
		}
		rows = append(rows, row)
		if len(rows) > MaxImportRows {
			return nil, fileErr("err.import.too_many", "Max", MaxImportRows)
		}
	}
	if len(rows) == 0 {
		return nil, fileErr("err.import.no_rows")
	}
	return rows, nil
}

// check reads the rest of a line and says its first mistake.
func (row *ImportRow) check(rec []string, long bool, whole *spaces.Space, spaceCols map[int]spaces.Space, names spaceNames, roles map[string]spaces.Role, access *spaces.Access, cell func([]string, string) string) *errs.Error {
	if row.Email == "" {
		return lineErr("err.import.no_email")
	}
	email, err := users.ParseEmail("email", row.Email)
	if err != nil {
		return lineErr("err.import.bad_email", "Email", row.Email)
	}
	row.Email = email
	if name, err := users.CleanName("name", row.Name, false); err != nil {
		return lineErr("err.import.bad_name")
	} else {
		row.Name = name
	}
	if row.Language != "" && !i18n.Default().Has(row.Language) {
		return lineErr("err.import.bad_language", "Language", row.Language)
	}
	offer := func(sp spaces.Space, word string) *errs.Error {
		role, ok := roles[strings.ToLower(strings.TrimSpace(word))]
		if !ok {
			return lineErr("err.import.unknown_role", "Role", word)
		}
		if !access.MayOffer(sp.ID, role) {
			return lineErr("err.import.role_above", "Role", word, "Space", sp.Name)
		}
		row.Offered = append(row.Offered, spaces.Grant{SpaceID: sp.ID, SpaceKind: sp.Kind, SpaceName: sp.Name, Role: role})
		return nil
	}
	if long {
		word, place := cell(rec, "role"), cell(rec, "space")
		if word == "" {
			return lineErr("err.import.no_role")
		}
		if place == "" && whole != nil {
			return offer(*whole, word)
		}
		if place == "" {
			return lineErr("err.import.no_space")
		}
		sp, e := names.find(place)
		if e != nil {
			return e
		}
		return offer(sp, word)
	}
	for i, sp := range spaceCols {
		if i >= len(rec) || strings.TrimSpace(rec[i]) == "" {
			continue
		}
		if e := offer(sp, rec[i]); e != nil {
			return e
		}
	}
	if len(row.Offered) == 0 {
		return lineErr("err.import.no_role")
	}
	return nil
}

func offersIn(gs []spaces.Grant, spaceID int64) bool {
	for _, g := range gs {
		if g.SpaceID == spaceID {
			return true
		}
	}
	return false
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// sniffComma is the file's separator: a semicolon when its first line has
// one and no comma (as spreadsheets in German write CSV), else a comma.
func sniffComma(data []byte) rune {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.IndexByte(first, ';') >= 0 && bytes.IndexByte(first, ',') < 0 {
		return ';'
	}
	return ','
}

// PreviewImport reads a CSV file and says what confirming it would do
// with each person, as actor: who is new, who already has a pending or
// expired invitation (a resend or a new invitation is offered), who is
// already a user. Someone outside actor's spaces reads as already a user,
// which says nothing about them. Nothing is sent.
func (s *Service) PreviewImport(ctx context.Context, actor Actor, data []byte) (ImportPreview, error) {
	if !actor.Access.IsAdmin() {
		return ImportPreview{}, errs.T(errs.Forbidden, "err.invitations.offer_forbidden")
	}
	all, err := s.users.Spaces(ctx)
	if err != nil {
		return ImportPreview{}, err
	}
	rows, err := ParseImport(data, all, actor.Access)
	if err != nil {
		return ImportPreview{}, err
	}
	now := s.clock.Now()
	p := ImportPreview{Rows: rows, Counts: map[ImportOutcome]int{}}
	for i := range rows {
		row := &rows[i]
		if row.Outcome == ImportInvalid {
			p.Counts[ImportInvalid]++
			continue
		}
		row.Outcome = ImportNew
		u, err := s.users.GetByEmail(ctx, row.Email)
		switch {
		case errs.Is(err, errs.NotFound):
		case err != nil:
			return ImportPreview{}, err
		default:
			row.Outcome = ImportKnown
			if l, err := s.users.Row(ctx, actor.Access, u.ID); err == nil && l.DeactivatedAt.IsZero() && l.Invite != nil && mayActOn(actor.Access, l.Invite.Offered) {
				switch l.StatusAt(now) {
				case users.Invited:
					row.Outcome, row.UserID = ImportPending, u.ID
				case users.Expired:
					row.Outcome, row.UserID = ImportExpired, u.ID
				}
			}
		}
		p.Counts[row.Outcome]++
	}
	return p, nil
}
