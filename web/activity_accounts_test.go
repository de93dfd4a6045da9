package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/apptest"
)

// The activity rows of accounts: each action done as a person does it,
// over HTTP, and the rows it wrote read back from the fixture's database.

// testIP is the test server's client address, which every row written
// for a request keeps.
const testIP = "127.0.0.1"

// activityLog reads what was written since it last looked.
type activityLog struct {
	e    *apptest.Env
	seen int64 // the newest entry's id already read
}

// watch starts reading e's log from now on.
func watch(t *testing.T, e *apptest.Env) *activityLog {
	t.Helper()
	l := &activityLog{e: e}
	l.since(t)
	return l
}

// since returns the entries written since the last call, oldest first.
func (l *activityLog) since(t *testing.T) []activity.Entry {
	t.Helper()
	p, err := db.NewActivityStore(l.e.App.DB).List(context.Background(), activity.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []activity.Entry
	for _, e := range p.Entries {
		if e.ID > l.seen {
			out = append(out, e)
		}
	}
	slices.Reverse(out)
	if len(out) > 0 {
		l.seen = out[len(out)-1].ID
	}
	return out
}

// kinds lists the entries' kinds, to show in a failure.
func kinds(es []activity.Entry) []activity.Kind {
	out := make([]activity.Kind, len(es))
	for i, e := range es {
		out[i] = e.Kind
	}
	return out
}

// want checks that exactly the entries of kinds were written since the
// last look, in that order, and returns them.
func (l *activityLog) want(t *testing.T, what string, want ...activity.Kind) []activity.Entry {
	t.Helper()
	got := l.since(t)
	if !slices.Equal(kinds(got), want) {
		t.Fatalf("%s: wrote %v, want %v", what, kinds(got), want)
	}
	return got
}

// none checks that nothing was written since the last look.
func (l *activityLog) none(t *testing.T, what string) {
	t.Helper()
	if got := l.since(t); len(got) != 0 {
		t.Errorf("%s: wrote %v, want nothing", what, kinds(got))
	}
}

// person is who an entry names as actor or subject.
type person struct {
	ID          int64
	Name, Email string
}

func actorOf(e activity.Entry) person   { return person{e.ActorID, e.ActorName, e.ActorEmail} }
func subjectOf(e activity.Entry) person { return person{e.SubjectID, e.SubjectName, e.SubjectEmail} }

// check compares an entry's actor, subject and IP with what they should
// be, and its time with the fake clock's now.
func check(t *testing.T, e *apptest.Env, got activity.Entry, actor, subject person, ip string) {
	t.Helper()
	if a := actorOf(got); a != actor {
		t.Errorf("%s: actor %+v, want %+v", got.Kind, a, actor)
	}
	if s := subjectOf(got); s != subject {
		t.Errorf("%s: subject %+v, want %+v", got.Kind, s, subject)
	}
	if got.IP != ip {
		t.Errorf("%s: IP %q, want %q", got.Kind, got.IP, ip)
	}
	if !got.At.Equal(e.Clock.Now().Truncate(time.Second)) {
		t.Errorf("%s: at %v, want %v", got.Kind, got.At, e.Clock.Now())
	}
}

var (
	ana = person{Name: apptest.AdminName, Email: apptest.AdminEmail}
	bo  = person{Name: "Bo Berg", Email: "bo@example.com"}
)

// Signing in writes who, from where and on what; each refused sign-in
// says why, under the person the address names, or none; signing out
// writes nothing. The page says the same whatever the reason.
func TestActivitySignIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	id, _ := f.member(t, bo.Email, bo.Name)
	b := bo
	b.ID = id
	log := watch(t, f.Env)

	c := signInWith(t, f.Env, bo.Email, memberPassword, firefoxWindows)
	got := log.want(t, "sign-in", activity.SignIn)[0]
	check(t, f.Env, got, b, b, testIP)
	if got.Details.Device != "Firefox, Windows" || got.Details.SecondFactor != "" {
		t.Errorf("sign-in details %+v, want the device and no second factor", got.Details)
	}

	if r := f.Post(t, c, "/logout", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", r.StatusCode)
	}
	log.none(t, "signing out")

	typed := person{Name: bo.Email, Email: bo.Email} // no one signed in: the address typed acts
	refuse := func(email, password string) (activity.Entry, string) {
		t.Helper()
		r := f.Post(t, f.Client(t), "/login", url.Values{"email": {email}, "password": {password}})
		if r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("sign in as %s with %q: %d, want 401", email, password, r.StatusCode)
		}
		return log.want(t, "a refused sign-in", activity.SignInFailed)[0], text(r.Body)
	}
	got, wrongPage := refuse(bo.Email, "not the password")
	check(t, f.Env, got, typed, b, testIP)
	if got.Details.Reason != "password" || got.Details.Email != bo.Email {
		t.Errorf("wrong password: details %+v", got.Details)
	}

	got, unknownPage := refuse("nobody@example.com", "whatever it is")
	check(t, f.Env, got, person{Name: "nobody@example.com", Email: "nobody@example.com"}, person{}, testIP)
	if got.Details.Reason != "unknown_email" || got.Details.Email != "nobody@example.com" {
		t.Errorf("unknown address: details %+v", got.Details)
	}
	if strings.ReplaceAll(unknownPage, "nobody@example.com", bo.Email) != wrongPage {
		t.Errorf("the page for an unknown address differs from a wrong password's:\n%s\n---\n%s", unknownPage, wrongPage)
	}

	long := strings.Repeat("x", 2000) + "@example.com"
	if got, _ = refuse(long, "whatever it is"); got.Details.Email != long[:254] || got.ActorName != long[:254] {
		t.Errorf("a long address: kept %d bytes, want 254", len(got.Details.Email))
	}

	f.Deactivate(t, id)
	log.since(t) // the deactivation is not this test's
	got, _ = refuse(bo.Email, memberPassword)
	check(t, f.Env, got, typed, b, testIP)
	if got.Details.Reason != "deactivated" {
		t.Errorf("deactivated: details %+v", got.Details)
	}
}

