package web

import (
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/users"
)

// window is a fixed-window counter: at most max hits per period.
type window struct {
	max    int
	period time.Duration
	mu     sync.Mutex
	hits   map[string]*count
	clock  clock.Clock
	swept  time.Time
}

type count struct {
	n     int
	start time.Time
}

func newWindow(max int, period time.Duration, clk clock.Clock) *window {
	return &window{max: max, period: period, hits: map[string]*count{}, clock: clk}
}

// current is key's count in the window now. The caller holds w.mu.
func (w *window) current(key string) (*count, time.Time) {
	now := w.clock.Now()
	if now.Sub(w.swept) > w.period {
		for k, c := range w.hits {
			if now.Sub(c.start) >= w.period {
				delete(w.hits, k)
			}
		}
		w.swept = now
	}
	c := w.hits[key]
	if c == nil || now.Sub(c.start) >= w.period {
		c = &count{start: now}
		w.hits[key] = c
	}
	return c, now
}

// allowN counts n hits at once, or, when they would go over, one refused.
func (w *window) allowN(key string, n int) (bool, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, now := w.current(key)
	if c.n+n > w.max {
		c.n++
		return false, c.start.Add(w.period).Sub(now)
	}
	c.n += n
	return true, 0
}

// take counts a hit for key unless the window is full; refused, it counts
// nothing, so that asking again while refused costs nothing more.
func (w *window) take(key string) (bool, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, now := w.current(key)
	if c.n >= w.max {
		return false, c.start.Add(w.period).Sub(now)
	}
	c.n++
	return true, 0
}

// add counts a hit for key, whatever the count, and returns how many the
// window held before it.
func (w *window) add(key string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, _ := w.current(key)
	c.n++
	return c.n - 1
}

// give takes back one hit counted for key, when what it counted turned out
// not to be what the window counts.
func (w *window) give(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c := w.hits[key]; c != nil && c.n > 0 {
		c.n--
	}
}

// reset forgets key's hits.
func (w *window) reset(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.hits, key)
}

// apiPerMinute is how many requests a token may make a minute.
const apiPerMinute = 1200

// limiters are the rate limits of SPEC §5, keyed by client network (see
// clientKey) and, for sign-in, by email too.
type limiters struct {
	// Sign-in. Behind an office's NAT without trusted proxies everyone
	// there shares one address, so its limits are sized for a few hundred
	// people signing in at the start of a day, with typos.
	loginIP       *window // attempts per client network, successful ones too
	loginIPFailed *window // failures per client network, across emails
	loginPair     *window // failures per email per client network
	// loginEmail counts failures per email from every network. It never
	// refuses, which would let anyone keep the owner out: past max
	// failures, every sign-in for the email waits (signInDelay).
	loginEmail *window

	accept, badToken *window

	// Forgot password (issue 16): forms per client network, and per
	// address as typed, whether anyone has it or not, so that reaching
	// the limit says nothing about which addresses exist.
	forgotIP, forgotEmail *window

	// api counts the API's requests per token (issue 20): a program in a
	// loop, not a person; what it may send is also capped by the
	// invitation budget like anyone's.
	api *window
}

func newLimiters(clk clock.Clock) *limiters {
	return &limiters{
		api:           newWindow(apiPerMinute, time.Minute, clk),
		loginIP:       newWindow(300, 15*time.Minute, clk),
		loginIPFailed: newWindow(60, 15*time.Minute, clk),
		loginPair:     newWindow(10, 15*time.Minute, clk),
		loginEmail:    newWindow(5, 15*time.Minute, clk),
		// A whole office may accept its invitations in the same quarter
		// of an hour, some after a too-short password.
		accept: newWindow(100, 15*time.Minute, clk),
		// People follow real links; unknown tokens are guesses or typos.
		badToken: newWindow(30, 15*time.Minute, clk),
		// A person asks once, maybe twice; an office may ask a few dozen
		// times in a morning.
		forgotIP:    newWindow(30, 15*time.Minute, clk),
		forgotEmail: newWindow(3, 15*time.Minute, clk),
	}
}

