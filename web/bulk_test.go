package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/bulk"
	"github.com/usherhq/usher/internal/spaces"
)

func bulkForm(action string, ids ...int64) url.Values {
	v := url.Values{"action": {action}, "return": {"/settings/users"}}
	for _, id := range ids {
		v.Add("id", cid(id))
	}
	return v
}

// A space administrator's bulk action over people of every kind changes
// only those in their spaces, says why it skipped each of the others
// without naming anyone outside, and writes one activity row per person
// changed plus the job's.
func TestBulkSpaceAdminChangesOnlyTheirs(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	north1 := w.invite(t, w.admin, w.email("north"), memberOf(w.wa1))
	north2 := w.invite(t, w.admin, w.email("north"), memberOf(w.room))
	south := w.invite(t, w.admin, w.email("south"), memberOf(w.southWA))
	w.e.Clock.Advance(2 * time.Minute)
	w.mails(t)
	una := w.signIn(t, unaEmail)
	before := w.snapshot(t)
	mark := lastActivity(t, w.e)

	// The confirmation counts; nothing changes.
	ask := w.e.Post(t, una, "/settings/users/bulk", bulkForm("cancel", north1.ID, north2.ID, south.ID, w.mo.ID, w.admin.ID))
	if ask.StatusCode != http.StatusOK {
		t.Fatalf("confirmation: %d\n%s", ask.StatusCode, ask.Body)
	}
	page := text(ask.Body)
	for _, want := range []string{
		"Cancel the invitations of 2 people?",
		"2 of the selected are skipped: they no longer exist, or you can no longer see them.",
		"1 of the selected is skipped: they are active.",
		"Cancel 2 invitations",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(ask.Body, south.Email) || strings.Contains(ask.Body, apptest.AdminEmail+"<") {
		t.Errorf("the confirmation names someone outside Una's spaces")
	}
	if after := w.snapshot(t); after != before {
		t.Fatalf("the confirmation changed something:\n%s", clinicDiff(before, after))
	}

	res := w.e.Post(t, una, "/settings/users/bulk/run", bulkForm("cancel", north1.ID, north2.ID, south.ID, w.mo.ID, w.admin.ID))
	w.mustFlash(t, una, res, "2 invitations cancelled. 2 skipped: they no longer exist, or you can no longer see them. 1 skipped: they are active.")

	// South's invitee and everyone else outside: untouched.
	diff := clinicDiff(before, w.snapshot(t))
	if strings.Contains(diff, south.Email) {
		t.Errorf("South's invitee changed:\n%s", diff)
	}
	// Cancelled people who never joined leave the list.
	var left int
	if err := w.e.App.DB.R.QueryRow(`SELECT count(*) FROM users WHERE id IN (?, ?)`, north1.ID, north2.ID).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d of the cancelled invitees still exist (%v)", left, err)
	}
	kinds := map[activity.Kind]int{}
	for _, l := range activitySince(t, w.e, mark) {
		kinds[l.Kind]++
		if l.ActorID != w.una.ID {
			t.Errorf("activity %s by %d, want Una (%d)", l.Kind, l.ActorID, w.una.ID)
		}
	}
	if kinds["invitation.cancelled"] != 2 || kinds["bulk.finished"] != 1 || len(kinds) != 2 {
		t.Errorf("activity = %v, want 2 invitation.cancelled and 1 bulk.finished", kinds)
	}
}