// Two-factor sign-in turned on and off, each once; the code step writes
// the sign-in with the factor given, and a wrong code as refused, under
// the person whose password was right.
func TestActivityTwoFactor(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	id, c := f.member(t, bo.Email, bo.Name)
	b := bo
	b.ID = id
	log := watch(t, f.Env)

	secret, recovery := enrol(t, f.Env, c)
	check(t, f.Env, log.want(t, "enrolment", activity.UserTwoFactorOn)[0], b, b, testIP)

	f.Clock.Advance(30 * time.Second)
	c = f.Client(t)
	if r := f.Post(t, c, "/login", url.Values{"email": {bo.Email}, "password": {memberPassword}}, "User-Agent", safariIPhone); !strings.HasPrefix(r.Header.Get("Location"), "/login/code") {
		t.Fatalf("password step: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	log.none(t, "the password step")
	if r := f.Post(t, c, "/login/code", url.Values{"code": {"000000"}}); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong code: %d, want 401", r.StatusCode)
	}
	got := log.want(t, "a wrong code", activity.SignInFailed)[0]
	check(t, f.Env, got, b, b, testIP)
	if got.Details.Reason != "code" || got.Details.Email != bo.Email {
		t.Errorf("wrong code: details %+v", got.Details)
	}
	if r := f.Post(t, c, "/login/code", url.Values{"code": {totpAt(t, secret, f.Clock.Now())}}, "User-Agent", safariIPhone); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the code: %d", r.StatusCode)
	}
	got = log.want(t, "the code step", activity.SignIn)[0]
	check(t, f.Env, got, b, b, testIP)
	if got.Details.SecondFactor != "code" || got.Details.Device != "Safari, iPhone" {
		t.Errorf("sign-in with a code: details %+v", got.Details)
	}

	if _, r := signInCode(t, f.Env, bo.Email, memberPassword, recovery[0]); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a recovery code: %d", r.StatusCode)
	}
	if got := log.want(t, "a recovery code", activity.SignIn)[0]; got.Details.SecondFactor != "recovery" {
		t.Errorf("sign-in with a recovery code: details %+v", got.Details)
	}

	f.Clock.Advance(30 * time.Second)
	code := totpAt(t, secret, f.Clock.Now())
	if r := f.Post(t, c, "/profile/two-factor/off", url.Values{"password": {"not the password"}, "code": {code}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("off with a wrong password: %d", r.StatusCode)
	}
	log.none(t, "turning off with a wrong password")
	if r := f.Post(t, c, "/profile/two-factor/off", url.Values{"password": {memberPassword}, "code": {code}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("off: %d\n%s", r.StatusCode, text(r.Body))
	}
	check(t, f.Env, log.want(t, "turning off", activity.UserTwoFactorOff)[0], b, b, testIP)
}

// Sessions ended on the profile, one or the others, and by an
// administrator: how many, and by whom. Ending none writes nothing.
func TestActivitySessionsEnded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	id, here := f.member(t, bo.Email, bo.Name)
	b := bo
	b.ID = id
	f.SignIn(t, bo.Email, memberPassword)
	f.SignIn(t, bo.Email, memberPassword)
	a := ana
	a.ID = f.UserID(t, apptest.AdminEmail)
	log := watch(t, f.Env)

	list := sessionsOf(t, f.Env, id)
	if len(list) != 3 {
		t.Fatalf("%d sessions, want 3", len(list))
	}
	// The oldest is the accepting browser's own (here): end the newest.
	if r := f.Post(t, here, "/profile/sessions/"+strconv.FormatInt(list[0].ID, 10)+"/end", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("end one: %d", r.StatusCode)
	}
	got := log.want(t, "ending one", activity.UserSessionsEnded)[0]
	check(t, f.Env, got, b, b, testIP)
	if got.Details.Count != 1 {
		t.Errorf("ending one: count %d", got.Details.Count)
	}
	if r := f.Post(t, here, "/profile/sessions/"+strconv.FormatInt(list[0].ID, 10)+"/end", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("ending it again: %d, want 404", r.StatusCode)
	}
	log.none(t, "ending an ended session")

	f.SignIn(t, bo.Email, memberPassword)
	log.since(t)
	if r := f.Post(t, here, "/profile/sessions/others/end", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("end others: %d", r.StatusCode)
	}
	got = log.want(t, "ending the others", activity.UserSessionsEnded)[0]
	check(t, f.Env, got, b, b, testIP)
	if got.Details.Count != 2 {
		t.Errorf("ending the others: count %d, want 2", got.Details.Count)
	}
	if r := f.Post(t, here, "/profile/sessions/others/end", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("end others again: %d", r.StatusCode)
	}
	log.none(t, "ending no others")

	if r := f.Post(t, f.admin, "/settings/users/"+strconv.FormatInt(id, 10)+"/sessions/end", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the administrator ends them: %d\n%s", r.StatusCode, text(r.Body))
	}
	got = log.want(t, "an administrator ending them", activity.UserSessionsEnded)[0]
	check(t, f.Env, got, a, b, testIP)
	if got.Details.Count != 1 {
		t.Errorf("the administrator's: count %d, want 1", got.Details.Count)
	}
}

