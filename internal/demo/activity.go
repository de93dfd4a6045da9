package demo

import (
	"cmp"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
)

// The activity log the demo writes: the entries the stores would have
// recorded over the past year (the log's age: older ones the retention
// purge would have removed by now), as db.record writes them: the same
// kinds, actors, subjects and Details. Each person's life (invited,
// resent, not delivered, accepted or expired or cancelled, a role added
// later, deactivated) comes from the plan of the other tables; sign-ins
// (and some failed ones) fill the log up to Options.Activity, spread over
// the people active at the time, some busier than others.

// logAge is how far back the demo's log goes.
const logAge = 365 * 24 * time.Hour

// activityPerBatch entries go to the store at a time.
const activityPerBatch = 2000

// logEntry is an entry as planned; db rows are made of it once the whole
// log is in time order, which gives the ids. A sign-in carries no
// Details but its device and address (n).
type logEntry struct {
	at      int64
	kind    activity.Kind
	actor   *person // nil: the system (or failed for an unknown address: who)
	subject *person
	details *activity.Details
	n       int32  // a sign-in's address and device
	seq     int32  // the order planned, within one second
	who     string // an unknown address that failed to sign in
}

// logged adds an entry at at, if the log reaches back that far.
func (g *generator) logged(at time.Time, e logEntry) {
	if at.Before(g.logStart) || at.After(g.o.Now) {
		return
	}
	e.at, e.seq = at.Unix(), int32(len(g.log))
	g.log = append(g.log, e)
}

// logInvitation logs what an admin or the system did with an invitation.
func (g *generator) logInvitation(at time.Time, kind activity.Kind, actor, p *person, inv *invite, offered []spaces.Grant, expires time.Time, reason string) {
	d := &activity.Details{InvitationID: inv.id, Roles: activity.RolesOf(offered), Reason: reason}
	if !expires.IsZero() {
		e := expires.UTC()
		d.Expires = &e
	}
	g.logged(at, logEntry{kind: kind, actor: actor, subject: p, details: d})
}

// planLogSpaces adds the spaces made within the log's year (a few meeting
// rooms, which nobody holds a role in yet) and renames a few waiting
// areas, once called lobbies.
func (g *generator) planLogSpaces() {
	for i, u := range g.units {
		if i >= 3 {
			break
		}
		unit := g.spaces[u]
		at := g.o.Now.Add(-g.abetween(24*time.Hour, logAge-24*time.Hour))
		id := g.addSpace(spaces.MeetingRoom, unit.id, fmt.Sprintf("Room %d.%02d", i+1, 10+i))
		g.spaces[id-1].created = at
		g.byID[id] = &g.spaces[id-1]
		s := g.spaces[id-1]
		g.logged(at, logEntry{kind: activity.SpaceCreated, actor: g.admin,
			details: &activity.Details{Space: &activity.Space{ID: s.id, Kind: s.kind, Name: s.name, ParentID: s.parent}}})
		for _, c := range unit.children {
			if s := g.byID[c]; s.kind == spaces.WaitingArea {
				old := units[i] + " lobby"
				g.logged(g.o.Now.Add(-g.abetween(24*time.Hour, logAge-24*time.Hour)), logEntry{kind: activity.SpaceRenamed, actor: g.admin,
					details: &activity.Details{Space: &activity.Space{ID: s.id, Kind: s.kind, Name: s.name, ParentID: s.parent},
						Changes: []activity.Change{{Field: "name", From: old, To: s.name}}}})
				break
			}
		}
	}
}

// abetween is between, drawn from the log's own generator: the people of
// a seed stay who they were before the log.
func (g *generator) abetween(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.arng.Int64N(int64(hi-lo)))
}

// devices are the browsers people sign in with, as the sessions page
// names them.
var devices = []string{
	"Firefox on Windows", "Chrome on Windows", "Edge on Windows", "Chrome on macOS", "Safari on macOS",
	"Safari on iPhone", "Chrome on Android", "Firefox on Linux", "Safari on iPad", "Samsung Internet on Android",
}

