package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
)

// The users list as a row action leaves it (issue 14): counts that stay
// true, menus that offer only what works, the page past the end.

var (
	oobTabsRE  = regexp.MustCompile(`(?s)<nav id="users-tabs"[^>]*data-hx-swap-oob="true"[^>]*>(.*?)</nav>`)
	oobPagesRE = regexp.MustCompile(`(?s)<div id="users-pages" data-hx-swap-oob="true">(.*?)</div></div>`)
)

// rowPost posts a row action as htmx does from the list at back.
func (f *fixture) rowPost(t *testing.T, id int64, action, back string) apptest.Response {
	t.Helper()
	res := f.Post(t, f.admin, "/settings/users/"+strconv.FormatInt(id, 10)+"/"+action, url.Values{"return": {back}}, apptest.HTMX...)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %d from %s: status %d\n%s", action, id, back, res.StatusCode, res.Body)
	}
	return res
}

// An in-place action brings the tab counts and "Showing" up to date: out
// of band when its row stays in the view, with the results read again when
// it leaves, and the banner then says where it went.
func TestRowActionCountsFollow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	var ids []int64
	for _, em := range []string{"a1@example.com", "a2@example.com", "a3@example.com", "a4@example.com"} {
		ids = append(ids, f.invite(t, em, "member"))
	}
	if page := text(f.Get(t, f.admin, "/settings/users").Body); !strings.Contains(page, "All 5") || !strings.Contains(page, "Invited 4") || !strings.Contains(page, "Showing 1–5 of 5") {
		t.Fatalf("before: %s", page)
	}

	// Cancel: a never-joined user leaves the list, so the results come
	// again in place of the old ones.
	res := f.rowPost(t, ids[0], "cancel", "/settings/users")
	if res.Header.Get("HX-Retarget") != "#users-results" || res.Header.Get("HX-Reswap") != "outerHTML" {
		t.Errorf("a row that left the list should replace the results: HX-Retarget %q, HX-Reswap %q", res.Header.Get("HX-Retarget"), res.Header.Get("HX-Reswap"))
	}
	got := text(res.Body)
	for _, want := range []string{"All 4", "Invited 3", "Showing 1–4 of 4"} {
		if !strings.Contains(got, want) {
			t.Errorf("after a cancel the answer should say %q:\n%s", want, got)
		}
	}
	if strings.Contains(res.Body, `id="user-`+strconv.FormatInt(ids[0], 10)+`"`) {
		t.Error("the cancelled user's row is still in the results")
	}
	checkOOBBanner(t, res.Body, "success", "Invitation for a1@example.com cancelled.")

	// Deactivate on All: the row stays (with its new status), and the
	// counts come out of band.
	res = f.rowPost(t, ids[1], "deactivate", "/settings/users")
	if res.Header.Get("HX-Retarget") != "" {
		t.Errorf("a row still in the view should replace itself, not retarget to %q", res.Header.Get("HX-Retarget"))
	}
	tabs, pages := oobTabsRE.FindStringSubmatch(res.Body), oobPagesRE.FindStringSubmatch(res.Body)
	if tabs == nil || pages == nil {
		t.Fatalf("want the tabs and Showing out of band:\n%s", res.Body)
	}
	if got := text(tabs[1]); !strings.Contains(got, "All 4") || !strings.Contains(got, "Invited 2") || !strings.Contains(got, "Deactivated 1") {
		t.Errorf("the tabs after a deactivation say %q", got)
	}
	if got := text(pages[1]); got != "Showing 1–4 of 4" {
		t.Errorf("Showing after a deactivation says %q", got)
	}
	if !strings.Contains(rowOf(res.Body, ids[1]), "badge-deactivated") {
		t.Errorf("the row should be back, deactivated:\n%s", res.Body)
	}
	checkOOBBanner(t, res.Body, "success", "a2@example.com was deactivated")

	// Activate on the Deactivated tab: the row goes back to Invited, and
	// the banner says so.
	res = f.rowPost(t, ids[1], "activate", "/settings/users?status=deactivated")
	checkOOBBanner(t, res.Body, "success", "a2@example.com was activated. They are now under Invited.")
	if got := text(res.Body); !strings.Contains(got, "Deactivated 0") || !strings.Contains(got, "No users match") {
		t.Errorf("the Deactivated tab should be empty now:\n%s", got)
	}

	// Send new invitation on the Invitation expired tab (the issue's
	// steps): the row moves to Invited.
	f.Clock.Advance(8 * 24 * time.Hour)
	f.signInAgain(t)
	res = f.rowPost(t, ids[2], "renew", "/settings/users?status=expired")
	checkOOBBanner(t, res.Body, "success", "A new invitation will be sent to a3@example.com. They are now under Invited.")
	got = text(res.Body)
	for _, want := range []string{"Invited 1", "Invitation expired 2", "Showing 1–2 of 2"} {
		if !strings.Contains(got, want) {
			t.Errorf("after Send new invitation on the expired tab the answer should say %q:\n%s", want, got)
		}
	}
	if strings.Contains(res.Body, `id="user-`+strconv.FormatInt(ids[2], 10)+`"`) {
		t.Error("the renewed row is still on the Invitation expired tab")
	}

	// Only the list's own address is read; anything else is the list.
	res = f.rowPost(t, ids[3], "renew", "https://evil.example/settings/users?status=expired")
	if oobTabsRE.FindStringSubmatch(res.Body) == nil || res.Header.Get("HX-Retarget") != "" {
		t.Errorf("a foreign return address should count as the whole list, where the row stays:\n%s", res.Body)
	}
}

