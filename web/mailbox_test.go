package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
)

// The built-in mailbox lists its emails a page at a time, with page
// numbers, and searches them by recipient or subject, the search kept
// in the page links.
func TestMailboxSearchAndPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{Env: map[string]string{"USHER_SEND_LIMIT": "1000"}})
	admin, err := f.App.Users.Authenticate(context.Background(), apptest.AdminEmail, apptest.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := f.App.Users.Account(context.Background())
	var emails []string
	for i := range 70 {
		emails = append(emails, fmt.Sprintf("p%02d@example.org", i))
	}
	actor := invitations.Actor{User: admin, Access: f.AdminAccess(t)}
	if _, err := f.App.Invitations.InviteMany(context.Background(), actor, emails, "", []spaces.Grant{{SpaceID: acc.ID, Role: spaces.Member}}, ""); err != nil {
		t.Fatal(err)
	}
	box := f.Get(t, f.admin, "/dev/mailbox")
	if box.StatusCode != http.StatusOK || strings.Count(box.Body, `href="/dev/mailbox/`) != 50 {
		t.Fatalf("the first page: status %d, %d emails", box.StatusCode, strings.Count(box.Body, `href="/dev/mailbox/`))
	}
	if !strings.Contains(box.Body, "Showing 1–50 of 70") || !strings.Contains(box.Body, `<a href="/dev/mailbox?page=2"><span class="visually-hidden">Page </span>2</a>`) {
		t.Errorf("the first page should say how many and number the pages:\n%s", box.Body)
	}
	if page2 := f.Get(t, f.admin, "/dev/mailbox?page=2"); strings.Count(page2.Body, `href="/dev/mailbox/`) != 20 || !strings.Contains(page2.Body, "Showing 51–70 of 70") {
		t.Errorf("the second page:\n%s", page2.Body)
	}
	found := f.Get(t, f.admin, "/dev/mailbox?q=P0")
	if n := strings.Count(found.Body, `href="/dev/mailbox/`); n != 10 || !strings.Contains(found.Body, "To p05@example.org") || strings.Contains(found.Body, "To p15@example.org") {
		t.Errorf("searching p0 by recipient: %d emails\n%s", n, found.Body)
	}
	if !strings.Contains(found.Body, `value="P0"`) {
		t.Error("the search box should keep the search")
	}
	bySubject := f.Get(t, f.admin, "/dev/mailbox?q="+strings.ReplaceAll("invited you", " ", "+"))
	if !strings.Contains(bySubject.Body, "Showing 1–50 of 70") || !strings.Contains(bySubject.Body, `href="/dev/mailbox?page=2&amp;q=invited+you"`) {
		t.Errorf("searching by subject, the pages keep the search:\n%s", bySubject.Body)
	}
	none := f.Get(t, f.admin, "/dev/mailbox?q=nobody")
	if !strings.Contains(none.Body, "No emails match") {
		t.Errorf("a search that finds nothing:\n%s", none.Body)
	}
}
