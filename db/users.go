package db

import (
	"context"
	"database/sql"
	"encoding/hex"
	"math/bits"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// UserStore implements users.Store.
type UserStore struct{ db *DB }

// NewUserStore returns the users store.
func NewUserStore(d *DB) *UserStore { return &UserStore{db: d} }

var _ users.Store = (*UserStore)(nil)

const userCols = `id, email, name, password_hash, created_at, activated_at, deactivated_at, invite_expires_at, session_version, language, last_sign_in_at`

type scanner interface{ Scan(...any) error }

// scanShown is scanUser for the list and its export: what they show of a
// user (users.ListPage.Rows), as the order in memory keeps it.
func scanShown(r scanner) (users.User, error) {
	u, err := scanUser(r)
	u.PasswordHash, u.SessionVersion, u.Language = "", 0, ""
	return u, err
}

func scanUser(r scanner) (users.User, error) {
	var u users.User
	var hash sql.NullString
	var created int64
	var activated, deactivated, expires, signedIn sql.NullInt64
	err := r.Scan(&u.ID, &u.Email, &u.Name, &hash, &created, &activated, &deactivated, &expires, &u.SessionVersion, &u.Language, &signedIn)
	u.LastSignInAt = fromUnix(signedIn)
	u.PasswordHash = hash.String
	u.CreatedAt = time.Unix(created, 0).UTC()
	u.ActivatedAt = fromUnix(activated)
	u.DeactivatedAt = fromUnix(deactivated)
	u.InviteExpiresAt = fromUnix(expires)
	return u, err
}

func (s *UserStore) HasAccountAdmin(ctx context.Context) (bool, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, `
		SELECT count(*) FROM role_grants g
		JOIN spaces sp ON sp.id = g.space_id AND sp.kind = 'account'
		JOIN users u ON u.id = g.user_id AND u.activated_at IS NOT NULL
		WHERE g.role = 'admin'`).Scan(&n)
	return n > 0, errs.Wrap(err, "counting account administrators")
}

