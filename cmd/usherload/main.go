// Command usherload measures how Usher's users list holds up under load.
//
// Against a running Usher it signs in and sends requests from a number of
// concurrent clients, one scenario after the other, and prints requests per
// second and latency percentiles for each, next to the same figures for
// /healthz, a handler that does nothing, measured in the same run: on a
// busy or noisy machine that ratio means more than the raw numbers.
//
//	usherload -url http://127.0.0.1:8080 -c 16 -d 5s
//
// With -usher it runs the whole benchmark itself (`go tool task bench`):
// it fills a temporary data folder with `usher demo`, starts `usher serve`
// on a free loopback port, measures how long it takes to answer, runs the
// scenarios, reads the server's peak memory, and stops it.
//
//	usherload -usher bin/usher -users 100000
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "usherload:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	url       string
	usher     string // the binary to benchmark; empty: use url
	users     int
	email     string
	password  string
	clients   int
	duration  time.Duration
	requests  int
	warmup    time.Duration
	rounds    int
	query     string
	pid       int
	timeout   time.Duration
	scenarios string
	profile   string // with -usher: a folder for a CPU profile of each scenario
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("usherload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "base URL of a running Usher (ignored with -usher)")
	fs.StringVar(&o.usher, "usher", "", "benchmark this usher binary: seed a temporary data folder, start it on loopback, stop it at the end")
	fs.IntVar(&o.users, "users", 100000, "with -usher: how many demo users to seed")
	fs.StringVar(&o.email, "email", "admin@example.com", "administrator to sign in as")
	fs.StringVar(&o.password, "password", "", "their password (default: USHER_ADMIN_PASSWORD, else the demo password)")
	fs.IntVar(&o.clients, "c", 16, "concurrent clients")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "how long to measure each scenario, in all")
	fs.IntVar(&o.requests, "n", 0, "stop each scenario after this many requests (0: only -d counts)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each scenario")
	fs.IntVar(&o.rounds, "rounds", 5, "measure the scenarios in this many interleaved rounds")
	fs.StringVar(&o.query, "q", "son", "the search scenario's query (a common fragment of names)")
	fs.IntVar(&o.pid, "pid", 0, "the server's process id, to report its peak memory (Linux)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long, whatever happens")
	fs.StringVar(&o.scenarios, "scenarios", "", "comma-separated scenario names to run (default: all)")
	fs.StringVar(&o.profile, "profile", "", "with -usher: write a CPU profile of the server during each scenario's first round into this folder (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.password == "" {
		o.password = getenv("USHER_ADMIN_PASSWORD")
	}
	if o.password == "" {
		o.password = "demo password 1234"
	}
	if o.clients < 1 || o.duration <= 0 || o.rounds < 1 {
		return errors.New("-c and -rounds must be at least 1, and -d positive")
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	var srv *server
	if o.usher != "" {
		var err error
		if srv, err = startServer(ctx, o, stderr); err != nil {
			return err
		}
		defer srv.stop()
		o.url, o.pid = srv.url, srv.cmd.Process.Pid
	}
	base, err := url.Parse(strings.TrimRight(o.url, "/"))
	if err != nil || base.Host == "" {
		return fmt.Errorf("-url %q is not a URL", o.url)
	}
	if h := base.Hostname(); h != "localhost" && !net.ParseIP(h).IsLoopback() {
		return fmt.Errorf("-url %s: usherload only loads loopback addresses", o.url)
	}
	client := &http.Client{
		Transport:     &http.Transport{MaxIdleConns: o.clients * 2, MaxIdleConnsPerHost: o.clients * 2, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	cookie, err := signIn(ctx, client, base.String(), o.email, o.password)
	if err != nil {
		return err
	}

	lists, err := distinctLists(ctx, client, base.String(), cookie)
	if err != nil {
		return err
	}
	var run []scenario
	for _, sc := range scenarios(o.query, lists, base.String()) {
		if o.scenarios == "" || slices.Contains(strings.Split(o.scenarios, ","), sc.name) {
			run = append(run, sc)
		}
	}
	// Each scenario is measured in o.rounds slices of o.duration/o.rounds,
	// taking turns with the others: whatever else the machine does at some
	// moment then weighs on every scenario alike, not on one.
	results := make([]result, len(run))
	written := make([]result, len(run)) // the writer of a mixed scenario
	for round := range o.rounds {
		for i, sc := range run {
			fmt.Fprintf(stderr, "usherload: round %d/%d: %s (%s), %d clients…\n", round+1, o.rounds, sc.name, sc.path, o.clients)
			c := cookie
			if !sc.signedIn {
				c = ""
			}
			slice := o
			slice.duration = o.duration / time.Duration(o.rounds)
			if o.requests > 0 {
				slice.requests = max(1, o.requests/o.rounds)
			}
			if round > 0 {
				slice.warmup = 0 // warm already
			}
			req := request{target: base.String() + sc.path, cookie: c, afresh: sc.afresh, base: base.String(), addrs: sc.addrs, write: sc.write}
			var profiled func() error
			if round == 0 && srv != nil && srv.pprof != "" {
				profiled = srv.profile(ctx, filepath.Join(o.profile, profileName(sc.name)), slice.duration)
			}
			r, w, err := measure(ctx, client, req, slice)
			if profiled != nil {
				if perr := profiled(); perr != nil && err == nil {
					err = perr
				}
			}
			if err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
			results[i].add(r)
			results[i].scenario = sc
			written[i].add(w)
			written[i].scenario = scenario{name: sc.name + ": the writer", path: sc.writes}
		}
	}
	var table []result
	for i := range results {
		slices.Sort(results[i].latencies)
		table = append(table, results[i])
		if run[i].write != nil {
			slices.Sort(written[i].latencies)
			table = append(table, written[i])
		}
	}

	peak := peakRSS(o.pid)
	fmt.Fprintln(stdout)
	if srv != nil {
		fmt.Fprintf(stdout, "%d demo users seeded in %.1fs. usher serve answered /healthz %d ms after it was started (it logged startup_ms=%s).\n",
			o.users, srv.seeded.Seconds(), srv.ready.Milliseconds(), srv.startupMS())
	}
	printTable(stdout, table, o.clients)
	for _, r := range table {
		if r.addrs != nil && r.addrs.repeated() > 0 {
			fmt.Fprintf(stdout, "\n%s: %d of its addresses were asked for a second time (the run asked for more than the %d it has).\n", r.name, r.addrs.repeated(), len(r.addrs.list))
		}
	}
	if peak > 0 {
		fmt.Fprintf(stdout, "\nServer peak RSS (VmHWM): %.1f MB\n", float64(peak)/(1<<20))
	}
	return nil
}

// scenario is what its clients ask for: one address again and again
// (path), or with addrs a new address each request (path then shows their
// shape). signedIn sends the session cookie, afresh asks for a page made
// anew (Cache-Control: no-cache, as a hard reload does) rather than one
// Usher kept from an earlier request. With write, one of the clients
// writes instead of reading (writes says what), and the table has a row
// for it.
type scenario struct {
	name, path string
	signedIn   bool
	afresh     bool
	addrs      *addresses
	write      func(ctx context.Context, client *http.Client, cookie string) error
	writes     string
}

// lists are the distinct scenarios' addresses.
type lists struct {
	typing, deep, tabs, mixed *addresses
}

func scenarios(q string, l lists, base string) []scenario {
	// /healthz goes without the cookie, as a load balancer would: with it,
	// every request would also load the session (the user, their roles and
	// the spaces), and the baseline would not be trivial any more.
	return []scenario{
		{name: "healthz", path: "/healthz"},
		{name: "healthz (signed in)", path: "/healthz", signedIn: true}, // the session alone
		// One address again and again: the page Usher made is kept and
		// given again while nothing changes it.
		{name: "first page (kept)", path: "/settings/users", signedIn: true},
		{name: "search (kept)", path: "/settings/users?q=" + url.QueryEscape(q), signedIn: true},
		{name: "tab (kept)", path: "/settings/users?status=invited", signedIn: true},
		{name: "deep page (kept)", path: "/settings/users?page=1000", signedIn: true},
		// What administrators send: never the same address twice.
		{name: "typing a search", path: "/settings/users?q=m, ma, mar…", signedIn: true, addrs: l.typing},
		{name: "deep pages", path: "/settings/users?sort=…&dir=…&page=…", signedIn: true, addrs: l.deep},
		{name: "tab pages", path: "/settings/users?status=…&sort=…&page=…", signedIn: true, addrs: l.tabs},
		{name: "mixed", path: "searches and pages, one client inviting", signedIn: true, addrs: l.mixed, write: inviter(base), writes: "POST /settings/users/invite"},
		// The same addresses made anew each time (Cache-Control: no-cache).
		{name: "first page (afresh)", path: "/settings/users", signedIn: true, afresh: true},
		{name: "search (afresh)", path: "/settings/users?q=" + url.QueryEscape(q), signedIn: true, afresh: true},
	}
}

// distinctLists makes the distinct scenarios' addresses, with each tab's
// number of pages read from its first page.
func distinctLists(ctx context.Context, client *http.Client, base, cookie string) (lists, error) {
	pages := map[string]int{}
	for _, status := range []string{"", "active", "invited", "expired", "deactivated"} {
		n, err := lastPage(ctx, client, base, cookie, status)
		if err != nil {
			return lists{}, err
		}
		pages[status] = n
	}
	all := map[string]int{"": pages[""]}
	delete(pages, "")
	typing := typedSearches(1)
	var mixed []string
	for i, p := range pagesOf(3, pages) {
		mixed = append(mixed, p, typing[len(typing)-1-i%len(typing)])
	}
	return lists{
		typing: &addresses{list: typing},
		deep:   &addresses{list: pagesOf(1, all)},
		tabs:   &addresses{list: pagesOf(2, pages)},
		mixed:  &addresses{list: mixed},
	}, nil
}

var pageRE = regexp.MustCompile(`[?&;]page=(\d+)`)

// lastPage is the number of the last page of a tab, the highest page its
// first page links to.
func lastPage(ctx context.Context, client *http.Client, base, cookie, status string) (int, error) {
	target := base + "/settings/users"
	if status != "" {
		target += "?status=" + status
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Cookie", cookie)
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s answered %s", target, res.Status)
	}
	last := 1
	for _, m := range pageRE.FindAllSubmatch(body, -1) {
		if n, err := strconv.Atoi(string(m[1])); err == nil {
			last = max(last, n)
		}
	}
	return last, nil
}

// inviter is a mixed scenario's writer: it invites a new address each
// time, as an administrator does (the server must allow that many, see
// USHER_SEND_LIMIT; -usher sees to it).
func inviter(base string) func(ctx context.Context, client *http.Client, cookie string) error {
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var n atomic.Int64
	return func(ctx context.Context, client *http.Client, cookie string) error {
		form := url.Values{"email": {"load-" + run + "-" + strconv.FormatInt(n.Add(1), 10) + "@example.com"}, "role": {"member"}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/settings/users/invite", strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		req.Header.Set("Cookie", cookie)
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			return fmt.Errorf("inviting answered %s, want 303 See Other", res.Status)
		}
		return nil
	}
}

// signIn posts the sign-in form as a browser would (with an Origin, which
// Usher's cross-origin protection checks) and returns the session cookie.
func signIn(ctx context.Context, client *http.Client, base, email, password string) (string, error) {
	form := url.Values{"email": {email}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	res, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("signing in: %w", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	var parts []string
	for _, c := range res.Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	if res.StatusCode != http.StatusSeeOther || len(parts) == 0 {
		return "", fmt.Errorf("signing in as %s: got %s, want a redirect with a session cookie (wrong password?)", email, res.Status)
	}
	return strings.Join(parts, "; "), nil
}

// result is what one scenario measured.
type result struct {
	scenario
	requests  int
	errors    int
	elapsed   time.Duration
	latencies []time.Duration // sorted
	firstErr  string
	cpu       time.Duration // the server's, while it was measured; -1: unknown
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// add counts another slice of the same scenario.
func (r *result) add(o result) {
	r.requests += o.requests
	r.errors += o.errors
	r.elapsed += o.elapsed
	r.latencies = append(r.latencies, o.latencies...)
	if r.firstErr == "" {
		r.firstErr = o.firstErr
	}
	if r.cpu >= 0 && o.cpu >= 0 {
		r.cpu += o.cpu
	} else {
		r.cpu = -1
	}
}

// percentile is the latency below which p of the requests finished.
func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(r.latencies)))) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// measure loads a scenario from o.clients clients: o.warmup unmeasured,
// then o.duration (or o.requests requests) measured. It returns what the
// readers measured, and what a mixed scenario's writer did.
func measure(ctx context.Context, client *http.Client, req request, o options) (read, written result, err error) {
	if o.warmup > 0 {
		if _, _, err := load(ctx, client, req, o.clients, o.warmup, 0); err != nil {
			return result{}, result{}, err
		}
	}
	before := cpuTime(o.pid)
	read, written, err = load(ctx, client, req, o.clients, o.duration, o.requests)
	read.cpu, written.cpu = -1, -1
	if after := cpuTime(o.pid); before >= 0 && after >= 0 {
		read.cpu, written.cpu = after-before, 0 // all of it to the readers' row
	}
	return read, written, err
}

func load(ctx context.Context, client *http.Client, req request, clients int, d time.Duration, limit int) (read, written result, err error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		sent int
	)
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if limit > 0 && sent >= limit {
			return false
		}
		sent++
		return true
	}
	// The writer goes on while the readers do.
	wctx, stopWriter := context.WithCancel(ctx)
	defer stopWriter()
	var wwg sync.WaitGroup
	start := time.Now()
	for i := range clients {
		writer := req.write != nil && i == 0
		r, ctx, wg := &read, ctx, &wg
		if writer {
			r, ctx, wg = &written, wctx, &wwg
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			errs, firstErr := 0, ""
			for ctx.Err() == nil && (writer || take()) {
				t := time.Now()
				var err error
				if writer {
					err = req.write(ctx, client, req.cookie)
				} else {
					err = get(ctx, client, req)
				}
				if ctx.Err() != nil {
					break // cut off by the end of the run: not a measurement
				}
				lat = append(lat, time.Since(t))
				if err != nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
				}
			}
			mu.Lock()
			r.latencies = append(r.latencies, lat...)
			r.errors += errs
			if r.firstErr == "" {
				r.firstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	stopWriter()
	wwg.Wait()
	for _, r := range []*result{&read, &written} {
		r.elapsed = time.Since(start)
		r.requests = len(r.latencies)
		slices.Sort(r.latencies)
		if r.errors > r.requests/100 {
			return read, written, fmt.Errorf("%d of %d requests failed, the first with: %s", r.errors, r.requests, r.firstErr)
		}
	}
	if read.requests == 0 {
		return read, written, errors.New("no request finished: is the server up?")
	}
	return read, written, nil
}

// request is what each request of a scenario sends.
type request struct {
	target string
	cookie string // "": none
	afresh bool   // Cache-Control: no-cache
	base   string
	addrs  *addresses // each request the next of these, not target
	write  func(ctx context.Context, client *http.Client, cookie string) error
}

// get fetches the target and reads the whole answer, which must be a 200.
func get(ctx context.Context, client *http.Client, r request) error {
	target := r.target
	if r.addrs != nil {
		target = r.base + r.addrs.take()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	if r.cookie != "" {
		req.Header.Set("Cookie", r.cookie)
	}
	if r.afresh {
		req.Header.Set("Cache-Control", "no-cache")
	}
	// As a browser asks. The answer is read as it comes, not unpacked:
	// what is measured is the server.
	req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", target, res.Status)
	}
	return nil
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

// printTable writes the results as a Markdown table, columns aligned.
func printTable(w io.Writer, rs []result, clients int) {
	var base float64
	for _, r := range rs {
		if r.name == "healthz" {
			base = r.rps()
		}
	}
	rows := [][]string{{"scenario", "path", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "vs /healthz", "server CPU ms/req"}}
	for _, r := range rs {
		ratio, cpu := "-", "-"
		if base > 0 {
			ratio = strconv.FormatFloat(100*r.rps()/base, 'f', 1, 64) + "%"
		}
		if r.cpu > 0 && r.requests > 0 {
			cpu = strconv.FormatFloat(float64(r.cpu)/float64(time.Millisecond)/float64(r.requests), 'f', 3, 64)
		}
		rows = append(rows, []string{r.name, "`" + r.path + "`", strconv.Itoa(r.requests), strconv.FormatFloat(r.rps(), 'f', 0, 64),
			ms(r.percentile(0.50)), ms(r.percentile(0.95)), ms(r.percentile(0.99)), ratio, cpu})
	}
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i >= 2 { // numbers: right-aligned
				c = pad + c
			} else {
				c += pad
			}
			b.WriteString("| " + c + " ")
		}
		fmt.Fprintln(w, b.String()+"|")
	}
	fmt.Fprintf(w, "%d concurrent clients:\n\n", clients)
	line(rows[0])
	sep := make([]string, len(width))
	for i, n := range width {
		sep[i] = strings.Repeat("-", n)
		if i >= 2 {
			sep[i] = strings.Repeat("-", n-1) + ":"
		}
	}
	line(sep)
	for _, row := range rows[1:] {
		line(row)
	}
}

// peakRSS is VmHWM of process pid, in bytes, or 0 when unknown.
func peakRSS(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// server is a `usher serve` that usherload started.
type server struct {
	cmd    *exec.Cmd
	dir    string
	url    string
	seeded time.Duration // how long `usher demo` took
	ready  time.Duration // from start until /healthz answered
	done   chan struct{}
	pprof  string // the profiler's base URL; "": none

	mu     sync.Mutex
	logged string // the startup_ms of its log
}

var startupRE = regexp.MustCompile(`startup_ms=(\d+)`)

// startupMS is the startup_ms the server logged, or "?".
func (s *server) startupMS() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logged == "" {
		return "?"
	}
	return s.logged
}

// startServer seeds a temporary data folder and starts usher on it.
func startServer(ctx context.Context, o options, stderr io.Writer) (*server, error) {
	bin, err := filepath.Abs(o.usher)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "usher-bench-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, done: make(chan struct{})}
	fail := func(err error) (*server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	// The mixed scenario's writer invites far more people than an
	// administrator may in an hour.
	env := append(os.Environ(), "USHER_ADMIN_PASSWORD="+o.password, "USHER_SEND_LIMIT=1000000000")
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return fail(err)
		}
		p, err := freeAddr()
		if err != nil {
			return fail(err)
		}
		s.pprof = "http://" + p
		env = append(env, "USHER_PPROF_ADDR="+p)
	}

	fmt.Fprintf(stderr, "usherload: seeding %d demo users into %s…\n", o.users, data)
	seed := exec.CommandContext(ctx, bin, "demo", "--users", strconv.Itoa(o.users), "--data-dir", data)
	seed.Env, seed.Stdout, seed.Stderr = env, stderr, stderr
	t := time.Now()
	if err := seed.Run(); err != nil {
		return fail(fmt.Errorf("usher demo: %w", err))
	}
	s.seeded = time.Since(t)

	addr, err := freeAddr()
	if err != nil {
		return fail(err)
	}
	s.url = "http://" + addr

	s.cmd = exec.Command(bin, "serve", "--addr", addr, "--data-dir", data)
	s.cmd.Env = env
	s.cmd.SysProcAttr = childAttr()
	logs, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return fail(err)
	}
	pr, pw := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = logs, pw
	go func() {
		// The server logs a line per request: keep reading, or it blocks.
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := startupRE.FindStringSubmatch(sc.Text()); m != nil {
				s.mu.Lock()
				if s.logged == "" {
					s.logged = m[1]
				}
				s.mu.Unlock()
			}
			fmt.Fprintln(logs, sc.Text())
		}
		io.Copy(io.Discard, pr)
	}()
	t = time.Now()
	if err := s.cmd.Start(); err != nil {
		return fail(fmt.Errorf("starting usher serve: %w", err))
	}
	go func() {
		s.cmd.Wait()
		pw.Close()
		logs.Close()
		close(s.done)
	}()
	if err := waitHealthy(ctx, s.url, s.done); err != nil {
		s.stop()
		return nil, err
	}
	s.ready = time.Since(t)
	return s, nil
}

// freeAddr is a free loopback port: the kernel picks one, and usher takes
// it over a moment later.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// profile starts a CPU profile of the server lasting d (at least a
// second) and returns a wait that writes it to file once it is done.
func (s *server) profile(ctx context.Context, file string, d time.Duration) func() error {
	done := make(chan error, 1)
	go func() {
		secs := max(1, int(d.Round(time.Second)/time.Second))
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.pprof+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), nil)
		if err != nil {
			done <- err
			return
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- fmt.Errorf("profiling: %w", err)
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("profiling: %s", res.Status)
		}
		if err == nil {
			err = os.WriteFile(file, b, 0o644)
		}
		done <- err
	}()
	return func() error { return <-done }
}

// profileName is a scenario's name as a file name.
func profileName(scenario string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(scenario)) + ".pprof"
}

// waitHealthy polls /healthz until it answers 200.
func waitHealthy(ctx context.Context, base string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("usher serve exited before answering /healthz (see its log above)")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if res, err := client.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return errors.New("usher serve did not answer /healthz within 20s")
}

// stop ends the server (SIGTERM, then SIGKILL after 5s) and removes its
// data folder.
func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}
