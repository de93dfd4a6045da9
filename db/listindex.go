package db

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// The users list's order, kept in memory (issue 19). SQLite's indexes can
// find the first page of any sort at once, but a page number is an OFFSET:
// page 731 sorted by email walks 36,550 index entries, a few milliseconds
// and many pages read from the file, before the 50 it shows. Keyset
// pagination would not walk, but page links jump to any number. So each
// process keeps, for every user, what the list sorts and counts by, and
// each sort order (and each order within a tab) as an array of them: page
// N is a slice of it, and the tabs' counts its lengths. It also keeps what
// the rows show (names and emails as written, roles, pending invitations:
// listgrants.go, listinvites.go), so that a page reads nothing from
// SQLite: 50 users read by id were a third of a deep page's CPU, at about
// 7 µs a row even with every page in SQLite's cache.
//
// It is right whoever writes: the triggers of migrations 0017, 0018 and
// 0019 note every change to those columns, and to what it keeps of the
// users' invitations (who is Not delivered, who has one pending, who
// invited them, the pending one's times, emails and roles), in
// list_changes, in the writer's transaction.
// When the database has moved on (Generation), the first request reads
// the notes after the last it applied and the users they name, and moves
// those users; other requests wait for it, then read the new order. A gap
// in the notes (they are kept a day) or a great many of them load the
// whole order afresh, in the background, while the list is read from
// SQLite's indexes as before. The first load is in the background too, so
// that starting stays quick.
//
// Searches are answered from it too (listsearch.go): the folded names and
// emails it sorts by are what a search looks through.

// listed is what the order knows of a user: the columns of the sort
// orders, tabs and counts, as SQLite compares them. It holds no pointer
// (its strings are spans of listIndex.text), so that the collector has
// nothing to look through in the 100,000 of them.
type listed struct {
	id       int64
	expires  int64 // invite_expires_at, when has&hasExpires
	joined   int64 // activated_at, when has&hasJoined
	signedIn int64 // last_sign_in_at, when has&hasSignedIn
	name     span  // sort_name, folded as COLLATE NOCASE folds it
	email    span  // email, folded the same way
	// inviter and invitedAt are who sent the newest invitation that is
	// pending or was accepted, and when (invitedByQuery), with
	// hasInviter: inviter is a place in listIndex.inviters.
	invitedAt int64
	inviter   uint32
	grants    grantSpan // the roles they hold (listgrants.go)
	// shownName and shownEmail are the name and email as the list shows
	// them: the folded span itself when they are the same (most emails).
	// created and deactivated are when the user was created and, with
	// rank 2, deactivated.
	shownName, shownEmail span
	created, deactivated  int64
	invite                uint32 // 1 + the place of their pending invitation in listIndex.invites; 0: none kept
	rank                  uint8  // 0 active, 1 pending, 2 deactivated (rankExpr)
	has                   uint8
}

const (
	hasExpires = 1 << iota
	hasJoined
	hasSignedIn
	hasUndelivered // a pending invitation whose newest email failed (invitations.undelivered)
	hasInviter     // an invitation pending or accepted: inviter and invitedAt
	hasPending     // a pending invitation
)

// span is a string in listIndex.text.
type span struct {
	off uint32
	n   uint32
}

// slot is a listed's place in listIndex.entries.
type slot = int32

func compareNullable(a, b int64, aHas, bHas bool) int {
	// NULLs last, as joinedOrder and signInOrder sort them.
	if aHas != bHas {
		if aHas {
			return -1
		}
		return 1
	}
	return cmp.Compare(a, b)
}