func (s *UserStore) CreateAccountAdmin(ctx context.Context, accountName, email, name, hash string, now time.Time, firstOnly bool) (users.User, error) {
	var u users.User
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var created []activity.Entry // the account's, then the user's
		var accountID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM spaces WHERE kind = 'account'`).Scan(&accountID)
		switch {
		case err == sql.ErrNoRows:
			if accountName == "" {
				return errs.FieldT("account", "err.db.no_account_name")
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO spaces (kind, name, created_at) VALUES ('account', ?, ?)`, accountName, now.Unix())
			if err != nil {
				return errs.Wrap(err, "creating account")
			}
			accountID, _ = res.LastInsertId()
			created = append(created, activity.Entry{At: now, Kind: activity.AccountCreated,
				Details: activity.Details{Space: &activity.Space{ID: accountID, Kind: spaces.Account, Name: accountName}}})
		case err != nil:
			return errs.Wrap(err, "reading account")
		case firstOnly:
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM role_grants WHERE space_id = ? AND role = 'admin'`, accountID).Scan(&n); err != nil {
				return errs.Wrap(err, "counting administrators")
			}
			if n > 0 {
				return errs.T(errs.Conflict, "err.db.already_set_up")
			}
			if _, err := tx.ExecContext(ctx, `UPDATE spaces SET name = ? WHERE id = ?`, accountName, accountID); err != nil {
				return errs.Wrap(err, "naming account")
			}
			// An account without administrators (their last one deleted
			// from the command line) is set up afresh.
			created = append(created, activity.Entry{At: now, Kind: activity.AccountCreated,
				Details: activity.Details{Space: &activity.Space{ID: accountID, Kind: spaces.Account, Name: accountName}}})
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, password_hash, created_at, activated_at) VALUES (?, ?, ?, ?, ?)`,
			email, name, hash, now.Unix(), now.Unix())
		if isUnique(err) {
			return errs.FieldT("email", "err.db.email_taken", "Email", email)
		}
		if err != nil {
			return errs.Wrap(err, "creating user")
		}
		id, _ := res.LastInsertId()
		if _, err := tx.ExecContext(ctx, `INSERT INTO role_grants (user_id, space_id, role, granted_at) VALUES (?, ?, 'admin', ?)`, id, accountID, now.Unix()); err != nil {
			return errs.Wrap(err, "granting admin")
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
		if err != nil {
			return errs.Wrap(err, "reading new user")
		}
		var account string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM spaces WHERE id = ?`, accountID).Scan(&account); err != nil {
			return errs.Wrap(err, "reading account")
		}
		created = append(created, activity.Entry{At: now, Kind: activity.UserCreated, SubjectID: u.ID, SubjectName: u.Name, SubjectEmail: u.Email,
			Details: activity.Details{Roles: []activity.Role{{SpaceID: accountID, SpaceKind: spaces.Account, SpaceName: account, Role: spaces.Admin}}}})
		if src := activity.SourceOf(ctx); src.ActorID == 0 && src.ActorName == "" {
			// Nobody named (the setup page): the new administrator did it.
			for i := range created {
				created[i].ActorID, created[i].ActorName, created[i].ActorEmail = u.ID, u.Name, u.Email
			}
		}
		return recordEach(ctx, tx, created...)
	})
	return u, err
}

func (s *UserStore) ByID(ctx context.Context, id int64) (users.User, error) {
	u, err := scanUser(s.db.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, notFound(err, "err.users.no_such", "reading user")
}

func (s *UserStore) ByEmail(ctx context.Context, email string) (users.User, error) {
	u, err := scanUser(s.db.R.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
	return u, notFound(err, "err.users.no_such_email", "reading user")
}

func (s *UserStore) Grants(ctx context.Context, userID int64) ([]spaces.Grant, error) {
	return userGrants(ctx, s.db.R, userID)
}

func userGrants(ctx context.Context, q querier, userID int64) ([]spaces.Grant, error) {
	m, err := grantsOf(ctx, q, `SELECT g.user_id, g.space_id, sp.kind, sp.name, g.role FROM role_grants g JOIN spaces sp ON sp.id = g.space_id WHERE g.user_id IN `, []int64{userID})
	return m[userID], err
}

// grantsOf runs a query whose rows are (owner id, space id, kind, name,
// role), with the owner ids appended as an IN list, and groups the grants
// by owner in a stable order: the account first, then by space name.
func grantsOf(ctx context.Context, q querier, query string, ids []int64) (map[int64][]spaces.Grant, error) {
	out := make(map[int64][]spaces.Grant, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	in, args := inList(ids)
	rows, err := q.QueryContext(ctx, query+in+` ORDER BY 1, sp.kind != 'account', sp.name COLLATE NOCASE, sp.id`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "reading grants")
	}
	defer rows.Close()
	for rows.Next() {
		var owner int64
		var g spaces.Grant
		if err := rows.Scan(&owner, &g.SpaceID, &g.SpaceKind, &g.SpaceName, &g.Role); err != nil {
			return nil, errs.Wrap(err, "reading grants")
		}
		out[owner] = append(out[owner], g)
	}
	return out, errs.Wrap(rows.Err(), "reading grants")
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// inList returns "(?, ?, …)" and the arguments for ids.
//
// The list has as many placeholders as the next power of two, the last id
// repeated (which changes nothing of what IN holds), so that the queries
// made with it come in few shapes, each kept prepared (prepared.go).
func inList(ids []int64) (string, []any) {
	n := len(ids)
	if n > 1 {
		n = 1 << bits.Len(uint(n-1))
	}
	args := make([]any, n)
	for i := range args {
		args[i] = ids[min(i, len(ids)-1)]
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")", args
}

func (s *UserStore) Spaces(ctx context.Context) ([]spaces.Space, error) {
	all, _, err := s.db.spaces.spaces(ctx, s.db.R)
	return slices.Clone(all), err
}

func allSpaces(ctx context.Context, q querier) ([]spaces.Space, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, coalesce(parent_id, 0), name FROM spaces ORDER BY id`)
	if err != nil {
		return nil, errs.Wrap(err, "reading spaces")
	}
	defer rows.Close()
	var out []spaces.Space
	for rows.Next() {
		var sp spaces.Space
		if err := rows.Scan(&sp.ID, &sp.Kind, &sp.ParentID, &sp.Name); err != nil {
			return nil, errs.Wrap(err, "reading spaces")
		}
		out = append(out, sp)
	}
	return out, errs.Wrap(rows.Err(), "reading spaces")
}

func (s *UserStore) BumpSessionVersion(ctx context.Context, userID int64) error {
	_, err := s.db.W.ExecContext(ctx, `UPDATE users SET session_version = session_version + 1 WHERE id = ?`, userID)
	return errs.Wrap(err, "ending sessions")
}

// The users list at scale (issue 4). With 100,000 users every query of a
// page reads indexes, never the whole table; db/users_plan_test.go holds
// the plans to that.
//
//   - Tabs: rankExpr is 0 for active, 1 for pending and 2 for deactivated
//     users. Each sort order has an index that starts with it and ends
//     with invite_expires_at (migration 0002), so a tab is one range of one
//     index, and Invited and Invitation expired are told apart inside it.
//   - Deep pages: LIMIT/OFFSET along those indexes. A row skipped by an
//     OFFSET costs one index entry and no table read (SQLite reads a row
//     only for the columns it returns), so page 1,000 walks 50,000 small
//     index entries. Keyset pagination would be cheaper still, but page
//     links jump to any page number, and a page number cannot be turned
//     into a key without walking to it anyway.
//   - Counts: unfiltered, from small tables kept by triggers, see
//     countQuery. Searched, from the search index alone, whose rowids
//     carry the rank; only pending matches are looked up, for their
//     expiry. Limited to spaces, one probe of users_id_status per member.
//   - Search: see searchIndex, searchWhere, and List for the two ways to
//     read a page of matches.