// A selection of more than a request does at once runs in the
// background: the list shows its progress, the sender's rounds do it a
// batch at a time, the result stays above the list until dismissed, and
// every person gets exactly one new invitation.
func TestBulkLargeSelectionRunsInBackground(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	const n = 230
	emails := make([]string, n)
	for i := range emails {
		emails[i] = w.email("ward")
	}
	if _, err := w.e.App.Invitations.InviteMany(context.Background(), w.actor(t, w.admin), emails, "", []spaces.Grant{memberOf(w.wa1)}, ""); err != nil {
		t.Fatal(err)
	}
	w.mails(t)
	w.e.Clock.Advance(8 * 24 * time.Hour) // every invitation expired
	admin := w.signIn(t, apptest.AdminEmail)
	sent := len(w.e.SMTP.Messages())

	form := url.Values{"action": {"renew"}, "all": {"1"}, "status": {"expired"}, "return": {"/settings/users?status=expired"}}
	ask := w.e.Post(t, admin, "/settings/users/bulk", form)
	if !strings.Contains(text(ask.Body), "Send new invitations to 230 people whose invitations expired?") ||
		!strings.Contains(text(ask.Body), "This runs in the background") {
		t.Fatalf("confirmation:\n%s", text(ask.Body))
	}
	res := w.e.Post(t, admin, "/settings/users/bulk/run", form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings/users?status=expired" {
		t.Fatalf("run: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	list := w.e.Get(t, admin, "/settings/users?status=expired")
	if !strings.Contains(text(list.Body), "Send new invitation: 0 of 230 done.") {
		t.Fatalf("no progress above the list:\n%s", text(list.Body))
	}

	// One batch per round of the sender.
	w.e.Deliver(t)
	poll := w.e.Get(t, admin, "/settings/users/bulk/1?return=%2Fsettings%2Fusers", "HX-Request", "true")
	if !strings.Contains(text(poll.Body), "Send new invitation: 100 of 230 done.") || !strings.Contains(poll.Body, `data-hx-trigger="every 2s"`) {
		t.Fatalf("progress after one round:\n%s", poll.Body)
	}
	for range 3 {
		w.e.Deliver(t)
	}
	poll = w.e.Get(t, admin, "/settings/users/bulk/1?return=%2Fsettings%2Fusers", "HX-Request", "true")
	if !strings.Contains(text(poll.Body), "230 new invitations sent.") || strings.Contains(poll.Body, "every 2s") {
		t.Fatalf("result after the rounds:\n%s", poll.Body)
	}
	got := map[string]int{}
	for _, m := range w.e.SMTP.Messages()[sent:] {
		for _, to := range m.To {
			got[to]++
		}
	}
	for _, e := range emails {
		if got[e] != 1 {
			t.Errorf("%s got %d emails, want 1", e, got[e])
		}
	}
	if len(got) != n {
		t.Errorf("%d people got email, want %d", len(got), n)
	}

	// Another administrator cannot read or dismiss it.
	una := w.signIn(t, unaEmail)
	if r := w.e.Get(t, una, "/settings/users/bulk/1", "HX-Request", "true"); r.StatusCode != http.StatusNotFound {
		t.Errorf("Una reads Ana's job: %d", r.StatusCode)
	}
	if r := w.e.Post(t, una, "/settings/users/bulk/1/dismiss", url.Values{}); r.StatusCode == http.StatusSeeOther {
		if still := w.e.Get(t, admin, "/settings/users"); !strings.Contains(text(still.Body), "230 new invitations sent.") {
			t.Errorf("Una dismissed Ana's result")
		}
	}
	res = w.e.Post(t, admin, "/settings/users/bulk/1/dismiss", url.Values{"return": {"/settings/users"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("dismiss: %d", res.StatusCode)
	}
	if after := w.e.Get(t, admin, "/settings/users"); strings.Contains(text(after.Body), "230 new invitations sent.") {
		t.Errorf("the result is still shown after Dismiss")
	}
}

// A bulk send that would pass the hourly limit says so at the
// confirmation, and running it anyway sends nothing.
func TestBulkOverSendLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true, Env: map[string]string{"USHER_SEND_LIMIT": "4"}})
	a := f.invite(t, "a@example.com", "member")
	b := f.invite(t, "b@example.com", "member")
	c := f.invite(t, "c@example.com", "member")
	f.Clock.Advance(2 * time.Minute)
	mails := f.allMail(t)
	form := bulkForm("resend", a, b, c)
	ask := f.Post(t, f.admin, "/settings/users/bulk", form)
	want := "This would send 3 emails, but you can send only 1 more this hour (the limit is 4 an hour). Nothing was sent."
	if !strings.Contains(text(ask.Body), want) || strings.Contains(ask.Body, "Resend 3 links") {
		t.Fatalf("confirmation:\n%s", text(ask.Body))
	}
	res := f.Post(t, f.admin, "/settings/users/bulk/run", form)
	checkFlash(t, f, res, "/settings/users", "error", want+" Select fewer people, or try again later.")
	if got := f.allMail(t); got != mails {
		t.Errorf("%d emails sent after a refused bulk resend", got-mails)
	}
}

// The bulk routes refuse what the row actions refuse: another site's
// form, a member, an unknown action, an empty selection.
func TestBulkRefusals(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	p := w.invite(t, w.admin, w.email("p"), memberOf(w.wa1))
	admin := w.signIn(t, apptest.AdminEmail)
	mo := w.signIn(t, moEmail)
	before := w.snapshot(t)

	cross := w.e.Post(t, admin, "/settings/users/bulk/run", bulkForm("cancel", p.ID), "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if cross.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site bulk run: %d, want 403", cross.StatusCode)
	}
	if r := w.e.Post(t, mo, "/settings/users/bulk/run", bulkForm("cancel", p.ID)); r.StatusCode != http.StatusForbidden && r.StatusCode != http.StatusNotFound {
		t.Errorf("a member's bulk run: %d", r.StatusCode)
	}
	if after := w.snapshot(t); after != before {
		t.Fatalf("a refused bulk run changed something:\n%s", clinicDiff(before, after))
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{bulkForm("promote", p.ID), "There is no such action."},
		{bulkForm("cancel"), "Select at least one person first."},
		{url.Values{"action": {"cancel"}, "id": {"x"}}, "Select at least one person first."},
	} {
		res := w.e.Post(t, admin, "/settings/users/bulk", tc.form)
		if kind, msg := w.after(t, admin, res); kind != "error" || msg != tc.want {
			t.Errorf("%v: banner %s %q, want error %q", tc.form, kind, msg, tc.want)
		}
	}
}

// Confirm clicked twice (or the form posted again) is one job: both
// answers say what the first did, and nobody gets a second email.
func TestBulkDoubleClick(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	a := f.invite(t, "a@example.com", "member")
	b := f.invite(t, "b@example.com", "member")
	f.Clock.Advance(2 * time.Minute)
	mails := f.allMail(t)
	form := bulkForm("resend", a, b)
	first := f.Post(t, f.admin, "/settings/users/bulk/run", form)
	second := f.Post(t, f.admin, "/settings/users/bulk/run", form)
	checkFlash(t, f, second, "/settings/users", "success", "2 invitation links resent.")
	if first.StatusCode != http.StatusSeeOther {
		t.Fatalf("first click: %d", first.StatusCode)
	}
	if got := f.allMail(t) - mails; got != 2 {
		t.Errorf("%d emails after a double click, want 2", got)
	}
	var jobs int
	if err := f.App.DB.R.QueryRow(`SELECT count(*) FROM bulk_jobs`).Scan(&jobs); err != nil || jobs != 1 {
		t.Errorf("%d jobs after a double click, want 1 (%v)", jobs, err)
	}
	// Moments later it is a new question: within the cooldown, nothing to do.
	f.Clock.Advance(bulk.SameClickWindow + time.Second)
	again := f.Post(t, f.admin, "/settings/users/bulk/run", form)
	checkFlash(t, f, again, "/settings/users", "error", "None of the selected people can be changed this way.")
}
