package bulk

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/users"
)

// Handler does one item of a job as actor: nil when done, a refusal (an
// errs error, or Skip) when skipped for a reason; any other error fails
// the batch, which is tried again later.
type Handler func(ctx context.Context, actor invitations.Actor, it Item) error

// Service plans, keeps and runs bulk actions.
type Service struct {
	store    Store
	users    *users.Service
	invs     *invitations.Service
	clock    clock.Clock
	handlers map[Action]Handler
	// BatchSize is how many items one transaction does.
	BatchSize int
	// MaxItems is the largest selection a job takes.
	MaxItems int
	// SendLimit is each administrator's hourly send limit
	// (invitations.Budget.Max).
	SendLimit int
	// Notify is called after each batch commits (the sender has emails to
	// send, kept pages are stale). Optional.
	Notify func()
	// Log receives what failed (slog.Default() when nil).
	Log *slog.Logger
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// DefaultBatch is how many items one transaction does: small enough that
// the writer is never held for long (other administrators' clicks wait for
// at most one batch), large enough that a job of thousands is a few dozen
// commits.
const DefaultBatch = 100

// NewService wires the bulk actions over the services whose rules each
// item follows.
func NewService(store Store, us *users.Service, invs *invitations.Service, clk clock.Clock, sendLimit int) *Service {
	s := &Service{store: store, users: us, invs: invs, clock: clk, BatchSize: DefaultBatch, MaxItems: 200_000, SendLimit: sendLimit}
	s.handlers = map[Action]Handler{
		Resend: func(ctx context.Context, a invitations.Actor, it Item) error {
			_, err := invs.Resend(ctx, a, it.UserID)
			return err
		},
		Renew: func(ctx context.Context, a invitations.Actor, it Item) error {
			_, err := invs.Renew(ctx, a, it.UserID)
			return err
		},
		Cancel: func(ctx context.Context, a invitations.Actor, it Item) error {
			_, err := invs.Cancel(ctx, a, it.UserID)
			return err
		},
		Deactivate: func(ctx context.Context, a invitations.Actor, it Item) error {
			_, err := us.Deactivate(ctx, a.Access, it.UserID)
			return err
		},
		Activate: func(ctx context.Context, a invitations.Actor, it Item) error {
			_, err := us.Activate(ctx, a.Access, it.UserID)
			return err
		},
		Delete: func(ctx context.Context, a invitations.Actor, it Item) error {
			_, err := us.Delete(ctx, a.Access, a.User, it.UserID)
			return err
		},
		Import: importOne(invs),
	}
	return s
}

// Register sets the handler of action's items (the CSV import's).
func (s *Service) Register(action Action, h Handler) { s.handlers[action] = h }

// Selection is what an administrator ticked on the users list: some rows,
// or every user of a view of the list (its tab and search, all pages).
type Selection struct {
	IDs  []int64
	View *users.ListFilter
}

// Plan is what a bulk action would do, for its confirmation.
type Plan struct {
	Action   Action
	Selected int
	// Do is how many of the selected it applies to.
	Do int
	// Skips are the others, per reason, most first.
	Skips []Count
	// Sends is how many emails it would send; Left how many more the
	// administrator may send this hour, and Max their hourly limit.
	Sends, Left, Max int
	items            []Item
}

// Over reports whether the plan would pass the hourly send limit: it is
// refused before anything is sent.
func (p Plan) Over() bool { return p.Sends > p.Left }

// Plan says what action would do to the selection as actor: each person
// classified by the row's rules, none changed.
func (s *Service) Plan(ctx context.Context, actor invitations.Actor, action Action, sel Selection) (Plan, error) {
	if _, ok := rowAction[action]; !ok {
		return Plan{}, errs.T(errs.Invalid, "err.bulk.unknown_action")
	}
	now := s.clock.Now()
	p := Plan{Action: action}
	add := func(l users.Listed) error {
		if p.Selected >= s.MaxItems {
			return errs.T(errs.Invalid, "err.bulk.too_many", "Max", s.MaxItems)
		}
		it := Item{Seq: p.Selected, UserID: l.ID}
		if r := Classify(action, actor, l, now); r != "" {
			it.Outcome, it.Reason = Skipped, r
		}
		p.Selected++
		p.items = append(p.items, it)
		return nil
	}
	switch {
	case sel.View != nil:
		if err := s.users.Export(ctx, actor.Access, *sel.View, add); err != nil {
			return Plan{}, err
		}
	default:
		ids := unique(sel.IDs)
		if len(ids) > s.MaxItems {
			return Plan{}, errs.T(errs.Invalid, "err.bulk.too_many", "Max", s.MaxItems)
		}
		rows, err := s.users.Rows(ctx, actor.Access, ids)
		if err != nil {
			return Plan{}, err
		}
		found := make(map[int64]users.Listed, len(rows))
		for _, l := range rows {
			found[l.ID] = l
		}
		for _, id := range ids {
			l, ok := found[id]
			if !ok {
				// Deleted meanwhile, or someone this administrator may not
				// see: counted, never named.
				p.items = append(p.items, Item{Seq: p.Selected, UserID: id, Outcome: Skipped, Reason: ReasonGone})
				p.Selected++
				continue
			}
			if err := add(l); err != nil {
				return Plan{}, err
			}
		}
	}
	if p.Selected == 0 {
		return p, errs.T(errs.Invalid, "err.bulk.none_selected")
	}
	counts := map[Reason]int{}
	for _, it := range p.items {
		if it.Outcome == Skipped {
			counts[it.Reason]++
		} else {
			p.Do++
		}
	}
	p.Skips = sortCounts(counts)
	return p, s.budget(ctx, actor, &p, p.Do)
}

// budget fills in p's sends and what the administrator may still send.
func (s *Service) budget(ctx context.Context, actor invitations.Actor, p *Plan, n int) error {
	p.Max = s.SendLimit
	if !p.Action.Sends() {
		return nil
	}
	p.Sends = n
	used, err := s.store.SendsSince(ctx, actor.User.ID, s.clock.Now().Add(-invitations.SendWindow))
	if err != nil {
		return err
	}
	p.Left = max(0, s.SendLimit-used)
	return nil
}

// Start keeps the job of a plan made a moment ago, planning it again (the
// list may have changed since the confirmation was shown): refused when it
// would pass the hourly send limit, or applies to nobody.
//
// The same action on the same selection started again within
// SameClickWindow (a double click) is the same job: it is returned, and
// nothing more is done.
func (s *Service) Start(ctx context.Context, actor invitations.Actor, action Action, sel Selection) (Job, Plan, error) {
	key := sel.Key(action)
	p, err := s.Plan(ctx, actor, action, sel)
	if err != nil {
		return Job{}, p, err
	}
	j, err := s.startKeyed(ctx, actor, &p, key)
	return j, p, err
}

// startKeyed keeps p as a job whose selection is key, or returns the job
// of the same key started moments ago.
func (s *Service) startKeyed(ctx context.Context, actor invitations.Actor, p *Plan, key string) (Job, error) {
	// The second click of a double click: the first one's job (which may
	// have left nothing to do, or something else to do, to this plan).
	if j, ok, err := s.store.Recent(ctx, actor.User.ID, key, s.clock.Now().Add(-SameClickWindow)); err != nil {
		return Job{}, err
	} else if ok {
		return j, nil
	}
	return s.submit(ctx, actor, p, key)
}

// Key is the digest of sel for action: the same form posted twice has the
// same key.
func (sel Selection) Key(action Action) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", action)
	if sel.View != nil {
		f := sel.View
		fmt.Fprintf(h, "view\n%s\n%t\n%q\n%v\n", f.Status, f.Undelivered, f.Query, f.SpaceIDs)
	} else {
		ids := unique(sel.IDs)
		slices.Sort(ids)
		fmt.Fprintf(h, "ids\n%v\n", ids)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Submit keeps p as a job: refused when it would pass the send limit, or
// when it applies to nobody.
func (s *Service) Submit(ctx context.Context, actor invitations.Actor, p *Plan) (Job, error) {
	return s.submit(ctx, actor, p, "")
}

func (s *Service) submit(ctx context.Context, actor invitations.Actor, p *Plan, key string) (Job, error) {
	if p.Over() {
		return Job{}, errs.T(errs.TooMany, "err.bulk.over_limit", "Count", p.Sends, "Left", p.Left, "Max", p.Max)
	}
	if p.Do == 0 {
		return Job{}, errs.T(errs.Conflict, "err.bulk.nothing_to_do")
	}
	return s.store.Create(ctx, Job{ActorID: actor.User.ID, Action: p.Action, IP: activity.SourceOf(ctx).IP, Selection: key, CreatedAt: s.clock.Now()}, p.items)
}

// PlanItems is the plan of items made elsewhere (the CSV import's lines,
// each already Skipped or waiting), for Submit.
func (s *Service) PlanItems(ctx context.Context, actor invitations.Actor, action Action, items []Item) (Plan, error) {
	p := Plan{Action: action, Selected: len(items), items: items}
	counts := map[Reason]int{}
	for i := range items {
		items[i].Seq = i
		if items[i].Outcome == Skipped {
			counts[items[i].Reason]++
		} else {
			p.Do++
		}
	}
	p.Skips = sortCounts(counts)
	return p, s.budget(ctx, actor, &p, p.Do)
}

// Run does job id batch by batch until it is finished (or ctx ends): what
// a request does for a small selection, and the runner for large ones.
func (s *Service) Run(ctx context.Context, id int64) (Job, error) {
	for {
		j, err := s.Step(ctx, id)
		if err != nil || j.Finished() {
			return j, err
		}
	}
}

// Step does the next batch of job id, in one transaction.
func (s *Service) Step(ctx context.Context, id int64) (Job, error) {
	now := s.clock.Now()
	j, err := s.store.Work(ctx, id, s.BatchSize, now, func(ctx context.Context, j Job, items []Item) error {
		return s.batch(ctx, j, items, now)
	})
	if err == nil && s.Notify != nil {
		s.Notify()
	}
	return j, err
}

func (s *Service) batch(ctx context.Context, j Job, items []Item, now time.Time) error {
	skipAll := func(r Reason) error {
		for i := range items {
			items[i].Outcome, items[i].Reason = Skipped, r
		}
		return nil
	}
	u, err := s.users.Get(ctx, j.ActorID)
	if errs.Is(err, errs.NotFound) || (err == nil && !u.DeactivatedAt.IsZero()) {
		return skipAll(ReasonActor)
	}
	if err != nil {
		return err
	}
	access, err := s.users.Access(ctx, u)
	if err != nil {
		return err
	}
	if !access.IsAdmin() {
		return skipAll(ReasonActor)
	}
	actor := invitations.Actor{User: u, Access: access}
	h := s.handlers[j.Action]
	if h == nil {
		return errs.Wrap(errs.T(errs.Internal, "err.bulk.unknown_action"), "no handler for bulk action "+string(j.Action))
	}
	// Each person's row as it is now, for the row's rules.
	rows := map[int64]users.Listed{}
	if _, ok := rowAction[j.Action]; ok {
		var ids []int64
		for _, it := range items {
			ids = append(ids, it.UserID)
		}
		ls, err := s.users.Rows(ctx, access, ids)
		if err != nil {
			return err
		}
		for _, l := range ls {
			rows[l.ID] = l
		}
	}
	ctx = activity.With(ctx, activity.Source{ActorID: u.ID, ActorName: u.DisplayName(), ActorEmail: u.Email, IP: j.IP})
	for i := range items {
		it := &items[i]
		if _, ok := rowAction[j.Action]; ok {
			l, found := rows[it.UserID]
			if !found {
				it.Outcome, it.Reason = Skipped, ReasonGone
				continue
			}
			if r := Classify(j.Action, actor, l, now); r != "" {
				it.Outcome, it.Reason = Skipped, r
				continue
			}
		}
		err := h(ctx, actor, *it)
		if err == nil {
			it.Outcome = Done
			continue
		}
		r, ok := reasonOf(err)
		if !ok {
			if ctx.Err() != nil {
				// Shutting down: the batch is undone, and done again at the
				// next start.
				return err
			}
			// A failure of ours with this one person (its savepoint is
			// undone): skipped and logged, so that one person cannot stop
			// the job for everyone. A failing database fails the batch's
			// commit instead, and the batch is tried again.
			s.log().Error("a bulk action failed for one person", "job", j.ID, "action", j.Action, "user", it.UserID, "err", err)
			r = ReasonFailed
		}
		it.Outcome, it.Reason = Skipped, r
	}
	return nil
}

// Produce does one batch of the oldest unfinished job, as the email
// sender's loop runs it between its rounds (mail.Producer): the emails a
// batch queued go out before the next batch, and a job that a restart
// interrupted goes on from its first waiting item.
func (s *Service) Produce(ctx context.Context) (time.Time, error) {
	id, ok, err := s.store.Unfinished(ctx)
	if err != nil || !ok {
		return time.Time{}, err
	}
	if _, err := s.Step(ctx, id); err != nil {
		return time.Time{}, err
	}
	// Perhaps more: the loop comes back at once.
	return s.clock.Now(), nil
}

// Report is a job as its administrator's banner says it.
type Report struct {
	Job
	Skips []Count
}

// Reports are actor's jobs whose result they have not dismissed: those
// running, with their progress, and those finished, with what was skipped
// and why.
func (s *Service) Reports(ctx context.Context, actor invitations.Actor) ([]Report, error) {
	js, err := s.store.Unseen(ctx, actor.User.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Report, 0, len(js))
	for _, j := range js {
		r := Report{Job: j}
		if j.Skipped() > 0 {
			if r.Skips, err = s.store.Reasons(ctx, j.ID); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// Report is one job of actor's, as Reports has it.
func (s *Service) Report(ctx context.Context, actor invitations.Actor, id int64) (Report, error) {
	j, err := s.store.Job(ctx, id)
	if err != nil {
		return Report{}, err
	}
	if j.ActorID != actor.User.ID {
		return Report{}, errs.T(errs.NotFound, "err.bulk.no_such")
	}
	r := Report{Job: j}
	if j.Skipped() > 0 {
		r.Skips, err = s.store.Reasons(ctx, id)
	}
	return r, err
}

// Dismiss hides the result of actor's finished job id.
func (s *Service) Dismiss(ctx context.Context, actor invitations.Actor, id int64) error {
	return s.store.Dismiss(ctx, id, actor.User.ID, s.clock.Now())
}

func unique(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func sortCounts(m map[Reason]int) []Count {
	out := make([]Count, 0, len(m))
	for r, n := range m {
		out = append(out, Count{Reason: r, N: n})
	}
	// Most first; ties in a stable order.
	slices.SortFunc(out, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Reason, b.Reason))
	})
	return out
}