// compare compares two users in sort order s, ascending (a descending sort
// is the same order backwards: every key takes the direction).
func (x *listIndex) compare(s users.Sort, i, j slot) int {
	a, b := &x.entries[i], &x.entries[j]
	switch s {
	case users.ByEmail:
		return cmp.Or(bytes.Compare(x.str(a.email), x.str(b.email)), cmp.Compare(a.id, b.id))
	case users.ByStatus:
		return cmp.Or(cmp.Compare(a.rank, b.rank), bytes.Compare(x.str(a.name), x.str(b.name)), cmp.Compare(a.id, b.id))
	case users.ByJoined:
		return cmp.Or(compareNullable(a.joined, b.joined, a.has&hasJoined != 0, b.has&hasJoined != 0), cmp.Compare(a.id, b.id))
	case users.ByLastSignIn:
		return cmp.Or(compareNullable(a.signedIn, b.signedIn, a.has&hasSignedIn != 0, b.has&hasSignedIn != 0), cmp.Compare(a.id, b.id))
	}
	return cmp.Or(bytes.Compare(x.str(a.name), x.str(b.name)), cmp.Compare(a.id, b.id))
}

func (x *listIndex) str(sp span) []byte { return x.text[sp.off : sp.off+sp.n] }

// sortsKept are the orders kept: every sort of the list. Within a tab, the
// status sort is the name order (one tab is one rank).
var sortsKept = []users.Sort{users.ByName, users.ByEmail, users.ByStatus, users.ByJoined, users.ByLastSignIn}

// maxChanges is how many noted changes are applied one by one; more, and
// the order is loaded afresh.
const maxChanges = 5000

// listIndex is the order of one database's users.
type listIndex struct {
	d *DB

	mu    sync.RWMutex
	ready bool   // loaded; false: the list reads SQLite's indexes
	gen   uint64 // the generation it is right for
	seq   int64  // the last note of list_changes applied
	byID  map[int64]slot
	// entries are the users, text their folded names and emails, sigs
	// what letters and pairs of letters those hold (listsearch.go); free
	// are the slots of entries of users since deleted or moved.
	entries      []listed
	text         []byte
	sigs         sigs
	free         []slot
	live         int               // bytes of text in use
	slack        int               // text is compacted when over twice live plus this
	odd          int               // users whose strings fold otherwise in a trigram search (foldsToASCII)
	flagged      map[slot]struct{} // users with hasUndelivered
	nUndelivered int               // of those, the ones not deactivated: the Not delivered filter's
	// inviters are the names of those who invited (few: administrators),
	// each once; inviterAt is the place of each in it.
	inviters  []string
	inviterAt map[string]uint32
	recent    recentSearches // listsearch.go
	// grants are the users' roles (listgrants.go), roles the roles' names,
	// spaces every space, read again when spaces_version moves.
	grants        []heldGrant
	grantsLive    int
	roles         []spaces.Role
	spaces        map[int64]spaces.Space
	spacesVersion int64
	// invites are the pending invitations (listinvites.go), freeInvites
	// the places of those since ended or moved.
	invites     []keptInvite
	freeInvites []uint32
	all         map[users.Sort][]slot    // every user, per order
	ranked      map[users.Sort][3][]slot // per rank, per order
	// expiries are the pending users' expiries, ascending: what the
	// Invited and Invitation expired tabs count, and the next expiry.
	expiries []int64
	noExpiry int // pending users without an expiry, in neither tab

	loading  bool   // a load runs in the background
	failedAt uint64 // the generation at which a load last failed
	stop     context.Context
	wg       sync.WaitGroup
}

func newListIndex(d *DB, stop context.Context) *listIndex {
	return &listIndex{d: d, stop: stop, slack: 1 << 20}
}

