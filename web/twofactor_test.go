package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/usherhq/usher/internal/apptest"
)

var (
	secretRE   = regexp.MustCompile(`<code id="secret" class="secret">([A-Z2-7 ]+)</code>`)
	recoveryRE = regexp.MustCompile(`<li id="recovery-\d+"><code>([a-z2-7-]+)</code></li>`)
)

// totpAt is the code an authenticator app shows for secret at when.
func totpAt(t *testing.T, secret string, when time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(strings.ReplaceAll(secret, " ", ""), when, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enrol turns on two-factor sign-in for c's person through the profile
// and returns the secret as the page shows it and the recovery codes.
func enrol(t *testing.T, e *apptest.Env, c *http.Client) (string, []string) {
	t.Helper()
	if res := e.Post(t, c, "/profile/two-factor/start", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d\n%s", res.StatusCode, text(res.Body))
	}
	page := e.Get(t, c, "/profile/two-factor")
	m := secretRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no secret on the enrolment page:\n%s", page.Body)
	}
	if !strings.Contains(page.Body, `src="data:image/png;base64,`) {
		t.Error("no QR code made on the server on the enrolment page")
	}
	if cc := page.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("enrolment page Cache-Control %q, want no-store", cc)
	}
	res := e.Post(t, c, "/profile/two-factor/confirm", url.Values{"code": {totpAt(t, m[1], e.Clock.Now())}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %d\n%s", res.StatusCode, text(res.Body))
	}
	var codes []string
	for _, x := range recoveryRE.FindAllStringSubmatch(res.Body, -1) {
		codes = append(codes, x[1])
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10:\n%s", len(codes), text(res.Body))
	}
	return m[1], codes
}

// signInCode signs email in with the password and answers the code step
// with code, returning the client and the code step's response.
func signInCode(t *testing.T, e *apptest.Env, email, password, code string) (*http.Client, apptest.Response) {
	t.Helper()
	c := e.Client(t)
	res := e.Post(t, c, "/login", url.Values{"email": {email}, "password": {password}, "next": {"/profile"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login/code") {
		t.Fatalf("sign in as %s: %d to %q, want the code step", email, res.StatusCode, res.Header.Get("Location"))
	}
	return c, e.Post(t, c, "/login/code", url.Values{"code": {code}, "next": {"/profile"}})
}

// Enrolment: the QR code and the secret, confirmed with a code; ten
// recovery codes shown once and downloadable once; every other session
// ends; the database holds neither the secret nor the codes in the clear.
// Then sign-in asks for a code: a pending session reaches nothing else, a
// wrong code and the code already used are refused, the next one works.
func TestTwoFactorEnrolAndSignIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	bo, laptop := f.member(t, "bo@example.com", "Bo Berg")
	phone := signInWith(t, f.Env, "bo@example.com", memberPassword, safariIPhone)

	secret, codes := enrol(t, f.Env, laptop)
	if res := f.Get(t, phone, "/profile"); res.StatusCode == http.StatusOK {
		t.Error("the other session still works after enrolment")
	}
	if res := f.Get(t, laptop, "/profile"); res.StatusCode != http.StatusOK || !strings.Contains(text(res.Body), "Two-factor sign-in On") {
		t.Errorf("this session after enrolment: %d\n%s", res.StatusCode, text(res.Body))
	}

	// A second click on Turn on, after the first turned it on, shows the
	// same codes again while they are not downloaded, and makes no others.
	again := f.Post(t, laptop, "/profile/two-factor/confirm", url.Values{"code": {"123456"}})
	for _, code := range codes {
		if !strings.Contains(again.Body, code) {
			t.Errorf("a second click does not show %s again (%d)", code, again.StatusCode)
		}
	}
	file := f.Get(t, laptop, "/profile/two-factor/codes.txt")
	if file.StatusCode != http.StatusOK || !strings.HasPrefix(file.Header.Get("Content-Type"), "text/plain") ||
		!strings.HasPrefix(file.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q %q", file.StatusCode, file.Header.Get("Content-Type"), file.Header.Get("Content-Disposition"))
	}
	for _, code := range codes {
		if !strings.Contains(file.Body, code+"\n") {
			t.Errorf("the file lacks %s", code)
		}
	}
	if again := f.Get(t, laptop, "/profile/two-factor/codes.txt"); again.StatusCode != http.StatusNotFound {
		t.Errorf("second download: %d, want 404", again.StatusCode)
	}

	var sealed []byte
	if err := f.App.DB.R.QueryRow(`SELECT secret FROM two_factor WHERE user_id = ?`, bo).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(strings.ReplaceAll(secret, " ", ""))) {
		t.Error("the database holds the secret in the clear")
	}
	rows, err := f.App.DB.R.Query(`SELECT code_hash FROM recovery_codes WHERE user_id = ?`, bo)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var h []byte
		_ = rows.Scan(&h)
		n++
		for _, code := range codes {
			if bytes.Contains(h, []byte(code)) || bytes.Contains(h, []byte(strings.ReplaceAll(code, "-", ""))) {
				t.Error("a recovery code is stored in the clear")
			}
		}
	}
	rows.Close()
	if n != 10 {
		t.Errorf("%d recovery code rows, want 10", n)
	}

	// The code used to enrol is of this time step: refused at sign-in.
	used := totpAt(t, secret, f.Clock.Now())
	c, res := signInCode(t, f.Env, "bo@example.com", memberPassword, used)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(text(res.Body), "That code was used already") {
		t.Errorf("a reused code: %d\n%s", res.StatusCode, text(res.Body))
	}
	// Waiting for its code, the session reaches nothing else.
	for _, path := range []string{"/profile", "/", "/settings/users"} {
		if r := f.Get(t, c, path); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login/code" {
			t.Errorf("GET %s with the code to come: %d to %q, want the code step", path, r.StatusCode, r.Header.Get("Location"))
		}
	}
	if r := f.Post(t, c, "/profile/name", url.Values{"name": {"Mallory"}}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /profile/name with the code to come: %d, want 401", r.StatusCode)
	}
	if got := f.User(t, bo).Name; got != "Bo Berg" {
		t.Errorf("name changed to %q by a session waiting for its code", got)
	}
	if r := f.Post(t, c, "/login/code", url.Values{"code": {"000000"}}); r.StatusCode != http.StatusUnauthorized || !strings.Contains(text(r.Body), "That code is not right") {
		t.Errorf("a wrong code: %d\n%s", r.StatusCode, text(r.Body))
	}
	f.Clock.Advance(30 * time.Second)
	res = f.Post(t, c, "/login/code", url.Values{"code": {totpAt(t, secret, f.Clock.Now())}, "next": {"/profile"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/profile" {
		t.Fatalf("the next code: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), text(res.Body))
	}
	if r := f.Get(t, c, "/profile"); r.StatusCode != http.StatusOK {
		t.Errorf("signed in with the code, /profile: %d", r.StatusCode)
	}
	// A code one step old still works (clock drift), once.
	f.Clock.Advance(30 * time.Second)
	_, res = signInCode(t, f.Env, "bo@example.com", memberPassword, totpAt(t, secret, f.Clock.Now()))
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("a fresh code: %d", res.StatusCode)
	}
	_, res = signInCode(t, f.Env, "bo@example.com", memberPassword, totpAt(t, secret, f.Clock.Now().Add(-30*time.Second)))
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a code of an earlier step than one accepted: %d, want 401", res.StatusCode)
	}
}

