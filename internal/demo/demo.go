// Package demo fills an empty database with a realistic account: spaces,
// people in every status in realistic proportions, and the invitation
// histories and emails behind them, so that a newcomer sees a living
// product and benchmarks have something to chew on.
//
// It writes SQL itself, unlike the domain packages: going through the
// services would hash a password and open a transaction per person, and
// 100,000 people must take seconds, not hours. It writes exactly the rows
// those services would (the same states, events, outbox keys and links),
// so every page and action works on the result.
package demo

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/names"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// Options say what to create.
type Options struct {
	Users       int // people, the administrator included
	AccountName string
	AdminEmail  string
	AdminName   string
	// PasswordHash is the one argon2id hash every active user shares:
	// hashing 80,000 passwords would take longer than everything else.
	PasswordHash string
	// Links derives each invitation's link from its nonce with the data
	// folder's link key, so the demo's invitation links really work.
	Links *auth.Links
	TTL   time.Duration // invitation lifetime
	Now   time.Time
	Seed  uint64 // the same seed gives the same people
}

// Summary is what was created.
type Summary struct {
	Users       int
	ByStatus    map[users.Status]int
	Spaces      int
	Invitations int
	Emails      int
}

// ErrNotEmpty is returned for a database that already holds an account.
var ErrNotEmpty = errors.New("the database already has an account or users")

// Proportions of the statuses, in percent: what a large organisation's
// users list looks like on an ordinary day.
const (
	pctActive  = 80
	pctInvited = 12
	pctExpired = 5
	// the remaining 3% are deactivated
)

// Empty reports whether the database has neither spaces nor users.
func Empty(ctx context.Context, d *db.DB) (bool, error) {
	var n int
	err := d.R.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM spaces)`).Scan(&n)
	return n == 0, err
}

// Seed fills an empty, migrated database in one transaction: all of it or
// nothing.
func Seed(ctx context.Context, d *db.DB, o Options) (Summary, error) {
	if o.Users < 1 {
		return Summary{}, errors.New("at least one user (the administrator) is needed")
	}
	if o.Links == nil || o.PasswordHash == "" || o.TTL <= 0 || o.Now.IsZero() {
		return Summary{}, errors.New("demo: Links, PasswordHash, TTL and Now are required")
	}
	// The rows are written here, not by the services: the names given
	// must pass the same rule as theirs.
	var err error
	if o.AccountName, err = names.Account.Clean("account", o.AccountName, false); err != nil {
		return Summary{}, err
	}
	if o.AdminName, err = names.Person.Clean("name", o.AdminName, false); err != nil {
		return Summary{}, err
	}
	empty, err := Empty(ctx, d)
	if err != nil {
		return Summary{}, fmt.Errorf("reading the database: %w", err)
	}
	if !empty {
		return Summary{}, ErrNotEmpty
	}
	g := newGenerator(o)
	g.plan()

	// A big page cache keeps the ten indexes of users in memory while they
	// grow, instead of spilling pages to the WAL again and again, and
	// statement journals (one per multi-row INSERT) stay in memory. Both
	// must be set before the write transaction begins, on the one writer
	// connection, and go back to the defaults before it serves anyone else.
	if _, err := d.W.ExecContext(ctx, `PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY`); err != nil {
		return Summary{}, err
	}
	defer d.W.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT`)
	tx, err := d.W.BeginTx(ctx, nil)
	if err != nil {
		return Summary{}, err
	}
	defer tx.Rollback()
	w, err := newWriter(ctx, tx)
	if err != nil {
		return Summary{}, err
	}
	defer w.close()
	if err := g.write(w); err != nil {
		return Summary{}, err
	}
	// Rows went in a few hundred at a time, and the search indexes grew one
	// small segment per batch; merging them is what a long-lived index
	// converges to, and what a fresh import should start from.
	for _, index := range []string{"users_search", "users_grams"} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+index+` (`+index+`) VALUES ('optimize')`); err != nil {
			return Summary{}, fmt.Errorf("merging the search index %s: %w", index, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Summary{}, fmt.Errorf("saving the demo data: %w", err)
	}
	return g.summary, nil
}

type space struct {
	id       int64
	kind     spaces.Kind
	parent   int64
	name     string
	children []int64 // of a unit: its waiting areas and meeting rooms
}