// addressOf is a person's n-th address: the office's few, or home ones, in
// the ranges kept for documentation (RFC 5737, RFC 3849).
func addressOf(p *person, n32 int32) string {
	id, n := int(p.id), int(n32)
	switch n % 4 {
	case 0, 1:
		return "198.51.100." + strconv.Itoa(10+id%40)
	case 2:
		return "203.0.113." + strconv.Itoa(1+(id*7+n)%250)
	}
	return fmt.Sprintf("2001:db8:%x::%x", 1+id%4000, 1+n)
}

// planSignIns fills the log up to o.Activity with sign-ins of the people
// active at the time, in proportion to how long they were and how busy
// each is; a few fail (a mistyped password, then the right one), and a
// few name an address nobody has.
func (g *generator) planSignIns() {
	want := g.o.Activity - len(g.log)
	if want <= 0 {
		return
	}
	type window struct {
		p        *person
		from, to time.Time
		weight   float64
	}
	var ws []window
	total := 0.0
	for _, p := range append([]*person{g.admin}, g.people...) {
		if p.activated.IsZero() || p.ghost {
			continue
		}
		from, to := p.activated, g.o.Now
		if from.Before(g.logStart) {
			from = g.logStart
		}
		if !p.deactivated.IsZero() {
			to = p.deactivated
		}
		if !to.After(from) {
			continue
		}
		busy := 0.2 + g.arng.ExpFloat64()
		if len(p.grants) > 0 && p.grants[0].Role == spaces.Admin {
			busy = 4 // administrators are in every day
		}
		w := to.Sub(from).Hours() * busy
		ws = append(ws, window{p, from, to, w})
		total += w
	}
	if total == 0 {
		return
	}
	// Failed sign-ins of addresses nobody has: 1 in 200.
	unknown := want / 200
	perWeight := float64(want-unknown) / total
	for _, w := range ws {
		exp := w.weight * perWeight
		n := int(exp)
		if g.arng.Float64() < exp-math.Floor(exp) {
			n++
		}
		span := w.to.Sub(w.from)
		for k := 0; k < n; k++ {
			at := w.from.Add(time.Duration(g.arng.Int64N(int64(span))))
			e := logEntry{kind: activity.SignIn, actor: w.p, subject: w.p, n: g.arng.Int32N(8)}
			if g.arng.IntN(100) < 3 && k+1 < n {
				// A mistyped password, then the right one a little later.
				g.logged(at, logEntry{kind: activity.SignInFailed, actor: w.p, subject: w.p, n: e.n,
					details: &activity.Details{Email: w.p.email, Reason: "password"}})
				at = at.Add(time.Duration(5+g.arng.IntN(40)) * time.Second)
				k++
			}
			g.logged(at, e)
		}
	}
	for range unknown {
		at := g.logStart.Add(time.Duration(g.arng.Int64N(int64(g.o.Now.Sub(g.logStart)))))
		first := emailPart(firstNames[g.arng.IntN(len(firstNames))])
		last := emailPart(lastNames[g.arng.IntN(len(lastNames))])
		who := first + "." + last + strconv.Itoa(g.arng.IntN(90)+10) + "@" + g.domain
		g.logged(at, logEntry{kind: activity.SignInFailed, who: who, n: g.arng.Int32N(8),
			details: &activity.Details{Email: who, Reason: "password"}})
	}
}

// activityBatches hands out the log in time order, which gives the ids.
func (g *generator) activityBatches(yield func(*Batch) bool) bool {
	g.planSignIns()
	slices.SortFunc(g.log, func(a, b logEntry) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq)) })
	b := &Batch{}
	for i := range g.log {
		b.Activity = append(b.Activity, g.entry(int64(i+1), &g.log[i]))
		if len(b.Activity) == activityPerBatch {
			if !yield(b) {
				return false
			}
			b = &Batch{}
		}
	}
	g.summary.Activity = len(g.log)
	g.log = nil
	return len(b.Activity) == 0 || yield(b)
}