// Reset links: sent by an administrator (the invitation's history line
// kept), asked for by Forgot password (the system's, when the sender
// answers), and used (then the sign-in); a dead link writes nothing, nor
// an unknown address.
func TestActivityResets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	id, _ := f.member(t, bo.Email, bo.Name)
	b := bo
	b.ID = id
	a := ana
	a.ID = f.UserID(t, apptest.AdminEmail)
	seen := f.mails(t, bo.Email)
	log := watch(t, f.Env)

	if r := f.Post(t, f.admin, "/settings/users/"+strconv.FormatInt(id, 10)+"/reset", url.Values{}, apptest.HTMX...); r.StatusCode != http.StatusOK {
		t.Fatalf("send a reset link: %d\n%s", r.StatusCode, text(r.Body))
	}
	check(t, f.Env, log.want(t, "an administrator's reset link", activity.UserResetSent)[0], a, b, testIP)
	var events int
	if err := f.App.DB.R.QueryRow(`SELECT count(*) FROM invitation_events WHERE kind = 'reset_sent'`).Scan(&events); err != nil || events != 1 {
		t.Errorf("history lines: %d (%v), want 1", events, err)
	}

	mail := f.newMail(t, bo.Email, seen)
	seen += len(mail)
	if len(mail) != 1 || f.resetPath(mail[0]) == "" {
		t.Fatalf("%d emails, want a reset link", len(mail))
	}
	path := f.resetPath(mail[0])
	if r, _ := f.setPassword(t, path, "a brand new passphrase"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("use the link: %d", r.StatusCode)
	}
	got := log.want(t, "a reset link used", activity.UserPasswordReset, activity.SignIn)
	check(t, f.Env, got[0], b, b, testIP)
	if r, _ := f.setPassword(t, path, "yet another passphrase"); r.StatusCode != http.StatusNotFound {
		t.Errorf("the used link again: %d, want 404", r.StatusCode)
	}
	log.none(t, "a used link")

	f.Clock.Advance(2 * time.Minute) // past the cooldown
	seen = f.mails(t, bo.Email)      // the notice of the change
	f.forgot(t, bo.Email)
	f.forgot(t, "nobody@example.com")
	log.none(t, "Forgot password before the sender's round")
	if mail := f.newMail(t, bo.Email, seen); len(mail) != 1 {
		t.Fatalf("%d emails after Forgot password, want 1", len(mail))
	}
	got = log.want(t, "Forgot password answered", activity.UserResetAsked)
	if !got[0].System() {
		t.Errorf("Forgot password: actor %+v, want the system", actorOf(got[0]))
	}
	check(t, f.Env, got[0], person{}, b, "")
}