type person struct {
	id          int64
	email, name string
	status      users.Status // at Now
	created     time.Time    // first invited
	activated   time.Time    // accepted; zero while pending
	deactivated time.Time
	grants      []spaces.Grant // held once active, offered while pending
	unit        int            // index into generator.units
	invs        []*invite      // oldest first
}

// generator plans the people and writes them out.
type generator struct {
	o       Options
	rng     *mrand.Rand
	start   time.Time // when the account was set up
	domain  string
	spaces  []space
	units   []int // indexes into spaces
	byID    map[int64]*space
	admin   *person
	unitAdm map[int]*person // each unit's first administrator
	people  []*person
	emails  map[string]bool
	nonces  []byte
	summary Summary

	invID, outboxID int64
}

func newGenerator(o Options) *generator {
	if o.AccountName == "" {
		o.AccountName = "Northwind Health"
	}
	if o.AdminEmail == "" {
		o.AdminEmail = "admin@example.com"
	}
	if o.AdminName == "" {
		o.AdminName = "Alex Morgan"
	}
	o.Now = o.Now.Truncate(time.Second)
	return &generator{
		o:       o,
		rng:     mrand.New(mrand.NewPCG(o.Seed, o.Seed^0x5eed)),
		start:   o.Now.AddDate(-2, 0, 0),
		domain:  domainOf(o.AccountName),
		byID:    map[int64]*space{},
		unitAdm: map[int]*person{},
		emails:  map[string]bool{},
		summary: Summary{ByStatus: map[users.Status]int{}},
	}
}

// plan decides the spaces and every person, oldest first, so that ids
// follow the order in which people were invited, as they would in real use.
func (g *generator) plan() {
	g.planSpaces()
	g.admin = &person{id: 1, email: g.o.AdminEmail, name: g.o.AdminName, status: users.Active, created: g.start, activated: g.start,
		grants: []spaces.Grant{g.grant(1, spaces.Admin)}}
	g.emails[g.o.AdminEmail] = true

	n := g.o.Users - 1
	// The founding staff: two more account administrators and one or two
	// administrators per unit, who invited most of the others.
	founders := min(n, 2+len(g.units)*3/2)
	for i := range n {
		p := &person{unit: g.rng.IntN(len(g.units))}
		if i < founders {
			p.status = users.Active
			p.created = g.start.Add(g.between(time.Hour, 14*24*time.Hour))
			p.activated = p.created.Add(g.between(5*time.Minute, 2*time.Hour))
			if i < 2 {
				p.grants = []spaces.Grant{g.grant(1, spaces.Admin)}
			} else {
				p.unit = (i - 2) % len(g.units)
				p.grants = []spaces.Grant{g.grant(g.spaces[g.units[p.unit]].id, spaces.Admin)}
			}
		} else {
			g.planPerson(p)
		}
		p.invs = g.invitationsOf(p) // may move p.created back: before sorting
		p.name, p.email = g.identity(p.activated.IsZero())
		g.people = append(g.people, p)
	}
	sort.SliceStable(g.people, func(i, j int) bool { return g.people[i].created.Before(g.people[j].created) })
	for i, p := range g.people {
		p.id = int64(i + 2)
		if len(p.grants) == 1 && p.grants[0].Role == spaces.Admin && p.grants[0].SpaceKind == spaces.Unit {
			if _, ok := g.unitAdm[p.unit]; !ok {
				g.unitAdm[p.unit] = p
			}
		}
	}
	// One random read for every link: cheaper than one per invitation.
	g.nonces = make([]byte, auth.NonceSize*(2*g.o.Users+16))
	_, _ = rand.Read(g.nonces)
}

// planSpaces makes units (one per 4,000 people, 3 to 30), each with a
// waiting area or two and a few meeting rooms.
func (g *generator) planSpaces() {
	g.addSpace(spaces.Account, 0, g.o.AccountName)
	nUnits := min(max(g.o.Users/4000, 3), len(units))
	for u := range nUnits {
		unit := g.addSpace(spaces.Unit, 1, units[u])
		g.units = append(g.units, len(g.spaces)-1)
		areas := 1 + g.rng.IntN(2)
		for a := range areas {
			name := units[u] + " waiting area"
			if a == 1 {
				name = units[u] + " reception"
			}
			g.addSpace(spaces.WaitingArea, unit, name)
		}
		for r := range 2 + g.rng.IntN(4) {
			g.addSpace(spaces.MeetingRoom, unit, fmt.Sprintf("Room %d.%02d", u+1, r+1))
		}
	}
	for i := range g.spaces {
		s := &g.spaces[i]
		g.byID[s.id] = s
		if s.kind == spaces.WaitingArea || s.kind == spaces.MeetingRoom {
			p := g.byID[s.parent]
			p.children = append(p.children, s.id)
		}
	}
}

