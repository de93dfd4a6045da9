// Package browser_test drives the real Usher in headless Chromium, the way
// a person uses it: clicks, keys, the clipboard, JavaScript on and off.
package browser_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/smtptest"
)

// stepTimeout bounds one browser step. Nothing here waits on a clock: a
// step that takes this long is a failure, not a slow machine.
const stepTimeout = 20 * time.Second

// chromium finds the browser: $CHROMIUM, then the usual names on PATH.
func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser is the shared Chromium as one test sees it: the people it opens
// are the test's until it ends.
type Browser struct {
	t    *testing.T
	base string
}

// chrome is the one Chromium process every test of the package shares:
// started by the first test that needs it, stopped by TestMain. Starting
// one per test cost more than the tests themselves. Sharing it shares
// nothing a page sees: each person is a browser context of their own (an
// incognito profile, with its own cookies, storage and permissions),
// passed to a later test only once cleared (see idle).
var chrome struct {
	once sync.Once
	ctx  context.Context // the browser; its first tab is never used
	err  error
	stop func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.stop != nil {
		chrome.stop()
	}
	os.Exit(code)
}

func startChrome(path string) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 900),
	)
	// Without a UserDataDir chromedp makes a temporary profile and removes
	// it once the browser has exited.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	chrome.ctx = ctx
	chrome.stop = func() { cancel(); cancelAlloc() }
	// The first Do starts the browser; it must not carry a step timeout,
	// which would end the browser with the step.
	if err := chromedp.Do(ctx); err != nil {
		chrome.err = fmt.Errorf("start Chromium at %s: %w", path, err)
	}
}

// newBrowser gives the test the shared Chromium, starting it if needed.
// Without Chromium the test is skipped, except in CI, where that is a
// failure: a green CI run must mean the browser tests ran.
func newBrowser(t *testing.T, e *apptest.Env) *Browser {
	t.Helper()
	path := chromium()
	if path == "" {
		const msg = "browser tests need Chromium: apt-get install -y chromium (set CI=true to make this a failure)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	chrome.once.Do(func() { startChrome(path) })
	if chrome.err != nil {
		t.Fatal(chrome.err)
	}
	return &Browser{t: t, base: e.URL}
}

// Person is one person at one browser: their own browser context (so their
// own cookies) and one tab.
type Person struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// clipboard stands for the browser's one clipboard, which every browser
// context shares: a test holds it from a copy to reading what was copied.
var clipboard sync.Mutex

// kind is what a person's browser does beyond Chromium's defaults, set
// once, when their browser context is made.
type kind int

const (
	// withJS treats the page as focused: a headless page otherwise is
	// not, and the clipboard refuses unfocused pages.
	withJS    kind = iota
	withoutJS      // runs no JavaScript at all
)

// person opens a fresh browser context with the clipboard allowed for the
// app's origin.
func (b *Browser) person() *Person {
	b.t.Helper()
	p := b.newPerson(withJS)
	id := chromedp.FromContext(p.ctx).BrowserContextID
	for _, d := range []*browser.PermissionDescriptor{
		{Name: "clipboard-read"},
		{Name: "clipboard-write", AllowWithoutSanitization: true},
	} {
		if _, err := chromedp.CallBrowser(p.ctx, browser.SetPermission, browser.SetPermissionParams{Permission: d, Setting: browser.PermissionSettingGranted, Origin: b.base, BrowserContextID: id}); err != nil {
			b.t.Fatalf("grant %s: %v", d.Name, err)
		}
	}
	return p
}

// personWithoutJS is a person whose browser runs no JavaScript at all.
func (b *Browser) personWithoutJS() *Person {
	b.t.Helper()
	return b.newPerson(withoutJS)
}

// A browser context and its tab outlive the test that used them: making
// them costs Chromium more than a short test's pages do. When the test
// ends they are cleared (the page, cookies, permissions, emulated media
// and screen, history) and wait in idle for the next person of the same
// kind. What else a context keeps (storage, the cache) belongs to the
// origins it opened, and every test's server has an origin of its own
// while it runs; a context goes only to a test whose origin it never
// opened, so an origin used again by a later server finds nothing.
var idle struct {
	sync.Mutex
	tabs []*tab
}

// tab is a browser context with its one tab.
type tab struct {
	ctx    context.Context
	cancel context.CancelFunc // closes the tab and the context
	kind   kind
	opened map[string]bool // the origins it has been given for
}

func (b *Browser) newPerson(k kind) *Person {
	b.t.Helper()
	tb := takeIdle(k, b.base)
	if tb == nil {
		tb = b.newTab(k)
	}
	tb.opened[b.base] = true
	b.t.Cleanup(tb.release)
	return &Person{t: b.t, ctx: tb.ctx, base: b.base}
}

// takeIdle is an idle tab of kind k that never opened origin, or nil.
func takeIdle(k kind, origin string) *tab {
	idle.Lock()
	defer idle.Unlock()
	for i, tb := range idle.tabs {
		if tb.kind == k && !tb.opened[origin] {
			idle.tabs = slices.Delete(idle.tabs, i, i+1)
			return tb
		}
	}
	return nil
}

// newTab makes a browser context of kind k, with its tab.
func (b *Browser) newTab(k kind) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(chrome.ctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil { // opens the tab, without a timeout
		cancel()
		b.t.Fatalf("open a browser context: %v", err)
	}
	var err error
	switch k {
	case withJS:
		_, err = chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
	case withoutJS:
		_, err = chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	}
	if err != nil {
		cancel()
		b.t.Fatalf("set up a browser context: %v", err)
	}
	return &tab{ctx: ctx, cancel: cancel, kind: k, opened: map[string]bool{}}
}

// release clears the tab for the next person, or closes it when it cannot
// be cleared.
func (tb *tab) release() {
	if err := tb.clear(); err != nil {
		tb.cancel()
		return
	}
	idle.Lock()
	idle.tabs = append(idle.tabs, tb)
	idle.Unlock()
}

func (tb *tab) clear() error {
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	id := chromedp.FromContext(tb.ctx).BrowserContextID
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		return err
	}
	if _, err := chromedp.Call(ctx, page.ResetNavigationHistory, cdp.Empty{}); err != nil {
		return err
	}
	if _, err := chromedp.CallBrowser(ctx, storage.ClearCookies, storage.ClearCookiesParams{BrowserContextID: id}); err != nil {
		return err
	}
	if _, err := chromedp.CallBrowser(ctx, browser.ResetPermissions, browser.ResetPermissionsParams{BrowserContextID: id}); err != nil {
		return err
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		return err
	}
	if _, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err != nil {
		return err
	}
	_, err := chromedp.Call(ctx, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: false})
	return err
}