// A recovery code signs in once; the second time it is refused.
func TestTwoFactorRecoveryCodeWorksOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	_, c := f.member(t, "bo@example.com", "Bo Berg")
	_, codes := enrol(t, f.Env, c)
	typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " ")) // as someone might type it
	_, res := signInCode(t, f.Env, "bo@example.com", memberPassword, typed)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a recovery code: %d\n%s", res.StatusCode, text(res.Body))
	}
	_, res = signInCode(t, f.Env, "bo@example.com", memberPassword, codes[3])
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(text(res.Body), "That code is not right") {
		t.Errorf("the same recovery code again: %d\n%s", res.StatusCode, text(res.Body))
	}
	c2, res := signInCode(t, f.Env, "bo@example.com", memberPassword, codes[4])
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("another recovery code: %d", res.StatusCode)
	}
	if page := text(f.Get(t, c2, "/profile/two-factor").Body); !strings.Contains(page, "You have 8 unused recovery codes") {
		t.Errorf("the page does not count 8 codes left:\n%s", page)
	}
}

// Wrong codes count as wrong passwords: the sign-in limit refuses more.
func TestTwoFactorWrongCodesRateLimited(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{})
	_, c := f.member(t, "bo@example.com", "Bo Berg")
	enrol(t, f.Env, c)
	pending, _ := signInCode(t, f.Env, "bo@example.com", memberPassword, "111111")
	limited := false
	for range 50 {
		r := f.Post(t, pending, "/login/code", url.Values{"code": {"111111"}})
		if r.StatusCode == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("50 wrong codes in a row were never refused")
	}
}

