package web

import (
	"sync"
	"time"

	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
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

// allow counts a hit for key and reports how long to wait when over.
func (w *window) allow(key string) (bool, time.Duration) { return w.allowN(key, 1) }

// allowN counts n hits at once, or, when they would go over, one refused.
func (w *window) allowN(key string, n int) (bool, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
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
	if c.n+n > w.max {
		c.n++
		return false, c.start.Add(w.period).Sub(now)
	}
	c.n += n
	return true, 0
}

// limiters are the rate limits of SPEC §5, keyed by client address and,
// for sign-in, by email too.
type limiters struct {
	loginIP, loginEmail, accept, badToken *window
}

func newLimiters(clk clock.Clock) *limiters {
	return &limiters{
		loginIP:    newWindow(30, 15*time.Minute, clk),
		loginEmail: newWindow(10, 15*time.Minute, clk),
		accept:     newWindow(20, 15*time.Minute, clk),
		badToken:   newWindow(30, 15*time.Minute, clk),
	}
}

// check refuses with a sentence saying when to try again.
func check(w *window, key string) error { return checkN(w, key, 1) }

// checkN is check for n hits at once.
func checkN(w *window, key string, n int) error {
	ok, wait := w.allowN(key, n)
	if ok {
		return nil
	}
	mins := int((wait + time.Minute - 1) / time.Minute)
	unit := "minutes"
	if mins == 1 {
		unit = "minute"
	}
	return errs.Wait(wait, "Too many attempts. Wait %d %s, then try again.", mins, unit)
}