// do runs steps in the tab, failing the test with what the page shows.
func (p *Person) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail(what, err)
	}
}

// fail stops the test, saying where the page is and what it shows.
func (p *Person) fail(what string, err error) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.querySelector("main") || document.body || {innerText: ""}).innerText`))
	if len(state) > 3000 {
		state = state[:3000] + "…"
	}
	p.t.Fatalf("%s: %v\npage: %s", what, err, state)
}

// open navigates to a path of the app (or a full URL).
func (p *Person) open(path string) {
	p.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = p.base + path
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
	if err != nil {
		p.fail("open "+path, err)
	}
	if res.Status >= 500 {
		p.fail("open "+path, fmt.Errorf("status %d", res.Status))
	}
}

// navigateBy runs a step that loads a new page (a link, a form post) and
// waits for that page; it fails on a server error.
func (p *Person) navigateBy(what string, step chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, step)
	if err != nil {
		p.fail(what, err)
	}
	if res.Status >= 500 {
		p.fail(what, fmt.Errorf("status %d", res.Status))
	}
}

// waitFor polls a JavaScript expression in the page until it is true.
func (p *Person) waitFor(what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(stepTimeout))); err != nil {
		p.fail("waiting for "+what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](p *Person, expr string, opts ...chromedp.EvaluateOption) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		p.fail("evaluate "+expr, err)
	}
	return v
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// xq quotes a string for an XPath expression; the texts here never hold a
// double quote.
func xq(s string) string {
	if strings.Contains(s, `"`) {
		panic("xq: " + s)
	}
	return `"` + s + `"`
}

// button finds a button or button-like link by its visible text.
func button(label string) chromedp.Search {
	return chromedp.Search(`//*[self::button or self::a][normalize-space()=` + xq(label) + `]`)
}

func (p *Person) path() string { return eval[string](p, `location.pathname`) }

func (p *Person) waitPath(path string) {
	p.t.Helper()
	p.waitFor("the page "+path, `location.pathname === `+js(path))
}

// text is an element's rendered text, trimmed; "" when it is absent.
func (p *Person) text(css string) string {
	p.t.Helper()
	return eval[string](p, `(() => { const el = document.querySelector(`+js(css)+`); return el ? el.innerText.trim() : "" })()`)
}

// waitText waits until the element's text contains want.
func (p *Person) waitText(css, want string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("%s to say %q", css, want),
		`(() => { const el = document.querySelector(`+js(css)+`); return !!el && el.innerText.includes(`+js(want)+`) })()`)
}

// waitBanner waits until the page's banner says exactly want, in its
// success style.
func (p *Person) waitBanner(want string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("the banner %q", want),
		`(() => { const b = document.querySelector("#banner .banner"); return !!b && b.classList.contains("banner-success") && b.querySelector(".banner-body p").textContent.trim() === `+js(want)+` })()`)
}

// h1 is the page's heading.
func (p *Person) h1() string { p.t.Helper(); return p.text("h1") }

// ---- Settings > Users ----

// rowJS finds the users-list row of an email.
func rowJS(email string) string {
	return `[...document.querySelectorAll("table.users tbody tr")].find(r => { const e = r.querySelector(".user-email"); return !!e && e.textContent.trim() === ` + js(email) + ` })`
}