// A password changed on the profile, then this browser signed in again;
// a wrong current password writes nothing.
func TestActivityPasswordChanged(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	id, c := f.member(t, bo.Email, bo.Name)
	b := bo
	b.ID = id
	log := watch(t, f.Env)

	if r := f.Post(t, c, "/profile/password", url.Values{"current": {"not my password"}, "new": {"a brand new passphrase"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong current password: %d", r.StatusCode)
	}
	log.none(t, "a wrong current password")
	if r := f.Post(t, c, "/profile/password", url.Values{"current": {memberPassword}, "new": {"a brand new passphrase"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("change the password: %d", r.StatusCode)
	}
	got := log.want(t, "a password changed", activity.UserPasswordChanged, activity.SignIn)
	check(t, f.Env, got[0], b, b, testIP)
}

// A person's language and the account's: from and to; choosing the same
// again writes nothing.
func TestActivityLanguages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	id, c := f.member(t, bo.Email, bo.Name)
	b := bo
	b.ID = id
	a := ana
	a.ID = f.UserID(t, apptest.AdminEmail)
	log := watch(t, f.Env)
	own := f.User(t, id).Language // the invitation's

	for range 2 {
		if r := f.Post(t, c, "/profile/language", url.Values{"language": {"de"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("language: %d", r.StatusCode)
		}
	}
	got := log.want(t, "a person's language, twice", activity.UserLanguageChanged)[0]
	check(t, f.Env, got, b, b, testIP)
	if want := []activity.Change{{Field: "language", From: own, To: "de"}}; !slices.Equal(got.Details.Changes, want) {
		t.Errorf("changes %+v, want %+v", got.Details.Changes, want)
	}
	if r := f.Post(t, c, "/profile/language", url.Values{"language": {""}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("back to the browser's: %d", r.StatusCode)
	}
	if got := log.want(t, "back to the browser's", activity.UserLanguageChanged)[0]; !slices.Equal(got.Details.Changes, []activity.Change{{Field: "language", From: "de", To: ""}}) {
		t.Errorf("changes %+v", got.Details.Changes)
	}

	var was string
	if err := f.App.DB.R.QueryRow(`SELECT coalesce((SELECT value FROM account_settings WHERE key = 'language'), '')`).Scan(&was); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if r := f.Post(t, f.admin, "/settings/account/language", url.Values{"language": {"de"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("account language: %d", r.StatusCode)
		}
	}
	got = log.want(t, "the account's language, twice", activity.AccountLanguageChanged)[0]
	check(t, f.Env, got, a, person{}, testIP)
	if want := []activity.Change{{Field: "language", From: was, To: "de"}}; !slices.Equal(got.Details.Changes, want) {
		t.Errorf("changes %+v, want %+v", got.Details.Changes, want)
	}
	if r := f.Post(t, f.admin, "/settings/account/language", url.Values{"language": {"xx"}}); r.StatusCode == http.StatusSeeOther {
		t.Errorf("an unknown language: %d", r.StatusCode)
	}
	log.none(t, "an unknown language")
}

// The setup page: the account and its administrator created, by that
// administrator, then their sign-in. A second setup writes nothing.
func TestActivitySetup(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, apptest.Options{})
	log := watch(t, e)
	form := url.Values{"account": {apptest.AccountName}, "email": {apptest.AdminEmail}, "name": {apptest.AdminName}, "password": {apptest.AdminPassword}}
	if r := e.Post(t, e.Client(t), "/setup/"+e.App.SetupToken, form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup: %d\n%s", r.StatusCode, text(r.Body))
	}
	got := log.want(t, "setup", activity.AccountCreated, activity.UserCreated, activity.SignIn)
	a := ana
	a.ID = e.UserID(t, apptest.AdminEmail)
	check(t, e, got[0], a, person{}, testIP)
	if s := got[0].Details.Space; s == nil || s.Name != apptest.AccountName || s.Kind != "account" {
		t.Errorf("account created: space %+v", s)
	}
	check(t, e, got[1], a, a, testIP)
	if r := got[1].Details.Roles; len(r) != 1 || r[0].Role != "admin" || r[0].SpaceName != apptest.AccountName {
		t.Errorf("user created: roles %+v", r)
	}
	if r := e.Post(t, e.Client(t), "/setup/"+e.App.SetupToken, form); r.StatusCode != http.StatusNotFound {
		t.Errorf("setup again: %d, want 404", r.StatusCode)
	}
	log.none(t, "setup again")
}