func (g *generator) addSpace(kind spaces.Kind, parent int64, name string) int64 {
	id := int64(len(g.spaces) + 1)
	g.spaces = append(g.spaces, space{id: id, kind: kind, parent: parent, name: name})
	return id
}

func (g *generator) grant(spaceID int64, role spaces.Role) spaces.Grant {
	s := g.spaces[spaceID-1]
	return spaces.Grant{SpaceID: s.id, SpaceKind: s.kind, SpaceName: s.name, Role: role}
}

// between is a random duration in [lo, hi).
func (g *generator) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)))
}

// planPerson draws a status and the times that go with it.
func (g *generator) planPerson(p *person) {
	ttl, now := g.o.TTL, g.o.Now
	unit := g.spaces[g.units[p.unit]]
	if g.rng.IntN(10) == 0 {
		p.grants = []spaces.Grant{g.grant(1, spaces.Member)}
	} else {
		p.grants = []spaces.Grant{g.grant(unit.id, spaces.Member)}
		if g.rng.IntN(100) < 35 && len(unit.children) > 0 {
			p.grants = append(p.grants, g.grant(unit.children[g.rng.IntN(len(unit.children))], spaces.Member))
		}
	}
	active := func() {
		p.status = users.Active
		p.created = g.start.Add(14*24*time.Hour + g.between(0, now.Sub(g.start)-15*24*time.Hour))
		// Most people accept within a day; some take most of the week.
		wait := min(time.Duration(g.rng.ExpFloat64()*float64(20*time.Hour))+5*time.Minute, ttl-time.Minute)
		p.activated = minTime(p.created.Add(wait), now.Add(-time.Minute))
	}
	pending := func(expired bool) {
		sent := now.Add(-g.between(time.Minute, ttl-10*time.Minute))
		p.status = users.Invited
		if expired {
			sent = now.Add(-ttl - g.between(time.Minute, 60*24*time.Hour))
			p.status = users.Expired
		}
		p.created = sent // planInvitations may move it back for resends
	}
	switch r := g.rng.IntN(100); {
	case r < pctActive:
		active()
	case r < pctActive+pctInvited:
		pending(false)
	case r < pctActive+pctInvited+pctExpired:
		pending(true)
	default:
		// Most deactivated people had joined and left; some were
		// deactivated while their invitation was pending, and activating
		// them brings the invitation back.
		if g.rng.IntN(100) < 85 {
			active()
			p.deactivated = p.activated.Add(g.between(24*time.Hour, max(now.Sub(p.activated)-time.Hour, 25*time.Hour)))
			if p.deactivated.After(now) {
				p.deactivated = now.Add(-time.Minute)
			}
		} else {
			pending(g.rng.IntN(3) == 0)
			p.deactivated = p.created.Add(g.between(time.Minute, max(now.Sub(p.created), 2*time.Minute)))
			if p.deactivated.After(now) {
				p.deactivated = now
			}
		}
		p.status = users.Deactivated
	}
}

// identity is a fresh name and a unique email address. Some invitees were
// invited by address only (the name is optional on the invite form).
func (g *generator) identity(invitee bool) (string, string) {
	first := firstNames[g.rng.IntN(len(firstNames))]
	last := lastNames[g.rng.IntN(len(lastNames))]
	f, l := emailPart(first), emailPart(last)
	var local string
	switch r := g.rng.IntN(100); {
	case r < 75:
		local = f + "." + l
	case r < 90:
		local = f[:1] + l
	default:
		local = f + "_" + l
	}
	domain := g.domain
	if g.rng.IntN(100) < 20 {
		domain = otherDomains[g.rng.IntN(len(otherDomains))]
	}
	email := local + "@" + domain
	for n := 2; g.emails[email]; n++ {
		email = local + strconv.Itoa(n) + "@" + domain
	}
	g.emails[email] = true
	name := first + " " + last
	if invitee && g.rng.IntN(100) < 30 {
		name = ""
	}
	return name, email
}

