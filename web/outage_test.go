package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
)

const outageNotice = "Emails can't be sent"

// TestMailOutageNotice: while the mail server refuses connections, every
// page an account administrator opens says so, with the server, the
// reason and since when; kept pages included. Once a message is accepted
// it goes, also when another process on the same data folder sent it.
func TestMailOutageNotice(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTPDown: true})
	e.SetupAdmin(t)
	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	page := func(path string) string {
		t.Helper()
		res := e.Get(t, admin, path)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", path, res.StatusCode)
		}
		// text() spaces the end of <time>, and of the reply marked as English.
		return strings.NewReplacer(" .", ".", " ,", ",").Replace(text(res.Body))
	}
	if got := page("/settings/users"); strings.Contains(got, outageNotice) {
		t.Fatalf("before any attempt, the list says %q", outageNotice)
	}
	deliveryInvite(t, e, admin, "tom@example.com")
	e.Clock.Advance(3 * time.Minute)
	e.Deliver(t) // refused

	want := outageNotice + ": could not connect to the mail server " + e.SMTPAddr() + ": connection refused, since 09:03 UTC. Invitations are kept and go out when it works again."
	for _, path := range []string{"/settings/users", "/settings/users", "/settings/spaces", "/profile", "/settings/users/invite"} {
		if got := page(path); !strings.Contains(got, want) {
			t.Errorf("%s should say %q:\n%s", path, want, got)
		}
	}

	// Another process sends from the same data folder, and the server
	// takes the message: this one's pages follow within a minute.
	other := apptest.New(t, apptest.Options{SMTP: true, Env: map[string]string{"USHER_DATA_DIR": e.App.Config.DataDir}})
	other.Clock.Set(e.Clock.Now().Add(time.Minute))
	other.Deliver(t)
	if n := len(other.SMTP.To("tom@example.com")); n != 1 {
		t.Fatalf("the other process delivered %d emails to tom, want 1", n)
	}
	e.Clock.Advance(time.Minute)
	for _, path := range []string{"/settings/users", "/profile"} {
		if got := page(path); strings.Contains(got, outageNotice) {
			t.Errorf("%s still says %q after a message was accepted:\n%s", path, outageNotice, got)
		}
	}
}

// TestMailOutageNoticeFollowsThisProcess: the kept users list gets the
// notice as soon as this process's sender finds the server down, and
// loses it as soon as the server takes a message, without waiting for
// the minute.
func TestMailOutageNoticeFollowsThisProcess(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTPDown: true})
	e.SetupAdmin(t)
	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	deliveryInvite(t, e, admin, "tom@example.com")
	list := func() string {
		t.Helper()
		return text(e.Get(t, admin, "/settings/users").Body)
	}
	if strings.Contains(list(), outageNotice) {
		t.Fatal("the notice shows before any attempt")
	}
	list() // kept now
	e.Deliver(t)
	if !strings.Contains(list(), outageNotice) {
		t.Error("the kept list does not show the notice after the attempt failed")
	}
	e.StartSMTP(t)
	e.Clock.Advance(40 * time.Second) // the retry is due (30 s ± 20%), in the same minute
	e.Deliver(t)
	if len(e.SMTP.To("tom@example.com")) != 1 {
		t.Fatal("the retry did not deliver")
	}
	if strings.Contains(list(), outageNotice) {
		t.Error("the kept list still shows the notice after the server took the message")
	}
}

// Only account administrators see the notice; the built-in mailbox never
// fails.
func TestMailOutageNoticeIsForAccountAdministrators(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{SMTPDown: true})
	e.SetupAdmin(t)
	admin := e.SignIn(t, apptest.AdminEmail, apptest.AdminPassword)
	deliveryInvite(t, e, admin, "tom@example.com")
	e.Deliver(t)
	e.StartSMTP(t) // let the invitee's email through, so they can join
	e.Clock.Advance(40 * time.Second)
	e.Deliver(t)
	link := apptest.Link(e.SMTP.To("tom@example.com")[0].Text)
	// The server goes down again, for good.
	e.SMTP.Close()
	deliveryInvite(t, e, admin, "una@example.com")
	e.Deliver(t)
	if got := text(e.Get(t, admin, "/profile").Body); !strings.Contains(got, outageNotice) {
		t.Fatalf("the administrator should see the notice:\n%s", got)
	}
	tom := e.Client(t)
	res := e.Post(t, tom, strings.TrimPrefix(link, e.URL), map[string][]string{"name": {"Tom"}, "password": {"a long enough passphrase"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("accepting: status %d", res.StatusCode)
	}
	if got := text(e.Get(t, tom, "/profile").Body); strings.Contains(got, outageNotice) {
		t.Errorf("a member sees the notice:\n%s", got)
	}
}