// clientKey is what the per-address limits count a request against: an
// IPv4 client by its address (an IPv4-mapped IPv6 one too), an IPv6
// client by its /64, the block one subscriber or site is given whole, so
// that stepping through its addresses gains nothing.
func clientKey(c echo.Context) string {
	ip := c.RealIP()
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// The wait before a sign-in's password is checked, once its email has
// more failures in the window than loginEmail allows for free.
const (
	firstSignInDelay = 500 * time.Millisecond
	maxSignInDelay   = 4 * time.Second
)

// signInDelay doubles from firstSignInDelay for every failure past free,
// up to maxSignInDelay.
func signInDelay(failures, free int) time.Duration {
	switch {
	case failures < free:
		return 0
	case failures-free >= 8: // past the cap; keeps the shift from overflowing
		return maxSignInDelay
	}
	return min(firstSignInDelay<<(failures-free), maxSignInDelay)
}

// signInAttempt is one sign-in's place in the limits. It counts as a
// failure from the start and is taken back if the password was right,
// so that guesses sent in parallel cannot all pass before the first one
// is counted.
type signInAttempt struct {
	l                    *limiters
	network, pair, email string
	// delay is how long to wait before checking the password.
	delay time.Duration
}

// startSignIn counts a sign-in for email from network, or refuses it with
// a sentence saying when to try again. Failures from other networks never
// refuse it; they only make its delay longer. email is keyed as typed (trimmed
// and lower-cased, as users.ParseEmail does), whether an account has it or
// not, so the delay tells nothing about which emails exist.
func (l *limiters) startSignIn(network, email string) (*signInAttempt, error) {
	if len(email) > users.MaxEmailLen {
		// Never an account's; cut so that long junk costs little memory.
		email = email[:users.MaxEmailLen+1]
	}
	a := &signInAttempt{l: l, network: network, pair: pairKey(network, email), email: email}
	if err := check(l.loginIP, network); err != nil {
		return nil, err
	}
	if err := reserve(l.loginIPFailed, network); err != nil {
		return nil, err
	}
	if err := reserve(l.loginPair, a.pair); err != nil {
		l.loginIPFailed.give(network)
		return nil, err
	}
	a.delay = signInDelay(l.loginEmail.add(email), l.loginEmail.max)
	return a, nil
}

// checkPasswordChange counts a password change by the user with email:
// the current password it checks is guessed no faster than at sign-in.
func (l *limiters) checkPasswordChange(network, email string) error {
	if err := check(l.loginIP, network); err != nil {
		return err
	}
	return check(l.loginPair, pairKey(network, email))
}

// checkForgot counts a Forgot password form for email (as typed) from
// network, or refuses it with when to try again: the same sentence
// for every address.
func (l *limiters) checkForgot(network, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if len(email) > users.MaxEmailLen {
		email = email[:users.MaxEmailLen+1]
	}
	if err := reserve(l.forgotIP, network); err != nil {
		return err
	}
	if err := reserve(l.forgotEmail, email); err != nil {
		l.forgotIP.give(network)
		return err
	}
	return nil
}

// pairKey is the loginPair key. A network key holds no space, so no two
// pairs share one.
func pairKey(network, email string) string { return network + " " + email }

// succeeded takes the attempt back from the failures. The pair's earlier
// failures go too: the owner got their own password right, so their
// typos from here no longer count. Failures from other networks stay,
// and keep slowing whoever makes them.
func (a *signInAttempt) succeeded() {
	a.l.loginPair.reset(a.pair)
	a.l.loginIPFailed.give(a.network)
	a.l.loginEmail.give(a.email)
}

// abandoned takes the attempt back when no password was judged.
func (a *signInAttempt) abandoned() {
	a.l.loginPair.give(a.pair)
	a.l.loginIPFailed.give(a.network)
	a.l.loginEmail.give(a.email)
}

// check refuses with a sentence saying when to try again.
func check(w *window, key string) error { return checkN(w, key, 1) }

// checkN is check for n hits at once.
func checkN(w *window, key string, n int) error {
	ok, wait := w.allowN(key, n)
	if ok {
		return nil
	}
	return tooMany(wait)
}

// reserve is check for a window whose refusals cost nothing (window.take).
func reserve(w *window, key string) error {
	ok, wait := w.take(key)
	if ok {
		return nil
	}
	return tooMany(wait)
}

func tooMany(wait time.Duration) error {
	mins := int((wait + time.Minute - 1) / time.Minute)
	return errs.WaitT(wait, "web.too_many", "Count", mins)
}