// rankExpr is the expression of the indexes of migration 0002, written
// the same way so that SQLite matches them.
const rankExpr = `(CASE WHEN u.deactivated_at IS NOT NULL THEN 2 WHEN u.activated_at IS NULL THEN 1 ELSE 0 END)`

// sortName is the name the list shows, and sorts by: the email of those
// without a name (kept by triggers, migration 0004).
const sortName = `u.sort_name`

// joinedOrder orders by when users joined, those who have not after those
// who have (migration 0008's indexes); each key takes the direction.
var joinedOrder = []string{`(u.activated_at IS NULL)`, `u.activated_at`, `u.id`}

// signInOrder orders by the last sign-in, those who never signed in after
// those who have (migration 0011's indexes), as joinedOrder does.
var signInOrder = []string{`(u.last_sign_in_at IS NULL)`, `u.last_sign_in_at`, `u.id`}

// The rowids of the search indexes users_search and users_grams are a
// user's id plus their rank times 2^40 (migration 0002), so that each
// rank is one range of rowids.
const (
	pendingRowid     = `1099511627776` // 1 << 40
	deactivatedRowid = `2199023255552` // 2 << 40
	rowidToID        = `rowid & 1099511627775`
)

// rankRowids is the condition on a search index's rowid (named col) for
// a tab.
func rankRowids(col string, st users.Status) string {
	switch st {
	case users.Active:
		return ` AND ` + col + ` < ` + pendingRowid
	case users.Invited, users.Expired:
		return ` AND ` + col + ` >= ` + pendingRowid + ` AND ` + col + ` < ` + deactivatedRowid
	case users.Deactivated:
		return ` AND ` + col + ` >= ` + deactivatedRowid
	}
	return ""
}

// statusWhere is the condition for one status at now. The + before the
// expiry keeps SQLite from reading a tab through users_rank_expires and
// sorting it: the sort order's own index filters on the expiry as well.
// With drive set, the page is read through a filter's matches, and a +
// before the rank too keeps SQLite from walking the whole tab instead.
func statusWhere(st users.Status, now int64, drive bool) (string, []any) {
	rank := rankExpr
	if drive {
		rank = "+" + rankExpr
	}
	switch st {
	case users.Active:
		return rank + ` = 0`, nil
	case users.Invited:
		return rank + ` = 1 AND +u.invite_expires_at > ?`, []any{now}
	case users.Expired:
		return rank + ` = 1 AND +u.invite_expires_at <= ?`, []any{now}
	case users.Deactivated:
		return rank + ` = 2`, nil
	}
	return "", nil
}

// searchText is what a search looks for: the query as names are kept
// (users.CleanName), its spaces trimmed and each run of them one space,
// and without what no name or email holds, control characters and bytes
// that are not UTF-8. Those could never match; worse, FTS5 and LIKE read
// a NUL as the end of the query, which FTS5 refuses as an unterminated
// string and LIKE takes for a shorter pattern. Every query built from a
// search goes through here.
func searchText(q string) string {
	q = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(q, ""))
	return strings.Join(strings.Fields(q), " ")
}

// minTrigram is the shortest query the trigram index can answer.
const minTrigram = 3

// searchIndex is the full-text index that answers a search, and q as its
// MATCH expression.
//
// Three characters or more: users_search, an FTS5 trigram index of name
// and email, finds any substring in any case; q becomes one FTS5 phrase in
// double quotes, inside which nothing is syntax (% _ * " are literal).
//
// One or two characters: a trigram index cannot answer those, and a LIKE
// '%…%' would read every user to count the matches. users_grams indexes
// each character and each pair of characters of name and email as a token
// of its own (migration 0002), so the search is one token: the same
// "contains", read from an index. It folds ASCII case only, as LIKE does.
func searchIndex(q string) (table, match string) {
	n := utf8.RuneCountInString(q)
	if n >= minTrigram {
		return "users_search", `"` + strings.ReplaceAll(q, `"`, `""`) + `"`
	}
	kind := "u"
	if n == 2 {
		kind = "b"
	}
	return "users_grams", `"` + kind + strings.ToUpper(hex.EncodeToString([]byte(lowerASCII(q)))) + `"`
}

