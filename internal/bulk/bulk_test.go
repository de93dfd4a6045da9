package bulk_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/bulk"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/dbtest"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// world is an account with the unit Sales (Una administers it) and the
// unit Support, and one person in every state:
//
//	active     member of Sales
//	fresh      invited to Sales a moment ago (within the resend cooldown)
//	invited    invited to Sales two minutes ago
//	expired    invited to Sales, expired
//	deact      invited to Sales, then deactivated
//	deactUser  active member of Sales, deactivated
//	support    invited to Support (outside Una's spaces: hidden from her)
//	mixed      active, member of Sales and of Support (Una sees, cannot manage)
type world struct {
	d       *db.DB
	clock   *clock.Fake
	users   *users.Service
	invs    *invitations.Service
	bulk    *bulk.Service
	ada     users.User
	una     users.User
	sales   int64
	support int64
	people  map[string]int64
}

func newWorld(t *testing.T, sendLimit int) *world {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, t.TempDir())
	w := &world{d: d, clock: clock.NewFake(t0), people: map[string]int64{}}
	hasher := auth.NewCheapHasher(2)
	w.users = users.NewService(db.NewUserStore(d), hasher, w.clock)
	w.invs = invitations.NewService(db.NewInvitationStore(d), w.users, auth.NewLinks(bytes.Repeat([]byte{7}, 32)), hasher, w.clock, 7*24*time.Hour, "https://usher.example.com", sendLimit)
	w.bulk = bulk.NewService(db.NewBulkStore(d), w.users, w.invs, w.clock, sendLimit)
	var err error
	if w.ada, err = w.users.Setup(ctx, users.SetupInput{AccountName: "Acme", Email: "ada@example.com", Name: "Ada", Password: "plum tractor gently sings"}); err != nil {
		t.Fatal(err)
	}
	acc, _ := w.users.Account(ctx)
	w.sales = w.space(t, "Sales", acc.ID)
	w.support = w.space(t, "Support", acc.ID)
	w.una = w.user(t, "una", spaces.Grant{SpaceID: w.sales, Role: spaces.Admin})
	w.people["una"] = w.una.ID
	w.people["active"] = w.user(t, "active", w.member(w.sales)).ID
	w.people["mixed"] = w.user(t, "mixed", w.member(w.sales), w.member(w.support)).ID
	w.people["deactUser"] = w.user(t, "deactUser", w.member(w.sales)).ID
	w.people["expired"] = w.invite(t, "expired", w.sales)
	w.clock.Advance(8 * 24 * time.Hour)
	w.people["invited"] = w.invite(t, "invited", w.sales)
	w.people["deact"] = w.invite(t, "deact", w.sales)
	w.people["support"] = w.invite(t, "support", w.support)
	w.clock.Advance(2 * time.Minute)
	w.people["fresh"] = w.invite(t, "fresh", w.sales)
	for _, who := range []string{"deact", "deactUser"} {
		if _, err := w.users.Deactivate(ctx, w.actor(t, w.ada).Access, w.people[who]); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *world) member(id int64) spaces.Grant { return spaces.Grant{SpaceID: id, Role: spaces.Member} }

func (w *world) space(t *testing.T, name string, parent int64) int64 {
	t.Helper()
	res, err := w.d.W.Exec(`INSERT INTO spaces (kind, parent_id, name, created_at) VALUES ('unit', ?, ?, 0)`, parent, name)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	return id
}