func (g *generator) entry(id int64, l *logEntry) activity.Entry {
	e := activity.Entry{ID: id, At: time.Unix(l.at, 0).UTC(), Kind: l.kind}
	if a := l.actor; a != nil {
		e.ActorID, e.ActorName, e.ActorEmail = a.id, a.name, a.email
		e.IP = addressOf(a, 0)
	}
	if s := l.subject; s != nil {
		e.SubjectID, e.SubjectName, e.SubjectEmail = s.id, s.name, s.email
	}
	if l.details != nil {
		e.Details = *l.details
	}
	switch l.kind {
	case activity.SignIn, activity.SignInFailed:
		if l.actor != nil {
			e.IP = addressOf(l.actor, l.n)
		} else {
			e.ActorName = l.who
			e.IP = fmt.Sprintf("192.0.2.%d", 1+int(l.n)*31)
		}
		if l.kind == activity.SignIn {
			e.Details.Device = devices[(int(e.ActorID)+int(l.n)/4)%len(devices)]
		}
	}
	if l.actor == nil || l.actor.id == 0 {
		if l.kind != activity.SignInFailed {
			e.IP = "" // the system acts from nowhere
		}
	}
	return e
}

// newLogRand is the log's generator, apart from the people's.
func newLogRand(seed uint64) *mrand.Rand {
	return mrand.New(mrand.NewPCG(seed^0xac71, seed+0x106))
}

// planGhosts adds n people invited within the log's year whose
// invitation an administrator cancelled, which removed them.
func (g *generator) planGhosts(n int) {
	for range n {
		p := &person{unit: g.arng.IntN(len(g.units)), ghost: true}
		unit := g.spaces[g.units[p.unit]]
		p.grants = []spaces.Grant{g.grant(unit.id, spaces.Member)}
		p.created = g.o.Now.Add(-g.abetween(2*g.ttl, logAge))
		ended := p.created.Add(g.abetween(10*time.Minute, g.ttl-time.Hour))
		p.invs = []*invite{{state: invitations.Cancelled, kind: mail.Invitation, created: p.created, sends: []time.Time{p.created},
			expires: p.created.Add(g.ttl), ended: ended}}
		p.name, p.email = g.identity(g.arng, true)
		g.people = append(g.people, p)
	}
}

// addGhost writes what is left of a cancelled invitee: the invitation,
// its history and email.
func (g *generator) addGhost(b *Batch, p *person) {
	inviter := g.inviter(p)
	inv := p.invs[0]
	g.invID++
	inv.id, inv.endedBy = g.invID, inviter.id
	g.addInvitation(b, p, inviter, inv)
}

// planLaterRoles: of the active people with a second role, some were
// given it by an administrator after they joined.
func (g *generator) planLaterRoles() {
	for _, p := range g.people {
		if p.ghost || p.activated.IsZero() || len(p.grants) < 2 || g.arng.IntN(100) >= 40 {
			continue
		}
		end := g.o.Now
		if !p.deactivated.IsZero() {
			end = p.deactivated
		}
		if end.Sub(p.activated) < 48*time.Hour {
			continue
		}
		p.later = &p.grants[len(p.grants)-1]
		p.laterAt = p.activated.Add(g.abetween(24*time.Hour, end.Sub(p.activated)-time.Hour))
	}
}

// offered is what p's invitations offered: their roles but one added
// later.
func (p *person) offered() []spaces.Grant {
	if p.later == nil {
		return p.grants
	}
	var out []spaces.Grant
	for _, gr := range p.grants {
		if gr != *p.later {
			out = append(out, gr)
		}
	}
	return out
}