// A search the row no longer matches: the banner says so.
func TestRowActionLeavesSearch(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	id, _ := f.member(t, "mia@example.com", "Mia Lund")
	res := f.Post(t, f.admin, "/settings/users/"+strconv.FormatInt(id, 10)+"/edit", url.Values{"name": {"Nora Lund"}, "return": {"/settings/users?q=mia+l"}}, apptest.HTMX...)
	checkOOBBanner(t, res.Body, "success", "Changes to mia@example.com saved. They no longer match the search.")
	if res.Header.Get("HX-Retarget") != "#users-results" || !strings.Contains(text(res.Body), "No users match") {
		t.Errorf("the search's results should be read again, empty now:\n%s", res.Body)
	}
}

// Menus offer only what works: one's own row has no Deactivate or Delete
// (the services refuse both, and the sole account administrator is the
// last one), and a space administrator's rows offer nothing they would be
// refused.
func TestMenusOfferOnlyWhatWorks(t *testing.T) {
	t.Parallel()
	w := newClinic(t)
	ana := w.signIn(t, apptest.AdminEmail)
	yara, _ := w.join(t, w.admin, "yara@example.com", "Yara Both", memberOf(w.room), spaces.Grant{SpaceID: w.south, Role: spaces.Admin})
	xavier := w.invite(t, w.admin, "xavier@example.com", memberOf(w.room), memberOf(w.southWA))
	zed := w.invite(t, w.admin, "zed@example.com", memberOf(w.room))

	list := w.e.Get(t, ana, "/settings/users").Body
	self := rowOf(list, w.admin.ID)
	if offers(self, "deactivate") || offers(self, "delete") || !offers(self, "edit") {
		t.Errorf("the administrator's own row should offer Edit user only:\n%s", self)
	}
	if row := rowOf(list, w.una.ID); !offers(row, "deactivate") || !offers(row, "delete") {
		t.Errorf("another user's row should offer Deactivate and Delete:\n%s", row)
	}
	actions := text(w.e.Get(t, ana, clinicUserPath(w.admin, "/actions")).Body)
	if strings.Contains(actions, "Deactivate user") || strings.Contains(actions, "Delete user") {
		t.Errorf("the no-JavaScript actions page of one's own row offers what is refused:\n%s", actions)
	}
	// The rule is the services': asked anyway, they still refuse.
	if _, err := w.e.App.Users.Deactivate(context.Background(), w.actor(t, w.admin).Access, w.admin.ID); err == nil {
		t.Error("deactivating oneself should be refused")
	}

	una := w.signIn(t, unaEmail)
	list = w.e.Get(t, una, "/settings/users").Body
	for _, c := range []struct {
		who  string
		id   int64
		want []string
		not  []string
	}{
		{"Una herself", w.una.ID, []string{"edit"}, []string{"deactivate", "delete"}},
		{"Mo, all in North Clinic", w.mo.ID, []string{"edit", "deactivate", "delete"}, nil},
		{"Yara, also in South Clinic", yara.ID, nil, []string{"edit", "deactivate", "delete"}},
		{"Xavier, offered South Waiting Area too", xavier.ID, nil, []string{"link", "resend", "invitation", "cancel", "edit", "deactivate", "delete"}},
		{"Zed, offered Meeting Room 1 only", zed.ID, []string{"link", "resend", "invitation", "cancel", "edit", "deactivate", "delete"}, nil},
	} {
		row := rowOf(list, c.id)
		if row == "" {
			t.Errorf("%s: no row in Una's list", c.who)
			continue
		}
		for _, k := range c.want {
			if !offers(row, k) {
				t.Errorf("%s: Una's menu should offer %s:\n%s", c.who, k, row)
			}
		}
		for _, k := range c.not {
			if offers(row, k) {
				t.Errorf("%s: Una's menu offers %s, which would be refused:\n%s", c.who, k, row)
			}
		}
	}
}

