// Package demo fills an empty database with a realistic account: spaces,
// people in every status in realistic proportions, and the invitation
// histories and emails behind them, so that a newcomer sees a living
// product and benchmarks have something to chew on.
//
// It plans rows and hands them to a bulk Store (db.DemoStore), not to the
// services: going through them would hash a password and open a
// transaction per person, and 100,000 people must take seconds, not
// hours. It plans exactly the rows those services would write (the same
// states, events, outbox keys and links), so every page and action works
// on the result.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	mrand "math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/names"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// Store writes what the seeder plans; db.DemoStore implements it.
type Store interface {
	// Empty reports whether the database has neither spaces nor users.
	Empty(ctx context.Context) (bool, error)
	// Write writes every batch, in order, in one transaction: all of it or
	// nothing.
	Write(ctx context.Context, batches iter.Seq[*Batch]) error
}

// Batch is the rows of a few hundred people. Ids are the seeder's own, so
// that rows can point at each other before any is written; a zero id or
// time is none.
type Batch struct {
	Spaces      []Space
	Users       []users.User // SessionVersion is left to the table's default
	Grants      []Grant
	Invitations []Invitation
	Events      []Event
	Emails      []Email
	// Activity is the log, in time order, after every other row; ids are
	// the log's own (one, two, … from its oldest entry).
	Activity []activity.Entry
}

// Space is a space and when it was made.
type Space struct {
	spaces.Space
	CreatedAt time.Time
}

// Grant is a role a user holds: who granted it, and when.
type Grant struct {
	UserID, SpaceID int64
	Role            spaces.Role
	GrantedAt       time.Time
	GrantedBy       int64
}

// Invitation is an invitation with the roles it offers (Offered), the hash
// of its link, and who ended it by sending a new one.
type Invitation struct {
	invitations.Invitation
	TokenHash             []byte
	EndedBy, SupersededBy int64
}

// Event is a line of an invitation's history; ActorID is zero when the
// system acted.
type Event struct {
	InvitationID, ActorID int64
	invitations.Event
}

// Email is an email tried once, at DoneAt: accepted by the server with
// Reply, or refused for good with it (Failed).
type Email struct {
	ID int64
	mail.Outgoing
	CreatedAt, DoneAt time.Time
	Reply             string
	Failed            bool
}

// Options say what to create.
type Options struct {
	Users       int // people, the administrator included
	AccountName string
	AdminEmail  string
	AdminName   string
	// Password is every active user's: it is hashed once, since hashing
	// 80,000 passwords would take longer than everything else.
	Password string
	Now      time.Time
	Seed     uint64 // the same seed gives the same people
	// Activity is about how many entries the activity log gets: each
	// person's life over the past year, then sign-ins up to this many
	// (0: the lives alone).
	Activity int
}

