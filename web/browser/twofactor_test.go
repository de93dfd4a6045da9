package browser_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/usherhq/usher/internal/apptest"
)

var secretRE = regexp.MustCompile(`<code id="secret" class="secret">([A-Z2-7 ]+)</code>`)

func totpCode(t *testing.T, secret string, when time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(strings.ReplaceAll(secret, " ", ""), when, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// collectTwoFactorPages adds two-factor sign-in's pages and states, for
// the person email signed in as c: the start, enrolment and its error, the
// recovery codes, the page once on and its turn-off error, the code step
// and its error.
func collectTwoFactorPages(t *testing.T, h *htmlCollector, email string, c *http.Client) {
	t.Helper()
	e := h.e
	h.get("two-factor sign-in, off", c, "/profile/two-factor", http.StatusOK)
	h.post("two-factor sign-in, enrolling", c, "/profile/two-factor/start", url.Values{}, http.StatusOK)
	h.post("two-factor sign-in, wrong code", c, "/profile/two-factor/confirm", url.Values{"code": {"000000"}}, http.StatusUnprocessableEntity)
	page := e.Get(t, c, "/profile/two-factor")
	m := secretRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no secret on the enrolment page:\n%s", page.Body)
	}
	h.post("two-factor sign-in, recovery codes", c, "/profile/two-factor/confirm", url.Values{"code": {totpCode(t, m[1], e.Clock.Now())}}, http.StatusOK)
	h.get("two-factor sign-in, on", c, "/profile/two-factor", http.StatusOK)
	h.post("two-factor sign-in, turn off with errors", c, "/profile/two-factor/off", url.Values{"password": {"wrong"}, "code": {""}}, http.StatusUnprocessableEntity)
	other := e.Client(t)
	if res := e.Post(t, other, "/login", url.Values{"email": {email}, "password": {password}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	h.get("sign-in, code step", other, "/login/code", http.StatusOK)
	h.post("sign-in, code step with an error", other, "/login/code", url.Values{"code": {"000000"}}, http.StatusUnauthorized)
}

// enrolTwoFactor turns two-factor sign-in on from the profile, reading
// the key off the page and computing the code at the fake clock's time as
// an authenticator app would; it returns the key.
func (p *Person) enrolTwoFactor(e *apptest.Env) string {
	p.t.Helper()
	p.open("/profile")
	p.navigateBy("open two-factor sign-in", chromedp.Click(button("Manage two-factor sign-in")))
	p.waitPath("/profile/two-factor")
	p.navigateBy("set it up", chromedp.Click(button("Set up two-factor sign-in")))
	secret := p.text("#secret")
	if len(strings.ReplaceAll(secret, " ", "")) < 16 {
		p.t.Fatalf("the page shows the key %q", secret)
	}
	p.do("type the code", chromedp.SendKeys(chromedp.CSS("#code"), totpCode(p.t, secret, e.Clock.Now())))
	p.navigateBy("turn it on", chromedp.Click(button("Turn on two-factor sign-in")))
	p.waitBanner("Two-factor sign-in is on. Every other session was ended.")
	if codes := strings.Fields(p.text(".recovery-codes")); len(codes) != 10 {
		p.t.Fatalf("%d recovery codes on the page, want 10: %q", len(codes), codes)
	}
	return secret
}

// signInWithCode signs in with the password, then the code the key gives
// half a minute later (a new time step), and lands on landing.
func (p *Person) signInWithCode(e *apptest.Env, email, password, secret, landing string) {
	p.t.Helper()
	e.Clock.Advance(30 * time.Second)
	p.open("/login")
	p.do("sign in",
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password))
	p.navigateBy("sign in", chromedp.Click(button("Sign in")))
	p.waitPath("/login/code")
	p.do("type the code", chromedp.SendKeys(chromedp.CSS("#code"), totpCode(p.t, secret, e.Clock.Now())))
	p.navigateBy("give the code", chromedp.Click(button("Sign in")))
	p.waitPath(landing)
}