// invite is one invitation as it will be written.
type invite struct {
	id           int64
	state        string
	kind         mail.Kind // of its first email
	created      time.Time
	sends        []time.Time // first send, then each resend
	expires      time.Time
	ended        time.Time
	endedBy      int64
	supersededBy int64
	renewal      time.Time
	failed       bool // its last email was refused
}

func (g *generator) nextNonce() []byte {
	n := g.nonces[:auth.NonceSize]
	g.nonces = g.nonces[auth.NonceSize:]
	return n
}

// inviter is who invited p: their unit's administrator once there was one,
// else the account administrator.
func (g *generator) inviter(p *person) *person {
	if p == g.admin {
		return p
	}
	if a := g.unitAdm[p.unit]; a != nil && a != p && a.activated.Before(p.created) && p.grants[0].Role != spaces.Admin {
		return a
	}
	return g.admin
}

// invitationsOf plans p's invitations, oldest first; the last is the one
// that is accepted or pending.
func (g *generator) invitationsOf(p *person) []*invite {
	ttl := g.o.TTL
	last := &invite{state: "pending", kind: mail.Invitation}
	switch {
	case !p.activated.IsZero():
		// Accepted: sent when they were invited, perhaps resent once.
		last.state, last.ended = "accepted", p.activated
		last.created = p.created
		last.sends = []time.Time{p.created}
		if g.rng.IntN(100) < 15 && p.activated.Sub(p.created) > 2*time.Hour {
			last.sends = append(last.sends, p.created.Add(p.activated.Sub(p.created)/2))
		}
	default:
		// Pending: p.created is its latest send for now.
		sent := p.created
		last.created, last.sends = sent, []time.Time{sent}
		if g.rng.IntN(100) < 25 {
			// Resent before it expired: the first send was earlier.
			first := sent.Add(-g.between(time.Minute+time.Second, ttl-time.Minute))
			last.created, last.sends = first, []time.Time{first, sent}
		}
		last.failed = g.rng.IntN(100) < 4
		if p.status == users.Expired && g.rng.IntN(100) < 15 {
			last.renewal = minTime(last.sends[len(last.sends)-1].Add(ttl+g.between(time.Hour, 10*24*time.Hour)), g.o.Now.Add(-time.Minute))
		}
		p.created = last.created
	}
	last.expires = last.sends[len(last.sends)-1].Add(ttl)
	out := []*invite{last}
	if p.status == users.Invited && g.rng.IntN(100) < 10 {
		// A first invitation expired, and a new one replaced it.
		old := &invite{state: "superseded", kind: mail.Invitation, ended: last.created}
		old.created = last.created.Add(-ttl - g.between(time.Hour, 20*24*time.Hour))
		old.sends = []time.Time{old.created}
		old.expires = old.created.Add(ttl)
		last.kind = mail.NewInvitation
		p.created = old.created
		out = []*invite{old, last}
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// write inserts everything through w.
func (g *generator) write(w *writer) error {
	for _, s := range g.spaces {
		var parent any
		if s.parent != 0 {
			parent = s.parent
		}
		if err := w.exec(w.space, s.id, s.kind, parent, s.name, g.start.Unix()); err != nil {
			return err
		}
	}
	g.summary.Spaces = len(g.spaces)
	if err := g.writePerson(w, g.admin); err != nil {
		return err
	}
	for i, p := range g.people {
		if err := g.writePerson(w, p); err != nil {
			return err
		}
		if i%200 == 199 {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return w.flush()
}

func unixOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

func (g *generator) writePerson(w *writer, p *person) error {
	invs := p.invs
	var hash any
	if !p.activated.IsZero() {
		hash = g.o.PasswordHash
	}
	var expires any
	if cur := lastOf(invs); cur != nil && cur.state == "pending" {
		expires = cur.expires.Unix()
	}
	if err := w.exec(w.user, p.id, p.email, p.name, hash, p.created.Unix(), unixOrNil(p.activated), unixOrNil(p.deactivated), expires); err != nil {
		return err
	}
	g.summary.Users++
	g.summary.ByStatus[p.status]++

	inviter := g.inviter(p)
	if !p.activated.IsZero() {
		var by any
		if p != g.admin {
			by = inviter.id
		}
		for _, gr := range p.grants {
			if err := w.exec(w.grant, p.id, gr.SpaceID, gr.Role, p.activated.Unix(), by); err != nil {
				return err
			}
		}
	}
	// Ids in the order written; a superseded invitation points at the newer
	// one, so the newer one is written first.
	for _, inv := range invs {
		g.invID++
		inv.id = g.invID
	}
	for i := len(invs) - 1; i >= 0; i-- {
		inv := invs[i]
		if i+1 < len(invs) {
			inv.supersededBy, inv.endedBy = invs[i+1].id, inviter.id
		}
		if err := g.writeInvitation(w, p, inviter, inv); err != nil {
			return err
		}
	}
	return nil
}

func lastOf(invs []*invite) *invite {
	if len(invs) == 0 {
		return nil
	}
	return invs[len(invs)-1]
}

func (g *generator) writeInvitation(w *writer, p, inviter *person, inv *invite) error {
	nonce := g.nextNonce()
	hash := auth.TokenHash(invitations.LinkPurpose, g.o.Links.Token(invitations.LinkPurpose, nonce))
	var supersededBy, endedBy any
	if inv.supersededBy != 0 {
		supersededBy, endedBy = inv.supersededBy, inv.endedBy
	}
	if err := w.exec(w.invitation, inv.id, p.id, p.email, inviter.id, inviter.name, nonce, hash, inv.state,
		inv.created.Unix(), inv.sends[len(inv.sends)-1].Unix(), inv.expires.Unix(), unixOrNil(inv.ended), endedBy, supersededBy, unixOrNil(inv.renewal)); err != nil {
		return err
	}
	g.summary.Invitations++
	for _, gr := range p.grants {
		if err := w.exec(w.role, inv.id, gr.SpaceID, gr.Role); err != nil {
			return err
		}
	}
	first := invitations.EvInvited
	if inv.kind == mail.NewInvitation {
		first = invitations.EvRenewed
	}
	roles := spaces.Describe(p.grants)
	for i, at := range inv.sends {
		kind, key, ev := inv.kind, "send:"+strconv.FormatInt(inv.id, 10), first
		if i > 0 {
			kind, key, ev = mail.Reminder, fmt.Sprintf("resend:%d:%d", inv.id, at.Unix()), invitations.EvResent
		}
		if err := w.exec(w.event, inv.id, at.Unix(), inviter.id, inviter.name, ev, "", nil); err != nil {
			return err
		}
		failed := inv.failed && i == len(inv.sends)-1
		payload := mail.Payload{AccountName: g.o.AccountName, InviterName: inviter.name, InviteeName: p.name,
			InviteeEmail: p.email, Roles: roles, ExpiresAt: at.Add(g.o.TTL).UTC()}
		if err := g.writeEmail(w, inv.id, kind, key, p.email, payload, at, failed); err != nil {
			return err
		}
	}
	if !inv.renewal.IsZero() {
		if err := w.exec(w.event, inv.id, inv.renewal.Unix(), nil, "", invitations.EvRenewalRequested, "", nil); err != nil {
			return err
		}
		payload := mail.Payload{AccountName: g.o.AccountName, InviterName: inviter.name, InviteeName: p.name,
			InviteeEmail: p.email, Roles: roles, ExpiresAt: inv.expires.UTC(), UsersURL: "/settings/users"}
		if err := g.writeEmail(w, inv.id, mail.RenewalRequest, "renewal:"+strconv.FormatInt(inv.id, 10), inviter.email, payload, inv.renewal, false); err != nil {
			return err
		}
	}
	if inv.state == "accepted" {
		granted, err := db.EncodeEventGrants(p.grants)
		if err != nil {
			return err
		}
		return w.exec(w.event, inv.id, inv.ended.Unix(), p.id, p.name, invitations.EvAccepted, "", granted)
	}
	return nil
}

// writeEmail adds one outbox message, its delivery attempt and, for
// messages to the invitee, the delivery line of the invitation's history.
func (g *generator) writeEmail(w *writer, invID int64, kind mail.Kind, key, to string, p mail.Payload, at time.Time, failed bool) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	g.outboxID++
	done := at.Add(time.Duration(1+g.rng.IntN(4)) * time.Second)
	state, reply, sentAt := mail.Sent, "250 2.0.0 Ok: queued as "+g.queueID(), any(done.Unix())
	if failed {
		state, reply, sentAt = mail.Failed, deliveryFailures[g.rng.IntN(len(deliveryFailures))], nil
	}
	lastError := ""
	if failed {
		lastError = reply
	}
	if err := w.exec(w.outbox, g.outboxID, key, kind, to, invID, string(body), state, 1, done.Unix(), lastError, at.Unix(), sentAt); err != nil {
		return err
	}
	if err := w.exec(w.attempt, g.outboxID, done.Unix(), !failed, reply); err != nil {
		return err
	}
	g.summary.Emails++
	if kind == mail.RenewalRequest {
		return nil
	}
	ev, detail := invitations.EvDelivered, reply
	if failed {
		ev = invitations.EvDeliveryFailed
	}
	return w.exec(w.event, invID, done.Unix(), nil, "", ev, detail, nil)
}

func (g *generator) queueID() string {
	var b [5]byte
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
	return hex.EncodeToString(b[:])
}

// writer batches rows into multi-row INSERTs: one statement per few
// hundred rows instead of one per row. Besides saving calls, this matters
// for users: a statement that fires triggers runs in a statement
// transaction, and FTS5 writes its pending index to disk at each one, so
// row-by-row inserts would leave thousands of tiny segments to merge.
type writer struct {
	ctx                                                          context.Context
	tx                                                           *sql.Tx
	space, user, grant, invitation, role, event, outbox, attempt *table
	order                                                        []*table // parents before children, for the foreign keys
}

// table collects the rows of one INSERT.
type table struct {
	insert string // "INSERT INTO t (a, b) VALUES "
	cols   int
	args   []any
	stmts  map[int]*sql.Stmt // by number of rows
}

// maxVars stays under SQLite's limit of 32,766 parameters per statement.
const maxVars = 30000

func newWriter(ctx context.Context, tx *sql.Tx) (*writer, error) {
	t := func(name string, cols ...string) *table {
		return &table{insert: "INSERT INTO " + name + " (" + strings.Join(cols, ", ") + ") VALUES ", cols: len(cols), stmts: map[int]*sql.Stmt{}}
	}
	w := &writer{ctx: ctx, tx: tx,
		space:      t("spaces", "id", "kind", "parent_id", "name", "created_at"),
		user:       t("users", "id", "email", "name", "password_hash", "created_at", "activated_at", "deactivated_at", "invite_expires_at"),
		grant:      t("role_grants", "user_id", "space_id", "role", "granted_at", "granted_by"),
		invitation: t("invitations", "id", "user_id", "email", "invited_by", "inviter_name", "token_nonce", "token_hash", "state", "created_at", "sent_at", "expires_at", "ended_at", "ended_by", "superseded_by", "renewal_requested_at"),
		role:       t("invitation_roles", "invitation_id", "space_id", "role"),
		event:      t("invitation_events", "invitation_id", "at", "actor_id", "actor_name", "kind", "detail", "grants"),
		outbox:     t("outbox", "id", "idempotency_key", "kind", "recipient", "invitation_id", "payload", "state", "attempts", "next_attempt_at", "last_error", "created_at", "sent_at"),
		attempt:    t("outbox_attempts", "outbox_id", "at", "ok", "reply"),
	}
	w.order = []*table{w.space, w.user, w.grant, w.invitation, w.role, w.event, w.outbox, w.attempt}
	return w, nil
}

// exec queues one row; flush writes it.
func (w *writer) exec(t *table, args ...any) error {
	t.args = append(t.args, args...)
	return nil
}

// flush writes every queued row, parents first.
func (w *writer) flush() error {
	for _, t := range w.order {
		for len(t.args) > 0 {
			n := min(len(t.args)/t.cols, maxVars/t.cols)
			st, err := t.stmt(w.ctx, w.tx, n)
			if err != nil {
				return err
			}
			if _, err := st.ExecContext(w.ctx, t.args[:n*t.cols]...); err != nil {
				return fmt.Errorf("writing the demo data: %w", err)
			}
			t.args = t.args[n*t.cols:]
		}
		t.args = t.args[:0]
	}
	return nil
}

func (t *table) stmt(ctx context.Context, tx *sql.Tx, rows int) (*sql.Stmt, error) {
	if st := t.stmts[rows]; st != nil {
		return st, nil
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", t.cols), ", ") + ")"
	st, err := tx.PrepareContext(ctx, t.insert+strings.TrimSuffix(strings.Repeat(row+", ", rows), ", "))
	if err != nil {
		return nil, fmt.Errorf("preparing the demo data: %w", err)
	}
	t.stmts[rows] = st
	return st, nil
}

func (w *writer) close() {
	for _, t := range w.order {
		for _, st := range t.stmts {
			st.Close()
		}
	}
}