// Summary is what was created.
type Summary struct {
	Users       int
	ByStatus    map[users.Status]int
	Spaces      int
	Invitations int
	Emails      int
	Activity    int
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

// peoplePerBatch people go to the store at a time: enough rows for each
// of its statements to save calls, few enough to keep a batch small.
const peoplePerBatch = 200

// Seeder fills an empty database with a demo account.
type Seeder struct {
	store  Store
	links  *auth.Links
	hasher *auth.Hasher
	ttl    time.Duration
}

// NewSeeder seeds through store. links derives each invitation's link with
// the data folder's link key, so that the demo's invitation links really
// work; ttl is the invitations' lifetime.
func NewSeeder(store Store, links *auth.Links, hasher *auth.Hasher, ttl time.Duration) *Seeder {
	return &Seeder{store: store, links: links, hasher: hasher, ttl: ttl}
}

// Empty reports whether the database has neither spaces nor users.
func (s *Seeder) Empty(ctx context.Context) (bool, error) { return s.store.Empty(ctx) }

// Seed fills an empty, migrated database in one transaction: all of it or
// nothing.
func (s *Seeder) Seed(ctx context.Context, o Options) (Summary, error) {
	if o.Users < 1 {
		return Summary{}, errors.New("at least one user (the administrator) is needed")
	}
	if o.Password == "" || o.Now.IsZero() || s.ttl <= 0 {
		return Summary{}, errors.New("demo: a password, the time and an invitation lifetime are required")
	}
	// The rows are planned here, not by the services: the names given
	// must pass the same rule as theirs.
	var err error
	if o.AccountName, err = names.Account.Clean("account", o.AccountName, false); err != nil {
		return Summary{}, err
	}
	if o.AdminName, err = names.Person.Clean("name", o.AdminName, false); err != nil {
		return Summary{}, err
	}
	empty, err := s.store.Empty(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("reading the database: %w", err)
	}
	if !empty {
		return Summary{}, ErrNotEmpty
	}
	hash, err := s.hasher.Hash(ctx, o.Password)
	if err != nil {
		return Summary{}, err
	}
	g := newGenerator(o, s.links, s.ttl, hash)
	g.plan()
	if err := s.store.Write(ctx, g.batches); err != nil {
		return Summary{}, err
	}
	return g.summary, nil
}

type space struct {
	id       int64
	kind     spaces.Kind
	parent   int64
	name     string
	children []int64   // of a unit: its waiting areas and meeting rooms
	created  time.Time // zero: with the account
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
	// ghost: invited, then the invitation was cancelled, which removed
	// the user; only the invitation and the log keep them.
	ghost bool
	// later is a role an administrator added after they joined, at
	// laterAt (not offered by the invitation).
	later   *spaces.Grant
	laterAt time.Time
}

// generator plans the people and hands them out in batches.
type generator struct {
	o       Options
	links   *auth.Links
	ttl     time.Duration
	hash    string // every active user's password
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

	arng     *mrand.Rand // the activity log's, apart from the people's
	logStart time.Time
	log      []logEntry
}

func newGenerator(o Options, links *auth.Links, ttl time.Duration, hash string) *generator {
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
		o:        o,
		links:    links,
		ttl:      ttl,
		hash:     hash,
		rng:      mrand.New(mrand.NewPCG(o.Seed, o.Seed^0x5eed)),
		start:    o.Now.AddDate(-2, 0, 0),
		domain:   domainOf(o.AccountName),
		byID:     map[int64]*space{},
		unitAdm:  map[int]*person{},
		emails:   map[string]bool{},
		summary:  Summary{ByStatus: map[users.Status]int{}},
		arng:     newLogRand(o.Seed),
		logStart: o.Now.Add(-logAge),
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
		p.name, p.email = g.identity(g.rng, p.activated.IsZero())
		g.people = append(g.people, p)
	}
	g.planGhosts(n / 50)
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
	g.nonces = make([]byte, auth.NonceSize*(2*len(g.people)+16))
	_, _ = rand.Read(g.nonces)
	g.planLaterRoles()
	g.planLogSpaces()
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
	ttl, now := g.ttl, g.o.Now
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
func (g *generator) identity(rng *mrand.Rand, invitee bool) (string, string) {
	first := firstNames[rng.IntN(len(firstNames))]
	last := lastNames[rng.IntN(len(lastNames))]
	f, l := emailPart(first), emailPart(last)
	var local string
	switch r := rng.IntN(100); {
	case r < 75:
		local = f + "." + l
	case r < 90:
		local = f[:1] + l
	default:
		local = f + "_" + l
	}
	domain := g.domain
	if rng.IntN(100) < 20 {
		domain = otherDomains[rng.IntN(len(otherDomains))]
	}
	email := local + "@" + domain
	for n := 2; g.emails[email]; n++ {
		email = local + strconv.Itoa(n) + "@" + domain
	}
	g.emails[email] = true
	name := first + " " + last
	if invitee && rng.IntN(100) < 30 {
		name = ""
	}
	return name, email
}

// invite is one invitation as it will be written.
type invite struct {
	id           int64
	state        invitations.State
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
	ttl := g.ttl
	last := &invite{state: invitations.Pending, kind: mail.Invitation}
	switch {
	case !p.activated.IsZero():
		// Accepted: sent when they were invited, perhaps resent once.
		last.state, last.ended = invitations.Accepted, p.activated
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
		old := &invite{state: invitations.Superseded, kind: mail.Invitation, ended: last.created}
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

// batches hands out the plan, peoplePerBatch people at a time.
func (g *generator) batches(yield func(*Batch) bool) {
	b := &Batch{}
	for _, s := range g.spaces {
		created := s.created
		if created.IsZero() {
			created = g.start
		}
		b.Spaces = append(b.Spaces, Space{Space: spaces.Space{ID: s.id, Kind: s.kind, ParentID: s.parent, Name: s.name}, CreatedAt: created})
	}
	g.summary.Spaces = len(g.spaces)
	g.addPerson(b, g.admin)
	for i, p := range g.people {
		g.addPerson(b, p)
		if i%peoplePerBatch == peoplePerBatch-1 {
			if !yield(b) {
				return
			}
			b = &Batch{}
		}
	}
	if !yield(b) {
		return
	}
	g.activityBatches(yield)
}

func (g *generator) addPerson(b *Batch, p *person) {
	invs := p.invs
	if p.ghost {
		g.addGhost(b, p)
		return
	}
	u := users.User{ID: p.id, Email: p.email, Name: p.name, CreatedAt: p.created, ActivatedAt: p.activated, DeactivatedAt: p.deactivated}
	if !p.activated.IsZero() {
		u.PasswordHash = g.hash
	}
	if cur := lastOf(invs); cur != nil && cur.state == invitations.Pending {
		u.InviteExpiresAt = cur.expires
	}
	b.Users = append(b.Users, u)
	g.summary.Users++
	g.summary.ByStatus[p.status]++

	inviter := g.inviter(p)
	if !p.activated.IsZero() {
		var by int64
		if p != g.admin {
			by = inviter.id
		}
		for _, gr := range p.grants {
			at := p.activated
			if p.later != nil && gr == *p.later {
				at = p.laterAt
			}
			b.Grants = append(b.Grants, Grant{UserID: p.id, SpaceID: gr.SpaceID, Role: gr.Role, GrantedAt: at, GrantedBy: by})
		}
		if p.later != nil {
			g.logged(p.laterAt, logEntry{kind: activity.UserRolesChanged, actor: inviter, subject: p,
				details: &activity.Details{Granted: activity.RolesOf([]spaces.Grant{*p.later})}})
		}
	}
	if !p.deactivated.IsZero() {
		g.logged(p.deactivated, logEntry{kind: activity.UserDeactivated, actor: inviter, subject: p,
			details: &activity.Details{Roles: activity.RolesOf(p.grants)}})
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
		g.addInvitation(b, p, inviter, inv)
	}
}

func lastOf(invs []*invite) *invite {
	if len(invs) == 0 {
		return nil
	}
	return invs[len(invs)-1]
}

func (g *generator) addInvitation(b *Batch, p, inviter *person, inv *invite) {
	nonce := g.nextNonce()
	userID := p.id
	if p.ghost {
		userID = 0 // removed with the cancellation
	}
	b.Invitations = append(b.Invitations, Invitation{
		Invitation: invitations.Invitation{ID: inv.id, UserID: userID, Email: p.email, InvitedBy: inviter.id, InviterName: inviter.name,
			Nonce: nonce, State: inv.state, CreatedAt: inv.created, SentAt: inv.sends[len(inv.sends)-1], ExpiresAt: inv.expires,
			EndedAt: inv.ended, RenewalRequestedAt: inv.renewal, Offered: p.offered()},
		TokenHash: auth.TokenHash(invitations.LinkPurpose, g.links.Token(invitations.LinkPurpose, nonce)),
		EndedBy:   inv.endedBy, SupersededBy: inv.supersededBy,
	})
	g.summary.Invitations++
	event := func(at time.Time, actor *person, kind invitations.EventKind, detail string, grants []spaces.Grant) {
		e := Event{InvitationID: inv.id, Event: invitations.Event{At: at, Kind: kind, Detail: detail, Grants: grants}}
		if actor != nil {
			e.ActorID, e.ActorName = actor.id, actor.name
		}
		b.Events = append(b.Events, e)
	}
	first := invitations.EvInvited
	if inv.kind == mail.NewInvitation {
		first = invitations.EvRenewed
	}
	offered := p.offered()
	roles := spaces.Describe(offered)
	if inv.kind == mail.NewInvitation {
		// The invitation before this one expired.
		g.logInvitation(p.invs[0].expires, activity.InvitationExpired, nil, p, p.invs[0], offered, time.Time{}, "")
	}
	for i, at := range inv.sends {
		kind, key, ev := inv.kind, "send:"+strconv.FormatInt(inv.id, 10), first
		logKind := activity.InvitationSent
		if inv.kind == mail.NewInvitation {
			logKind = activity.InvitationRenewed
		}
		if i > 0 {
			kind, key, ev = mail.Reminder, fmt.Sprintf("resend:%d:%d", inv.id, at.Unix()), invitations.EvResent
			logKind = activity.InvitationResent
		}
		event(at, inviter, ev, "", nil)
		g.logInvitation(at, logKind, inviter, p, inv, offered, at.Add(g.ttl), "")
		failed := inv.failed && i == len(inv.sends)-1
		payload := mail.Payload{AccountName: g.o.AccountName, InviterName: inviter.name, InviteeName: p.name,
			InviteeEmail: p.email, ExpiresAt: at.Add(g.ttl).UTC()}
		payload.OfferRoles(offered)
		email := g.addEmail(b, mail.Outgoing{Key: key, Kind: kind, To: p.email, InvitationID: inv.id, Payload: payload}, at, failed)
		// Emails to the invitee have a delivery line in the history.
		delivery := invitations.EvDelivered
		if failed {
			delivery = invitations.EvDeliveryFailed
		}
		event(email.DoneAt, nil, delivery, email.Reply, nil)
		if failed {
			g.logInvitation(email.DoneAt, activity.InvitationUndelivered, nil, p, inv, offered, time.Time{}, email.Reply)
		}
	}
	if !inv.renewal.IsZero() {
		event(inv.renewal, nil, invitations.EvRenewalRequested, "", nil)
		g.logInvitation(inv.renewal, activity.InvitationRenewalRequested, p, p, inv, offered, time.Time{}, "")
		payload := mail.Payload{AccountName: g.o.AccountName, InviterName: inviter.name, InviteeName: p.name,
			InviteeEmail: p.email, Roles: roles, ExpiresAt: inv.expires.UTC(), UsersURL: "/settings/users"}
		g.addEmail(b, mail.Outgoing{Key: "renewal:" + strconv.FormatInt(inv.id, 10), Kind: mail.RenewalRequest, To: inviter.email, InvitationID: inv.id, Payload: payload}, inv.renewal, false)
	}
	switch {
	case inv.state == invitations.Accepted:
		event(inv.ended, p, invitations.EvAccepted, "", offered)
		g.logInvitation(inv.ended, activity.InvitationAccepted, p, p, inv, offered, time.Time{}, "")
	case inv.state == invitations.Cancelled:
		event(inv.ended, inviter, invitations.EvCancelled, "", nil)
		g.logInvitation(inv.ended, activity.InvitationCancelled, inviter, p, inv, offered, time.Time{}, "")
	case inv.state == invitations.Pending && !inv.expires.After(g.o.Now):
		g.logInvitation(inv.expires, activity.InvitationExpired, nil, p, inv, offered, time.Time{}, "")
	}
}

// addEmail adds one email, sent at at and tried once a few seconds later.
func (g *generator) addEmail(b *Batch, msg mail.Outgoing, at time.Time, failed bool) Email {
	g.outboxID++
	e := Email{ID: g.outboxID, Outgoing: msg, CreatedAt: at, DoneAt: at.Add(time.Duration(1+g.rng.IntN(4)) * time.Second),
		Reply: "250 2.0.0 Ok: queued as " + g.queueID(), Failed: failed}
	if failed {
		e.Reply = deliveryFailures[g.rng.IntN(len(deliveryFailures))]
	}
	b.Emails = append(b.Emails, e)
	g.summary.Emails++
	return e
}

func (g *generator) queueID() string {
	var b [5]byte
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
	return hex.EncodeToString(b[:])
}