// lowerASCII folds A-Z as SQLite's lower() does, and nothing else.
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// searchWhere is the condition for a search by name or email on a tab,
// in one of two forms that match the same rows: one that reads the
// matches through the search's index (walk false), and one that tests a
// row already at hand (walk true): LIKE '%…%', which ignores ASCII case as
// both indexes do. The trigram index also folds the case of other letters,
// which LIKE does not, so a long query like "élodie" is always looked up
// in the index.
func searchWhere(q string, st users.Status, walk bool) (string, []any) {
	if walk && (utf8.RuneCountInString(q) < minTrigram || isASCII(q)) {
		pat := "%" + escapeLike(q) + "%"
		return `(u.name LIKE ? ESCAPE '\' OR u.email LIKE ? ESCAPE '\')`, []any{pat, pat}
	}
	table, match := searchIndex(q)
	in := `u.id IN (SELECT ` + rowidToID + ` FROM ` + table + ` WHERE ` + table + ` MATCH ?` + rankRowids("rowid", st) + `)`
	if walk {
		in = "+" + in // built once, then probed for each row walked
	}
	return in, []any{match}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// spaceWhere limits the list to people with a role, or a pending
// invitation offering one, in the given spaces.
func spaceWhere(ids []int64, walk bool) (string, []any) {
	in, args := inList(append([]int64{0}, ids...))
	// UNION ALL: an IN list needs no duplicates removed. The pending check
	// reads invitations_pending_user (migration 0003), not the invitations.
	c := `u.id IN (SELECT user_id FROM role_grants WHERE space_id IN ` + in + `
		UNION ALL SELECT i.user_id FROM invitation_roles r JOIN invitations i INDEXED BY invitations_pending_user ON i.id = r.invitation_id
		      WHERE r.space_id IN ` + in + ` AND i.state = 'pending')`
	if walk {
		c = "+" + c
	}
	return c, append(args, args...)
}

// undeliveredWhere holds the users of the Not delivered filter: a range
// of the partial index invitations_undelivered (migration 0007), kept by
// triggers on the outbox.
const undeliveredWhere = `u.id IN (SELECT i.user_id FROM invitations i WHERE i.state = 'pending' AND i.undelivered = 1) AND u.deactivated_at IS NULL`

// filterWhere is the search, space and delivery part of a list filter
// (not the tab), with placeholders only; "" when the list is unfiltered.
func filterWhere(f users.ListFilter, walk bool) ([]string, []any) {
	var conds []string
	var args []any
	if f.Undelivered {
		conds = append(conds, undeliveredWhere)
	}
	if q := searchText(f.Query); q != "" {
		c, a := searchWhere(q, f.Status, walk)
		conds, args = append(conds, c), append(args, a...)
	}
	if f.SpaceIDs != nil {
		c, a := spaceWhere(f.SpaceIDs, walk)
		conds, args = append(conds, c), append(args, a...)
	}
	return conds, args
}

func filtered(f users.ListFilter) bool {
	return searchText(f.Query) != "" || f.SpaceIDs != nil || f.Undelivered
}

// undeliveredCountQuery counts the users of the Not delivered filter under
// f's search and spaces: along invitations_undelivered, testing each
// user found, as a walk does.
func undeliveredCountQuery(f users.ListFilter) (string, []any) {
	f.Undelivered = false
	conds, args := filterWhere(f, true)
	where := ""
	if len(conds) > 0 {
		where = " AND " + strings.Join(conds, " AND ")
	}
	return `SELECT count(*) FROM invitations i INDEXED BY invitations_undelivered JOIN users u ON u.id = i.user_id
		WHERE i.state = 'pending' AND i.undelivered = 1 AND u.deactivated_at IS NULL` + where, args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// listOrder is the ORDER BY of a sort: each is the key of an index
// (users_sort_name, the email index, users_joined_at, users_last_sign_in, and their rank twins), and
// a descending sort walks it backwards.
func listOrder(f users.ListFilter) string {
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	switch f.Sort {
	case users.ByEmail:
		return " ORDER BY u.email" + dir
	case users.ByStatus:
		if f.Status == "" {
			return " ORDER BY " + rankExpr + dir + ", " + sortName + " COLLATE NOCASE" + dir + ", u.id" + dir
		}
		// One tab is one rank: by name, which SQLite sees is one index.
	case users.ByJoined:
		return " ORDER BY " + strings.Join(joinedOrder, dir+", ") + dir
	case users.ByLastSignIn:
		return " ORDER BY " + strings.Join(signInOrder, dir+", ") + dir
	}
	return " ORDER BY " + sortName + " COLLATE NOCASE" + dir + ", u.id" + dir
}

// pageIDsQuery selects the ids of one page of rows. With walk set it
// reads along the sort order's index and tests each row against the
// filter; without, it reads the filter's matches and sorts them.
//
// Selecting ids only is what makes deep pages cheap: the sort index holds
// them, so the rows an OFFSET skips (and those a filter rejects) are never
// looked up in the table. SQLite looks a row up for every entry it passes
// as soon as the query needs any column the index lacks, even for rows it
// then skips.
func pageIDsQuery(f users.ListFilter, walk bool) (string, []any) {
	from, args := listFrom(f, walk)
	offset := (f.Page - 1) * f.PerPage
	return `SELECT u.id` + from + listOrder(f) + ` LIMIT ? OFFSET ?`, append(args, f.PerPage, offset)
}

// listFrom is the FROM and WHERE of the rows the list's filter f selects,
// read along the sort order's index (walk) or through the filter's
// matches, as pageIDsQuery says; the export reads them all the same way.
func listFrom(f users.ListFilter, walk bool) (string, []any) {
	var conds []string
	var args []any
	if c, a := statusWhere(f.Status, f.Now.Unix(), filtered(f) && !walk); c != "" {
		conds, args = append(conds, c), append(args, a...)
	}
	fc, fa := filterWhere(f, walk)
	conds, args = append(conds, fc...), append(args, fa...)
	if c := f.After; c != nil {
		// Past the cursor, along the order's own index.
		op := " > "
		if f.Desc {
			op = " < "
		}
		if f.Sort == users.ByEmail {
			conds, args = append(conds, "u.email"+op+"?"), append(args, c.Key)
		} else {
			conds, args = append(conds, "("+sortName+" COLLATE NOCASE, u.id)"+op+"(?, ?)"), append(args, c.Key, c.ID)
		}
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	from := ` FROM users u`
	if walk && f.Status == "" && (f.Sort == users.ByName || f.Sort == "") {
		// Along users_sort_name_email, which holds what a search's LIKE tests.
		from = ` FROM users u INDEXED BY users_sort_name_email`
	}
	return from + where, args
}

// listQuery is the query for one page of rows: the page's ids, then
// those rows, sorted again (a page's worth).
func listQuery(f users.ListFilter, walk bool) (string, []any) {
	ids, args := pageIDsQuery(f, walk)
	return `SELECT ` + prefixed("u.", userCols) + ` FROM users u WHERE u.id IN (` + ids + `)` + listOrder(f), args
}

// countQuery counts each tab: scans nothing, as said above. Its columns
// are active, invited, expired, deactivated, and the unfiltered number of
// users of the current tab (the length of the index a walk would read).
func countQuery(f users.ListFilter) (string, []any) {
	now := f.Now.Unix()
	var tab string
	switch f.Status {
	case users.Active:
		tab = `(SELECT n FROM user_status_counts WHERE status_rank = 0)`
	case users.Invited, users.Expired:
		tab = `(SELECT n FROM user_status_counts WHERE status_rank = 1)`
	case users.Deactivated:
		tab = `(SELECT n FROM user_status_counts WHERE status_rank = 2)`
	default:
		tab = `(SELECT sum(n) FROM user_status_counts)`
	}
	if q := searchText(f.Query); q != "" && f.SpaceIDs == nil {
		// A search alone: its index counts the matches per rank from their
		// rowids; only the pending ones are looked up, for their expiry.
		table, match := searchIndex(q)
		from := ` FROM ` + table + ` WHERE ` + table + ` MATCH ?`
		return `SELECT (SELECT count(*)` + from + rankRowids("rowid", users.Active) + `),
			       count(*) FILTER (WHERE u.invite_expires_at > ?),
			       count(*) FILTER (WHERE u.invite_expires_at <= ?),
			       (SELECT count(*)` + from + rankRowids("rowid", users.Deactivated) + `),
			       ` + tab + `
			FROM ` + table + ` s JOIN users u INDEXED BY users_id_status ON u.id = s.rowid - ` + pendingRowid + `
			WHERE ` + table + ` MATCH ?` + rankRowids("s.rowid", users.Invited), []any{match, now, now, match, match}
	}
	every := f
	every.Status = "" // the other tabs are counted too: a search's matches of every rank
	if conds, args := filterWhere(every, false); len(conds) > 0 {
		// One probe of users_id_status per match: it holds the rank and the
		// expiry, so no table row is read.
		return `SELECT count(*) FILTER (WHERE ` + rankExpr + ` = 0),
			       count(*) FILTER (WHERE ` + rankExpr + ` = 1 AND u.invite_expires_at > ?),
			       count(*) FILTER (WHERE ` + rankExpr + ` = 1 AND u.invite_expires_at <= ?),
			       count(*) FILTER (WHERE ` + rankExpr + ` = 2),
			       ` + tab + `
			FROM users u INDEXED BY users_id_status WHERE ` + strings.Join(conds, " AND "), append([]any{now, now}, args...)
	}
	// Pending users whose invitation still runs: those expiring after today
	// from pending_expiry_days, those expiring later today from one short
	// range of users_rank_expires. Expired ones are the other pending ones,
	// but for those without an expiry, who are in neither tab.
	tomorrow := (now/86400 + 1) * 86400
	return `SELECT c0.n, running.n, c1.n - running.n - nulls.n, c2.n, ` + tab + `
		FROM user_status_counts c0, user_status_counts c1, user_status_counts c2,
		     (SELECT (SELECT coalesce(sum(n), 0) FROM pending_expiry_days WHERE day >= ?)
		           + (SELECT count(*) FROM users u WHERE ` + rankExpr + ` = 1 AND u.invite_expires_at > ? AND u.invite_expires_at < ?) AS n) running,
		     (SELECT count(*) AS n FROM users u WHERE ` + rankExpr + ` = 1 AND u.invite_expires_at IS NULL) nulls
		WHERE c0.status_rank = 0 AND c1.status_rank = 1 AND c2.status_rank = 2`, []any{tomorrow / 86400, now, tomorrow}
}

// holdsQuery asks whether the list's filter (tab, search, spaces) matches
// the user f.Holding: the conditions a page walk tests, on one row.
func holdsQuery(f users.ListFilter) (string, []any) {
	conds := []string{`u.id = ?`}
	args := []any{f.Holding}
	if c, a := statusWhere(f.Status, f.Now.Unix(), false); c != "" {
		conds, args = append(conds, c), append(args, a...)
	}
	fc, fa := filterWhere(f, true)
	conds, args = append(conds, fc...), append(args, fa...)
	// One primary-key read: the count is 0 or 1.
	return `SELECT count(*) FROM users u WHERE ` + strings.Join(conds, " AND "), args
}

// nextExpiryQuery is the first expiry of a pending invitation after a
// time: one probe of users_rank_expires.
const nextExpiryQuery = `SELECT min(u.invite_expires_at) FROM users u WHERE ` + rankExpr + ` = 1 AND u.invite_expires_at > ?`

func (s *UserStore) List(ctx context.Context, f users.ListFilter) (users.ListPage, error) {
	if !s.db.sqlListOnly {
		// The list, a tab or all of it, searched or not, of the whole
		// account or of some spaces: its order is kept in memory
		// (listindex.go) once loaded.
		ok, err := s.db.list.current(ctx, s.db.Generation())
		if err != nil {
			return users.ListPage{}, err
		}
		if ok {
			if page, ok, err := s.listIndexed(ctx, f); ok || err != nil {
				return page, err
			}
		}
	}
	var page users.ListPage
	// One read transaction: the counts, the rows and the rows' details come
	// from one snapshot, even while others write.
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return page, errs.Wrap(err, "listing users")
	}
	defer tx.Rollback()

	var active, invited, expired, deactivated, tabSize int
	tabs := f
	tabs.Undelivered = false // the other tabs count as they would without it
	q, args := countQuery(tabs)
	if err := tx.QueryRowContext(ctx, q, args...).Scan(&active, &invited, &expired, &deactivated, &tabSize); err != nil {
		return page, errs.Wrap(err, "counting users")
	}
	q, args = undeliveredCountQuery(f)
	if err := tx.QueryRowContext(ctx, q, args...).Scan(&page.Undelivered); err != nil {
		return page, errs.Wrap(err, "counting users")
	}
	countPage(&page, f, active, invited, expired, deactivated)
	var until sql.NullInt64
	if err := tx.QueryRowContext(ctx, nextExpiryQuery, f.Now.Unix()).Scan(&until); err != nil {
		return page, errs.Wrap(err, "counting users")
	}
	page.Until = fromUnix(until)
	if f.Holding != 0 {
		q, args := holdsQuery(f)
		if err := tx.QueryRowContext(ctx, q, args...).Scan(&page.Holds); err != nil {
			return page, errs.Wrap(err, "listing users")
		}
	}
	offset := (f.Page - 1) * f.PerPage
	if offset >= page.Total {
		return page, nil // past the last page: nothing to read
	}

	// A filtered page can be read two ways: through the matches, reading
	// and sorting every one of them, or along the sort order's index,
	// testing each user until the page is full. The walk passes about
	// (offset + page) × tabSize / matches users: many matches make it short
	// ("son" in 100,000 names), few make reading them cheaper ("zoë").
	// Walking past a user costs about what reading a match costs, or a
	// tenth of it along users_sort_name_email, which holds all a test needs.
	walked := int64(offset+f.PerPage) * int64(tabSize) / int64(page.Total)
	perMatch := int64(1)
	if f.Status == "" && (f.Sort == users.ByName || f.Sort == "") {
		perMatch = 10
	}
	// The Not delivered filter is read through its few users, always.
	walk := filtered(f) && !f.Undelivered && walked < perMatch*int64(page.Total)
	q, args = listQuery(f, walk)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return page, errs.Wrap(err, "listing users")
	}
	var ids []int64
	for rows.Next() {
		u, err := scanShown(rows)
		if err != nil {
			rows.Close()
			return page, errs.Wrap(err, "listing users")
		}
		page.Rows = append(page.Rows, users.Listed{User: u})
		ids = append(ids, u.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, errs.Wrap(err, "listing users")
	}
	if err := fillRows(ctx, tx, page.Rows, ids); err != nil {
		return page, err
	}
	return page, nil
}

// countPage sets the counts of a page of the list f: the tabs', and the
// number of users the list has.
func countPage(page *users.ListPage, f users.ListFilter, active, invited, expired, deactivated int) {
	page.Counts = map[users.Status]int{users.Active: active, users.Invited: invited, users.Expired: expired, users.Deactivated: deactivated}
	page.All = active + invited + expired + deactivated
	page.Total = page.All
	switch {
	case f.Undelivered:
		page.Total = page.Undelivered
	case f.Status != "":
		page.Total = page.Counts[f.Status]
	}
}

// listIndexed is List from the order kept in memory (listindex.go,
// listsearch.go): the counts and the page's ids from it, the rows by id.
// It reports false when the order cannot answer f.
func (s *UserStore) listIndexed(ctx context.Context, f users.ListFilter) (users.ListPage, bool, error) {
	var page users.ListPage
	x := s.db.list
	var matches []int64
	searched := false
	if q := searchText(f.Query); q != "" {
		x.mu.RLock()
		own := x.searchable(q)
		x.mu.RUnlock()
		if !own {
			var err error
			if matches, err = s.searchIDs(ctx, q); err != nil {
				return page, true, err
			}
			searched = true
		}
	}
	x.mu.RLock()
	ok := x.listMem(f, &page, matches, searched)
	x.mu.RUnlock()
	return page, ok, nil
}

// searchIDs is the ids of the users a search for q (as searchText gives
// it) finds, from its index.
func (s *UserStore) searchIDs(ctx context.Context, q string) ([]int64, error) {
	table, match := searchIndex(q)
	rows, err := s.db.query(ctx, `SELECT `+rowidToID+` FROM `+table+` WHERE `+table+` MATCH ?`, match)
	if err != nil {
		return nil, errs.Wrap(err, "searching users")
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "searching users")
		}
		ids = append(ids, id)
	}
	return ids, errs.Wrap(rows.Err(), "searching users")
}