func (w *world) user(t *testing.T, name string, grants ...spaces.Grant) users.User {
	t.Helper()
	res, err := w.d.W.Exec(`INSERT INTO users (email, name, password_hash, created_at, activated_at) VALUES (?, ?, 'x', 0, 0)`, name+"@example.com", name)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	for _, g := range grants {
		if _, err := w.d.W.Exec(`INSERT INTO role_grants (user_id, space_id, role, granted_at) VALUES (?, ?, ?, 0)`, id, g.SpaceID, g.Role); err != nil {
			t.Fatal(err)
		}
	}
	u, err := w.users.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (w *world) invite(t *testing.T, name string, space int64) int64 {
	t.Helper()
	inv, err := w.invs.Invite(context.Background(), w.actor(t, w.ada), invitations.InviteInput{Email: name + "@example.com", Offered: []spaces.Grant{w.member(space)}})
	if err != nil {
		t.Fatal(err)
	}
	return inv.UserID
}

func (w *world) actor(t *testing.T, u users.User) invitations.Actor {
	t.Helper()
	u, err := w.users.Get(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := w.users.Access(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return invitations.Actor{User: u, Access: a}
}

// everyone is the selection of every person of the world, Ada and Una too.
func (w *world) everyone() []int64 {
	ids := []int64{w.ada.ID}
	for _, id := range w.people {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, k int) bool { return ids[i] < ids[k] })
	return ids
}

// dump is every row an action could change, but for the people named in
// except, one line a row. Rows whose person is gone (an invitation of a
// deleted user) are left out: only people done are removed.
func (w *world) dump(t *testing.T, except ...string) string {
	t.Helper()
	skip := map[int64]bool{}
	for _, who := range except {
		skip[w.people[who]] = true
	}
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, id, email, coalesce(deactivated_at, 0), session_version FROM users`,
		`SELECT user_id, id, state, sent_at, expires_at FROM invitations`,
		`SELECT user_id, space_id, role, 0, 0 FROM role_grants`,
		`SELECT i.user_id, o.id, o.kind, o.recipient, 0 FROM outbox o LEFT JOIN invitations i ON i.id = o.invitation_id`,
	} {
		rows, err := w.d.R.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var owner sql.NullInt64
			var a, c, d2, e any
			if err := rows.Scan(&owner, &a, &c, &d2, &e); err != nil {
				t.Fatal(err)
			}
			if owner.Valid && !skip[owner.Int64] {
				fmt.Fprintf(&b, "%d %v %v %v %v\n", owner.Int64, a, c, d2, e)
			}
		}
		rows.Close()
	}
	return b.String()
}

// outcomes is each person's outcome in job id: done, or the reason.
func (w *world) outcomes(t *testing.T, id int64) map[string]string {
	t.Helper()
	names := map[int64]string{w.ada.ID: "ada"}
	for n, uid := range w.people {
		names[uid] = n
	}
	rows, err := w.d.R.Query(`SELECT user_id, outcome, reason FROM bulk_items WHERE job_id = ?`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var uid int64
		var outcome, reason string
		if err := rows.Scan(&uid, &outcome, &reason); err != nil {
			t.Fatal(err)
		}
		if outcome == "done" {
			out[names[uid]] = "done"
		} else {
			out[names[uid]] = strings.TrimPrefix(reason, "bulk.reason.")
		}
	}
	return out
}

func (w *world) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := w.d.R.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Each action over everyone, by a space administrator and by the account
// administrator: what it does to whom, what it skips and why; the rows of
// everyone skipped are untouched; one email per person sent to; the
// activity log names each person done, and the job's row its actor.
func TestEachActionOverAMixedSelection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		action bulk.Action
		by     string
		want   map[string]string
	}{
		{bulk.Resend, "una", map[string]string{
			"invited": "done", "fresh": "cooldown", "expired": "expired", "active": "active", "mixed": "active",
			"deact": "deactivated", "deactUser": "deactivated", "una": "active", "ada": "gone", "support": "gone"}},
		{bulk.Renew, "una", map[string]string{
			"expired": "done", "invited": "invited", "fresh": "invited", "active": "active", "mixed": "active",
			"deact": "deactivated", "deactUser": "deactivated", "una": "active", "ada": "gone", "support": "gone"}},
		{bulk.Cancel, "una", map[string]string{
			"invited": "done", "fresh": "done", "expired": "done", "active": "active", "mixed": "active",
			"deact": "deactivated", "deactUser": "deactivated", "una": "active", "ada": "gone", "support": "gone"}},
		{bulk.Deactivate, "una", map[string]string{
			"invited": "done", "fresh": "done", "expired": "done", "active": "done", "mixed": "not_yours",
			"deact": "deactivated", "deactUser": "deactivated", "una": "self", "ada": "gone", "support": "gone"}},
		{bulk.Activate, "una", map[string]string{
			"deact": "done", "deactUser": "done", "invited": "invited", "fresh": "invited", "expired": "expired",
			"active": "active", "mixed": "active", "una": "active", "ada": "gone", "support": "gone"}},
		{bulk.Delete, "una", map[string]string{
			"invited": "done", "fresh": "done", "expired": "done", "active": "done", "deact": "done", "deactUser": "done",
			"mixed": "not_yours", "una": "self", "ada": "gone", "support": "gone"}},
		{bulk.Deactivate, "ada", map[string]string{
			"invited": "done", "fresh": "done", "expired": "done", "active": "done", "mixed": "done", "una": "done",
			"support": "done", "deact": "deactivated", "deactUser": "deactivated", "ada": "self"}},
	} {
		t.Run(string(tc.action)+" by "+tc.by, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, 1000)
			ctx := context.Background()
			by := w.ada
			if tc.by == "una" {
				by = w.una
			}
			actor := w.actor(t, by)
			var done []string
			for who, o := range tc.want {
				if o == "done" {
					done = append(done, who)
				}
			}
			before := w.dump(t, done...)
			mails := w.count(t, `SELECT count(*) FROM outbox`)
			lastMail := w.count(t, `SELECT max(id) FROM outbox`)
			lastAct := w.count(t, `SELECT max(id) FROM activity`)

			sel := bulk.Selection{IDs: w.everyone()}
			p, err := w.bulk.Plan(ctx, actor, tc.action, sel)
			if err != nil {
				t.Fatal(err)
			}
			if p.Do != len(done) || p.Selected != len(tc.want) {
				t.Errorf("plan: %d of %d, want %d of %d (%v)", p.Do, p.Selected, len(done), len(tc.want), p.Skips)
			}
			if after := w.dump(t); after != w.dump(t) || w.count(t, `SELECT count(*) FROM outbox`) != mails {
				t.Fatal("Plan changed something")
			}
			j, _, err := w.bulk.Start(ctx, actor, tc.action, sel)
			if err != nil {
				t.Fatal(err)
			}
			if j, err = w.bulk.Run(ctx, j.ID); err != nil || !j.Finished() || j.Done != len(done) {
				t.Fatalf("run: %+v, %v", j, err)
			}
			got := w.outcomes(t, j.ID)
			for who, want := range tc.want {
				if got[who] != want {
					t.Errorf("%s: %s, want %s", who, got[who], want)
				}
			}
			if after := w.dump(t, done...); after != before {
				t.Errorf("rows of people skipped changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			sends := 0
			if tc.action.Sends() {
				sends = len(done)
			}
			if n := w.count(t, `SELECT count(*) FROM outbox`) - mails; n != sends {
				t.Errorf("%d emails, want %d", n, sends)
			}
			if n := w.count(t, `SELECT count(DISTINCT recipient) FROM outbox WHERE id > ?`, lastMail); n != sends {
				t.Errorf("%d people emailed, want %d (one each)", n, sends)
			}
			if n := w.count(t, `SELECT count(DISTINCT subject_email) FROM activity WHERE id > ? AND kind != 'bulk.finished'`, lastAct); n != len(done) {
				t.Errorf("activity names %d people, want the %d done", n, len(done))
			}
			if n := w.count(t, `SELECT count(*) FROM activity WHERE kind = 'bulk.finished' AND actor_id = ?`, by.ID); n != 1 {
				t.Errorf("%d bulk.finished rows by the actor", n)
			}
		})
	}
}

// A send that would pass the hourly limit is refused before anything is
// sent; the limit reached while a job runs skips the rest with its reason.
func TestSendLimit(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 8) // the world's set-up sent 5
	ctx := context.Background()
	actor := w.actor(t, w.ada)
	var ids []int64
	for i := range 4 {
		ids = append(ids, w.invite(t, fmt.Sprintf("more%d", i), w.sales)) // 9 sent: over
	}
	w.clock.Advance(time.Hour) // the set-up's sends leave the window
	sel := bulk.Selection{IDs: []int64{w.people["invited"], w.people["deact"], ids[0], ids[1], ids[2], ids[3]}}
	p, err := w.bulk.Plan(ctx, actor, bulk.Resend, sel)
	if err != nil || p.Do != 5 || p.Left != 8 || p.Over() {
		t.Fatalf("plan: %+v, %v", p, err)
	}
	// Someone else's sends use the limit up meanwhile: 6 of Ada's in the
	// hour, so 2 of the 5 fit.
	for i := range 6 {
		w.invite(t, fmt.Sprintf("meanwhile%d", i), w.support)
	}
	if _, _, err := w.bulk.Start(ctx, actor, bulk.Resend, sel); errs.CodeOf(err) != errs.TooMany {
		t.Fatalf("start past the limit: %v, want TooMany", err)
	}
	if n := w.count(t, `SELECT count(*) FROM bulk_jobs`); n != 0 {
		t.Fatalf("%d jobs kept after a refusal", n)
	}
	// Planned within the limit, then the limit reached before it runs.
	w.clock.Advance(time.Hour)
	j, _, err := w.bulk.Start(ctx, actor, bulk.Resend, sel)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		w.invite(t, fmt.Sprintf("later%d", i), w.support)
	}
	if j, err = w.bulk.Run(ctx, j.ID); err != nil || j.Done != 2 {
		t.Fatalf("run: %+v, %v", j, err)
	}
	if n := w.count(t, `SELECT count(*) FROM bulk_items WHERE job_id = ? AND reason = 'bulk.reason.limit'`, j.ID); n != 3 {
		t.Errorf("%d items skipped for the limit, want 3", n)
	}
}

// The administrator deactivated while their job waits: the rest is
// skipped, with that reason, and nothing is done in their name.
func TestActorLosesRights(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 1000)
	ctx := context.Background()
	j, _, err := w.bulk.Start(ctx, w.actor(t, w.una), bulk.Cancel, bulk.Selection{IDs: []int64{w.people["invited"], w.people["fresh"]}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.users.Deactivate(ctx, w.actor(t, w.ada).Access, w.una.ID); err != nil {
		t.Fatal(err)
	}
	if j, err = w.bulk.Run(ctx, j.ID); err != nil || j.Done != 0 || j.Skipped() != 2 {
		t.Fatalf("run: %+v, %v", j, err)
	}
	if got := w.outcomes(t, j.ID); got["invited"] != "actor" || got["fresh"] != "actor" {
		t.Errorf("outcomes %v, want actor for both", got)
	}
	if n := w.count(t, `SELECT count(*) FROM invitations WHERE state = 'cancelled'`); n != 0 {
		t.Errorf("%d invitations cancelled by a deactivated administrator", n)
	}
}

// Every user of a view, across pages: the Invitation expired tab.
func TestSelectionOfAView(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 1000)
	ctx := context.Background()
	for i := range 60 {
		w.invite(t, fmt.Sprintf("old%02d", i), w.sales)
	}
	w.clock.Advance(8 * 24 * time.Hour) // all 64 invitations expire
	view := users.ListFilter{Status: users.Expired}
	p, err := w.bulk.Plan(ctx, w.actor(t, w.una), bulk.Renew, bulk.Selection{View: &view})
	if err != nil {
		t.Fatal(err)
	}
	// Una's expired: the 60, expired, invited, fresh; not Support's.
	if p.Selected != 63 || p.Do != 63 {
		t.Fatalf("plan %d of %d, want 63 of 63 (%v)", p.Do, p.Selected, p.Skips)
	}
}

// Two runners on one job (two processes on the same file, or a request
// and the sender's loop) do each person once.
func TestTwoRunnersDoEachOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, 100000)
	ctx := context.Background()
	w.bulk.BatchSize = 7
	for i := range 100 {
		w.invite(t, fmt.Sprintf("p%03d", i), w.sales)
	}
	w.clock.Advance(8 * 24 * time.Hour)
	view := users.ListFilter{Status: users.Expired}
	j, _, err := w.bulk.Start(ctx, w.actor(t, w.ada), bulk.Renew, bulk.Selection{View: &view})
	if err != nil {
		t.Fatal(err)
	}
	before := w.count(t, `SELECT count(*) FROM outbox`)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.bulk.Run(ctx, j.ID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := w.count(t, `SELECT count(*) FROM outbox`) - before; n != 104 {
		t.Errorf("%d emails, want 104", n)
	}
	if n := w.count(t, `SELECT count(*) FROM (SELECT recipient FROM outbox WHERE kind = 'new_invitation' GROUP BY recipient HAVING count(*) > 1)`); n != 0 {
		t.Errorf("%d people got two new invitations", n)
	}
	if n := w.count(t, `SELECT count(*) FROM activity WHERE kind = 'bulk.finished'`); n != 1 {
		t.Errorf("%d bulk.finished rows, want 1", n)
	}
}

// BenchmarkBulkResend is a 5,000-person bulk resend, planned, kept and
// run batch by batch, per job.
func BenchmarkBulkResend(b *testing.B) {
	ctx := context.Background()
	d := dbtest.Open(b, b.TempDir())
	clk := clock.NewFake(t0)
	hasher := auth.NewCheapHasher(2)
	us := users.NewService(db.NewUserStore(d), hasher, clk)
	invs := invitations.NewService(db.NewInvitationStore(d), us, auth.NewLinks(bytes.Repeat([]byte{7}, 32)), hasher, clk, 7*24*time.Hour, "https://usher.example.com", 10_000_000)
	bk := bulk.NewService(db.NewBulkStore(d), us, invs, clk, 10_000_000)
	ada, err := us.Setup(ctx, users.SetupInput{AccountName: "Acme", Email: "ada@example.com", Name: "Ada", Password: "plum tractor gently sings"})
	if err != nil {
		b.Fatal(err)
	}
	access, _ := us.Access(ctx, ada)
	actor := invitations.Actor{User: ada, Access: access}
	acc, _ := us.Account(ctx)
	for i := 0; i < 5000; i += 50 {
		var emails []string
		for k := i; k < i+50; k++ {
			emails = append(emails, fmt.Sprintf("p%04d@example.com", k))
		}
		if _, err := invs.InviteMany(ctx, actor, emails, "", []spaces.Grant{{SpaceID: acc.ID, Role: spaces.Member}}, ""); err != nil {
			b.Fatal(err)
		}
	}
	view := users.ListFilter{Status: users.Invited}
	b.ResetTimer()
	for b.Loop() {
		clk.Advance(invitations.SendWindow) // the last round's sends leave the window
		j, _, err := bk.Start(ctx, actor, bulk.Resend, bulk.Selection{View: &view})
		if err != nil {
			b.Fatal(err)
		}
		if j, err = bk.Run(ctx, j.ID); err != nil || j.Done != 5000 {
			b.Fatalf("%+v %v", j, err)
		}
	}
}