// Deactivate user asks first, saying that their sessions end: a dialog
// with htmx, a page without.
func TestDeactivateAsksFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	id, _ := f.member(t, "mia@example.com", "Mia Lund")
	path := "/settings/users/" + strconv.FormatInt(id, 10) + "/deactivate"
	before := f.snapshot(t, id)
	page := f.Get(t, f.admin, path+"?return="+url.QueryEscape("/settings/users?status=active"))
	if page.StatusCode != http.StatusOK || !strings.Contains(text(page.Body), "Deactivate mia@example.com?") || !strings.Contains(text(page.Body), "signed out everywhere") {
		t.Fatalf("without JavaScript, Deactivate user should ask on a page of its own:\n%s", page.Body)
	}
	if !strings.Contains(page.Body, `<input type="hidden" name="return" value="/settings/users?status=active">`) {
		t.Error("the question should carry the list's address back")
	}
	dialog := f.Get(t, f.admin, path, apptest.HTMX...)
	if !strings.HasPrefix(strings.TrimSpace(dialog.Body), "<dialog") || !strings.Contains(dialog.Body, `data-hx-post="`+path+`"`) {
		t.Errorf("with htmx, Deactivate user should ask in a dialog:\n%s", dialog.Body)
	}
	if f.snapshot(t, id) != before {
		t.Error("asking changed the user")
	}
}

// seedInvited invites n people as members through the services, as usher
// demo does.
func seedInvited(t *testing.T, f *fixture, n int) {
	t.Helper()
	ctx := context.Background()
	actor := invitations.Actor{User: f.User(t, f.UserID(t, apptest.AdminEmail)), Access: f.AdminAccess(t)}
	account, err := f.App.Users.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		email := fmt.Sprintf("person%04d@example.org", i)
		if _, err := f.App.Invitations.Invite(ctx, actor, invitations.InviteInput{Email: email, Name: fmt.Sprintf("Person %04d", i), Offered: []spaces.Grant{{SpaceID: account.ID, Role: spaces.Member}}}); err != nil {
			t.Fatalf("invite %s: %v", email, err)
		}
	}
}

// A page number past the end says so and links to the last page, rather
// than inviting people to an account that has them.
func TestPagePastTheEnd(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true, Env: map[string]string{"USHER_SEND_LIMIT": "100000"}})
	seedInvited(t, f, 60) // 61 users: two pages
	for _, h := range [][]string{nil, {"HX-Request", "true", "HX-Target", "users-results"}} {
		res := f.Get(t, f.admin, "/settings/users?page=9999", h...)
		got := text(res.Body)
		if res.StatusCode != http.StatusOK || !strings.Contains(got, "Page 9999 is past the end There are 61 users, on 2 pages.") || strings.Contains(got, "No users yet") {
			t.Errorf("page 9999 (htmx %v) should say it is past the end:\n%s", h != nil, got)
		}
		if !strings.Contains(res.Body, `href="/settings/users?page=2">Go to the last page, page 2</a>`) {
			t.Errorf("page 9999 (htmx %v) should link to the last page:\n%s", h != nil, res.Body)
		}
	}
	// A tab keeps its filter in the link.
	if res := f.Get(t, f.admin, "/settings/users?status=invited&page=3"); !strings.Contains(res.Body, `href="/settings/users?page=2&amp;status=invited">`) {
		t.Errorf("a tab's page past the end should link to that tab's last page:\n%s", text(res.Body))
	}
	// An empty list is still the invitation to invite.
	if got := text(f.Get(t, f.admin, "/settings/users?status=deactivated&page=5").Body); !strings.Contains(got, "No users match") {
		t.Errorf("an empty tab past its end is just empty:\n%s", got)
	}
}

// Counts carry thousands separators (components.Count is tested on its own).
func TestCountsHaveSeparators(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true, Env: map[string]string{"USHER_SEND_LIMIT": "100000"}})
	seedInvited(t, f, 1000) // 1,001 users
	got := text(f.Get(t, f.admin, "/settings/users?page=2").Body)
	for _, want := range []string{"All 1,001", "Invited 1,000", "Showing 51–100 of 1,001"} {
		if !strings.Contains(got, want) {
			t.Errorf("the list should say %q:\n%.2000s", want, got)
		}
	}
}