func (s *UserStore) Listed(ctx context.Context, id int64) (users.Listed, error) {
	u, err := s.ByID(ctx, id)
	if err != nil {
		return users.Listed{}, err
	}
	rows := []users.Listed{{User: u}}
	err = fillRows(ctx, s.db.R, rows, []int64{id})
	return rows[0], err
}

// rowInvitesQuery reads the pending invitations of some users, each with
// every email sent about it, from outbox_invitation_delivery alone (no
// outbox row). It is completed by an IN list of user ids.
const rowInvitesQuery = `
	SELECT i.id, i.user_id, i.created_at, i.sent_at, i.expires_at, i.inviter_name, i.renewal_requested_at,
	       o.id, o.state, o.last_error
	FROM invitations i
	LEFT JOIN outbox o INDEXED BY outbox_invitation_delivery ON o.invitation_id = i.id AND o.kind != 'renewal_request'
	WHERE i.state = 'pending' AND i.user_id IN `

// rowRolesQuery reads the roles some users hold (0) and those their
// pending invitation offers (1), the account first, then by space name;
// in takes the IN list of user ids, pendingIn that of those of them who
// may have a pending invitation (either "": none; not both).
func rowRolesQuery(in, pendingIn string) string {
	var parts []string
	if in != "" {
		parts = append(parts, `
	SELECT 0, g.user_id, g.space_id, sp.kind, sp.name, g.role, sp.kind != 'account' AS later
	FROM role_grants g JOIN spaces sp ON sp.id = g.space_id
	WHERE g.user_id IN `+in)
	}
	if pendingIn != "" {
		parts = append(parts, `
	SELECT 1, i.user_id, r.space_id, sp.kind, sp.name, r.role, sp.kind != 'account' AS later
	FROM invitations i JOIN invitation_roles r ON r.invitation_id = i.id JOIN spaces sp ON sp.id = r.space_id
	WHERE i.state = 'pending' AND i.user_id IN `+pendingIn)
	}
	return strings.Join(parts, `
	UNION ALL`) + `
	ORDER BY 1, 2, 7, 5 COLLATE NOCASE, 3`
}