// listedCols are the columns of a listed, for scanRow. SQLite's lower()
// folds A-Z only, as COLLATE NOCASE does: compared as bytes, the folded
// strings sort as the indexes do.
const listedCols = `u.id, ` + rankExpr + `, lower(u.sort_name), lower(u.email), u.invite_expires_at, u.activated_at, u.last_sign_in_at,
	u.name, u.email, u.created_at, u.deactivated_at,
	EXISTS (SELECT 1 FROM invitations i WHERE i.user_id = u.id AND i.state = 'pending' AND i.undelivered = 1),
	EXISTS (SELECT 1 FROM invitations i WHERE i.user_id = u.id AND i.state = 'pending'),
	(SELECT i.inviter_name FROM invitations i WHERE i.user_id = u.id AND i.state IN ('pending', 'accepted') ORDER BY i.id DESC LIMIT 1),
	(SELECT i.created_at FROM invitations i WHERE i.user_id = u.id AND i.state IN ('pending', 'accepted') ORDER BY i.id DESC LIMIT 1)`

// The queries of the order (their plans: TestListIndexPlans): the notes
// after a seq, the users they name (completed by an IN list of ids), and
// the last note's seq. A load reads every user, on purpose.
const (
	notesQuery    = `SELECT seq, user_id FROM list_changes WHERE seq > ? ORDER BY seq LIMIT ?`
	notedQuery    = `SELECT ` + listedCols + ` FROM users u WHERE u.id IN `
	lastNoteQuery = `SELECT coalesce(max(seq), 0) FROM list_changes`
	// usersCountQuery reads the three rows of the counts that triggers
	// keep (migration 0002).
	usersCountQuery = `SELECT coalesce(sum(n), 0) FROM user_status_counts`
)

// listedRow is a row of listedCols as read. Its bytes are the driver's,
// good until the next row (owned copies them): a load keeps 100,000 of
// them in one text, and makes no string of each on the way.
type listedRow struct {
	id                        int64
	rank                      uint8
	name, email, inviter      sql.RawBytes
	expires, joined, signedIn sql.NullInt64
	shownName, shownEmail     sql.RawBytes
	created                   int64
	deactivated               sql.NullInt64
	undelivered, pending      bool
	invitedAt                 sql.NullInt64
}

func scanRow(r scanner) (listedRow, error) {
	var l listedRow
	err := r.Scan(&l.id, &l.rank, &l.name, &l.email, &l.expires, &l.joined, &l.signedIn,
		&l.shownName, &l.shownEmail, &l.created, &l.deactivated, &l.undelivered, &l.pending, &l.inviter, &l.invitedAt)
	return l, err
}

// owned is r with bytes of its own, kept past the next row.
func (r listedRow) owned() listedRow {
	r.name, r.email, r.inviter = bytes.Clone(r.name), bytes.Clone(r.email), bytes.Clone(r.inviter)
	r.shownName, r.shownEmail = bytes.Clone(r.shownName), bytes.Clone(r.shownEmail)
	return r
}

// add keeps r, with their grants gs, in a free slot, under x.mu, and
// gives the slot; it is in no order yet.
func (x *listIndex) add(r listedRow, gs []grantRow) slot {
	l := listed{id: r.id, rank: r.rank, expires: r.expires.Int64, joined: r.joined.Int64, signedIn: r.signedIn.Int64,
		created: r.created, deactivated: r.deactivated.Int64}
	if r.expires.Valid {
		l.has |= hasExpires
	}
	if r.joined.Valid {
		l.has |= hasJoined
	}
	if r.signedIn.Valid {
		l.has |= hasSignedIn
	}
	if r.undelivered {
		l.has |= hasUndelivered
	}
	if r.pending {
		l.has |= hasPending
	}
	if r.invitedAt.Valid {
		l.has |= hasInviter
		l.inviter, l.invitedAt = x.inviterOf(r.inviter), r.invitedAt.Int64
	}
	l.name, l.email = x.keep(r.name), x.keep(r.email)
	l.shownName, l.shownEmail = x.keepShown(r.shownName, l.name), x.keepShown(r.shownEmail, l.email)
	l.grants = x.keepGrants(gs)
	var i slot
	if n := len(x.free); n > 0 {
		i, x.free = x.free[n-1], x.free[:n-1]
		x.entries[i] = l
	} else {
		i = slot(len(x.entries))
		x.entries = append(x.entries, l)
	}
	x.byID[l.id] = i
	x.sigs.set(i, sigOf(r.name).or(sigOf(r.email)))
	if foldsToASCII(r.name) || foldsToASCII(r.email) {
		x.odd++
	}
	return i
}