// status is the status badge of email's row; "" when there is no row.
func (p *Person) status(email string) string {
	p.t.Helper()
	return eval[string](p, `(() => { const r = `+rowJS(email)+`; return r ? r.querySelector(".badge").textContent.trim() : "" })()`)
}

func menuButton(email string) chromedp.CSS {
	return chromedp.CSS(`button[data-menu-button][aria-label="Actions for ` + email + `"]`)
}

func menuList(email string) chromedp.CSS {
	return chromedp.CSS(`ul[role="menu"][aria-label="Actions for ` + email + `"]`)
}

func menuItem(email, label string) chromedp.Search {
	return chromedp.Search(`//ul[@role="menu"][@aria-label=` + xq("Actions for "+email) + `]//*[@role="menuitem"][normalize-space()=` + xq(label) + `]`)
}

// openMenu clicks a row's ••• and returns the labels of the menu's items,
// once the menu shows.
func (p *Person) openMenu(email string) []string {
	p.t.Helper()
	p.do("open the menu of "+email, chromedp.Click(menuButton(email)), chromedp.WaitVisible(menuList(email)))
	return p.menuLabels(email)
}

// menuLabels are the labels of a row's menu items (empty when the row has
// no menu at all).
func (p *Person) menuLabels(email string) []string {
	p.t.Helper()
	return eval[[]string](p, `(() => { const m = document.querySelector(`+js(string(menuList(email)))+`); return m ? [...m.querySelectorAll('[role="menuitem"]')].map(i => i.textContent.trim()) : [] })()`)
}

// choose clicks an item of the open menu of email's row.
func (p *Person) choose(email, label string) {
	p.t.Helper()
	p.do("choose "+label, chromedp.Click(menuItem(email, label)))
}

// signIn signs in through the sign-in form.
func (p *Person) signIn(email, password string) {
	p.t.Helper()
	p.signInTo(email, password, "/settings/users")
}

// signInTo signs in and waits for the page someone like this lands on: an
// administrator the users list, a member their profile.
func (p *Person) signInTo(email, password, landing string) {
	p.t.Helper()
	p.open("/login")
	p.do("fill the sign-in form",
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password))
	p.navigateBy("sign in", chromedp.Click(button("Sign in")))
	p.waitPath(landing)
}

// invitedBo starts Usher with an SMTP server, signs the administrator in
// (in a browser with JavaScript or without) and invites bo as a member;
// it returns the link bo was emailed.
func invitedBo(t *testing.T, withJS bool) (*apptest.Env, *Browser, *Person, string) {
	t.Helper()
	e := apptest.New(t, apptest.Options{SMTP: true})
	e.SetupAdmin(t)
	b := newBrowser(t, e)
	admin := b.person()
	if !withJS {
		admin = b.personWithoutJS()
	}
	admin.signIn(apptest.AdminEmail, apptest.AdminPassword)
	admin.invite(bo, "Bo Berg", "member")
	return e, b, admin, linkIn(t, delivered(t, e, bo, 1)[0])
}

// confirm waits for the confirmation dialog and presses its button label.
func (p *Person) confirm(label string) {
	p.t.Helper()
	p.do("the confirmation dialog opens", chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	p.do("confirm "+label, chromedp.Click(chromedp.Search(`//dialog[@open]//button[normalize-space()=`+xq(label)+`]`)))
}

// invite fills in and sends the Invite user form, starting from the list.
func (p *Person) invite(email, name, role string) {
	p.t.Helper()
	p.open("/settings/users")
	p.navigateBy("click Invite user", chromedp.Click(button("Invite user")))
	if h := p.h1(); h != "Invite user" {
		p.t.Fatalf("the Invite user page's heading is %q", h)
	}
	p.do("fill the invite form",
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.Click(chromedp.CSS(`input[name="role"][value="`+role+`"]`)))
	p.navigateBy("send the invitation", chromedp.Click(button("Send invitation")))
	p.waitPath("/settings/users")
	p.waitBanner("Invitation will be sent to " + email + ".")
}

// ---- Email ----

// delivered sends the outbox and returns the messages to addr, failing
// unless there are exactly n.
func delivered(t *testing.T, e *apptest.Env, addr string, n int) []smtptest.Message {
	t.Helper()
	e.Deliver(t)
	got := e.SMTP.To(addr)
	if len(got) != n {
		t.Fatalf("want %d emails to %s, got %d", n, addr, len(got))
	}
	return got
}

// linkIn is the invitation link in an email, which must have one.
func linkIn(t *testing.T, m smtptest.Message) string {
	t.Helper()
	l := apptest.Link(m.Text)
	if l == "" {
		t.Fatalf("no invitation link in the email %q:\n%s", m.Header("Subject"), m.Text)
	}
	return l
}

// ---- Without the browser ----

// mustStatus fails unless a seeding request answered want.
func mustStatus(t *testing.T, what string, res apptest.Response, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, res.StatusCode, want, res.Body)
	}
}