// fillRows adds each row's grants, pending invitation (with the fate of
// its newest email and the roles it offers) and who invited them, in
// three queries for the whole page.
func fillRows(ctx context.Context, q querier, rows []users.Listed, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	in, args := inList(ids)
	inviters, err := invitedBy(ctx, q, in, args)
	if err != nil {
		return err
	}
	for i := range rows {
		by := inviters[rows[i].ID]
		rows[i].InvitedBy, rows[i].InvitedAt = by.name, by.at
	}
	return fillDetails(ctx, q, rows, ids, ids, true)
}

// fillDetails is fillRows but for who invited: each row's pending
// invitation and, withGrants, its grants, in two queries at most. pending
// are those of ids who may have a pending invitation: the others' are not
// looked for.
func fillDetails(ctx context.Context, q querier, rows []users.Listed, ids, pending []int64, withGrants bool) error {
	if len(ids) == 0 {
		return nil
	}
	in, args := inList(ids)
	pendingIn, pendingArgs := "", []any(nil)
	invites := map[int64]*users.Invite{}
	newest := map[int64]int64{} // invitation id: id of its newest email
	var rs *sql.Rows
	var err error
	if len(pending) > 0 {
		pendingIn, pendingArgs = inList(pending)
		rs, err = q.QueryContext(ctx, rowInvitesQuery+pendingIn, pendingArgs...)
		if err != nil {
			return errs.Wrap(err, "reading invitations")
		}
		defer rs.Close()
	}
	for rs != nil && rs.Next() {
		var inv users.Invite
		var userID, created, sent, expires int64
		var renewal, emailID sql.NullInt64
		var state, lastError sql.NullString
		if err := rs.Scan(&inv.ID, &userID, &created, &sent, &expires, &inv.InviterName, &renewal, &emailID, &state, &lastError); err != nil {
			return errs.Wrap(err, "reading invitations")
		}
		cur := invites[userID]
		if cur == nil {
			inv.CreatedAt, inv.SentAt, inv.ExpiresAt = time.Unix(created, 0).UTC(), time.Unix(sent, 0).UTC(), time.Unix(expires, 0).UTC()
			inv.RenewalRequested = renewal.Valid
			cur = &inv
			invites[userID] = cur
		}
		if emailID.Valid && emailID.Int64 > newest[cur.ID] {
			newest[cur.ID] = emailID.Int64
			cur.Delivery = users.Delivery{State: state.String, Error: lastError.String}
		}
	}
	if rs != nil {
		if err := rs.Err(); err != nil {
			return errs.Wrap(err, "reading invitations")
		}
		rs.Close()
	}

	if !withGrants {
		in, args = "", nil
		if pendingIn == "" {
			for i := range rows {
				rows[i].Invite = invites[rows[i].ID]
			}
			return nil
		}
	}
	grants := map[int64][]spaces.Grant{}
	rs, err = q.QueryContext(ctx, rowRolesQuery(in, pendingIn), append(args, pendingArgs...)...)
	if err != nil {
		return errs.Wrap(err, "reading roles")
	}
	defer rs.Close()
	for rs.Next() {
		var offered bool
		var userID int64
		var later bool
		var g spaces.Grant
		if err := rs.Scan(&offered, &userID, &g.SpaceID, &g.SpaceKind, &g.SpaceName, &g.Role, &later); err != nil {
			return errs.Wrap(err, "reading roles")
		}
		if !offered {
			grants[userID] = append(grants[userID], g)
		} else if inv := invites[userID]; inv != nil {
			inv.Offered = append(inv.Offered, g)
		}
	}
	if err := rs.Err(); err != nil {
		return errs.Wrap(err, "reading roles")
	}
	for i := range rows {
		if withGrants {
			rows[i].Grants = grants[rows[i].ID]
		}
		rows[i].Invite = invites[rows[i].ID]
	}
	return nil
}

// invitedByQuery names who sent each user's newest invitation that is
// pending or was accepted: the one they joined by, or are invited by. It
// is completed by an IN list of user ids.
const invitedByQuery = `
	SELECT i.user_id, i.inviter_name, i.created_at FROM invitations i
	WHERE i.state IN ('pending', 'accepted') AND i.user_id IN `

// inviter is who sent a user's invitation, and when it was first sent.
type inviter struct {
	name string
	at   time.Time
}

func invitedBy(ctx context.Context, q querier, in string, args []any) (map[int64]inviter, error) {
	rs, err := q.QueryContext(ctx, invitedByQuery+in+` ORDER BY i.id`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "reading who invited")
	}
	defer rs.Close()
	out := map[int64]inviter{}
	for rs.Next() {
		var id, at int64
		var name string
		if err := rs.Scan(&id, &name, &at); err != nil {
			return nil, errs.Wrap(err, "reading who invited")
		}
		out[id] = inviter{name: name, at: time.Unix(at, 0).UTC()}
	}
	return out, errs.Wrap(rs.Err(), "reading who invited")
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}