// inviterOf is the place of an inviter's name in x.inviters.
func (x *listIndex) inviterOf(name []byte) uint32 {
	if x.inviterAt == nil {
		x.inviters, x.inviterAt = []string{""}, map[string]uint32{"": 0}
	}
	at, ok := x.inviterAt[string(name)]
	if !ok {
		at = uint32(len(x.inviters))
		x.inviters = append(x.inviters, string(name))
		x.inviterAt[string(name)] = at
	}
	return at
}

// row is the user in slot i as the list shows them (users.Listed), with
// who invited them and when, and their grants.
func (x *listIndex) row(i slot) users.Listed {
	l := &x.entries[i]
	r := users.Listed{User: users.User{ID: l.id, Email: string(x.str(l.shownEmail)), Name: string(x.str(l.shownName)), CreatedAt: time.Unix(l.created, 0).UTC()},
		Grants: x.grantsOf(i), Invite: x.invite(i)}
	at := func(has uint8, n int64) time.Time {
		if l.has&has == 0 {
			return time.Time{}
		}
		return time.Unix(n, 0).UTC()
	}
	r.InviteExpiresAt, r.ActivatedAt, r.LastSignInAt = at(hasExpires, l.expires), at(hasJoined, l.joined), at(hasSignedIn, l.signedIn)
	if l.rank == 2 {
		r.DeactivatedAt = time.Unix(l.deactivated, 0).UTC()
	}
	if l.has&hasInviter != 0 {
		r.InvitedBy, r.InvitedAt = x.inviters[l.inviter], time.Unix(l.invitedAt, 0).UTC()
	}
	return r
}

func (x *listIndex) keep(s []byte) span {
	sp := span{off: uint32(len(x.text)), n: uint32(len(s))}
	x.text = append(x.text, s...)
	x.live += len(s)
	return sp
}

// keepShown keeps s, a string as shown, whose folded form is kept in
// folded: as that span when they are the same.
func (x *listIndex) keepShown(s []byte, folded span) span {
	if bytes.Equal(s, x.str(folded)) {
		return folded
	}
	return x.keep(s)
}

// texts are the spans of text l holds, each once: its shown strings when
// they are not its folded ones.
func (l *listed) texts() []*span {
	ts := []*span{&l.name, &l.email}
	if l.shownName != l.name {
		ts = append(ts, &l.shownName)
	}
	if l.shownEmail != l.email {
		ts = append(ts, &l.shownEmail)
	}
	return ts
}