// USHER_REQUIRE_2FA=admins sends an administrator without a second
// factor to enrolment from every page, and a member nowhere.
func TestTwoFactorRequiredForAdmins(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{Env: map[string]string{"USHER_REQUIRE_2FA": "admins"}})
	// The first administrator enrols (enrolment is the one page open to
	// them), and invites a member and a second administrator.
	if r := f.Get(t, f.admin, "/settings/users"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/profile/two-factor" {
		t.Errorf("admin GET /settings/users: %d to %q, want enrolment", r.StatusCode, r.Header.Get("Location"))
	}
	enrol(t, f.Env, f.admin)
	_, member := f.member(t, "bo@example.com", "Bo Berg")
	cy := f.acceptAs(t, f.copyLink(t, f.invite(t, "cy@example.com", "admin")), "Cy Admin")

	for _, path := range []string{"/", "/settings/users", "/settings/spaces", "/profile", "/dev/mailbox"} {
		r := f.Get(t, cy, path)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/profile/two-factor" {
			t.Errorf("admin GET %s: %d to %q, want enrolment", path, r.StatusCode, r.Header.Get("Location"))
		}
		if r := f.Get(t, member, path); path == "/" || path == "/profile" {
			if r.StatusCode != http.StatusOK {
				t.Errorf("member GET %s: %d, want 200", path, r.StatusCode)
			}
		} else if r.Header.Get("Location") == "/profile/two-factor" {
			t.Errorf("member GET %s sent to enrolment", path)
		}
	}
	if r := f.Post(t, cy, "/profile/name", url.Values{"name": {"X"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("admin POST /profile/name before enrolling: %d, want 403", r.StatusCode)
	}
	page := f.Get(t, cy, "/profile/two-factor")
	if page.StatusCode != http.StatusOK || !strings.Contains(text(page.Body), "Your organisation requires two-factor sign-in") {
		t.Errorf("enrolment page: %d\n%s", page.StatusCode, text(page.Body))
	}
	enrol(t, f.Env, cy)
	if r := f.Get(t, cy, "/settings/users"); r.StatusCode != http.StatusOK {
		t.Errorf("admin after enrolling, /settings/users: %d", r.StatusCode)
	}
}

// Turning off needs the password and a code; then the person gets an
// email in their language with the time and the browser.
func TestTwoFactorTurnOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	bo, c := f.member(t, "bo@example.com", "Bo Berg")
	if r := f.Post(t, c, "/profile/language", url.Values{"language": {"de"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("language: %d", r.StatusCode)
	}
	secret, _ := enrol(t, f.Env, c)
	before := f.mails(t, "bo@example.com")
	f.Clock.Advance(30 * time.Second)
	code := totpAt(t, secret, f.Clock.Now())
	for _, form := range []url.Values{
		{"password": {"wrong password here"}, "code": {code}},
		{"password": {memberPassword}, "code": {""}},
		{"password": {memberPassword}, "code": {"123456"}},
	} {
		r := f.Post(t, c, "/profile/two-factor/off", form, "User-Agent", firefoxWindows)
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("off with %v: %d, want 422", form, r.StatusCode)
		}
	}
	if on, _ := f.App.Web.TwoFactor.Enabled(t.Context(), bo); !on {
		t.Fatal("turned off without the password and a code")
	}
	r := f.Post(t, c, "/profile/two-factor/off", url.Values{"password": {memberPassword}, "code": {code}}, "User-Agent", firefoxWindows)
	if got := banner(t, f.Env, c, r); !strings.Contains(got, "Die Zwei-Faktor-Anmeldung ist ausgeschaltet.") {
		t.Errorf("banner:\n%s", got)
	}
	if on, _ := f.App.Web.TwoFactor.Enabled(t.Context(), bo); on {
		t.Error("still on")
	}
	if n := f.mails(t, "bo@example.com"); n != before+1 {
		t.Fatalf("%d emails after turning off, want %d", n, before+1)
	}
	got := f.SMTP.To("bo@example.com")
	m := got[len(got)-1]
	if s := m.Header("Subject"); s != "Die Zwei-Faktor-Anmeldung für Acme Clinics wurde ausgeschaltet" {
		t.Errorf("subject %q", s)
	}
	for _, part := range []string{m.Text, text(m.HTML)} {
		if !strings.Contains(part, "wurde am ") || !strings.Contains(part, "ausgeschaltet, mit Firefox unter Windows") {
			t.Errorf("the email does not say when and from where:\n%s", part)
		}
	}
	// Signing in asks for no code now.
	c2 := f.Client(t)
	if r := f.Post(t, c2, "/login", url.Values{"email": {"bo@example.com"}, "password": {memberPassword}}); r.Header.Get("Location") != "/" {
		t.Errorf("sign in after turning off: to %q", r.Header.Get("Location"))
	}
}

// A reset link is not a second factor: setting a new password through it
// leaves the browser at the code step, not signed in.
func TestTwoFactorResetLinkStillAsksForCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t, apptest.Options{SMTP: true})
	_, c := f.member(t, "bo@example.com", "Bo Berg")
	secret, _ := enrol(t, f.Env, c)
	seen := f.mails(t, "bo@example.com")
	f.forgot(t, "bo@example.com")
	got := f.newMail(t, "bo@example.com", seen)
	if len(got) != 1 || f.resetPath(got[0]) == "" {
		t.Fatalf("got %d emails, want one reset link", len(got))
	}
	res, b := f.setPassword(t, f.resetPath(got[0]), "a brand new passphrase")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", res.StatusCode, text(res.Body))
	}
	if r := f.Get(t, b, "/profile"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login/code" {
		t.Errorf("after the reset, /profile: %d to %q, want the code step", r.StatusCode, r.Header.Get("Location"))
	}
	f.Clock.Advance(30 * time.Second)
	if r := f.Post(t, b, "/login/code", url.Values{"code": {totpAt(t, secret, f.Clock.Now())}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("code after the reset: %d", r.StatusCode)
	}
	if r := f.Get(t, b, "/profile"); r.StatusCode != http.StatusOK {
		t.Errorf("with the code, /profile: %d", r.StatusCode)
	}
}