// current brings the order up to the database's generation gen and
// reports whether it can answer: false while it is first loaded, or
// loaded afresh, in the background.
func (x *listIndex) current(ctx context.Context, gen uint64) (bool, error) {
	x.mu.RLock()
	ok := x.ready && x.gen == gen
	x.mu.RUnlock()
	if ok {
		return true, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.ready && x.gen == gen {
		return true, nil // another request brought it up meanwhile
	}
	if !x.ready {
		x.loadInBackground(gen)
		return false, nil
	}
	done, err := x.apply(ctx)
	if err != nil {
		return false, err
	}
	if !done {
		x.ready = false
		x.loadInBackground(gen)
		return false, nil
	}
	x.gen = gen
	return true, nil
}

// apply moves the users named by the notes after x.seq, under x.mu. It
// reports false when it cannot (a gap in the notes, or too many).
func (x *listIndex) apply(ctx context.Context) (bool, error) {
	tx, err := x.d.beginRead(ctx)
	if err != nil {
		return false, errs.Wrap(err, "reading the list's changes")
	}
	defer tx.Rollback()
	if err := x.readSpaces(ctx, tx); err != nil {
		return false, errs.Wrap(err, "reading the list's changes")
	}
	rows, err := tx.QueryContext(ctx, notesQuery, x.seq, maxChanges+1)
	if err != nil {
		return false, errs.Wrap(err, "reading the list's changes")
	}
	seq := x.seq
	changed := map[int64]bool{}
	gap := false
	for rows.Next() {
		var s, id int64
		if err := rows.Scan(&s, &id); err != nil {
			rows.Close()
			return false, errs.Wrap(err, "reading the list's changes")
		}
		if s != seq+1 {
			gap = true // notes deleted before they were read
		}
		seq = s
		changed[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, errs.Wrap(err, "reading the list's changes")
	}
	if gap || len(changed) > maxChanges {
		return false, nil
	}
	if len(changed) == 0 {
		return true, nil
	}
	ids := make([]int64, 0, len(changed))
	for id := range changed {
		ids = append(ids, id)
	}
	in, args := inList(ids)
	rows, err = tx.QueryContext(ctx, notedQuery+in, args...)
	if err != nil {
		return false, errs.Wrap(err, "reading the list's changes")
	}
	now := map[int64]listedRow{}
	for rows.Next() {
		l, err := scanRow(rows)
		if err != nil {
			rows.Close()
			return false, errs.Wrap(err, "reading the list's changes")
		}
		now[l.id] = l.owned()
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, errs.Wrap(err, "reading the list's changes")
	}
	gs, err := readGrants(ctx, tx, grantsQuery+` WHERE user_id IN `+in, args...)
	if err != nil {
		return false, errs.Wrap(err, "reading the list's changes")
	}
	invs, err := readInvites(ctx, tx, invitesQuery+` AND i.user_id IN `+in, args...)
	if err != nil {
		return false, errs.Wrap(err, "reading the list's changes")
	}
	offers, err := readGrants(ctx, tx, offersQuery+` AND i.user_id IN `+in, args...)
	if err != nil {
		return false, errs.Wrap(err, "reading the list's changes")
	}
	for _, id := range ids {
		x.remove(id)
		if l, ok := now[id]; ok {
			i := x.add(l, gs[id])
			if r, ok := invs[id]; ok {
				x.keepInvite(i, r, offers[id])
			}
			x.insert(i)
		}
	}
	if len(x.text) > 2*x.live+x.slack {
		x.compactText()
	}
	if len(x.grants) > 2*x.grantsLive+x.slack/16 {
		x.compactGrants()
	}
	x.seq = seq
	return true, nil
}

// loadInBackground starts loading the whole order, under x.mu, unless a
// load runs already or failed at this generation (it is tried again at
// the next).
func (x *listIndex) loadInBackground(gen uint64) {
	if x.loading || x.failedAt == gen && gen != 0 || x.stop.Err() != nil {
		return
	}
	x.loading = true
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		err := x.load(x.stop, gen)
		x.mu.Lock()
		defer x.mu.Unlock()
		x.loading = false
		if err != nil {
			x.failedAt = gen
		}
	}()
}

// load reads every user, as of a snapshot no older than generation gen.
func (x *listIndex) load(ctx context.Context, gen uint64) error {
	tx, err := x.d.beginRead(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var seq int64
	if err := tx.QueryRowContext(ctx, lastNoteQuery).Scan(&seq); err != nil {
		return err
	}
	// Made the size they will be: peak memory is what a load leaves
	// behind while it runs, doublings included.
	var count int
	if err := tx.QueryRowContext(ctx, usersCountQuery).Scan(&count); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+listedCols+` FROM users u`)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := &listIndex{d: x.d, byID: make(map[int64]slot, count), flagged: map[slot]struct{}{},
		entries: make([]listed, 0, count), sigs: makeSigs(count)}
	for rows.Next() {
		l, err := scanRow(rows)
		if err != nil {
			return err
		}
		n.add(l, nil)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	if err := n.loadGrants(ctx, tx); err != nil {
		return err
	}
	if err := n.loadInvites(ctx, tx); err != nil {
		return err
	}
	if err := n.readSpaces(ctx, tx); err != nil {
		return err
	}
	n.all, n.ranked = map[users.Sort][]slot{}, map[users.Sort][3][]slot{}
	every := make([]slot, len(n.entries))
	for i := range every {
		every[i] = slot(i)
		l := &n.entries[i]
		if l.rank == 1 {
			if l.has&hasExpires != 0 {
				n.expiries = append(n.expiries, l.expires)
			} else {
				n.noExpiry++
			}
		}
		if l.has&hasUndelivered != 0 {
			n.flagged[slot(i)] = struct{}{}
			if l.rank != 2 {
				n.nUndelivered++
			}
		}
	}
	slices.Sort(n.expiries)
	for _, s := range sortsKept {
		o := slices.Clone(every)
		slices.SortFunc(o, func(a, b slot) int { return n.compare(s, a, b) })
		n.all[s] = o
		if s == users.ByStatus {
			continue
		}
		var r [3][]slot
		for _, i := range o {
			rank := n.entries[i].rank
			r[rank] = append(r[rank], i)
		}
		n.ranked[s] = r
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.byID, x.entries, x.text, x.sigs, x.free, x.live = n.byID, n.entries, n.text, n.sigs, nil, n.live
	x.odd, x.flagged, x.nUndelivered, x.inviters, x.inviterAt = n.odd, n.flagged, n.nUndelivered, n.inviters, n.inviterAt
	x.grants, x.grantsLive, x.roles, x.spaces, x.spacesVersion = n.grants, n.grantsLive, n.roles, n.spaces, n.spacesVersion
	x.invites, x.freeInvites = n.invites, nil
	x.all, x.ranked, x.expiries, x.noExpiry = n.all, n.ranked, n.expiries, n.noExpiry
	x.seq, x.gen, x.ready = seq, gen, true
	return nil
}

// wait waits for a background load to end (tests, Close).
func (x *listIndex) wait() { x.wg.Wait() }

// insert puts the user in slot i in every order, under x.mu.
func (x *listIndex) insert(i slot) {
	x.inOrders(i, insertSorted)
	l := &x.entries[i]
	if l.has&hasUndelivered != 0 {
		x.flagged[i] = struct{}{}
		if l.rank != 2 {
			x.nUndelivered++
		}
	}
	if l.rank == 1 {
		if l.has&hasExpires != 0 {
			at, _ := slices.BinarySearch(x.expiries, l.expires)
			x.expiries = slices.Insert(x.expiries, at, l.expires)
		} else {
			x.noExpiry++
		}
	}
}

// remove takes user id out of every order, and frees their slot, under
// x.mu.
func (x *listIndex) remove(id int64) {
	i, ok := x.byID[id]
	if !ok {
		return
	}
	x.inOrders(i, removeSorted)
	l := &x.entries[i]
	if l.rank == 1 {
		if l.has&hasExpires != 0 {
			if at, found := slices.BinarySearch(x.expiries, l.expires); found {
				x.expiries = slices.Delete(x.expiries, at, at+1)
			}
		} else {
			x.noExpiry--
		}
	}
	if foldsToASCII(x.str(l.name)) || foldsToASCII(x.str(l.email)) {
		x.odd--
	}
	for _, sp := range l.texts() {
		x.live -= int(sp.n)
	}
	x.grantsLive -= int(l.grants.n)
	l.grants = grantSpan{} // in no space's list (inSpaces)
	x.dropInvite(i)
	x.sigs.set(i, sig{}) // found by no search
	if l.has&hasUndelivered != 0 && l.rank != 2 {
		x.nUndelivered--
	}
	delete(x.flagged, i)
	delete(x.byID, id)
	x.free = append(x.free, i)
}

// inOrders puts the user in slot i in, or takes them out of, every order
// that holds them: op is insertSorted or removeSorted.
func (x *listIndex) inOrders(i slot, op func(o []slot, i slot, by func(a, b slot) int) []slot) {
	for _, s := range sortsKept {
		by := func(a, b slot) int { return x.compare(s, a, b) }
		x.all[s] = op(x.all[s], i, by)
		if s == users.ByStatus {
			continue
		}
		r := x.ranked[s]
		rank := x.entries[i].rank
		r[rank] = op(r[rank], i, by)
		x.ranked[s] = r
	}
}

// compactText copies the strings still in use into a new text, when
// most of it belongs to users since moved or deleted.
func (x *listIndex) compactText() {
	text := make([]byte, 0, x.live)
	x.eachLive(func(l *listed) {
		sameName, sameEmail := l.shownName == l.name, l.shownEmail == l.email
		for _, sp := range l.texts() {
			s := x.str(*sp)
			*sp = span{off: uint32(len(text)), n: uint32(len(s))}
			text = append(text, s...)
		}
		if sameName {
			l.shownName = l.name
		}
		if sameEmail {
			l.shownEmail = l.email
		}
		if l.invite != 0 {
			k := &x.invites[l.invite-1]
			s := x.str(k.err)
			k.err = span{off: uint32(len(text)), n: uint32(len(s))}
			text = append(text, s...)
		}
	})
	x.text = text
}

// eachLive calls fn with every entry in use (not a free slot), under x.mu.
func (x *listIndex) eachLive(fn func(*listed)) {
	for i := range x.entries {
		l := &x.entries[i]
		if at, ok := x.byID[l.id]; ok && at == slot(i) {
			fn(l)
		}
	}
}

func insertSorted(o []slot, i slot, by func(a, b slot) int) []slot {
	at, _ := slices.BinarySearchFunc(o, i, by)
	return slices.Insert(o, at, i)
}

func removeSorted(o []slot, i slot, by func(a, b slot) int) []slot {
	if at, found := slices.BinarySearchFunc(o, i, by); found && o[at] == i {
		return slices.Delete(o, at, at+1)
	}
	return o
}

// counts are the tabs' counts at now, as countQuery gives them unfiltered,
// and the first expiry after now (0: none). Under x.mu (read).
func (x *listIndex) counts(now int64) (active, invited, expired, deactivated int, next int64) {
	i, _ := slices.BinarySearch(x.expiries, now+1) // the first expiry after now
	invited = len(x.expiries) - i
	expired = i
	if i < len(x.expiries) {
		next = x.expiries[i]
	}
	r := x.ranked[users.ByName]
	return len(r[0]), invited, expired, len(r[2]), next
}

// page is the slots of one page of the list f (a tab or All, in f's
// sort and direction) of the users in sel, n of them (nil: every user),
// under x.mu (read).
func (x *listIndex) page(f users.ListFilter, sel selection, n int) []slot {
	s := f.Sort
	if s == "" {
		s = users.ByName
	}
	if f.Status != "" && s == users.ByStatus {
		s = users.ByName // one tab is one rank
	}
	now := f.Now.Unix()
	skip := (f.Page - 1) * f.PerPage
	ids := make([]slot, 0, f.PerPage)
	if sel != nil && n <= gatherAtMost {
		// Few users: sorting them costs less than walking an order.
		var o []slot
		sel.each(func(i slot) {
			if inTab(&x.entries[i], f.Status, now) {
				o = append(o, i)
			}
		})
		slices.SortFunc(o, func(a, b slot) int { return x.compare(s, a, b) })
		if f.After != nil {
			o, skip = x.beyond(o, s, f.After, f.Desc), 0
		}
		if f.Desc {
			slices.Reverse(o)
		}
		return append(ids, o[min(skip, len(o)):min(skip+f.PerPage, len(o))]...)
	}
	o := x.all[s]
	test := f.Status == users.Invited || f.Status == users.Expired
	if f.Status != "" {
		r := x.ranked[s]
		o = r[rankOf(f.Status)]
	}
	if f.After != nil {
		o, skip = x.beyond(o, s, f.After, f.Desc), 0
	}
	if sel == nil && !test {
		if f.Desc {
			for i := len(o) - 1 - skip; i >= 0 && len(ids) < f.PerPage; i-- {
				ids = append(ids, o[i])
			}
			return ids
		}
		for i := skip; i < len(o) && len(ids) < f.PerPage; i++ {
			ids = append(ids, o[i])
		}
		return ids
	}
	// Walk the order, testing each user: the selection's bit, then for
	// Invited and Invitation expired (which share the pending users'
	// order) the expiry.
	for k := 0; k < len(o) && len(ids) < f.PerPage; k++ {
		i := o[k]
		if f.Desc {
			i = o[len(o)-1-k]
		}
		switch {
		case !sel.has(i):
		case test && !inTab(&x.entries[i], f.Status, now):
		case skip > 0:
			skip--
		default:
			ids = append(ids, i)
		}
	}
	return ids
}

// beyond is the part of o, ascending in order s (ByName or ByEmail), past
// the cursor c: after it, or before it for a descending page. Found by
// its key, so it holds when c's user is gone.
func (x *listIndex) beyond(o []slot, s users.Sort, c *users.Cursor, desc bool) []slot {
	key := []byte(lowerASCII(c.Key))
	past := func(i slot) int {
		a := &x.entries[i]
		k := a.name
		if s == users.ByEmail {
			k = a.email
		}
		return cmp.Or(bytes.Compare(x.str(k), key), cmp.Compare(a.id, c.ID))
	}
	if desc {
		return o[:sort.Search(len(o), func(k int) bool { return past(o[k]) >= 0 })]
	}
	return o[sort.Search(len(o), func(k int) bool { return past(o[k]) > 0 }):]
}

// gatherAtMost is how many users a page is sorted from, rather than
// walked to along an order: sorting n costs about n·log₂n comparisons of
// some 30 ns, walking past a user in an order a nanosecond or two.
const gatherAtMost = 400

// rankOf is the rank of a tab's users.
func rankOf(st users.Status) int {
	switch st {
	case users.Active:
		return 0
	case users.Deactivated:
		return 2
	}
	return 1
}

// inTab says whether l is in tab st at now, as statusWhere does.
func inTab(l *listed, st users.Status, now int64) bool {
	switch st {
	case users.Active:
		return l.rank == 0
	case users.Deactivated:
		return l.rank == 2
	case users.Invited:
		return l.rank == 1 && l.has&hasExpires != 0 && l.expires > now
	case users.Expired:
		return l.rank == 1 && l.has&hasExpires != 0 && l.expires <= now
	}
	return true
}

// keepChanges is how long the list's notes are kept: a process that has
// not read them for longer loads the whole order afresh.
const keepChanges = 24 * time.Hour

// ListChangesPruner deletes the list's notes older than keepChanges,
// hourly. It is a mail.Producer, run by the sender's loop, which in fact
// runs it at every pass (each email queued or sent), so it must cost next
// to nothing.
type ListChangesPruner struct {
	DB  *DB
	Now func() time.Time
}

// pruneQuery deletes the notes older than ?, through their index on at
// (migration 0019): a seeded or busy database holds hundreds of
// thousands of notes, and the sender runs the pruner at every pass.
const pruneQuery = `DELETE FROM list_changes WHERE at < ?`

func (p ListChangesPruner) Produce(ctx context.Context) (time.Time, error) {
	now := p.Now()
	_, err := p.DB.W.ExecContext(ctx, pruneQuery, now.Add(-keepChanges).Unix())
	return now.Add(time.Hour), errs.Wrap(err, "deleting the users list's old changes")
}
